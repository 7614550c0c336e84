/* optdoc.h - help text and roomgate(1) written from an option table. */
#ifndef RG_CLI_OPTDOC_H
#define RG_CLI_OPTDOC_H

#include <stdio.h>

#include "core/options.h"

/* usage, the precedence, then every option by section, wrapped at 79. */
void rg_opts_help(FILE *f, const char *usage, const rg_opt *opts, size_t nopts);
/* The man page in groff -man (`make man` writes docs/roomgate.1). */
void rg_opts_man(FILE *f, const rg_opt *opts, size_t nopts);

#endif

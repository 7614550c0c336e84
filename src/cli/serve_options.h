/* serve_options.h - the option table of `roomgate serve` (every flag,
 * variable and config file key) and its parse into rg_serve_config. */
#ifndef RG_CLI_SERVE_OPTIONS_H
#define RG_CLI_SERVE_OPTIONS_H

#include <stdio.h>

#include "core/options.h"
#include "http/app.h"

extern const rg_opt rg_serve_opts[];
extern const size_t rg_serve_nopts;
extern const char rg_serve_usage[];

/* The --config file's text: rg_serve_config's strings may point into it,
 * so it lives as long as the config; rg_serve_conf_free wipes it. */
typedef struct {
    char *text;
    size_t size;
    char *db; /* --db's URL when the command line gave it (argv's copy is masked) */
} rg_serve_conf;

/* Defaults, --config file, environment, flags (the strongest wins) into
 * cfg (zeroed by the caller), then the checks across options.  0; -1 after
 * printing the help for --help; 2 after a usage error (message on stderr).
 * Overwrites the secrets in argv once copied (argv must be writable). */
int rg_serve_options(rg_serve_config *cfg, int argc, char **argv, rg_serve_conf *conf);
void rg_serve_conf_free(rg_serve_conf *conf);

#endif

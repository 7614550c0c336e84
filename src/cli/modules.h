/* modules.h - the features `roomgate serve` runs, in order (http/module.h
 * says what the order means), and the option sections they own (the rows
 * of rg_serve_opts, cli/serve_options.c, that point at them). */
#ifndef RG_CLI_MODULES_H
#define RG_CLI_MODULES_H

#include "http/module.h"

/* NULL-terminated. */
extern const rg_module *const rg_serve_modules[];

/* The server shell's own options (listen, threads, TLS, ...): read by
 * cmd_serve.c and http/server.c, not by a module. */
extern const rg_opt_section rg_server_options;

/* Each defined beside its module. */
extern const rg_opt_section rg_web_options;           /* api/root.c */
extern const rg_opt_section rg_consultations_options; /* api/consultations.c */
extern const rg_opt_section rg_rooms_options;         /* api/rooms.c */
extern const rg_opt_section rg_nodes_options;         /* app/nodes.c */
extern const rg_opt_section rg_playback_options;      /* playback/module.c */
extern const rg_opt_section rg_signal_options;        /* signal/module.c */
extern const rg_opt_section rg_turn_options;          /* api/turn.c */
extern const rg_opt_section rg_limits_options;        /* http/limits.c */
extern const rg_opt_section rg_metrics_options;       /* http/metrics.c */
extern const rg_opt_section rg_webhooks_options;      /* api/callback.c */

#endif

/* module.h - the one shape every feature has (keys, tokens, rooms,
 * meetings, consultations, recordings, signaling, TURN, health, metrics,
 * ...), in the manner of nginx's modules and h2o's handlers: a const
 * struct that names the feature, its options, its process and per-loop
 * lifecycle and its routes.  `serve` (cli/cmd_serve.c) and the server
 * (http/server.c) only loop over the list (cli/modules.c); nothing outside
 * a feature calls into its start or loop set-up by name.
 *
 * Adding a feature:
 *  1. write its handlers (src/api/NAME.c, or a folder of its own);
 *  2. at the bottom of that file, its route table (a NULL-terminated
 *     rg_route array with RG_ROUTE_* flags) and its module:
 *        const rg_module rg_mod_NAME = {.name = "NAME", .routes = routes, ...};
 *     with only the hooks it needs (every hook may be NULL);
 *  3. if it has options, an rg_opt_section of its own (declared with the
 *     module) and its rows in rg_serve_opts (cli/serve_options.c) pointing
 *     at that section: the one table still drives the command line, the
 *     environment, --config, --help and the man page; the section is what
 *     says which module reads an option (.options below);
 *  4. add &rg_mod_NAME to rg_serve_modules (cli/modules.c), where its
 *     place in the list is its place in every order below.
 *
 * What a module may count on at start: the store, the master key, the
 * options (app->cfg), the store's change watcher (app->changes: a cache
 * listens there for commits by other processes) and the main thread's
 * tick (rg_app_add_poller, http/app.h, for periodic work).
 *
 * Orders (the list's order, i = 0..n-1):
 *  - start runs in list order before the loops exist, with every signal
 *    blocked (threads it starts inherit that: SIGTERM is the main
 *    thread's); a failing start is stopped itself (it may hold part of its
 *    state) and so is every module before it, in reverse order: stop must
 *    accept a half-started module;
 *  - loop_init runs in list order on each loop's own thread, after the
 *    loop's shared machinery (rg_worker: deferral queue, HMAC context,
 *    counters) is up; loop_dispose runs in list order too, as nginx's
 *    exit_process does (a module that flushes work other modules complete
 *    on the loop comes before them), then the shared machinery goes;
 *  - at SIGTERM, loop_drain/loop_open/loop_close (long-lived connections,
 *    i.e. WebSockets) run before the listener closes (server.c);
 *  - routes are matched in list order, then in table order, and that is
 *    also the order `roomgate routes` prints and /metrics labels use;
 *    static directories (files) come first, in list order.
 *
 * Per-loop state of a module lives in its slot of rg_worker (http/app.h),
 * found with rg_worker_state: loop_init stores it there, loop_dispose
 * frees and clears it, and its handlers read it the same way. */
#ifndef RG_HTTP_MODULE_H
#define RG_HTTP_MODULE_H

#include "core/options.h"
#include "http/router.h"

/* Static files: a directory served under prefix by libh2o's file handler
 * (ETags, ranges, path normalisation: no path is built from a request).
 * allow, when set, sees each request first, a request step (errors.h):
 * 0 lets the file handler answer, -1 means it answered itself (a refusal). */
typedef int (*rg_files_allow_fn)(rg_call *c);
typedef void (*rg_files_add_fn)(void *ud, const char *prefix, const char *dir,
                                rg_files_allow_fn allow);

typedef struct rg_module {
    const char *name;
    /* The section of rg_serve_opts (cli/serve_options.c) whose rows this
     * module reads (from rg_serve_config); NULL: none. */
    const rg_opt_section *options;
    /* Before the loops, on the main thread.  0, or non-zero after printing
     * why on stderr ("roomgate: ..."). */
    int (*start)(rg_app *app);
    /* After every loop is gone, in reverse list order. */
    void (*stop)(rg_app *app);
    /* On the loop's thread, with its h2o context (timers, receivers).
     * 0, or -1: the server does not start. */
    int (*loop_init)(rg_worker *w, h2o_context_t *ctx);
    void (*loop_dispose)(rg_worker *w);
    /* SIGTERM, step 1: hint long-lived connections to move (they are
     * closed in close_in_ms); returns how many are open. */
    int (*loop_drain)(rg_worker *w, int close_in_ms);
    int (*loop_open)(rg_worker *w);   /* how many are still open */
    void (*loop_close)(rg_worker *w); /* close those that stayed */
    const rg_route *routes;           /* NULL-terminated; NULL: none */
    /* Its static directories: add() for each, in the order they are
     * matched (before the routes), when the server is configured. */
    void (*files)(const rg_app *app, rg_files_add_fn add, void *ud);
} rg_module;

/* Every start of app->modules in list order, with every signal blocked
 * (see Orders above).  Returns how many modules rg_modules_stop must stop:
 * all of them, or, when one fails, it and those before it; *ok is 0 then. */
int rg_modules_start(rg_app *app, int *ok);
/* The stops of the first n modules, last first. */
void rg_modules_stop(rg_app *app, int n);

/* m's per-loop slot on w: &w->state[m's place in w->app->modules].  NULL
 * when m is not in the list (a module only asks for its own slot, from
 * its own hooks and handlers, which run only when it is listed).  A
 * pointer compare per module ahead of m in the list. */
void **rg_worker_state(rg_worker *w, const rg_module *m);
/* What m's slot on w holds (its loop state, for its handlers); NULL when
 * m is not listed or its loop_init has not stored anything there. */
void *rg_worker_get(rg_worker *w, const rg_module *m);

/* The routes of modules[] (NULL-terminated) in one flat table, in list
 * order, ended by a zeroed row: malloc'd, the caller frees.  *n is the
 * number of routes.  NULL without memory. */
rg_route *rg_modules_routes(const rg_module *const *modules, int *n);

#endif

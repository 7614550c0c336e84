/* cmd_serve.c - `roomgate serve`: the options (cli/serve_options.c), the
 * data directory, every module's start (cli/modules.c, http/module.h), then
 * the server. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/modules.h"
#include "cli/serve_options.h"
#include "core/errors.h"
#include "http/server.h"
#include "store/watch.h"

/* The demo account named in DATA/demo.json. */
static int load_demo(rg_app *app)
{
    char path[4096];
    json_error_t err;
    json_t *v;
    const char *ac;
    snprintf(path, sizeof path, "%s/demo.json", app->cfg.data_dir);
    if ((v = json_load_file(path, 0, &err)) == NULL)
        return rg_cli_fail("--demo needs %s: run `roomgate demo init` first", path);
    ac = json_string_value(json_object_get(v, "account_sid"));
    if (ac == NULL || !rg_sid_valid(ac, strlen(ac), "AC")) {
        json_decref(v);
        return rg_cli_fail("%s has no account_sid", path);
    }
    memcpy(app->demo_account, ac, RG_SID_SIZE);
    json_decref(v);
    return 0;
}

/* Stops the first n modules of the list, last first, then closes the
 * store and the listener. */
static void stop_all(rg_app *app, rg_cli_env *env, rg_listener *l, int n, rg_serve_conf *conf)
{
    rg_modules_stop(app, n);
    rg_watch_free(app->changes); /* after every listener stopped */
    free((void *)app->routes);
    OPENSSL_cleanse(app->master, sizeof app->master);
    rg_turn_config_wipe(&app->cfg.turn);
    rg_cli_close(env);
    rg_listener_close(l);
    rg_serve_conf_free(conf);
}

/* --db-connections: the loops' store connections (PostgreSQL; store.h
 * rg_store_links).  0, the default: one for each loop's request handlers
 * (they wait on fibers, http/fiber.h), one for the signaling hub's writer
 * (signal/hub_writer.c) and the first for the rest (pg/conn.c
 * rg_pg_link_of); 1: the handle's first, shared by all. */
static int store_links(rg_app *app)
{
    char location[4096];
    int n = app->cfg.db_connections;
    if (n == 0) n = app->cfg.db && rg_store_is_postgres(app->cfg.db) ? app->cfg.threads + 2 : 1;
    if (n > RG_STORE_LINKS_MAX) n = RG_STORE_LINKS_MAX;
    if (n <= 1) return 0;
    int rc = rg_store_location(app->cfg.db, app->cfg.data_dir, location, sizeof location);
    if (rc == RG_OK) rc = rg_store_links(app->store, location, n);
    OPENSSL_cleanse(location, sizeof location);
    return rc == RG_OK ? 0 : -1;
}

int rg_cmd_serve(int argc, char **argv)
{
    rg_app app;
    rg_cli_env env;
    rg_listener l;
    rg_serve_conf conf;
    char web[PATH_MAX];
    int rc, ok, started;
    memset(&app, 0, sizeof app);
    app.modules = rg_serve_modules;
    if ((rc = rg_serve_options(&app.cfg, argc, argv, &conf)) != 0) {
        rg_serve_conf_free(&conf);
        return rc < 0 ? 0 : rc;
    }
    if (app.cfg.demo && load_demo(&app) != 0) {
        rg_serve_conf_free(&conf);
        return 1;
    }
    /* The address first: a second server refused here has touched nothing
     * (not the first one's participant rows, which a start resets). */
    if (rg_server_listen(&app.cfg, &l) != 0) {
        rg_serve_conf_free(&conf);
        return 1;
    }
    app.cfg.web_dir = rg_cli_web_dir(app.cfg.web_dir, web);
    rg_store_set_deadline(app.cfg.db_timeout * 1000); /* before the first open */
    if (rg_cli_open_at(&env, app.cfg.data_dir, app.cfg.db, 1) != 0) {
        rg_listener_close(&l);
        rg_serve_conf_free(&conf);
        return 1;
    }
    app.store = env.store;
    memcpy(app.master, env.master, sizeof app.master);
    if (store_links(&app) != 0) {
        stop_all(&app, &env, &l, 0, &conf);
        return rg_cli_fail("cannot open the event loops' database connections");
    }
    /* one watcher for commits by other processes; the modules' caches
     * listen to it */
    if (rg_watch_new(app.store, &app.changes) != RG_OK ||
        rg_app_add_poller(&app, rg_watch_tick, app.changes, 0) != 0) {
        stop_all(&app, &env, &l, 0, &conf);
        return rg_cli_fail("cannot watch the store");
    }
    if ((app.routes = rg_modules_routes(app.modules, &app.nroutes)) == NULL) {
        stop_all(&app, &env, &l, 0, &conf);
        return rg_cli_fail("out of memory");
    }
    started = rg_modules_start(&app, &ok);
    rc = ok ? rg_server_run(&app, &l) : 1; /* takes the listener */
    stop_all(&app, &env, &l, started, &conf);
    return rc;
}

/* signal/module.c - WebSocket signaling as a module (http/module.h): its
 * options, the hub's start (with the server's hooks, app/sighooks.c) and
 * stop, each loop's connections (set up, drained at SIGTERM, disposed) and
 * the upgrade routes of its two wire protocols.
 *
 * This file is where the hub meets the server: the hub (signal/hub*.c)
 * reaches admission, seats and kicks only through the hooks handed to it
 * here, never by including app/ or the store. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/sighooks.h"
#include "core/errors.h"
#include "http/module.h"
#include "signal/hub.h"
#include "signal/signal.h"
#include "signal/sync.h"
#include "store/store.h"

/* The writer's store connection: the one after the loops' (store.h
 * rg_store_links; cli/cmd_serve.c makes it). */
static void writer_bind(void *arg)
{
    const rg_app *app = arg;
    rg_store_bind_thread(app->cfg.threads + 1);
}

int rg_signal_start(rg_app *app, int64_t now, const rg_sig_hooks *hooks)
{
    int changed = 0;
    int rc = RG_OK;
    if ((app->signal = rg_hub_new(app, hooks)) == NULL) return RG_ENOMEM;
    /* joins that open rooms are told once durable (signal/hub_durable.c) */
    if (hooks->sync != NULL && rg_hub_durable_start(app->signal) != RG_OK) return RG_ENOMEM;
    /* a store across the network: seats and leaves are written off the
     * loops (signal/hub_writer.c) */
    if (app->cfg.db != NULL && rg_store_is_postgres(app->cfg.db) &&
        rg_hub_writer_start(app->signal, writer_bind, app) != RG_OK)
        return RG_ENOMEM;
    /* rows left connected by a crash would hold seats (and show in REST)
     * forever; but with --redis other nodes share the store, and their
     * rows are their live connections (a dead node's seats are the
     * sweeper's, not yet built: docs/deploy.md) */
    if (app->cfg.signal.redis.host[0] == '\0') rc = hooks->reset(app, now, &changed);
    if (rc == RG_OK) rc = rg_sig_sync_start(app);
    if (rc == RG_OK && changed > 0)
        fprintf(stderr,
                "roomgate: %d participant(s) left connected by the last run marked "
                "disconnected\n",
                changed);
    return rc;
}

void rg_signal_stop(rg_app *app)
{
    if (app->signal != NULL) rg_hub_remote_stop(app->signal);
    rg_hub_durable_stop(app->signal); /* the loops are gone */
    rg_hub_writer_stop(app->signal);
    rg_hub_free(app->signal);
    app->signal = NULL;
}

const rg_opt_section rg_signal_options = {"signaling (WebSocket GET /v1/signal)",
                                          "a signaling option"};

#define SYNC_PERIOD_MS 2000 /* with --redis: the store comparison's period */

/* --redis: the Redis thread, and the periodic comparison with the store
 * that makes good what Redis loses (signal/hub_remote.c). */
static int remote_start(rg_app *app)
{
    if (app->cfg.signal.redis.host[0] == '\0') return 0;
    if (rg_hub_remote_start(app->signal, &app->cfg.signal.redis) != RG_OK ||
        rg_app_add_poller(app, rg_sig_sync_tick, app, SYNC_PERIOD_MS) != 0) {
        fprintf(stderr, "roomgate: cannot start the Redis fan-out\n");
        return 1;
    }
    return 0;
}

static int signal_start(rg_app *app)
{
    if (rg_signal_start(app, (int64_t)time(NULL), &rg_app_sig_hooks) != RG_OK) {
        fprintf(stderr, "roomgate: cannot start signaling (participants left by the last run)\n");
        return 1;
    }
    return remote_start(app);
}

int rg_signal_degraded(rg_app *app)
{
    return !rg_hub_remote_ok(app->signal);
}

static const rg_route routes[] = {
    {"GET", "/v1/signal", rg_h_signal, RG_ROUTE_WS}, /* roomgate's (signal/proto_roomgate.c) */
    {"GET", "/signaling", rg_h_twilio_signal, RG_ROUTE_WS}, /* twilio-video.js (signal/twilio.c) */
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_signal = {
    .name = "signal",
    .options = &rg_signal_options,
    .start = signal_start,
    .stop = rg_signal_stop,
    .loop_init = rg_signal_thread_init,
    .loop_dispose = rg_signal_thread_dispose,
    .loop_drain = rg_signal_thread_drain,
    .loop_open = rg_signal_thread_open,
    .loop_close = rg_signal_thread_close_all,
    .routes = routes,
};

/* modules.c - the list of every feature `roomgate serve` runs
 * (http/module.h), and the module of the store's row caches. */
#include "cli/modules.h"

#include <stdio.h>

#include "core/errors.h"
#include "store/hotcache.h"

extern const rg_module rg_mod_web, rg_mod_health, rg_mod_keys, rg_mod_tokens, rg_mod_validate,
    rg_mod_meetings, rg_mod_consultations, rg_mod_rooms, rg_mod_participants, rg_mod_playback,
    rg_mod_signal, rg_mod_nodes, rg_mod_turn, rg_mod_limits, rg_mod_metrics, rg_mod_webhooks;

/* VideoSDK rooms and consultations in memory (store/hotcache.h), read by
 * meetings, consultations and signaling.  The account-wide answers only
 * where this server is its store's only one: SQLite without --redis (with
 * it, other nodes on this machine share the file; PostgreSQL is shared). */
static int caches_start(rg_app *app)
{
    if (rg_hot_new(app->changes, &app->hot) == RG_OK) {
        if (!rg_store_is_postgres(app->cfg.db) && app->cfg.signal.redis.host[0] == '\0')
            rg_hot_answer_accounts(app->hot);
        return 0;
    }
    fprintf(stderr, "roomgate: cannot allocate the room caches\n");
    return 1;
}

static void caches_stop(rg_app *app)
{
    rg_hot_free(app->hot);
    app->hot = NULL;
}

static const rg_module rg_mod_caches = {
    .name = "caches", .start = caches_start, .stop = caches_stop};

/* The order is the order of starts (stops: the reverse), of loop set-ups,
 * of route matching and of `roomgate routes` (http/module.h).  What it
 * keeps: keys first of the modules that start (auth needs them; health, after
 * it, only pings the store); playback before limits (whose last
 * summary rows go to playback's audit store when it stops) and before
 * signaling (a loop's playback flushes deferred work before its signaling
 * goes); webhooks after metrics (it counts there) and playback (it gives
 * events up through playback's audit store), so it stops before both. */
const rg_module *const rg_serve_modules[] = {
    &rg_mod_web,      &rg_mod_keys,          &rg_mod_health, &rg_mod_tokens,       &rg_mod_validate,
    &rg_mod_meetings, &rg_mod_consultations, &rg_mod_rooms,  &rg_mod_participants, &rg_mod_playback,
    &rg_mod_caches,   &rg_mod_signal,        &rg_mod_nodes,  &rg_mod_turn,         &rg_mod_limits,
    &rg_mod_metrics,  &rg_mod_webhooks,      NULL,
};

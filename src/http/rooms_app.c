/* rooms_app.c - see rooms_app.h. */
#include "http/rooms_app.h"

#include <string.h>

#include "core/errors.h"
#include "core/signal_msg.h"
#include "http/signal.h"

#define SWEEP_PERIOD_MS 1000

/* Picks up kicks committed by other processes (the CLI). */
static void poll_revocations(void *ud, int64_t now)
{
    (void)now;
    rg_revcache_poll(ud);
}

/* A failed sweep (a busy or full disk) is retried at the next tick; the
 * store has logged why. */
static void sweep_rooms(void *ud, int64_t now)
{
    rg_app *app = ud;
    rg_store_room_sweep(app->store, now, app->cfg.room_timeout_unit, NULL, NULL);
}

int rg_rooms_start(rg_app *app)
{
    int rc = rg_revcache_new(app->store, &app->revocations);
    if (rc != RG_OK) return rc;
    if (app->cfg.room_timeout_unit < 1) app->cfg.room_timeout_unit = 60;
    if (rg_app_add_poller(app, poll_revocations, app->revocations, 0) != 0 ||
        rg_app_add_poller(app, sweep_rooms, app, SWEEP_PERIOD_MS) != 0) {
        rg_rooms_stop(app);
        return RG_ENOMEM;
    }
    return RG_OK;
}

void rg_rooms_stop(rg_app *app)
{
    rg_revcache_free(app->revocations);
    app->revocations = NULL;
}

int rg_rooms_kick(rg_app *app, const rg_room *room, const char *sid_or_identity, int64_t now,
                  rg_participant *out)
{
    rg_revocation rev;
    int rc = rg_store_participant_kick(app->store, room->sid, sid_or_identity, now, out);
    if (rc != RG_OK || !app->revocations) return rc;
    memset(&rev, 0, sizeof rev);
    memcpy(rev.account_sid, room->account_sid, sizeof rev.account_sid);
    memcpy(rev.room_sid, room->sid, sizeof rev.room_sid);
    memcpy(rev.room_name, room->unique_name, sizeof rev.room_name);
    memcpy(rev.identity, out->identity, sizeof rev.identity);
    rev.before = now;
    rc = rg_revcache_add(app->revocations, &rev);
    /* a live signaling connection is told and closed, wherever it runs */
    rg_signal_remove(app, room->sid, out->sid, RG_SIG_E_REMOVED, "Removed from the room");
    return rc;
}

int rg_room_from_path(rg_call *c, const char *account_sid, rg_room *out)
{
    const char *name = rg_arg_text(c, 0, RG_IDENTITY_MAX);
    int rc = name ? rg_store_room_get(c->w->app->store, account_sid, name, out) : RG_ENOTFOUND;
    if (rc == RG_OK) return 0;
    if (rc == RG_ENOTFOUND)
        rg_reply_not_found(c);
    else
        rg_reply_error(c, 503, 20500, "Could not read the room; try again");
    return -1;
}

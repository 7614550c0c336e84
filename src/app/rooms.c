/* app/rooms.c - the revocation set and the room sweep of a running
 * server, and the room and participant write actions: the store commit
 * (which writes their status callback events into the outbox in the same
 * transaction, store/outbox.h), the revocation set, signaling
 * (rg_signal_*). */
#include "app/rooms.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/signal_msg.h"
#include "crypto/random.h"
#include "signal/signal.h"
#include "store/watch.h"

#define SWEEP_PERIOD_MS 1000

/* A failed sweep (a busy or full disk) is retried at the next tick; the
 * store has logged why.  EVENT: room-ended, participant-disconnected:
 * written by the store in the sweep's transaction (store/outbox.h). */
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
    /* kicks committed by other processes (the CLI) reload the set */
    if (rg_watch_listen(app->changes, rg_revcache_changed, app->revocations) != RG_OK ||
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

int rg_app_room_create(rg_app *app, rg_room *r)
{
    /* EVENT: room-created, written by the store call in its transaction */
    return rg_store_room_create(app->store, r);
}

int rg_app_room_open(rg_app *app, const char *account_sid, const char *unique_name,
                     rg_room_type type, int max_participants, int64_t now, rg_room *out)
{
    int created;
    /* EVENT: room-created when it opens one, written by the store call */
    return rg_store_room_open_for_join(app->store, account_sid, unique_name, type, max_participants,
                                       now, out, &created);
}

int rg_app_room_new(const char *account_sid, const char *unique_name, rg_room_type type,
                    int max_participants, int64_t now, rg_room *out)
{
    memset(out, 0, sizeof *out);
    if (strlen(account_sid) > RG_SID_LEN || strlen(unique_name) > RG_IDENTITY_MAX) return RG_EINVAL;
    strcpy(out->account_sid, account_sid);
    strcpy(out->unique_name, unique_name);
    out->type = type;
    out->status = RG_ROOM_IN_PROGRESS;
    out->max_participants = max_participants;
    out->empty_room_timeout = out->unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    out->date_created = out->date_updated = now;
    /* EVENT: room-created, written by the seat batch that creates it */
    return rg_new_sid_at(out->sid, "RM", now);
}

int rg_app_room_complete(rg_app *app, rg_room *r, int64_t now)
{
    /* EVENT: participant-disconnected for each, then room-ended (when this
     * call ended it), written by the store call in its transaction */
    int rc = rg_store_room_complete(app->store, r->account_sid, r->sid, now);
    if (rc == RG_OK) rc = rg_store_room_get(app->store, r->account_sid, r->sid, r);
    if (rc != RG_OK) return rc;
    rg_signal_room_completed(app, r->sid); /* live connections get 53118 and close */
    return RG_OK;
}

void rg_app_participants_seat(rg_app *app, rg_seat *seats, size_t n)
{
    /* EVENT: participant-connected for each seat taken (and
     * participant-disconnected for a connection it replaces), written by
     * the store call in the batch's transaction */
    rg_store_participant_join_batch(app->store, seats, n);
}

int rg_app_participant_join(rg_app *app, const char *room_sid, const char *identity, int64_t now,
                            rg_participant *out)
{
    char sid[RG_SID_SIZE];
    int rc = rg_new_sid_at(sid, "PA", now);
    /* EVENT: participant-connected, written by the store call */
    if (rc == RG_OK) rc = rg_store_participant_join(app->store, room_sid, identity, sid, now, out);
    return rc;
}

int rg_app_participant_leave(rg_app *app, const char *participant_sid, int64_t now)
{
    /* EVENT: participant-disconnected, written by the store call */
    return rg_store_participant_leave(app->store, participant_sid, now);
}

void rg_app_participants_leave(rg_app *app, rg_leave *leaves, size_t n)
{
    /* EVENT: participant-disconnected for each (after track-removed for
     * what it still published), written by the store call in the batch's
     * transaction */
    rg_store_participant_leave_batch(app->store, leaves, n);
}

void rg_app_tracks_changed(rg_app *app, const char *participant_sid, const rg_track_event *ev,
                           size_t n, int64_t now)
{
    /* EVENT: track-added / -removed / -enabled / -disabled, written by the
     * store call */
    int rc = rg_store_track_events(app->store, participant_sid, ev, n, now);
    if (rc != RG_OK)
        fprintf(stderr, "roomgate: track events of %s not recorded (error %d)\n", participant_sid,
                rc);
}

int rg_app_participants_reset(rg_app *app, int64_t now, int *changed)
{
    /* EVENT: participant-disconnected for each, written by the store call */
    return rg_store_participant_disconnect_all(app->store, now, changed);
}

int rg_rooms_kick(rg_app *app, const rg_room *room, const char *sid_or_identity, int64_t now,
                  rg_participant *out)
{
    rg_revocation rev;
    /* EVENT: participant-disconnected (if it was connected), written by
     * the store call in its transaction */
    int rc = rg_store_participant_kick(app->store, room->sid, sid_or_identity, now, out);
    if (rc != RG_OK || !app->revocations) return rc;
    memset(&rev, 0, sizeof rev);
    memcpy(rev.account_sid, room->account_sid, sizeof rev.account_sid);
    memcpy(rev.room_sid, room->sid, sizeof rev.room_sid);
    memcpy(rev.room_name, room->unique_name, sizeof rev.room_name);
    memcpy(rev.identity, out->identity, sizeof rev.identity);
    rev.before = now;
    rc = rg_revcache_add(app->revocations, &rev);
    rg_signal_revoked(app, &rev); /* before the removal: a rejoin elsewhere is refused */
    /* a live signaling connection is told and closed, wherever it runs */
    rg_signal_remove(app, room->sid, out->sid, RG_SIG_E_REMOVED, "Removed from the room");
    return rc;
}

/* signal/hub_join.c - entering and leaving a room, whatever the wire
 * protocol: admission (through the hooks), the lobby, and leaving.  The
 * seats, taken in batches, are signal/hub_seats.c's; what a seat decided
 * means to the room, signal/hub_enter.c's.
 *
 * A join whose room does not exist yet (auto-create) opens it in the same
 * transaction as its seat (rg_sig_entry.open, rg_seat.open): one durable
 * commit for the turn's new rooms and seats instead of one per room.  Its
 * room gets its sid at admission; the loop's other joins of that name
 * share it.  When someone else (another loop, the REST API) opened a room
 * of that name first, the store says so (RG_EEXIST) and the join is
 * admitted again, into that room (rg_hub_readmit). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/metrics.h"
#include "signal/hub.h"
#include "signal/joinrate.h"

/* A join of this loop's turn already opens a room of that name: this one
 * opens the same (its sid), so the two meet in one room. */
static void share_opening(rg_sig_thread *t, rg_room *room)
{
    for (int i = 0; i < t->nseats; i++) {
        const struct rg_hub_opening *o = t->seats[i]->opening;
        if (o != NULL && strcmp(o->room.account_sid, room->account_sid) == 0 &&
            strcmp(o->room.unique_name, room->unique_name) == 0) {
            memcpy(room->sid, o->room.sid, sizeof room->sid);
            return;
        }
    }
}

int rg_hub_admit(rg_hub_peer *p, const char *token, size_t len, const char *room)
{
    rg_sig_thread *t = p->t;
    rg_sig_entry e;
    const char *message = NULL;
    int code = RG_SIG_E_SERVER;
    memset(&e, 0, sizeof e);
    if (t->hub->hooks.admit(t->w, token, len, room, rg_hub_now(t), &e, &code, &message) != 0) {
        rg_metrics_join(t->w->metrics, rg_hub_refusal_kind(code));
        p->proto->fail(p, code, message ? message : "Could not join the room; try again");
        return -1;
    }
    /* join churn: refused before its seat, so nothing is written */
    if (rg_joinrate_take(t->hub->joins, e.room.account_sid, e.room.unique_name, e.identity,
                         (int64_t)h2o_now(t->ctx->loop)) != 0) {
        free(e.identity);
        rg_metrics_join(t->w->metrics, RG_MJOIN_REFUSED);
        p->proto->fail(p, RG_SIG_E_RATE,
                       "Too many joins of this identity in this room; try again later");
        return -1;
    }
    memcpy(p->sid, e.sid, sizeof p->sid);
    p->identity = e.identity; /* p's now */
    p->kind = e.kind;
    p->perms = e.perms;
    if (e.open) {
        share_opening(t, &e.room);
        p->opening = rg_hub_opening_new(&e.room, token, len, room);
    }
    if ((e.open && p->opening == NULL) || (p->room = rg_hub_room_ref(t->hub, &e.room)) == NULL) {
        rg_metrics_join(t->w->metrics, RG_MJOIN_ERROR);
        p->proto->fail(p, RG_SIG_E_SERVER, "Out of memory");
        return -1;
    }
    rg_hub_peer_index(p);
    return e.lobby ? 1 : 0;
}

/* ---- the lobby ----------------------------------------------------------- */

static void enter_lobby(rg_hub_peer *p)
{
    rg_hub_room *room = p->room;
    rg_hub_member *m = rg_hub_member_new(p, 1);
    rg_hub_event ask = {RG_HUB_ENTRY_REQUESTED, 0, p->sid, p->identity, NULL, 0};
    if (m == NULL) {
        p->proto->fail(p, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    pthread_mutex_lock(&room->lock);
    m->next = room->members;
    room->members = m;
    for (rg_hub_member *h = room->members; h; h = h->next)
        if (h->lobby == 0 && (h->perms & RG_PERM_ALLOW_JOIN)) rg_hub_post(p->t->hub, h, &ask);
    RG_HUB_FANOUT(p->t->hub, announce, m);
    pthread_mutex_unlock(&room->lock);
    p->state = RG_SIGST_LOBBY;
    rg_metrics_join(p->t->w->metrics, RG_MJOIN_WAITING);
    ask.kind = RG_HUB_WAITING;
    p->proto->deliver(p, &ask);
}

void rg_hub_enter(rg_hub_peer *p, int lobby)
{
    if (lobby)
        enter_lobby(p);
    else
        rg_hub_take_seat(p);
}

/* A guest out of the lobby unanswered (gone or timed out): the hosts
 * that were asked hear it is settled.  Frees m (may be NULL); room->lock
 * held. */
static void leave_lobby(rg_sig_hub *hub, rg_hub_room *room, rg_hub_member *m)
{
    if (m != NULL && m->lobby == 1) rg_hub_tell_hosts(hub, room, m, "left", NULL);
    if (m != NULL) RG_HUB_FANOUT(hub, gone, m);
    rg_hub_member_free(m);
}

void rg_hub_admitted(rg_hub_peer *p, int allowed)
{
    if (p->state != RG_SIGST_LOBBY) return;
    if (allowed) {
        rg_hub_take_seat(p);
        return;
    }
    pthread_mutex_lock(&p->room->lock);
    leave_lobby(p->t->hub, p->room, rg_hub_member_take(p->room, p->sid));
    pthread_mutex_unlock(&p->room->lock);
}

void rg_hub_lobby_expired(rg_hub_peer *p)
{
    if (p->state != RG_SIGST_LOBBY) return;
    pthread_mutex_lock(&p->room->lock);
    leave_lobby(p->t->hub, p->room, rg_hub_member_take(p->room, p->sid));
    pthread_mutex_unlock(&p->room->lock);
}

/* ---- leaving ------------------------------------------------------------- */

void rg_hub_leave(rg_hub_peer *p)
{
    rg_hub_room *room = p->room;
    rg_hub_member *m;
    int queued = 0;
    if (p->seat_queued) rg_hub_unqueue_seat(p); /* gone before its seat: none taken */
    rg_hub_opening_done(p);
    if (room == NULL) return;
    if (p->t->ngone == SIG_SEAT_BATCH) rg_hub_leaves_run(p->t); /* full: outside the lock */
    pthread_mutex_lock(&room->lock);
    m = rg_hub_member_find(room, p->sid);
    if (m != NULL && (m->lobby == 0 || m->lobby == RG_HUB_SEATING)) {
        /* still ours: nobody replaced or removed it.  Written, then told,
         * with the turn's other leaves (hub_leave.c); room's reference
         * goes with it */
        rg_hub_leave_queue(p, m);
        queued = 1;
    } else {
        leave_lobby(p->t->hub, room, rg_hub_member_take(room, p->sid));
    }
    p->durable_wait = 0;
    pthread_mutex_unlock(&room->lock);
    if (!queued) rg_hub_room_unref(p->t->hub, room);
    p->room = NULL;
}

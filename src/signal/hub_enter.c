/* signal/hub_enter.c - what a seat decided means to its room and its
 * peer, whichever way it was taken (the loop's batch, the writer's, a
 * durable commit: signal/hub_seats.c): the member made, the identity's
 * older connection replaced, the announcement, or the refusal told; and a
 * join admitted again when another opened its room first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/metrics.h"
#include "signal/hub.h"

int rg_hub_refusal_kind(int code)
{
    return code == RG_SIG_E_SERVER ? RG_MJOIN_ERROR : RG_MJOIN_REFUSED;
}

struct rg_hub_opening *rg_hub_opening_new(const rg_room *room, const char *token, size_t len,
                                          const char *room_arg)
{
    size_t rlen = room_arg ? strlen(room_arg) : 0;
    struct rg_hub_opening *o = malloc(sizeof *o + len + rlen + 2);
    if (o == NULL) return NULL;
    o->room = *room;
    o->has_room = room_arg != NULL;
    o->token_len = len;
    memcpy(o->data, token, len);
    o->data[len] = '\0';
    memcpy(o->data + len + 1, room_arg ? room_arg : "", rlen + 1);
    return o;
}

void rg_hub_opening_done(rg_hub_peer *p)
{
    free(p->opening);
    p->opening = NULL;
}

rg_hub_member *rg_hub_member_new(rg_hub_peer *p, int lobby)
{
    rg_hub_member *m = calloc(1, sizeof *m);
    if (m == NULL || (m->identity = strdup(p->identity)) == NULL) {
        free(m);
        return NULL;
    }
    memcpy(m->sid, p->sid, sizeof m->sid);
    m->proto = p->proto;
    m->room_sid = p->room->sid;
    m->thread = p->t->index;
    m->perms = p->perms;
    m->lobby = lobby;
    return m;
}

/* The same identity's older connection, of any protocol: out of the
 * room, told why (room->lock held).  The store replaced it in the seat's
 * transaction. */
void rg_hub_replace_identity(rg_sig_hub *hub, rg_hub_room *room, const char *identity)
{
    for (rg_hub_member **q = &room->members; *q;) {
        rg_hub_member *m = *q;
        if ((m->lobby != 0 && m->lobby != RG_HUB_SEATING) || strcmp(m->identity, identity) != 0) {
            q = &m->next;
            continue;
        }
        *q = m->next;
        rg_hub_evict(hub, room, m, RG_SIG_E_DUPLICATE_IDENTITY,
                     "Another connection joined with the same identity");
    }
}

/* What a host hears about each guest waiting (a host arriving late too). */
static void tell_host_about_guests(rg_hub_peer *p, rg_hub_room *room)
{
    if (!(p->perms & RG_PERM_ALLOW_JOIN)) return;
    for (rg_hub_member *m = room->members; m; m = m->next)
        if (m->lobby == 1) {
            rg_hub_event ev = {RG_HUB_ENTRY_REQUESTED, 0, m->sid, m->identity, NULL, 0};
            p->proto->deliver(p, &ev);
        }
}

/* The seat is taken (room->lock held, as since before the store decided):
 * the others hear RG_HUB_JOINED, p is told it entered, then about any
 * waiting guests. */
void rg_hub_announce(rg_hub_peer *p, rg_hub_member *m)
{
    rg_hub_room *room = p->room;
    rg_hub_event joined = {RG_HUB_JOINED, 0, p->sid, p->identity, NULL, 0};
    rg_hub_broadcast(p->t->hub, room, NULL, &joined);
    p->state = RG_SIGST_JOINED;
    p->proto->entered(p, room);
    m->next = room->members;
    room->members = m;
    RG_HUB_FANOUT(p->t->hub, announce, m);
    rg_metrics_join(p->t->w->metrics, RG_MJOIN_JOINED);
    tell_host_about_guests(p, room);
}

void rg_hub_enter_room(rg_hub_peer *p, rg_hub_member *m)
{
    rg_hub_replace_identity(p->t->hub, p->room, p->identity);
    rg_hub_announce(p, m);
}

/* The store hears p left (its row disconnected). */
void rg_hub_store_leave(rg_hub_peer *p)
{
    rg_leave one = {p->sid, rg_hub_now(p->t), RG_OK};
    p->t->hub->hooks.leave(p->t->hub->app, &one, 1);
}

void rg_hub_seat_refused(rg_hub_peer *p, int rc)
{
    int code = RG_SIG_E_OTHER_PROTOCOL;
    const char *message = "The room is in use by clients of the other signaling protocol";
    if (rc != RG_HUB_OTHER_PROTOCOL) rg_sig_seat_refusal(rc, p->kind, &code, &message);
    /* a room it was to open: only a deactivated VideoSDK room of that
     * name stops the store creating it (admission read the meeting
     * before the deactivation committed) */
    if (rc == RG_EGONE && p->opening != NULL) {
        code = RG_VSDK_ROOM_DISABLED;
        message = "The room was deactivated";
    }
    if (code == RG_SIG_E_SERVER && !rg_store_reachable(p->t->w->app->store))
        message = "The store is unavailable: its database cannot be reached; try again";
    rg_hub_opening_done(p);
    rg_metrics_join(p->t->w->metrics, rg_hub_refusal_kind(code));
    p->proto->fail(p, code, message);
}

/* p's room was opened first by someone else, under another sid: admitted
 * again with the same token (the identity and sid stay; the room, and the
 * rules that depend on it, such as a revocation, are those of the room
 * that exists now), to be queued for a seat again by the caller.
 * Outside the locks.  0 admitted, -1 refused (p told). */
int rg_hub_readmit(rg_hub_peer *p)
{
    rg_sig_thread *t = p->t;
    struct rg_hub_opening *o = p->opening;
    rg_sig_entry e;
    const char *message = NULL;
    int code = RG_SIG_E_SERVER;
    memset(&e, 0, sizeof e);
    p->opening = NULL;
    if (t->hub->hooks.admit(t->w, o->data, o->token_len,
                            o->has_room ? o->data + o->token_len + 1 : NULL, rg_hub_now(t), &e,
                            &code, &message) != 0) {
        free(o);
        rg_metrics_join(t->w->metrics, rg_hub_refusal_kind(code));
        p->proto->fail(p, code, message ? message : "Could not join the room; try again");
        return -1;
    }
    free(e.identity); /* the same token: the same identity, p's already */
    rg_hub_room *room = rg_hub_room_ref(t->hub, &e.room);
    if (room == NULL || e.lobby ||
        (e.open && (p->opening = rg_hub_opening_new(&e.room, o->data, o->token_len,
                                                    o->has_room ? o->data + o->token_len + 1
                                                                : NULL)) == NULL)) {
        if (room) rg_hub_room_unref(t->hub, room);
        free(o);
        rg_metrics_join(t->w->metrics, RG_MJOIN_ERROR);
        p->proto->fail(p, RG_SIG_E_SERVER, "Could not join the room; try again");
        return -1;
    }
    free(o);
    rg_hub_room_unref(t->hub, p->room);
    p->room = room;
    return 0;
}

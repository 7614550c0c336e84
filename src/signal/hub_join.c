/* signal/hub_join.c - entering and leaving a room, whatever the wire
 * protocol: admission (through the hooks), the seat (the store's atomic
 * capacity check, through the hooks), replacement by identity, the lobby.
 *
 * Seats are taken in batches: the joins a loop reads in one turn are
 * queued and committed in one store transaction at the end of the turn
 * (one WAL commit instead of one per join), before anything else a queued
 * connection sent is handled.  The batch holds its rooms' locks across
 * the transaction and the entering, so the store's order of joins (which
 * decides who replaces whom) is the order the others hear about them, and
 * RG_HUB_JOINED / RG_HUB_LEFT come in pairs.
 *
 * A join whose room does not exist yet (auto-create) opens it in the same
 * transaction as its seat (rg_sig_entry.open, rg_seat.open): one durable
 * commit for the turn's new rooms and seats instead of one per room.  Its
 * room gets its sid at admission; the loop's other joins of that name
 * share it.  When someone else (another loop, the REST API) opened a room
 * of that name first, the store says so (RG_EEXIST) and the join is
 * admitted again, into that room, in a second pass of the same turn.
 *
 * Rooms are durable before anyone hears of them, and the batch commits
 * light: when the store says a batch must reach the disk first
 * (rg_seat.durable), its seats are taken in memory at once, in the
 * store's order (replacement by identity, the room's protocol), but stay
 * unannounced (RG_HUB_SEATING) while hub_durable.c's thread syncs; the
 * loop goes on meanwhile, and announces them when the sync comes back
 * (rg_hub_durable_done). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/metrics.h"
#include "signal/hub.h"
#include "signal/joinrate.h"

static int refusal_kind(int code)
{
    return code == RG_SIG_E_SERVER ? RG_MJOIN_ERROR : RG_MJOIN_REFUSED;
}

/* What admitted a join that opens its room, kept until its seat is
 * decided: the room to create, and the token and room asked for, to admit
 * it again when another opened that room first. */
struct rg_hub_opening {
    rg_room room;
    int has_room;     /* room_arg given (else the token's) */
    size_t token_len; /* token at data, then room_arg */
    char data[];
};

static struct rg_hub_opening *opening_new(const rg_room *room, const char *token, size_t len,
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

static void opening_done(rg_hub_peer *p)
{
    free(p->opening);
    p->opening = NULL;
}

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
        rg_metrics_join(t->w->metrics, refusal_kind(code));
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
        p->opening = opening_new(&e.room, token, len, room);
    }
    if ((e.open && p->opening == NULL) || (p->room = rg_hub_room_ref(t->hub, &e.room)) == NULL) {
        rg_metrics_join(t->w->metrics, RG_MJOIN_ERROR);
        p->proto->fail(p, RG_SIG_E_SERVER, "Out of memory");
        return -1;
    }
    rg_hub_peer_index(p);
    return e.lobby ? 1 : 0;
}

/* ---- seats --------------------------------------------------------------- */

static rg_hub_member *new_member(rg_hub_peer *p, int lobby)
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
 * room, told why. */
static void replace_same_identity(rg_hub_peer *p, rg_hub_room *room)
{
    for (rg_hub_member **q = &room->members; *q;) {
        rg_hub_member *m = *q;
        if ((m->lobby != 0 && m->lobby != RG_HUB_SEATING) ||
            strcmp(m->identity, p->identity) != 0) {
            q = &m->next;
            continue;
        }
        *q = m->next;
        rg_hub_evict(p->t->hub, room, m, RG_SIG_E_DUPLICATE_IDENTITY,
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
static void announce(rg_hub_peer *p, rg_hub_member *m)
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

static void enter_room(rg_hub_peer *p, rg_hub_member *m)
{
    replace_same_identity(p, p->room);
    announce(p, m);
}

/* Seated, to be announced once its batch is durable: its older
 * connection is replaced now, as the store just did, and its member
 * counts for the room's protocol and for the replacements after it. */
static void seat_unannounced(rg_hub_peer *p, rg_hub_member *m)
{
    replace_same_identity(p, p->room);
    m->lobby = RG_HUB_SEATING;
    m->next = p->room->members;
    p->room->members = m;
    p->durable_wait = 1;
}

/* A seat not asked of the store: the room is another protocol's. */
#define SEAT_OTHER_PROTOCOL 1

/* The store hears p left (its row disconnected). */
static void store_leave(rg_hub_peer *p)
{
    rg_leave one = {p->sid, rg_hub_now(p->t), RG_OK};
    p->t->hub->hooks.leave(p->t->w, &one, 1);
}

static void seat_refused(rg_hub_peer *p, int rc)
{
    int code = RG_SIG_E_OTHER_PROTOCOL;
    const char *message = "The room is in use by clients of the other signaling protocol";
    if (rc != SEAT_OTHER_PROTOCOL) rg_sig_seat_refusal(rc, p->kind, &code, &message);
    /* a room it was to open: only a deactivated VideoSDK room of that
     * name stops the store creating it (admission read the meeting
     * before the deactivation committed) */
    if (rc == RG_EGONE && p->opening != NULL) {
        code = RG_VSDK_ROOM_DISABLED;
        message = "The room was deactivated";
    }
    if (code == RG_SIG_E_SERVER && !rg_store_reachable(p->t->w->app->store))
        message = "The store is unavailable: its database cannot be reached; try again";
    opening_done(p);
    rg_metrics_join(p->t->w->metrics, refusal_kind(code));
    p->proto->fail(p, code, message);
}

static void on_seat_timer(h2o_timeout_entry_t *e)
{
    rg_hub_seats_run(H2O_STRUCT_FROM_MEMBER(rg_sig_thread, seat_entry, e));
}

/* Queues p for the seats of this loop turn (rg_hub_seats_run). */
static void take_seat(rg_hub_peer *p)
{
    rg_sig_thread *t = p->t;
    if (t->nseats == SIG_SEAT_BATCH) rg_hub_seats_run(t);
    t->seats[t->nseats++] = p;
    p->seat_queued = 1;
    t->seat_entry.cb = on_seat_timer;
    if (!h2o_timeout_is_linked(&t->seat_entry))
        h2o_timeout_link(t->ctx->loop, &t->seat_timeout, &t->seat_entry);
}

/* p's room was opened first by someone else, under another sid: admitted
 * again with the same token (the identity and sid stay; the room, and the
 * rules that depend on it, such as a revocation, are those of the room
 * that exists now) and queued for the next pass.  Outside the locks. */
static void readmit(rg_hub_peer *p)
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
        rg_metrics_join(t->w->metrics, refusal_kind(code));
        p->proto->fail(p, code, message ? message : "Could not join the room; try again");
        return;
    }
    free(e.identity); /* the same token: the same identity, p's already */
    rg_hub_room *room = rg_hub_room_ref(t->hub, &e.room);
    if (room == NULL || e.lobby ||
        (e.open &&
         (p->opening = opening_new(&e.room, o->data, o->token_len,
                                   o->has_room ? o->data + o->token_len + 1 : NULL)) == NULL)) {
        if (room) rg_hub_room_unref(t->hub, room);
        free(o);
        rg_metrics_join(t->w->metrics, RG_MJOIN_ERROR);
        p->proto->fail(p, RG_SIG_E_SERVER, "Could not join the room; try again");
        return;
    }
    free(o);
    rg_hub_room_unref(t->hub, p->room);
    p->room = room;
    take_seat(p);
}

static void unqueue_seat(rg_hub_peer *p)
{
    rg_sig_thread *t = p->t;
    for (int i = 0; i < t->nseats; i++)
        if (t->seats[i] == p) {
            memmove(&t->seats[i], &t->seats[i + 1], (size_t)(t->nseats - i - 1) * sizeof p);
            t->nseats--;
            break;
        }
    p->seat_queued = 0;
    if (t->nseats == 0 && h2o_timeout_is_linked(&t->seat_entry)) h2o_timeout_unlink(&t->seat_entry);
}

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (rg_hub_room *const *)a, y = (uintptr_t) * (rg_hub_room *const *)b;
    return (x > y) - (x < y);
}

/* A seat asked for: its member is made before the store is asked, so a
 * join the store admitted cannot fail for memory after. */
typedef struct {
    rg_hub_peer *p;
    rg_hub_member *m;
} seat_ask;

/* The batch's rooms, each once, in address order: every batch locks in
 * that one order (and before the store's mutex, as a single join does),
 * so two loops' batches cannot deadlock. */
static int batch_rooms(const seat_ask *asks, int n, rg_hub_room **rooms)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        rooms[k++] = asks[i].p->room;
    if (k > 1) qsort(rooms, (size_t)k, sizeof *rooms, by_address);
    int u = 0;
    for (int i = 0; i < k; i++)
        if (u == 0 || rooms[u - 1] != rooms[i]) rooms[u++] = rooms[i];
    return u;
}

/* Empties t->seats into asks (members made) and oom (no memory). */
static int collect_seats(rg_sig_thread *t, seat_ask *asks, rg_hub_peer **oom, int *noom)
{
    int n = 0;
    for (int i = 0; i < t->nseats; i++) {
        rg_hub_peer *p = t->seats[i];
        rg_hub_member *m = new_member(p, 0);
        p->seat_queued = 0;
        if (m == NULL)
            oom[(*noom)++] = p;
        else
            asks[n++] = (seat_ask){p, m};
    }
    t->nseats = 0;
    if (h2o_timeout_is_linked(&t->seat_entry)) h2o_timeout_unlink(&t->seat_entry);
    return n;
}

/* A room is used by one wire protocol at a time: what one protocol's
 * client sends (its relay) means nothing to the other's, so a room with
 * participants of another protocol is theirs until they leave.
 * room->lock held. */
static int other_protocol(rg_hub_room *room, const rg_sig_proto *proto)
{
    for (rg_hub_member *m = room->members; m; m = m->next)
        if ((m->lobby == 0 || m->lobby == RG_HUB_SEATING) && !rg_hub_same_proto(m->proto, proto))
            return 1;
    return 0;
}

/* The same for the joins of this batch already passed to the store: they
 * enter only after it answers, so the room's members do not show them yet. */
static int other_in_batch(const seat_ask *asks, const int *asked, int nasked, const rg_hub_peer *p)
{
    for (int k = 0; k < nasked; k++)
        if (asks[asked[k]].p->room == p->room && asks[asked[k]].p->proto != p->proto) return 1;
    return 0;
}

/* The seats at the indexes asked, in one store transaction. */
static void store_seats(rg_sig_thread *t, rg_seat *seats, const int *asked, int n)
{
    rg_seat batch[SIG_SEAT_BATCH];
    if (n == 0) return;
    for (int i = 0; i < n; i++)
        batch[i] = seats[asked[i]];
    t->hub->hooks.seat(t->w, batch, (size_t)n);
    for (int i = 0; i < n; i++) {
        seats[asked[i]].rc = batch[i].rc;
        seats[asked[i]].durable = batch[i].durable;
    }
}

/* The seats of this pass that wait for the durable commit, queued for
 * the sync thread (after the rooms' locks).  Out of memory: the seats
 * are taken but cannot be told; they are refused and left. */
static rg_hub_waiting *waiting_new(rg_sig_thread *t, int64_t point)
{
    rg_hub_waiting *w = calloc(1, sizeof *w);
    if (w != NULL) {
        w->point = point;
        w->thread = t->index;
    }
    return w;
}

/* One pass: the seats queued now, one transaction.  Returns how many
 * joins were admitted again (queued for another pass). */
static int seats_pass(rg_sig_thread *t)
{
    seat_ask asks[SIG_SEAT_BATCH];
    rg_seat seats[SIG_SEAT_BATCH];
    rg_hub_room *rooms[SIG_SEAT_BATCH];
    rg_hub_peer *oom[SIG_SEAT_BATCH];
    int asked[SIG_SEAT_BATCH], nasked = 0, again = 0;
    int noom = 0, n = collect_seats(t, asks, oom, &noom), nrooms = batch_rooms(asks, n, rooms);
    int64_t point = 0;
    rg_hub_waiting *w = NULL;
    for (int i = 0; i < nrooms; i++)
        pthread_mutex_lock(&rooms[i]->lock);
    for (int i = 0; i < n; i++) {
        rg_hub_peer *p = asks[i].p;
        rg_hub_member *lobby = rg_hub_member_take(p->room, p->sid); /* its lobby entry, if any */
        if (lobby != NULL) RG_HUB_FANOUT(t->hub, gone, lobby);
        rg_hub_member_free(lobby);
        seats[i] = (rg_seat){p->room->sid,
                             p->identity,
                             p->sid,
                             rg_hub_now(t),
                             RG_EIO,
                             p->opening ? &p->opening->room : NULL,
                             0};
        if (other_protocol(p->room, p->proto) || other_in_batch(asks, asked, nasked, p))
            seats[i].rc = SEAT_OTHER_PROTOCOL; /* the store is not asked */
        else
            asked[nasked++] = i;
    }
    store_seats(t, seats, asked, nasked);
    for (int i = 0; i < n; i++)
        if (seats[i].rc == RG_OK && seats[i].durable > 0 && t->hub->durable != NULL)
            point = seats[i].durable > point ? seats[i].durable : point;
    if (point > 0 && (w = waiting_new(t, point)) == NULL) point = -1; /* no memory */
    for (int i = 0; i < n; i++)
        if (seats[i].rc == RG_OK && point < 0) {
            store_leave(asks[i].p);
            seats[i].rc = RG_ENOMEM;
            rg_hub_member_free(asks[i].m);
        } else if (seats[i].rc == RG_OK) {
            opening_done(asks[i].p);
            if (point > 0) {
                seat_unannounced(asks[i].p, asks[i].m);
                memcpy(w->sids[w->n++], asks[i].p->sid, RG_SID_SIZE);
            } else {
                enter_room(asks[i].p, asks[i].m);
            }
        } else {
            rg_hub_member_free(asks[i].m);
        }
    for (int i = nrooms - 1; i >= 0; i--)
        pthread_mutex_unlock(&rooms[i]->lock);
    if (w != NULL) rg_hub_durable_wait(t->hub, w);
    /* refusals close the connection: after the locks, as leaving takes them */
    for (int i = 0; i < n; i++) {
        rg_hub_peer *p = asks[i].p;
        if (seats[i].rc == RG_EEXIST && p->opening != NULL && !t->seats_again) {
            readmit(p);
            again++;
        } else if (seats[i].rc != RG_OK) {
            seat_refused(p, seats[i].rc);
        }
    }
    for (int i = 0; i < noom; i++) {
        opening_done(oom[i]);
        oom[i]->proto->fail(oom[i], RG_SIG_E_SERVER, "Out of memory");
    }
    return again;
}

void rg_hub_seats_run(rg_sig_thread *t)
{
    rg_hub_leaves_run(t); /* a seat after a leave: the store has the leave first */
    if (seats_pass(t) == 0) return;
    /* the joins admitted again take their seats in this turn too, before
     * anything they sent after the join; once: a room opened first by
     * someone else again is a failure to join (try again) */
    t->seats_again = 1;
    seats_pass(t);
    t->seats_again = 0;
}

/* ---- seats back from the durable commit ---------------------------------- */

/* p's batch is durable (rc RG_OK), or could not be made so: p is
 * announced, or refused and left.  Its member gone meanwhile (a kick, its
 * room closed, a later connection of its identity): whoever removed it
 * told it, and the store knows. */
static void durable_one(rg_hub_peer *p, int rc)
{
    rg_hub_room *room = p->room;
    rg_hub_member *m;
    int refused = 0;
    p->durable_wait = 0;
    pthread_mutex_lock(&room->lock);
    if ((m = rg_hub_member_find(room, p->sid)) != NULL && m->lobby == RG_HUB_SEATING) {
        m = rg_hub_member_take(room, p->sid);
        if (rc == RG_OK) {
            m->lobby = 0;
            announce(p, m); /* the others hear it, then it is linked again */
        } else {
            store_leave(p);
            rg_hub_member_free(m);
            refused = 1;
        }
    }
    pthread_mutex_unlock(&room->lock);
    if (refused) {
        rg_metrics_join(p->t->w->metrics, RG_MJOIN_ERROR);
        p->proto->fail(p, RG_SIG_E_SERVER, "Could not join the room; try again");
    }
    if (p->resumed != NULL) p->resumed(p);
}

void rg_hub_durable_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    rg_sig_thread *t = H2O_STRUCT_FROM_MEMBER(rg_sig_thread, durable_receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        rg_hub_waiting *w = H2O_STRUCT_FROM_MEMBER(rg_hub_waiting, super.link, messages->next);
        h2o_linklist_unlink(&w->super.link);
        for (int i = 0; i < w->n; i++) {
            rg_hub_peer *p = rg_hub_peer_find(t, w->sids[i]);
            if (p != NULL && p->durable_wait) durable_one(p, w->rc);
        }
        free(w);
    }
}

/* ---- the lobby ----------------------------------------------------------- */

static void enter_lobby(rg_hub_peer *p)
{
    rg_hub_room *room = p->room;
    rg_hub_member *m = new_member(p, 1);
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
        take_seat(p);
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
        take_seat(p);
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
    if (p->seat_queued) unqueue_seat(p); /* gone before its seat: none taken */
    opening_done(p);
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

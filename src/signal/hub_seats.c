/* signal/hub_seats.c - the seats of a loop turn, taken in batches.
 *
 * The joins a loop reads in one turn are queued and committed in one
 * store transaction at the end of the turn (one commit instead of one
 * per join), before anything else a queued connection sent is handled.
 *
 * When the loops write (SQLite: a write is a few microseconds), the
 * batch holds its rooms' locks across the transaction and the entering,
 * so the store's order of joins (which decides who replaces whom) is the
 * order the others hear about them, and RG_HUB_JOINED / RG_HUB_LEFT come
 * in pairs.  Rooms are durable before anyone hears of them, and the batch
 * commits light: when the store says a batch must reach the disk first
 * (rg_seat.durable), its seats are taken in memory at once, in the
 * store's order (replacement by identity, the room's protocol), but stay
 * unannounced (RG_HUB_SEATING) while hub_durable.c's thread syncs; the
 * loop goes on meanwhile, and announces them when the sync comes back
 * (rg_hub_durable_done).
 *
 * When the store is across the network (PostgreSQL: a write is a round
 * trip, and a row lock may hold it for long), the loop never waits for
 * it: the batch is a job for the writer thread (hub_writer.c), which
 * writes the jobs of every loop in the order they came and then, under
 * the rooms' locks, makes what each seat decided true in the rooms (its
 * identity's older connection replaced, its member seated, unannounced),
 * in that same order; the loop, told, announces its peers
 * (seats_written).  Its peers hold what they send meanwhile
 * (durable_wait), as they do for a durable commit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/metrics.h"
#include "signal/hub.h"

/* Member sid, seated but unannounced (RG_HUB_SEATING) and not leaving;
 * NULL when it is gone meanwhile (replaced, kicked: whoever removed it
 * told its peer).  room->lock held. */
static rg_hub_member *seating(rg_hub_room *room, const char *sid)
{
    rg_hub_member *m = rg_hub_member_find(room, sid);
    return m != NULL && m->lobby == RG_HUB_SEATING && !m->leaving ? m : NULL;
}

/* The same, out of the room, to be announced or refused. */
static rg_hub_member *take_seating(rg_hub_room *room, const char *sid)
{
    return seating(room, sid) != NULL ? rg_hub_member_take(room, sid) : NULL;
}

/* Seated, to be announced once its batch is durable: its older
 * connection is replaced now, as the store just did, and its member
 * counts for the room's protocol and for the replacements after it. */
static void seat_unannounced(rg_hub_peer *p, rg_hub_member *m)
{
    rg_hub_replace_identity(p->t->hub, p->room, p->identity);
    m->lobby = RG_HUB_SEATING;
    m->next = p->room->members;
    p->room->members = m;
    p->durable_wait = 1;
}

static void on_seat_timer(h2o_timeout_entry_t *e)
{
    rg_hub_seats_run(H2O_STRUCT_FROM_MEMBER(rg_sig_thread, seat_entry, e));
}

/* Queues p for the seats of this loop turn (rg_hub_seats_run). */
void rg_hub_take_seat(rg_hub_peer *p)
{
    rg_sig_thread *t = p->t;
    if (t->nseats == SIG_SEAT_BATCH) rg_hub_seats_run(t);
    t->seats[t->nseats++] = p;
    p->seat_queued = 1;
    t->seat_entry.cb = on_seat_timer;
    if (!h2o_timeout_is_linked(&t->seat_entry))
        h2o_timeout_link(t->ctx->loop, &t->seat_timeout, &t->seat_entry);
}

void rg_hub_unqueue_seat(rg_hub_peer *p)
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
        rg_hub_member *m = rg_hub_member_new(p, 0);
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

static void lock_rooms(rg_hub_room **rooms, int n)
{
    for (int i = 0; i < n; i++)
        pthread_mutex_lock(&rooms[i]->lock);
}

static void unlock_rooms(rg_hub_room **rooms, int n)
{
    for (int i = n - 1; i >= 0; i--)
        pthread_mutex_unlock(&rooms[i]->lock);
}

/* The batch's rooms' locks held: each join leaves its lobby entry (if
 * any) and gets its seat's arguments; a join into a room of the other
 * protocol is not asked of the store.  Returns how many are asked, their
 * indexes in asked. */
static int seats_prepare(rg_sig_thread *t, const seat_ask *asks, int n, rg_seat *seats, int *asked)
{
    int nasked = 0;
    for (int i = 0; i < n; i++) {
        rg_hub_peer *p = asks[i].p;
        rg_hub_member *lobby = rg_hub_member_take(p->room, p->sid);
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
            seats[i].rc = RG_HUB_OTHER_PROTOCOL; /* the store is not asked */
        else
            asked[nasked++] = i;
    }
    return nasked;
}

/* The seats at the indexes asked, in one store transaction. */
static void store_seats(rg_sig_thread *t, rg_seat *seats, const int *asked, int n)
{
    rg_seat batch[SIG_SEAT_BATCH];
    if (n == 0) return;
    for (int i = 0; i < n; i++)
        batch[i] = seats[asked[i]];
    t->hub->hooks.seat(t->hub->app, batch, (size_t)n);
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
    lock_rooms(rooms, nrooms);
    nasked = seats_prepare(t, asks, n, seats, asked);
    store_seats(t, seats, asked, nasked);
    for (int i = 0; i < n; i++)
        if (seats[i].rc == RG_OK && seats[i].durable > 0 && t->hub->durable != NULL)
            point = seats[i].durable > point ? seats[i].durable : point;
    if (point > 0 && (w = waiting_new(t, point)) == NULL) point = -1; /* no memory */
    for (int i = 0; i < n; i++)
        if (seats[i].rc == RG_OK && point < 0) {
            rg_hub_store_leave(asks[i].p);
            seats[i].rc = RG_ENOMEM;
            rg_hub_member_free(asks[i].m);
        } else if (seats[i].rc == RG_OK) {
            rg_hub_opening_done(asks[i].p);
            if (point > 0) {
                seat_unannounced(asks[i].p, asks[i].m);
                memcpy(w->sids[w->n++], asks[i].p->sid, RG_SID_SIZE);
            } else {
                rg_hub_enter_room(asks[i].p, asks[i].m);
            }
        } else {
            rg_hub_member_free(asks[i].m);
        }
    unlock_rooms(rooms, nrooms);
    if (w != NULL) rg_hub_durable_wait(t->hub, w);
    /* refusals close the connection: after the locks, as leaving takes them */
    for (int i = 0; i < n; i++) {
        rg_hub_peer *p = asks[i].p;
        if (seats[i].rc == RG_EEXIST && p->opening != NULL && !t->seats_again) {
            if (rg_hub_readmit(p) == 0) rg_hub_take_seat(p);
            again++;
        } else if (seats[i].rc != RG_OK) {
            rg_hub_seat_refused(p, seats[i].rc);
        }
    }
    for (int i = 0; i < noom; i++) {
        rg_hub_opening_done(oom[i]);
        oom[i]->proto->fail(oom[i], RG_SIG_E_SERVER, "Out of memory");
    }
    return again;
}

/* ---- seats at the writer (a store across the network) ------------------- */

static int by_room_address(const void *a, const void *b)
{
    return by_address(a, b);
}

/* The seats' rooms, each once, in address order (the loops' order too). */
static int wseat_rooms(rg_hub_wseat *const *ws, int n, rg_hub_room **rooms)
{
    int u = 0;
    for (int i = 0; i < n; i++)
        rooms[i] = ws[i]->room;
    qsort(rooms, (size_t)n, sizeof *rooms, by_room_address);
    for (int i = 0; i < n; i++)
        if (u == 0 || rooms[u - 1] != rooms[i]) rooms[u++] = rooms[i];
    return u;
}

/* On the writer: the seats of the jobs queued together (the loops'
 * turns while the last transaction was out), in one transaction, in the
 * order asked; then, in the rooms, what the store decided: each seat
 * taken replaces its identity's older connection and is linked,
 * unannounced (RG_HUB_SEATING), in that order.  A seat another loop's job
 * made a room of the other protocol meanwhile is left again (the store
 * took it). */
static void seats_write(rg_sig_hub *hub, rg_hub_job **jobs, int njobs)
{
    rg_hub_wseat *ws[RG_HUB_WRITE_ROWS];
    rg_seat batch[RG_HUB_WRITE_ROWS];
    rg_hub_room *rooms[RG_HUB_WRITE_ROWS];
    int n = 0;
    for (int j = 0; j < njobs; j++)
        for (int i = 0; i < jobs[j]->nseats; i++) {
            ws[n] = &jobs[j]->seats[i];
            batch[n++] = jobs[j]->seats[i].seat;
        }
    int nrooms = wseat_rooms(ws, n, rooms);
    hub->hooks.seat(hub->app, batch, (size_t)n);
    lock_rooms(rooms, nrooms);
    for (int i = 0; i < n; i++) {
        rg_hub_wseat *w = ws[i];
        w->seat.rc = batch[i].rc;
        if (w->seat.rc != RG_OK) continue;
        if (other_protocol(w->room, w->m->proto)) {
            w->seat.rc = RG_HUB_OTHER_PROTOCOL;
            continue;
        }
        rg_hub_replace_identity(hub, w->room, w->m->identity);
        w->m->lobby = RG_HUB_SEATING;
        w->m->next = w->room->members;
        w->room->members = w->m;
        w->m = NULL; /* the room's */
    }
    unlock_rooms(rooms, nrooms);
    for (int i = 0; i < n; i++)
        if (ws[i]->seat.rc == RG_HUB_OTHER_PROTOCOL) {
            rg_leave one = {ws[i]->sid, ws[i]->seat.now, RG_OK};
            hub->hooks.leave(hub->app, &one, 1);
        }
}

/* Admitted again (an admission read), then queued for a seat; refused:
 * told, and no longer holding. */
static void readmit_later(rg_hub_peer *p)
{
    if (rg_hub_readmit(p) == 0)
        rg_hub_take_seat(p);
    else
        p->durable_wait = 0;
}

/* p heard back: announced, admitted again (its room opened first by
 * someone else), or refused. */
static void seat_answered(rg_hub_peer *p, rg_hub_wseat *w)
{
    p->durable_wait = 0;
    if (w->seat.rc == RG_OK) {
        rg_hub_member *m;
        pthread_mutex_lock(&w->room->lock);
        if ((m = take_seating(w->room, w->sid)) != NULL) {
            m->lobby = 0;
            rg_hub_announce(p, m);
        }
        pthread_mutex_unlock(&w->room->lock);
        return;
    }
    p->opening = w->opening;
    w->opening = NULL;
    if (w->seat.rc == RG_EEXIST && p->opening != NULL && !p->reopened) {
        /* once: a room opened first by someone else again is a failure
         * to join (try again) */
        p->reopened = 1;
        p->durable_wait = 1; /* still holding: its next seat comes first */
        if (p->later != NULL)
            p->later(p, readmit_later); /* its read waits off the loop */
        else
            readmit_later(p);
        return;
    }
    rg_hub_seat_refused(p, w->seat.rc);
}

/* Back on the loop: each peer still here is told; a seat whose peer went
 * while it was written is left again, with the loop's next leaves. */
static void seats_written(rg_sig_thread *t, rg_hub_job *job)
{
    for (int i = 0; i < job->nseats; i++) {
        rg_hub_wseat *w = &job->seats[i];
        rg_hub_peer *p = rg_hub_peer_find(t, w->sid);
        if (p != NULL && p->durable_wait && p->room == w->room) {
            seat_answered(p, w);
            if (!p->durable_wait && p->resumed != NULL) p->resumed(p);
        } else if (w->seat.rc == RG_OK) {
            rg_hub_member *m;
            int queued = 0;
            if (t->ngone == SIG_SEAT_BATCH) rg_hub_leaves_run(t); /* full: outside the lock */
            rg_hub_room_hold(t->hub, w->room); /* the leave's (hub->lock before a room's) */
            pthread_mutex_lock(&w->room->lock);
            if ((m = seating(w->room, w->sid)) != NULL) {
                m->leaving = 1;
                rg_hub_leave_queue_sid(t, w->sid, w->room);
                queued = 1;
            }
            pthread_mutex_unlock(&w->room->lock);
            if (!queued) rg_hub_room_unref(t->hub, w->room);
        }
    }
}

/* The asked seats of this pass become a job for the writer; each peer
 * holds what it sends until it hears back.  The joins refused here (the
 * room is the other protocol's, no memory) are told at once. */
static void seats_post(rg_sig_thread *t)
{
    seat_ask asks[SIG_SEAT_BATCH];
    rg_seat seats[SIG_SEAT_BATCH];
    rg_hub_room *rooms[SIG_SEAT_BATCH];
    rg_hub_peer *oom[SIG_SEAT_BATCH];
    int asked[SIG_SEAT_BATCH], noom = 0, n = collect_seats(t, asks, oom, &noom);
    rg_hub_job *job = n > 0 ? rg_hub_job_new(t, seats_write, seats_written) : NULL;
    if (job == NULL) { /* no memory (or nothing to do) */
        for (int i = 0; i < n; i++) {
            rg_hub_member_free(asks[i].m);
            oom[noom++] = asks[i].p;
        }
        n = 0;
    }
    int nrooms = batch_rooms(asks, n, rooms);
    lock_rooms(rooms, nrooms);
    int nasked = seats_prepare(t, asks, n, seats, asked);
    unlock_rooms(rooms, nrooms);
    for (int k = 0; k < nasked; k++) {
        rg_hub_peer *p = asks[asked[k]].p;
        rg_hub_wseat *w = &job->seats[job->nseats++];
        memcpy(w->sid, p->sid, sizeof w->sid);
        w->m = asks[asked[k]].m;
        w->room = p->room;
        rg_hub_room_hold(t->hub, w->room);
        w->opening = p->opening; /* the peer may go before the writer is done */
        p->opening = NULL;
        w->seat = seats[asked[k]];
        w->seat.room_sid = w->room->sid;
        w->seat.identity = w->m->identity;
        w->seat.participant_sid = w->sid;
        w->seat.open = w->opening ? &w->opening->room : NULL;
        p->durable_wait = 1;
    }
    if (job != NULL && job->nseats > 0)
        rg_hub_writer_post(t->hub, job);
    else
        free(job);
    for (int i = 0; i < n; i++)
        if (seats[i].rc == RG_HUB_OTHER_PROTOCOL) {
            rg_hub_member_free(asks[i].m);
            rg_hub_seat_refused(asks[i].p, RG_HUB_OTHER_PROTOCOL);
        }
    for (int i = 0; i < noom; i++) {
        rg_hub_opening_done(oom[i]);
        oom[i]->proto->fail(oom[i], RG_SIG_E_SERVER, "Out of memory");
    }
}

void rg_hub_seats_run(rg_sig_thread *t)
{
    rg_hub_leaves_run(t); /* a seat after a leave: the store has the leave first */
    if (t->hub->writer != NULL && !t->disposing) {
        seats_post(t);
        return;
    }
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
    if ((m = take_seating(room, p->sid)) != NULL) {
        if (rc == RG_OK) {
            m->lobby = 0;
            rg_hub_announce(p, m); /* the others hear it, then it is linked again */
        } else {
            rg_hub_store_leave(p);
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

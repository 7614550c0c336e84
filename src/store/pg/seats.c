/* seats.c - taking seats on PostgreSQL (store/rooms.h's
 * rg_store_participant_join and _join_batch), with the SQLite back end's
 * semantics and status callback events (src/store/sqlite/participants.c).
 *
 * Exact capacity across nodes: a seat locks its room's row (FOR UPDATE)
 * before it counts the connected participants, so two nodes racing for
 * the last seat take turns and the second counts the first's seat.  Lock
 * order as in rooms.c: rooms first (sorted when several), then writes.
 *
 * A seat records the database session that took it (st->session) and the
 * node that holds it (st->node): participants.c and nodes.c free the
 * seats of dead sessions and silent nodes. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/outbox_sql.h"
#include "store/pg/call.h"
#include "store/pg/pgrooms.h"
#include "store/rooms.h"

static int identity_ok(const char *identity)
{
    return identity && identity[0] && strnlen(identity, RG_IDENTITY_MAX + 1) <= RG_IDENTITY_MAX;
}

static int join_args_ok(const char *room_sid, const char *identity, const char *participant_sid)
{
    return identity_ok(identity) && participant_sid &&
           rg_sid_valid(participant_sid, strnlen(participant_sid, RG_SID_SIZE), "PA") && room_sid &&
           strnlen(room_sid, RG_IDENTITY_MAX + 1) <= RG_IDENTITY_MAX;
}

/* ---- a seat in one round trip ------------------------------------------
 *
 * A seat was ten statements, each waiting for its answer: the room
 * locked, the events of the connection it replaces, the replace, the
 * count, the insert, its event, ever_joined.  Now they go as one
 * pipeline (rg_pg_pipeline).  What the count decided between them, each
 * write asks itself (RG_PG_SEAT_FREE: the same question, the same answer,
 * since the room's row is locked by then and every writer of its seats
 * locks it first), and SEAT_CHECK says why a seat was refused; a refused
 * seat has written nothing.  A batch's seats that open no room go several
 * to a pipeline (batch_chunk): a batch of n costs about n / 7 round trips
 * after its rooms' locks instead of n, which a database across a network
 * feels most. */

/* Locks room $1 and answers whether it has a status callback (1 or 0). */
#define ROOM_LOCK_TARGET                                                                           \
    "SELECT CASE WHEN " RG_OUTBOX_SQL_HAS_TARGET "THEN 1 ELSE 0 END::int8 FROM rooms r JOIN "      \
    "accounts a ON a.sid = r.account_sid WHERE r.sid = $1 FOR UPDATE OF r"

enum {
    SEAT_LOCK,      /* the room's row; a statement of its own: the next ones see what
                       committed before it was granted */
    SEAT_CHECK,     /* 0 free, 1 no such room, 2 not in progress, 3 full */
    SEAT_TRACKS,    /* track-removed for the connection replaced */
    SEAT_GONE,      /* its participant-disconnected */
    SEAT_REPLACE,   /* it disconnected */
    SEAT_INSERT,    /* the seat */
    SEAT_CONNECTED, /* participant-connected */
    SEAT_EVER,      /* the room's ever_joined */
    SEAT_N
};

typedef struct {
    rg_pg_arg room[1], who[2], tracks[4], gone[4], replace[3], insert[6], connected[4], ever[2];
    rg_pg_stmt s[SEAT_N];
} seat_sql;

#define SEAT_STMT(q, i, text, a)                                                                   \
    ((q)->s[i] = (rg_pg_stmt){(text), (a), (int)(sizeof(a) / sizeof(a)[0])})

static void seat_sql_fill(seat_sql *q, rg_store *st, const char *room_sid, const char *identity,
                          const char *participant_sid, int64_t now)
{
    rg_pg_arg room = RG_PG_TEXT(room_sid, RG_IDENTITY_MAX),
              who = RG_PG_TEXT(identity, RG_IDENTITY_MAX), sid = RG_PG_SID(participant_sid),
              at = RG_PG_INT(now);
    q->room[0] = room;
    SEAT_STMT(q, SEAT_LOCK, "SELECT 1::int8 FROM rooms WHERE sid = $1 FOR UPDATE", q->room);
    memcpy(q->who, (rg_pg_arg[]){room, who}, sizeof q->who);
    SEAT_STMT(q, SEAT_CHECK,
              "SELECT CASE WHEN s.sid IS NULL THEN 1 WHEN s.status <> 1 THEN 2 "
              "WHEN s.max_participants <= (SELECT count(*) FROM participants q WHERE "
              "q.room_sid = $1 AND q.connected = 1 AND q.identity <> $2) THEN 3 ELSE 0 END::int8 "
              "FROM (SELECT $1::text AS sid) k LEFT JOIN rooms s ON s.sid = k.sid",
              q->who);
    memcpy(q->tracks, (rg_pg_arg[]){room, who, RG_PG_TEXT("track-removed", 32), at},
           sizeof q->tracks);
    SEAT_STMT(q, SEAT_TRACKS, rg_pg_sql_seat_tracks_removed, q->tracks);
    memcpy(q->gone, (rg_pg_arg[]){room, who, RG_PG_TEXT("participant-disconnected", 32), at},
           sizeof q->gone);
    SEAT_STMT(q, SEAT_GONE, rg_pg_sql_seat_disconnected, q->gone);
    memcpy(q->replace, (rg_pg_arg[]){room, who, at}, sizeof q->replace);
    SEAT_STMT(q, SEAT_REPLACE,
              "UPDATE participants SET connected = 0, end_time = $3 WHERE room_sid = $1 AND "
              "identity = $2 AND connected = 1 AND " RG_PG_SEAT_FREE,
              q->replace);
    memcpy(q->insert,
           (rg_pg_arg[]){room, who, sid, at,
                         RG_PG_TEXT(rg_pg_link_of(st)->session, RG_PG_SESSION_MAX),
                         RG_PG_TEXT(st->node, RG_NODE_ID_MAX)},
           sizeof q->insert);
    SEAT_STMT(q, SEAT_INSERT,
              "INSERT INTO participants(sid, room_sid, identity, connected, start_time, end_time, "
              "session, node) SELECT $3, $1, $2, 1, $4, 0, $5, $6 WHERE " RG_PG_SEAT_FREE,
              q->insert);
    memcpy(q->connected,
           (rg_pg_arg[]){sid, RG_PG_TEXT("", 0), RG_PG_TEXT("participant-connected", 32), at},
           sizeof q->connected);
    SEAT_STMT(q, SEAT_CONNECTED, rg_pg_sql_connected, q->connected);
    memcpy(q->ever, (rg_pg_arg[]){room, sid}, sizeof q->ever);
    SEAT_STMT(q, SEAT_EVER,
              "UPDATE rooms SET ever_joined = 1 WHERE sid = $1 AND ever_joined = 0 AND "
              "EXISTS (SELECT 1 FROM participants WHERE sid = $2 AND room_sid = $1)",
              q->ever);
}

/* The seat's answer from its check's and its insert's results; RG_EIO
 * when they disagree (they cannot, unless the room was not locked). */
static int seat_answer(const PGresult *check, PGresult *insert)
{
    static const int refused[] = {RG_OK, RG_ENOTFOUND, RG_EGONE, RG_EFULL};
    int64_t code = -1, rows = strtoll(PQcmdTuples(insert), NULL, 10);
    if (PQntuples(check) != 1 || rg_pg_int(check, 0, 0, &code) != RG_OK || code < 0 || code > 3 ||
        rows != (code == 0))
        return RG_EIO;
    return refused[code];
}

static void clear_all(PGresult **r, int n)
{
    for (int i = 0; i < n; i++)
        PQclear(r[i]);
}

static int is_event(int i)
{
    return i == SEAT_TRACKS || i == SEAT_GONE || i == SEAT_CONNECTED;
}

/* The seat's statements inside the caller's transaction, with the extra
 * ones around them (a BEGIN before, a read after): its answer, or the
 * first failed statement's (the transaction aborted then).  Without
 * events (its room has no status callback, read under the room's lock:
 * lock_rooms), the event statements are left out: each costs the server
 * an INSERT's start even when it selects nothing.  *after_res (may be
 * NULL) receives the read's result. */
static int seat_run(rg_store *st, const seat_sql *q, int events, const rg_pg_stmt *before,
                    int nbefore, const rg_pg_stmt *after, PGresult **after_res)
{
    rg_pg_stmt s[SEAT_N + 3];
    PGresult *r[SEAT_N + 3];
    int n = 0, check = 0, insert = 0;
    while (n < nbefore) {
        s[n] = before[n];
        n++;
    }
    for (int i = 0; i < SEAT_N; i++) {
        if (!events && is_event(i)) continue;
        if (i == SEAT_CHECK) check = n;
        if (i == SEAT_INSERT) insert = n;
        s[n++] = q->s[i];
    }
    if (after) s[n++] = *after;
    int rc = rg_pg_pipeline(st, s, n, r);
    if (rc != RG_OK) return rc;
    rc = seat_answer(r[check], r[insert]);
    if (after_res) {
        *after_res = r[n - 1];
        r[n - 1] = NULL;
    }
    clear_all(r, n);
    return rc;
}

int rg_pgsql_participant_join(rg_store *st, const char *room_sid, const char *identity,
                              const char participant_sid[RG_SID_SIZE], int64_t now,
                              rg_participant *out)
{
    seat_sql q;
    PGresult *got = NULL;
    if (!join_args_ok(room_sid, identity, participant_sid)) return RG_EINVAL;
    seat_sql_fill(&q, st, room_sid, identity, participant_sid, now);
    rg_pg_arg sid = RG_PG_SID(participant_sid), node;
    rg_pg_stmt begin[RG_PG_QUIET_BEGIN];
    const rg_pg_stmt read = {"SELECT " RG_SQL_PARTICIPANT_FROM " WHERE p.sid = $1", &sid, 1};
    int nbegin = rg_pg_quiet_begin(st, begin, &node);
    uint64_t t0 = rg_pg_lock(st);
    int rc = seat_run(st, &q, 1, begin, nbegin, out ? &read : NULL, out ? &got : NULL);
    if (rc == RG_OK && out)
        rc = PQntuples(got) == 1 ? rg_pg_read_cols(got, 0, out, &rg_cols_participant) : RG_EIO;
    PQclear(got);
    rc = rg_pg_end(st, rc);
    rg_pg_unlock(st, t0, 1);
    return rc;
}

static int simple(rg_store *st, const char *sql)
{
    return rg_pg_put_locked(st, sql, NULL, 0, NULL);
}

/* Back to the seat's savepoint, and past it: its writes undone, the
 * transaction usable again after a failed statement. */
static int undo_seat(rg_store *st)
{
    if (simple(st, "ROLLBACK TO SAVEPOINT seat") != RG_OK) return RG_EIO;
    return simple(st, "RELEASE SAVEPOINT seat");
}

/* Whether the room has a status callback, its row locked: 1 unless it
 * is known not to (the events then decide it, as they always can). */
static int has_target(rg_store *st, const char *room_sid)
{
    int64_t has = 1;
    rg_pg_int_locked(st, ROOM_LOCK_TARGET, RG_PG_ARGS(RG_PG_TEXT(room_sid, RG_IDENTITY_MAX)), &has);
    return has != 0;
}

/* A seat that opens its room: the open has no guard (a refused seat takes
 * its room back), so it goes behind a savepoint. */
static int batch_open(rg_store *st, rg_seat *s, const seat_sql *q)
{
    int rc = simple(st, "SAVEPOINT seat");
    if (rc != RG_OK) return rc;
    rc = strcmp(s->open->sid, s->room_sid) == 0 ? rg_pg_room_open_locked(st, s->open) : RG_EINVAL;
    if (rc == RG_OK) rc = seat_run(st, q, has_target(st, s->room_sid), NULL, 0, NULL, NULL);
    if (rc != RG_OK) return undo_seat(st) == RG_OK ? rc : RG_EIO;
    return simple(st, "RELEASE SAVEPOINT seat");
}

/* One seat of a batch, its room locked (lock_rooms) unless it opens it.  A
 * refused seat leaves no trace (a room it opened neither), and the seats
 * after it are decided as if it had never been asked.  A room a seat
 * opens is new: nobody else can hold its row, so creating it after
 * lock_rooms keeps the lock order (and the new names are inserted in one
 * order on every node: seat_order).  The savepoint only matters when a
 * statement fails (a duplicate sid): then the seat's writes are undone
 * and the batch goes on.  RG_EIO from a seat whose answer cannot be
 * trusted fails the whole batch. */
static int batch_one(rg_store *st, rg_seat *s, int events)
{
    seat_sql q;
    seat_sql_fill(&q, st, s->room_sid, s->identity, s->participant_sid, s->now);
    if (s->open != NULL) return batch_open(st, s, &q);
    PGresult *released = NULL;
    const rg_pg_stmt savepoint = {"SAVEPOINT seat", NULL, 0},
                     release = {"RELEASE SAVEPOINT seat", NULL, 0};
    int rc = seat_run(st, &q, events, &savepoint, 1, &release, &released);
    PQclear(released);
    if (rc != RG_OK && released == NULL && undo_seat(st) != RG_OK) return RG_EIO;
    return rc;
}

/* Seats of a chunk: a pipeline holds its statements, and the savepoint
 * around them (the events' statements are the ones left out for a room
 * without a status callback). */
#define CHUNK_MAX ((RG_PG_PIPELINE_MAX - 2) / SEAT_N)

/* Seats that open no room, their rooms locked, in one round trip behind
 * one savepoint instead of one each: a seat's statements only ask the
 * database (RG_PG_SEAT_FREE), never its answer to the seat before, so the
 * pipeline decides each after the ones before it as the loop did.  When a
 * statement fails (a duplicate sid) the savepoint undoes them all and they
 * are taken again one by one (batch_one), so that seat alone is refused.
 * RG_EIO when the transaction is lost. */
static int batch_chunk(rg_store *st, rg_seat *const *seats, const int *events, int n)
{
    seat_sql q[CHUNK_MAX];
    rg_pg_stmt s[RG_PG_PIPELINE_MAX];
    PGresult *r[RG_PG_PIPELINE_MAX];
    int check[CHUNK_MAX], insert[CHUNK_MAX], m = 0;
    s[m++] = (rg_pg_stmt){"SAVEPOINT chunk", NULL, 0};
    for (int i = 0; i < n; i++) {
        seat_sql_fill(&q[i], st, seats[i]->room_sid, seats[i]->identity, seats[i]->participant_sid,
                      seats[i]->now);
        for (int j = 0; j < SEAT_N; j++) {
            if (!events[i] && is_event(j)) continue;
            if (j == SEAT_CHECK) check[i] = m;
            if (j == SEAT_INSERT) insert[i] = m;
            s[m++] = q[i].s[j];
        }
    }
    s[m++] = (rg_pg_stmt){"RELEASE SAVEPOINT chunk", NULL, 0};
    int rc = rg_pg_pipeline(st, s, m, r);
    if (rc == RG_OK) {
        for (int i = 0; i < n; i++)
            if ((seats[i]->rc = seat_answer(r[check[i]], r[insert[i]])) == RG_EIO) rc = RG_EIO;
        clear_all(r, m);
        return rc;
    }
    if (rc == RG_EIO || simple(st, "ROLLBACK TO SAVEPOINT chunk") != RG_OK ||
        simple(st, "RELEASE SAVEPOINT chunk") != RG_OK)
        return RG_EIO;
    for (int i = 0; i < n; i++)
        if ((seats[i]->rc = batch_one(st, seats[i], events[i])) == RG_EIO) return RG_EIO;
    return RG_OK;
}

/* The chunk's seats (batch_chunk), or, the transaction lost before them
 * or by them, its error for each; empties the chunk.  The transaction's
 * state after it. */
static int run_chunk(rg_store *st, rg_seat **chunk, const int *events, int *n, int rc)
{
    if (*n > 0 && rc == RG_OK) rc = batch_chunk(st, chunk, events, *n);
    for (int i = 0; i < *n && rc != RG_OK; i++)
        chunk[i]->rc = rc;
    *n = 0;
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The batch's rooms, sorted, each once, and whether each has a status
 * callback (read under its lock). */
typedef struct {
    const char **sids;
    unsigned char *events;
    size_t n;
} batch_rooms;

static void batch_rooms_free(batch_rooms *b)
{
    free(b->sids);
    free(b->events);
}

/* Whether the seat's room has a status callback: 1 when it is not known
 * (a room the seat opens, or one that did not exist). */
static int room_events(const batch_rooms *b, const char *room_sid)
{
    const char **at = b->n ? bsearch(&room_sid, b->sids, b->n, sizeof *b->sids, cmp_str) : NULL;
    return at == NULL || b->events[at - b->sids];
}

/* Locks rooms from..to of b, in pipelines, after the transaction's
 * first statements (rg_pg_quiet_begin) when begin: a room that does not
 * exist is left to its seat. */
static int lock_some(rg_store *st, batch_rooms *b, size_t from, size_t to, int begin)
{
    static const char lock[] = ROOM_LOCK_TARGET;
    rg_pg_stmt s[RG_PG_PIPELINE_MAX];
    rg_pg_arg args[RG_PG_PIPELINE_MAX], node;
    PGresult *r[RG_PG_PIPELINE_MAX];
    int m = begin ? rg_pg_quiet_begin(st, s, &node) : 0;
    for (size_t i = from; i < to; i++, m++) {
        args[m] = RG_PG_TEXT(b->sids[i], RG_IDENTITY_MAX);
        s[m] = (rg_pg_stmt){lock, &args[m], 1};
    }
    int rc = rg_pg_pipeline(st, s, m, r);
    if (rc != RG_OK) return rc;
    for (size_t i = from, k = begin ? RG_PG_QUIET_BEGIN : 0; i < to; i++, k++) {
        int64_t has = 1;
        if (PQntuples(r[k]) == 1 && rg_pg_int(r[k], 0, 0, &has) != RG_OK) rc = RG_EIO;
        b->events[i] = has != 0;
    }
    clear_all(r, m);
    return rc;
}

/* The BEGIN, then the batch's rooms locked in sid order before any write
 * (rooms.c's rule: the seats of two batches on two nodes never wait on
 * each other in a circle), a pipeline at a time. */
static int begin_and_lock_rooms(rg_store *st, const rg_seat *seats, size_t n, batch_rooms *b)
{
    size_t k = 0;
    memset(b, 0, sizeof *b);
    b->sids = malloc(n * sizeof *b->sids);
    b->events = malloc(n);
    if (!b->sids || !b->events) return RG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (join_args_ok(seats[i].room_sid, seats[i].identity, seats[i].participant_sid))
            b->sids[k++] = seats[i].room_sid;
    qsort(b->sids, k, sizeof *b->sids, cmp_str);
    for (size_t i = 0; i < k; i++)
        if (b->n == 0 || strcmp(b->sids[i], b->sids[b->n - 1]) != 0) b->sids[b->n++] = b->sids[i];
    int rc = RG_OK, begin = 1;
    for (size_t i = 0; rc == RG_OK && (i < b->n || begin); begin = 0) {
        size_t room = RG_PG_PIPELINE_MAX - (begin ? RG_PG_QUIET_BEGIN : 0);
        size_t to = b->n - i > room ? i + room : b->n;
        rc = lock_some(st, b, i, to, begin);
        i = to;
    }
    return rc;
}

/* Whether seat a comes after seat b: the seats that open a room after the
 * others, in (account, name) order among them, so that two nodes' batches
 * opening the same new names insert them in one order (in their own
 * orders, each waited for the other's index entry: "deadlock detected",
 * a 53000).  Seats of one room keep their order: it decides who replaces
 * whom. */
static int seat_after(const rg_seat *a, const rg_seat *b)
{
    if (a->open == NULL || b->open == NULL) return a->open != NULL && b->open == NULL;
    int c = strcmp(a->open->account_sid, b->open->account_sid);
    return c != 0 ? c > 0 : strcmp(a->open->unique_name, b->open->unique_name) > 0;
}

/* order[0..n) = the seats' indexes in that order (a stable insertion sort:
 * a batch is small). */
static void seat_order(const rg_seat *seats, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && seat_after(&seats[order[j - 1]], &seats[i]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
}

void rg_pgsql_participant_join_batch(rg_store *st, rg_seat *seats, size_t n)
{
    if (n == 0) return;
    size_t *order = malloc(n * sizeof *order);
    if (order == NULL) {
        for (size_t i = 0; i < n; i++)
            seats[i].rc = RG_ENOMEM;
        return;
    }
    seat_order(seats, n, order);
    batch_rooms rooms;
    uint64_t t0 = rg_pg_lock(st);
    int rc = begin_and_lock_rooms(st, seats, n, &rooms);
    rg_seat *chunk[CHUNK_MAX];
    int events[CHUNK_MAX], nchunk = 0;
    for (size_t k = 0; k < n; k++) {
        rg_seat *s = &seats[order[k]];
        if (!join_args_ok(s->room_sid, s->identity, s->participant_sid)) {
            s->rc = RG_EINVAL;
        } else if (s->open == NULL) { /* with the seats around it */
            chunk[nchunk] = s;
            events[nchunk++] = room_events(&rooms, s->room_sid);
            if (nchunk == CHUNK_MAX) rc = run_chunk(st, chunk, events, &nchunk, rc);
        } else {
            rc = run_chunk(st, chunk, events, &nchunk, rc); /* the seats before it first */
            if ((s->rc = rc == RG_OK ? batch_one(st, s, 1) : rc) == RG_EIO) rc = RG_EIO;
        }
    }
    rc = run_chunk(st, chunk, events, &nchunk, rc);
    rc = rg_pg_end(st, rc); /* the commit */
    for (size_t i = 0; i < n; i++)
        if (seats[i].rc == RG_OK && rc != RG_OK) seats[i].rc = rc;
    rg_pg_unlock(st, t0, 1);
    batch_rooms_free(&rooms);
    free(order);
}

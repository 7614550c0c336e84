/* participants.c - participants (seats) on PostgreSQL (store/rooms.h),
 * with the SQLite back end's semantics and status callback events
 * (src/store/sqlite/participants.c; the events by store/outbox_emit.h,
 * revocations in revocations.c).
 *
 * Seats are taken in seats.c.  Lock order as in rooms.c: rooms first
 * (sorted when several), then writes.
 *
 * A seat records the database session that took it (st->session: the
 * backend's pid and start time).  When a node dies, PostgreSQL ends its
 * sessions, so participant_disconnect_all frees exactly the seats whose
 * session is gone, and never a live node's.  A seat also records the node
 * that holds it (st->node), for the sweeper of silent nodes (nodes.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"
#include "store/outbox_emit.h"
#include "store/outbox_sql.h"
#include "store/pg/pgrooms.h"
#include "store/pg/revoke.h"
#include "store/rooms.h"

/* By PA sid, else by identity: the connected one, else the newest. */
#define PART_BY_SID_OR_IDENTITY                                                                    \
    "SELECT " RG_SQL_PARTICIPANT_FROM                                                              \
    " WHERE p.room_sid = $1 AND (p.sid = $2 OR p.identity = $2) "                                  \
    "ORDER BY p.sid = $2 DESC, p.connected DESC, p.start_time DESC, p.seq DESC LIMIT 1"

static int read_participant(const PGresult *r, int i, void *row)
{
    return rg_pg_read_cols(r, i, row, &rg_cols_participant);
}

static int get_locked(rg_store *st, const char *sql, const char *a, const char *b,
                      rg_participant *out)
{
    rg_pg_arg args[2] = {RG_PG_TEXT(a, RG_IDENTITY_MAX), RG_PG_TEXT(b, RG_IDENTITY_MAX)};
    return rg_pg_get_locked(st, sql, args, b ? 2 : 1, read_participant, out);
}

/* Locks the room and answers its capacity: RG_ENOTFOUND, RG_EGONE when
 * it is not in progress. */
static int lock_room(rg_store *st, const char *room_sid, int64_t *max)
{
    int rc = rg_pg_int_locked(st,
                              "SELECT CASE WHEN status = 1 THEN max_participants ELSE -1 END "
                              "FROM rooms WHERE sid = $1 FOR UPDATE",
                              RG_PG_ARGS(RG_PG_TEXT(room_sid, RG_IDENTITY_MAX)), max);
    return rc == RG_OK && *max < 0 ? RG_EGONE : rc;
}

/* Locks the room of participant_sid: RG_ENOTFOUND without the
 * participant. */
static int lock_room_of(rg_store *st, const char *participant_sid)
{
    int64_t one;
    return rg_pg_int_locked(st,
                            "SELECT 1::int8 FROM rooms r JOIN participants p ON p.room_sid = r.sid "
                            "WHERE p.sid = $1 FOR UPDATE OF r",
                            RG_PG_ARGS(RG_PG_TEXT(participant_sid, RG_IDENTITY_MAX)), &one);
}

/* $1's row disconnected at $2, and its room's last_left stamped. */
#define DISCONNECT                                                                                 \
    "WITH gone AS (UPDATE participants SET connected = 0, end_time = $2 "                          \
    "WHERE sid = $1 AND connected = 1 RETURNING room_sid) "                                        \
    "UPDATE rooms SET last_left = $2 WHERE sid IN (SELECT room_sid FROM gone)"

int rg_pg_participant_disconnect_locked(rg_store *st, const char *participant_sid, int64_t now,
                                        int64_t *rows)
{
    int rc = rg_pgsql_outbox_emit.disconnected(st, RG_OUTBOX_ONE, participant_sid, NULL, now);
    if (rc != RG_OK) return rc;
    return rg_pg_put_locked(
        st, DISCONNECT, RG_PG_ARGS(RG_PG_TEXT(participant_sid, RG_IDENTITY_MAX), RG_PG_INT(now)),
        rows);
}

static int disconnect_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    return rg_pg_participant_disconnect_locked(st, participant_sid, now, NULL);
}

int rg_pg_quiet_begin(const rg_store *st, rg_pg_stmt s[RG_PG_QUIET_BEGIN], rg_pg_arg *node)
{
    *node = RG_PG_TEXT(st->node, RG_NODE_ID_MAX);
    s[0] = (rg_pg_stmt){"BEGIN", NULL, 0};
    s[1] = (rg_pg_stmt){RG_PG_QUIET, node, 1};
    return RG_PG_QUIET_BEGIN;
}

/* The BEGIN of a transaction that writes this node's own participants
 * (rg_pg_quiet_begin), in one round trip.  The caller ends it with
 * rg_pg_end whatever this answers: the BEGIN may have run when the
 * setting failed. */
static int begin_quiet(rg_store *st)
{
    rg_pg_arg node;
    rg_pg_stmt s[RG_PG_QUIET_BEGIN];
    PGresult *r[RG_PG_QUIET_BEGIN];
    int n = rg_pg_quiet_begin(st, s, &node), rc = rg_pg_pipeline(st, s, n, r);
    for (int i = 0; rc == RG_OK && i < n; i++)
        PQclear(r[i]);
    return rc;
}

int rg_pgsql_participant_leave(rg_store *st, const char *participant_sid, int64_t now)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = begin_quiet(st);
    if (rc == RG_OK) rc = lock_room_of(st, participant_sid);
    if (rc == RG_OK) rc = disconnect_locked(st, participant_sid, now);
    rc = rg_pg_end(st, rc);
    rg_pg_unlock(st, t0, 1);
    return rc;
}

/* The batch's sids as a text[] literal (PA SIDs: nothing to quote);
 * NULL when one is not a PA sid (or no memory): then each leave goes
 * alone, and says so. */
static char *leave_sids(const rg_leave *leaves, size_t n)
{
    char *s = malloc(n * RG_SID_SIZE + 3), *at = s;
    for (size_t i = 0; s != NULL && i < n; i++) {
        const char *sid = leaves[i].participant_sid;
        size_t len = sid ? strnlen(sid, RG_SID_SIZE) : 0;
        if (!sid || !rg_sid_valid(sid, len, "PA")) {
            free(s);
            return NULL;
        }
        *at++ = i ? ',' : '{';
        memcpy(at, sid, len);
        at += len;
    }
    if (s != NULL) memcpy(at, "}", 2);
    return s;
}

/* A leave's statements and their parameters (leave_batch). */
typedef struct {
    rg_pg_arg tracks[4], gone[4], update[2];
} leave_args;

#define LEAVES_LOCK                                                                                \
    "SELECT p.sid, CASE WHEN " RG_OUTBOX_SQL_HAS_TARGET "THEN 1 ELSE 0 END::int8 FROM "            \
    "participants p JOIN rooms r ON r.sid = p.room_sid JOIN accounts a ON a.sid = "                \
    "r.account_sid WHERE p.sid = ANY($1::text[]) ORDER BY r.sid FOR UPDATE OF r"

/* After the BEGIN: the leaves' rooms locked, in sid order (the order every
 * batch takes them in), and which participants exist (rc RG_OK, else
 * RG_ENOTFOUND) and whose rooms have a status callback (events[i]). */
static int leaves_lock(rg_store *st, rg_leave *leaves, size_t n, const char *sids,
                       unsigned char *events)
{
    PGresult *r;
    int rc = rg_pg_query(st, LEAVES_LOCK, RG_PG_ARGS(RG_PG_LIST(sids, n * RG_SID_SIZE + 2)), &r);
    for (size_t i = 0; i < n; i++)
        leaves[i].rc = RG_ENOTFOUND;
    if (rc != RG_OK) return rc;
    for (int k = 0, rows = PQntuples(r); rc == RG_OK && k < rows; k++) {
        char sid[RG_SID_SIZE];
        int64_t has = 1;
        rc = rg_pg_text(r, k, 0, sid, sizeof sid);
        if (rc == RG_OK) rc = rg_pg_int(r, k, 1, &has);
        for (size_t i = 0; rc == RG_OK && i < n; i++)
            if (strcmp(leaves[i].participant_sid, sid) == 0) {
                leaves[i].rc = RG_OK;
                events[i] = has != 0;
            }
    }
    PQclear(r); /* whatever a row said */
    return rc;
}

/* Runs s[0..n) in pipelines of RG_PG_PIPELINE_MAX, the results dropped:
 * RG_OK, or the first failure's code. */
static int pipeline_all(rg_store *st, const rg_pg_stmt *s, size_t n)
{
    PGresult *r[RG_PG_PIPELINE_MAX];
    for (size_t at = 0; at < n;) {
        int m = n - at > RG_PG_PIPELINE_MAX ? RG_PG_PIPELINE_MAX : (int)(n - at);
        int rc = rg_pg_pipeline(st, s + at, m, r);
        if (rc != RG_OK) return rc;
        for (int i = 0; i < m; i++)
            PQclear(r[i]);
        at += (size_t)m;
    }
    return RG_OK;
}

/* The leaves that exist, each as rg_pg_participant_disconnect_locked (its
 * events, left out when its room has no status callback; its row; its
 * room's last_left), and the COMMIT, sent in pipelines. */
static int leaves_write(rg_store *st, const rg_leave *leaves, size_t n, const unsigned char *events)
{
    leave_args *a = malloc(n * sizeof *a);
    rg_pg_stmt *s = malloc((3 * n + 1) * sizeof *s);
    size_t m = 0;
    int rc = a && s ? RG_OK : RG_ENOMEM;
    for (size_t i = 0; rc == RG_OK && i < n; i++) {
        if (leaves[i].rc != RG_OK) continue;
        rg_pg_arg sid = RG_PG_SID(leaves[i].participant_sid), now = RG_PG_INT(leaves[i].now),
                  none = RG_PG_TEXT("", 0);
        memcpy(a[i].tracks, (rg_pg_arg[]){sid, none, RG_PG_TEXT("track-removed", 32), now},
               sizeof a[i].tracks);
        memcpy(a[i].gone, (rg_pg_arg[]){sid, none, RG_PG_TEXT("participant-disconnected", 32), now},
               sizeof a[i].gone);
        memcpy(a[i].update, (rg_pg_arg[]){sid, now}, sizeof a[i].update);
        if (events[i]) {
            s[m++] = (rg_pg_stmt){rg_pg_sql_left_tracks_removed, a[i].tracks, 4};
            s[m++] = (rg_pg_stmt){rg_pg_sql_left_disconnected, a[i].gone, 4};
        }
        s[m++] = (rg_pg_stmt){DISCONNECT, a[i].update, 2};
    }
    if (rc == RG_OK) {
        s[m++] = (rg_pg_stmt){"COMMIT", NULL, 0};
        rc = pipeline_all(st, s, m);
    }
    free(s);
    free(a);
    return rc;
}

/* One transaction for the batch, in three round trips (the locks, the
 * writes and the commit, the lock's answer deciding the writes), each
 * leave decided as rg_pgsql_participant_leave's: a leave of no such
 * participant writes nothing and the others go on; any other error rolls
 * the batch back and each leave is tried alone. */
void rg_pgsql_participant_leave_batch(rg_store *st, rg_leave *leaves, size_t n)
{
    char *sids = leave_sids(leaves, n);
    unsigned char *events = calloc(n ? n : 1, 1);
    int rc = sids && events ? RG_OK : RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    if (rc == RG_OK) {
        rc = begin_quiet(st);
        if (rc == RG_OK) rc = leaves_lock(st, leaves, n, sids, events);
        if (rc == RG_OK) rc = leaves_write(st, leaves, n, events);
        if (rc != RG_OK) rg_pg_end(st, rc); /* the rollback of them all */
    }
    rg_pg_unlock(st, t0, 1);
    free(events);
    free(sids);
    for (size_t i = 0; i < n && rc != RG_OK; i++)
        leaves[i].rc = rg_pgsql_participant_leave(st, leaves[i].participant_sid, leaves[i].now);
}

/* Seats whose session is gone: their node died (or a CLI command wrote
 * them and exited).  A session of another role may hide its start
 * (pg_stat_activity): then its pid alone keeps its seats. */
#define ORPHANS "FROM participants p WHERE p.connected = 1 AND " RG_PG_SESSION_GONE("p.session")

/* The orphans' sids into a text[] literal (PA SIDs: nothing to quote). */
static int orphan_sids(rg_store *st, char **out, int *n)
{
    PGresult *r;
    *out = NULL;
    int rc = rg_pg_query(st, "SELECT p.sid " ORPHANS " ORDER BY p.start_time, p.sid", NULL, 0, &r);
    if (rc != RG_OK) return rc;
    *n = PQntuples(r);
    size_t cap = (size_t)*n * RG_SID_SIZE + 3, len = 0;
    char *s = malloc(cap);
    if (!s) rc = RG_ENOMEM;
    if (s) s[len++] = '{';
    for (int i = 0; rc == RG_OK && i < *n; i++) {
        char sid[RG_SID_SIZE];
        rc = rg_pg_text(r, i, 0, sid, sizeof sid);
        if (rc == RG_OK && !rg_sid_valid(sid, strlen(sid), "PA")) rc = RG_EIO;
        if (rc != RG_OK) break;
        if (i) s[len++] = ',';
        memcpy(s + len, sid, strlen(sid));
        len += strlen(sid);
    }
    PQclear(r);
    if (rc != RG_OK) {
        free(s);
        return rc;
    }
    s[len++] = '}';
    s[len] = '\0';
    *out = s;
    return RG_OK;
}

/* The orphans' rooms are locked first, in sid order; each orphan gets its
 * participant-disconnected event, then is disconnected, its room's
 * last_left stamped so EmptyRoomTimeout runs from now. */
int rg_pgsql_participant_disconnect_all(rg_store *st, int64_t now, int *changed)
{
    PGresult *r;
    char *sids = NULL;
    int n = 0;
    int64_t rows = 0;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = rg_pg_query(st,
                         "SELECT sid FROM rooms WHERE sid IN (SELECT p.room_sid " ORPHANS ") "
                         "ORDER BY sid FOR UPDATE",
                         NULL, 0, &r);
        if (rc == RG_OK) PQclear(r);
    }
    if (rc == RG_OK) rc = orphan_sids(st, &sids, &n);
    for (int i = 0; rc == RG_OK && i < n; i++) {
        char sid[RG_SID_SIZE];
        memcpy(sid, sids + 1 + (size_t)i * RG_SID_SIZE, RG_SID_LEN);
        sid[RG_SID_LEN] = '\0';
        rc = rg_pgsql_outbox_emit.disconnected(st, RG_OUTBOX_ONE, sid, NULL, now);
    }
    if (rc == RG_OK && n > 0)
        rc = rg_pg_put_locked(st,
                              "UPDATE rooms SET last_left = $1 WHERE sid IN (SELECT room_sid "
                              "FROM participants WHERE sid = ANY($2::text[]))",
                              RG_PG_ARGS(RG_PG_INT(now), RG_PG_LIST(sids, strlen(sids))), NULL);
    if (rc == RG_OK && n > 0)
        rc = rg_pg_put_locked(st,
                              "UPDATE participants SET connected = 0, end_time = $1 "
                              "WHERE sid = ANY($2::text[]) AND connected = 1",
                              RG_PG_ARGS(RG_PG_INT(now), RG_PG_LIST(sids, strlen(sids))), &rows);
    free(sids);
    rc = rg_pg_end(st, rc);
    rg_pg_unlock(st, t0, 1);
    if (changed) *changed = rc == RG_OK ? (int)rows : 0;
    return rc;
}

int rg_pgsql_track_events(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                          size_t n, int64_t now)
{
    if (n == 0) return RG_OK;
    uint64_t t0 = rg_pg_lock(st);
    int rc = begin_quiet(st); /* a connection of this node publishes */
    for (size_t i = 0; i < n && rc == RG_OK; i++) {
        rc = rg_pgsql_outbox_emit.track(st, participant_sid, &ev[i], now);
        if (rc == RG_OK) rc = rg_pgsql_outbox_emit.tracks_keep(st, participant_sid, &ev[i]);
    }
    rc = rg_pg_end(st, rc);
    rg_pg_unlock(st, t0, 1);
    return rc;
}

int rg_pgsql_participant_get(rg_store *st, const char *room_sid, const char *sid_or_identity,
                             rg_participant *out)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = get_locked(st, PART_BY_SID_OR_IDENTITY, room_sid, sid_or_identity, out);
    rg_pg_unlock(st, t0, 0);
    return rc;
}

/* In join order; the arguments checked by rg_store_participant_list. */
int rg_pgsql_participant_list(rg_store *st, const char *room_sid, int connected, size_t offset,
                              size_t limit, rg_participant *out, size_t *count, int *more)
{
    return rg_pg_list(st,
                      "SELECT " RG_SQL_PARTICIPANT_FROM " WHERE p.room_sid = $1 AND "
                      "($2 < 0 OR p.connected = $2) "
                      "ORDER BY p.start_time, p.seq LIMIT $3 OFFSET $4",
                      RG_PG_ARGS(RG_PG_TEXT(room_sid, RG_IDENTITY_MAX), RG_PG_INT(connected)),
                      read_participant, out, sizeof *out, offset, limit, count, more);
}

int rg_pgsql_participant_kick(rg_store *st, const char *room_sid, const char *sid_or_identity,
                              int64_t now, rg_participant *out)
{
    rg_participant p;
    int64_t max;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = lock_room(st, room_sid, &max);
        if (rc == RG_EGONE) rc = RG_OK; /* a completed room's participant can be kicked */
        if (rc == RG_OK)
            rc = get_locked(st, PART_BY_SID_OR_IDENTITY, room_sid, sid_or_identity, &p);
        if (rc == RG_OK) rc = disconnect_locked(st, p.sid, now);
        if (rc == RG_OK) rc = rg_pg_revoke_locked(st, room_sid, p.identity, NULL, now, NULL);
        if (rc == RG_OK && out)
            rc = get_locked(st, "SELECT " RG_SQL_PARTICIPANT_FROM " WHERE p.sid = $1", p.sid, NULL,
                            out);
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

/* 1 / 0 from a "SELECT 1 ... LIMIT 1", or a negative code. */
static int exists(rg_store *st, const char *sql, const rg_pg_arg *args, int n)
{
    int64_t one;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_int_locked(st, sql, args, n, &one);
    rg_pg_unlock(st, t0, 0);
    return rc == RG_OK ? 1 : rc == RG_ENOTFOUND ? 0 : rc;
}

int rg_pgsql_participant_was_in(rg_store *st, const char *account_sid, const char *room_sid,
                                const char *identity)
{
    if (!account_sid || !room_sid || !identity) return RG_EINVAL;
    return exists(st,
                  "SELECT 1::int8 FROM participants p JOIN rooms r ON r.sid = p.room_sid "
                  "WHERE r.account_sid = $1 AND p.room_sid = $2 AND p.identity = $3 LIMIT 1",
                  RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(room_sid, RG_IDENTITY_MAX),
                             RG_PG_TEXT(identity, RG_IDENTITY_MAX)));
}

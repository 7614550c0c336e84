/* nodes.c - the nodes of a deployment on PostgreSQL (store/nodes.h): the
 * heartbeat in the nodes table (migration 3; states and the seats' node
 * column: migration 6) and the sweeper that frees a silent node's seats.
 *
 * Times are the database's (now(): one clock for every node, so skewed
 * node clocks cannot make a live node look silent), in unix ms.  The
 * nodes table has no change trigger: a heartbeat does not move the change
 * mark that every node's caches watch; a sweep that frees seats does
 * (participants'), so the other nodes' catch-up (signal/sync.c) sees it.
 *
 * The sweep's common case, nobody to free, is one read and no
 * transaction.  Otherwise one transaction per batch of seats, after a
 * transaction-scoped advisory lock that only one node's sweep holds at a
 * time (another node's sweep meanwhile does nothing: the holder frees
 * them).  Lock order as everywhere (rooms.c): the rooms before any write,
 * in sid order; the silent nodes' rows before the rooms (only a heartbeat,
 * which touches nothing else, waits on them). */
#include "store/nodes.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"
#include "store/pg/pgrooms.h"

#define NOW_MS "(extract(epoch FROM now()) * 1000)::int8"
#define SWEEP_BATCH 128 /* seats freed per transaction (the LIMIT below) */
#define STRINGIFY(x) #x
#define BATCH_SQL_(x) STRINGIFY(x)
#define BATCH_SQL BATCH_SQL_(SWEEP_BATCH)
#define KEEP_MS (24 * 3600 * 1000) /* a stopped or down node's row is kept a day */
/* An arbitrary constant: the advisory lock key of "sweeping dead nodes"
 * (migrate.c's is another). */
#define SWEEP_LOCK "SELECT pg_try_advisory_xact_lock(x'72676e64'::int8)::int::int8"

/* A node other than $1 silent for more than $2 ms, or one that stopped
 * (or was found dead before). */
#define SILENT "n.last_seen < " NOW_MS " - $2"
#define DEAD "n.id <> $1 AND (n.state IN ('stopped', 'down') OR " SILENT ")"
#define HAS_SEATS "EXISTS (SELECT 1 FROM participants s WHERE s.node = n.id AND s.connected = 1)"
/* Whether a sweep has anything to do: seats to free, a silent node to
 * mark down, or an old row to forget. */
#define ANY_WORK                                                                                   \
    "SELECT 1::int8 FROM nodes n WHERE " DEAD " AND (n.state IN ('up', 'draining') OR " HAS_SEATS  \
    " OR n.last_seen < " NOW_MS " - $3) LIMIT 1"

static int node_ok(const char *node)
{
    size_t n = node ? strnlen(node, RG_NODE_ID_MAX + 1) : 0;
    if (n == 0 || n > RG_NODE_ID_MAX) return 0;
    for (size_t i = 0; i < n; i++)
        if (node[i] <= ' ' || node[i] > '~') return 0;
    return 1;
}

/* The previous state is read with its row locked (FOR UPDATE), so a beat
 * that waited for a sweep marking the node down sees 'down'. */
int rg_pgsql_node_beat(rg_store *st, const char *node, rg_node_state state, int *was_down)
{
    int64_t down = 0;
    if (was_down) *was_down = 0;
    if (!node_ok(node) || (state != RG_NODE_UP && state != RG_NODE_STOPPED)) return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_int_locked(
        st,
        "WITH prev AS (SELECT state FROM nodes WHERE id = $1 FOR UPDATE), "
        "beat AS (INSERT INTO nodes(id, state, last_seen) VALUES ($1, $2, " NOW_MS ") "
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, last_seen = excluded.last_seen) "
        "SELECT COALESCE((SELECT state FROM prev) = 'down', false)::int::int8",
        RG_PG_ARGS(RG_PG_TEXT(node, RG_NODE_ID_MAX),
                   RG_PG_TEXT(state == RG_NODE_UP ? "up" : "stopped", 8)),
        &down);
    if (rc == RG_OK && st->node[0] == '\0') memcpy(st->node, node, strlen(node) + 1);
    rg_pg_unlock(st, t0, 1);
    if (rc == RG_OK && was_down) *was_down = down != 0;
    return rc;
}

/* A seat as take_seats selects it: the columns that say whom to free and
 * tell (connected and end_time are set as it is freed). */
static const rg_col SEAT_COLS[] = {
    RG_COL_TEXT(rg_participant, sid), RG_COL_TEXT(rg_participant, room_sid),
    RG_COL_TEXT(rg_participant, account_sid), RG_COL_TEXT(rg_participant, identity),
    RG_COL_I64(rg_participant, start_time)};
static const rg_cols SEAT = {
    .col = SEAT_COLS, .n = RG_NCOLS(SEAT_COLS), .size = sizeof(rg_participant)};

/* The next batch of the silent nodes' seats, their rooms locked in sid
 * order (the lock is taken row by row after the sort). */
static int take_seats(rg_store *st, const char *self, int64_t timeout_ms, rg_participant *out,
                      size_t *count)
{
    PGresult *r;
    *count = 0;
    int rc =
        rg_pg_query(st,
                    "SELECT p.sid, p.room_sid, r.account_sid, p.identity, p.start_time "
                    "FROM participants p JOIN rooms r ON r.sid = p.room_sid "
                    "WHERE p.connected = 1 AND p.node IN (SELECT n.id FROM nodes n WHERE " DEAD ") "
                    "ORDER BY r.sid, p.sid LIMIT " BATCH_SQL " FOR UPDATE OF r",
                    RG_PG_ARGS(RG_PG_TEXT(self, RG_NODE_ID_MAX), RG_PG_INT(timeout_ms)), &r);
    if (rc != RG_OK) return rc;
    for (int i = 0; rc == RG_OK && i < PQntuples(r) && i < SWEEP_BATCH; i++)
        if ((rc = rg_pg_read_cols(r, i, &out[i], &SEAT)) == RG_OK) *count = (size_t)i + 1;
    PQclear(r);
    return rc;
}

/* Frees the batch; a seat another transaction ended meanwhile (a kick,
 * its room completed) is left out of *freed. */
static int free_seats(rg_store *st, rg_participant *seats, size_t n, int64_t now, size_t *freed)
{
    int rc = RG_OK;
    *freed = 0;
    for (size_t i = 0; rc == RG_OK && i < n; i++) {
        int64_t rows = 0;
        rc = rg_pg_participant_disconnect_locked(st, seats[i].sid, now, &rows);
        if (rc == RG_OK && rows == 1) {
            seats[*freed] = seats[i];
            seats[*freed].connected = 0;
            seats[*freed].end_time = now;
            (*freed)++;
        }
    }
    return rc;
}

/* Silent nodes whose seats are all free are marked down; stopped and
 * down nodes' rows older than KEEP_MS are forgotten. */
static int settle_nodes(rg_store *st, const char *self, int64_t timeout_ms)
{
    int rc = rg_pg_put_locked(
        st,
        "UPDATE nodes n SET state = 'down' WHERE " DEAD " AND n.state IN ('up', 'draining') AND "
        "NOT " HAS_SEATS,
        RG_PG_ARGS(RG_PG_TEXT(self, RG_NODE_ID_MAX), RG_PG_INT(timeout_ms)), NULL);
    if (rc == RG_OK)
        rc = rg_pg_put_locked(
            st,
            "DELETE FROM nodes n WHERE " DEAD " AND n.state IN ('stopped', "
            "'down') AND "
            "n.last_seen < " NOW_MS " - $3 AND NOT " HAS_SEATS,
            RG_PG_ARGS(RG_PG_TEXT(self, RG_NODE_ID_MAX), RG_PG_INT(timeout_ms), RG_PG_INT(KEEP_MS)),
            NULL);
    return rc;
}

/* One transaction: the sweepers' lock (not taken: *count 0, nothing to
 * do here), the silent nodes' rows, a batch of their seats freed; the
 * last batch also settles the nodes.  *full: there may be more seats. */
static int sweep_batch(rg_store *st, const char *self, int64_t timeout_ms, int64_t now,
                       rg_participant *seats, size_t *count, int *full)
{
    PGresult *r;
    int64_t mine = 0;
    size_t taken = 0;
    *count = 0;
    *full = 0;
    int rc = rg_pg_begin(st);
    if (rc != RG_OK) return rc;
    rc = rg_pg_int_locked(st, SWEEP_LOCK, NULL, 0, &mine);
    if (rc == RG_OK && mine)
        rc = rg_pg_query(st, "SELECT n.id FROM nodes n WHERE " DEAD " ORDER BY n.id FOR UPDATE",
                         RG_PG_ARGS(RG_PG_TEXT(self, RG_NODE_ID_MAX), RG_PG_INT(timeout_ms)), &r);
    if (rc == RG_OK && mine) {
        PQclear(r);
        rc = take_seats(st, self, timeout_ms, seats, &taken);
    }
    if (rc == RG_OK && mine) rc = free_seats(st, seats, taken, now, count);
    if (rc == RG_OK && mine) {
        *full = taken == SWEEP_BATCH;
        if (!*full) rc = settle_nodes(st, self, timeout_ms);
    }
    rc = rg_pg_end(st, rc);
    if (rc != RG_OK) *count = 0, *full = 0;
    return rc;
}

int rg_pgsql_node_sweep(rg_store *st, const char *self, int64_t timeout_ms, int64_t now,
                        rg_store_seat_fn fn, void *ud)
{
    int64_t any = 0;
    int total = 0, full = 0, rc;
    if (!node_ok(self) || timeout_ms < 1) return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    rc = rg_pg_int_locked(
        st, ANY_WORK,
        RG_PG_ARGS(RG_PG_TEXT(self, RG_NODE_ID_MAX), RG_PG_INT(timeout_ms), RG_PG_INT(KEEP_MS)),
        &any);
    rg_pg_unlock(st, t0, 0);
    if (rc != RG_OK) return rc == RG_ENOTFOUND ? 0 : rc;
    rg_participant *seats = malloc(SWEEP_BATCH * sizeof *seats);
    if (!seats) return RG_ENOMEM;
    do {
        size_t count = 0;
        t0 = rg_pg_lock(st);
        rc = sweep_batch(st, self, timeout_ms, now, seats, &count, &full);
        rg_pg_unlock(st, t0, 1);
        for (size_t i = 0; rc == RG_OK && fn && i < count; i++)
            fn(ud, &seats[i]);
        total += (int)count;
    } while (rc == RG_OK && full);
    free(seats);
    return rc == RG_OK ? total : rc;
}

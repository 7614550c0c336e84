/* rooms.c - rooms on PostgreSQL (store/rooms.h), with the SQLite back
 * end's semantics (src/store/sqlite/rooms.c); participants and
 * revocations are in participants.c.
 *
 * Several nodes write at once, so a write that reads first takes row
 * locks where SQLite takes its file lock.  One rule keeps them free of
 * deadlocks: a transaction locks every room it will touch (SELECT ... FOR
 * UPDATE, in sid order when several) BEFORE its first write.  Every write
 * also takes the change counter's row (store_changed, migrate.c) until
 * commit, so a transaction that wrote never waits for a room afterwards.
 *
 * Each change records its status callback events in its own transaction
 * (store/outbox_emit.h), as on SQLite. */
#include "store/rooms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/roomnew.h"
#include "store/pg/call.h"
#include "store/outbox_emit.h"
#include "store/pg/pgrooms.h"

#define SWEEP_BATCH 32 /* rooms completed per transaction */

int rg_pg_read_room(const PGresult *res, int i, void *row)
{
    rg_room *r = row;
    int64_t v[11];
    char method[8];
    memset(r, 0, sizeof *r);
    int rc = rg_pg_text(res, i, 0, r->sid, sizeof r->sid);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 1, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 2, r->unique_name, sizeof r->unique_name);
    for (int c = 0; c < 5 && rc == RG_OK; c++)
        rc = rg_pg_int(res, i, 3 + c, &v[c]);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 8, r->status_callback, sizeof r->status_callback);
    for (int c = 5; c < 10 && rc == RG_OK; c++)
        rc = rg_pg_int(res, i, 4 + c, &v[c]);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 14, method, sizeof method);
    if (rc != RG_OK) return rc;
    /* a type or status this build does not know (an edited database) */
    if (v[0] < RG_ROOM_GO || v[0] > RG_ROOM_GROUP || v[1] < RG_ROOM_IN_PROGRESS ||
        v[1] > RG_ROOM_COMPLETED || v[2] < 0 || v[2] > RG_ROOM_MAX_PARTICIPANTS || v[3] < 0 ||
        v[3] > RG_ROOM_MAX_TIMEOUT || v[4] < 0 || v[4] > RG_ROOM_MAX_TIMEOUT)
        return RG_EIO;
    r->type = (rg_room_type)v[0];
    r->status = (rg_room_status)v[1];
    r->max_participants = (int)v[2];
    r->empty_room_timeout = (int)v[3];
    r->unused_room_timeout = (int)v[4];
    r->date_created = v[5];
    r->date_updated = v[6];
    r->end_time = v[7];
    r->last_left = v[8];
    r->ever_joined = v[9] != 0;
    r->callback_get = strcmp(method, "GET") == 0;
    return RG_OK;
}

/* on_conflict: ON CONFLICT on the live name does nothing (*rows = 0)
 * instead of failing, for get-or-create racing another node. */
static int insert_locked(rg_store *st, const rg_room *r, int on_conflict, int64_t *rows)
{
    static const char plain[] =
        "INSERT INTO rooms(" RG_SQL_ROOM_COLS ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12, $13, $14, $15)";
    static const char quiet[] =
        "INSERT INTO rooms(" RG_SQL_ROOM_COLS ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12, $13, $14, $15) ON CONFLICT (account_sid, unique_name) WHERE status = 1 "
        "DO NOTHING";
    return rg_pg_insert_locked(st, on_conflict ? quiet : plain, &rg_cols_room, r, rows);
}

int rg_pgsql_room_create(rg_store *st, rg_room *r)
{
    int rc = rg_room_prepare_new(r);
    if (rc != RG_OK) return rc;
    uint64_t t0 = rg_pg_lock(st);
    rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = insert_locked(st, r, 0, NULL);
        if (rc == RG_OK) rc = rg_pgsql_outbox_emit.room(st, r->sid, 0, r->date_created);
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

static int room_get_locked(rg_store *st, const char *sql, const char *a, const char *b,
                           rg_room *out)
{
    return rg_pg_get_locked(
        st, sql, RG_PG_ARGS(RG_PG_TEXT(a, RG_IDENTITY_MAX), RG_PG_TEXT(b, RG_IDENTITY_MAX)),
        rg_pg_read_room, out);
}

/* A SID match wins over a name match; among rooms with that name, the
 * in-progress one, else the newest. */
int rg_pgsql_room_get(rg_store *st, const char *account_sid, const char *sid_or_name, rg_room *out)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = room_get_locked(st,
                             "SELECT " RG_SQL_ROOM_COLS " FROM rooms WHERE account_sid = $1 AND "
                             "(sid = $2 OR unique_name = $2) ORDER BY sid = $2 DESC, "
                             "status = 1 DESC, date_created DESC, seq DESC LIMIT 1",
                             account_sid, sid_or_name, out);
    rg_pg_unlock(st, t0, 0);
    return rc;
}

/* RG_EGONE when unique_name is a deactivated VideoSDK room of the account,
 * else RG_ENOTFOUND.  FOR SHARE: a deactivation in flight finishes first
 * (and is seen), or waits for this transaction. */
static int meeting_disabled_locked(rg_store *st, const char *account_sid, const char *unique_name)
{
    int64_t disabled = 0;
    int rc = rg_pg_int_locked(
        st,
        "SELECT disabled FROM meetings WHERE account_sid = $1 AND "
        "room_id = $2 FOR SHARE",
        RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(unique_name, RG_IDENTITY_MAX)), &disabled);
    return rc == RG_OK ? (disabled ? RG_EGONE : RG_ENOTFOUND) : rc;
}

#define LIVE_BY_NAME                                                                               \
    "SELECT " RG_SQL_ROOM_COLS " FROM rooms WHERE account_sid = $1 AND unique_name = $2 AND "      \
    "status = 1"

/* Also the table's room_open_for_join: a commit on PostgreSQL has one
 * durability, there is no lighter one for a join's room (ops.c). */
int rg_pgsql_room_get_or_create(rg_store *st, const char *account_sid, const char *unique_name,
                                rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                int *created)
{
    rg_room r;
    int64_t rows = 0;
    *created = 0;
    int rc = rg_room_for_name(&r, account_sid, unique_name, type, max_participants, now);
    if (rc != RG_OK) return rc;
    uint64_t t0 = rg_pg_lock(st);
    rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = room_get_locked(st, LIVE_BY_NAME, account_sid, unique_name, out);
        if (rc == RG_ENOTFOUND) rc = meeting_disabled_locked(st, account_sid, unique_name);
        if (rc == RG_ENOTFOUND && (rc = insert_locked(st, &r, 1, &rows)) == RG_OK) {
            if (rows == 1) {
                *out = r;
                *created = 1;
                rc = rg_pgsql_outbox_emit.room(st, r.sid, 0, now);
            } else { /* another node created it since the read: its row */
                rc = room_get_locked(st, LIVE_BY_NAME, account_sid, unique_name, out);
            }
        }
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    if (rc != RG_OK) *created = 0;
    return rc;
}

int rg_pg_room_open_locked(rg_store *st, const rg_room *want)
{
    rg_room r = *want, cur;
    int64_t rows = 0;
    int rc = r.sid[0] ? rg_room_prepare_new(&r) : RG_EINVAL; /* the caller's sid, checked */
    if (rc != RG_OK) return rc;
    rc = room_get_locked(st, LIVE_BY_NAME, r.account_sid, r.unique_name, &cur);
    if (rc == RG_OK) return strcmp(cur.sid, r.sid) == 0 ? RG_OK : RG_EEXIST;
    if (rc == RG_ENOTFOUND) rc = meeting_disabled_locked(st, r.account_sid, r.unique_name);
    /* a completed room with this sid is RG_EEXIST too: the primary key */
    if (rc == RG_ENOTFOUND) rc = insert_locked(st, &r, 1, &rows);
    if (rc == RG_OK && rows == 1) return rg_pgsql_outbox_emit.room(st, r.sid, 0, r.date_created);
    if (rc == RG_OK && rows == 0) { /* another node opened the name since the read */
        rc = room_get_locked(st, LIVE_BY_NAME, r.account_sid, r.unique_name, &cur);
        if (rc == RG_OK) rc = strcmp(cur.sid, r.sid) == 0 ? RG_OK : RG_EEXIST;
    }
    return rc;
}

int rg_pgsql_room_list(rg_store *st, const char *account_sid, rg_room_status status,
                       const char *unique_name, size_t offset, size_t limit, rg_room *out,
                       size_t *count, int *more)
{
    return rg_pg_list(
        st,
        "SELECT " RG_SQL_ROOM_COLS " FROM rooms WHERE account_sid = $1 AND "
        "($2 = 0 OR status = $2) AND ($3::text IS NULL OR unique_name = $3) "
        "ORDER BY date_created DESC, seq DESC LIMIT $4 OFFSET $5",
        RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_INT(status),
                   unique_name ? RG_PG_TEXT(unique_name, RG_IDENTITY_MAX) : RG_PG_NULL),
        rg_pg_read_room, out, sizeof *out, offset, limit, count, more);
}

int rg_pg_room_complete_locked(rg_store *st, const char *room_sid, int64_t now)
{
    int64_t changed = 0;
    int rc = rg_pg_put_locked(st,
                              "UPDATE rooms SET status = 2, end_time = $2, date_updated = $2 "
                              "WHERE sid = $1 AND status = 1",
                              RG_PG_ARGS(RG_PG_SID(room_sid), RG_PG_INT(now)), &changed);
    if (rc == RG_OK && changed)
        rc = rg_pgsql_outbox_emit.disconnected(st, RG_OUTBOX_ROOM, room_sid, NULL, now);
    if (rc == RG_OK && changed)
        rc = rg_pg_put_locked(st,
                              "UPDATE participants SET connected = 0, end_time = $2 "
                              "WHERE room_sid = $1 AND connected = 1",
                              RG_PG_ARGS(RG_PG_SID(room_sid), RG_PG_INT(now)), NULL);
    if (rc == RG_OK && changed) rc = rg_pgsql_outbox_emit.room(st, room_sid, 1, now);
    return rc;
}

int rg_pgsql_room_complete(rg_store *st, const char *account_sid, const char *room_sid, int64_t now)
{
    int64_t one;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = rg_pg_int_locked(st,
                              "SELECT 1::int8 FROM rooms WHERE sid = $1 AND account_sid = $2 "
                              "FOR UPDATE",
                              RG_PG_ARGS(RG_PG_SID(room_sid), RG_PG_SID(account_sid)), &one);
        if (rc == RG_OK) rc = rg_pg_room_complete_locked(st, room_sid, now);
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

/* Rooms whose timeout has passed ($1 = seconds per minute, $2 = now), as
 * on SQLite. */
#define DUE_WHERE                                                                                  \
    "FROM rooms r WHERE status = 1 AND ("                                                          \
    "(ever_joined = 0 AND date_created + unused_room_timeout * $1 <= $2) OR "                      \
    "(ever_joined = 1 AND last_left + empty_room_timeout * $1 <= $2 AND NOT EXISTS "               \
    "(SELECT 1 FROM participants p WHERE p.room_sid = r.sid AND p.connected = 1)))"

/* The sids of res's column 0 as a text[] literal {RM..,RM..} (SIDs are
 * alphanumeric: nothing to quote). */
static int sid_array(const PGresult *res, char *out, size_t cap)
{
    size_t len = 0;
    out[len++] = '{';
    for (int i = 0; i < PQntuples(res); i++) {
        char sid[RG_SID_SIZE];
        if (rg_pg_text(res, i, 0, sid, sizeof sid) != RG_OK ||
            !rg_sid_valid(sid, strlen(sid), "RM") || len + RG_SID_SIZE + 2 > cap)
            return RG_EIO;
        if (i) out[len++] = ',';
        memcpy(out + len, sid, strlen(sid));
        len += strlen(sid);
    }
    out[len++] = '}';
    out[len] = '\0';
    return RG_OK;
}

/* Reads the rows of res into out (at most cap), *count. */
static int read_rooms(const PGresult *res, rg_room *out, size_t cap, size_t *count)
{
    int rc = RG_OK;
    *count = 0;
    for (int i = 0; rc == RG_OK && i < PQntuples(res) && (size_t)i < cap; i++)
        if ((rc = rg_pg_read_room(res, i, &out[i])) == RG_OK) *count = (size_t)i + 1;
    return rc;
}

/* One transaction: lock up to SWEEP_BATCH due rooms (in sid order, those
 * another node holds skipped), read them again now that they are locked
 * (a join may have committed in between), complete those still due.  The
 * common case, nothing due, is one read and no transaction. */
static int sweep_batch(rg_store *st, int64_t now, int unit, rg_room *out, size_t *count, int *full)
{
    PGresult *res;
    char sids[SWEEP_BATCH * (RG_SID_SIZE + 1) + 4];
    int64_t any = 0;
    *count = 0;
    *full = 0;
    int rc = rg_pg_int_locked(st, "SELECT 1::int8 " DUE_WHERE " LIMIT 1",
                              RG_PG_ARGS(RG_PG_INT(unit), RG_PG_INT(now)), &any);
    if (rc != RG_OK) return rc == RG_ENOTFOUND ? RG_OK : rc;
    if ((rc = rg_pg_begin(st)) != RG_OK) return rc;
    rc = rg_pg_query(st,
                     "SELECT sid " DUE_WHERE " ORDER BY sid LIMIT 32 FOR UPDATE OF r SKIP LOCKED",
                     RG_PG_ARGS(RG_PG_INT(unit), RG_PG_INT(now)), &res);
    if (rc == RG_OK) {
        *full = PQntuples(res) == SWEEP_BATCH;
        rc = PQntuples(res) == 0 ? RG_ENOTFOUND : sid_array(res, sids, sizeof sids);
        PQclear(res);
    }
    if (rc == RG_OK) {
        rc = rg_pg_query(
            st, "SELECT " RG_SQL_ROOM_COLS " " DUE_WHERE " AND sid = ANY($3::text[]) ORDER BY sid",
            RG_PG_ARGS(RG_PG_INT(unit), RG_PG_INT(now), RG_PG_LIST(sids, sizeof sids)), &res);
        if (rc == RG_OK) {
            rc = read_rooms(res, out, SWEEP_BATCH, count);
            PQclear(res);
        }
    }
    for (size_t i = 0; rc == RG_OK && i < *count; i++) {
        rc = rg_pg_room_complete_locked(st, out[i].sid, now);
        rg_room_mark_completed(&out[i], now);
    }
    rc = rg_pg_end(st, rc == RG_ENOTFOUND ? RG_OK : rc);
    if (rc != RG_OK) *count = 0;
    return rc;
}

/* fn runs after each batch's commit, with the store unlocked. */
int rg_pgsql_room_sweep(rg_store *st, int64_t now, int unit_seconds,
                        void (*fn)(void *ud, const rg_room *r), void *ud)
{
    if (unit_seconds < 1) return RG_EINVAL;
    rg_room *batch = malloc(SWEEP_BATCH * sizeof *batch);
    size_t count = 0;
    int total = 0, full = 0, rc = RG_OK;
    if (!batch) return RG_ENOMEM;
    do {
        uint64_t t0 = rg_pg_lock(st);
        rc = sweep_batch(st, now, unit_seconds, batch, &count, &full);
        rg_pg_unlock(st, t0, count > 0);
        for (size_t i = 0; rc == RG_OK && i < count; i++)
            if (fn) fn(ud, &batch[i]);
        total += (int)count;
    } while (rc == RG_OK && full);
    free(batch);
    return rc == RG_OK ? total : rc;
}

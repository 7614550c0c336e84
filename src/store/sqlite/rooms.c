/* rooms.c - rooms on SQLite (see rooms.h); participants and revocations
 * are in participants.c.
 *
 * Every write that reads before it writes (get-or-create, complete, sweep)
 * runs in one BEGIN IMMEDIATE transaction, so it holds SQLite's write lock
 * from the read on: another connection, in this process or another, cannot
 * slip a conflicting write in between. */
#include "store/rooms.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/roomnew.h"
#include "store/outbox_emit.h"
#include "store/sqlite/room_open.h"
#include "store/sqlite/sql.h"

#define SWEEP_BATCH 32 /* rooms completed per transaction (and kept in memory) */

/* Columns in RG_SQL_ROOM_COLS order.  A type or status this build does not know
 * (an edited file) is RG_EIO rather than a guess. */
static int read_room(sqlite3_stmt *s, void *row)
{
    rg_room *r = row;
    int type = sqlite3_column_int(s, 3), status = sqlite3_column_int(s, 4);
    memset(r, 0, sizeof *r);
    int rc = rg_sql_col_text(s, 0, r->sid, sizeof r->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, r->unique_name, sizeof r->unique_name);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 8, r->status_callback, sizeof r->status_callback);
    if (type < RG_ROOM_GO || type > RG_ROOM_GROUP || status < RG_ROOM_IN_PROGRESS ||
        status > RG_ROOM_COMPLETED)
        rc = RG_EIO;
    r->type = (rg_room_type)type;
    r->status = (rg_room_status)status;
    r->max_participants = sqlite3_column_int(s, 5);
    r->empty_room_timeout = sqlite3_column_int(s, 6);
    r->unused_room_timeout = sqlite3_column_int(s, 7);
    r->date_created = (int64_t)sqlite3_column_int64(s, 9);
    r->date_updated = (int64_t)sqlite3_column_int64(s, 10);
    r->end_time = (int64_t)sqlite3_column_int64(s, 11);
    r->last_left = (int64_t)sqlite3_column_int64(s, 12);
    r->ever_joined = sqlite3_column_int(s, 13);
    const char *method = (const char *)sqlite3_column_text(s, 14);
    r->callback_get = method && strcmp(method, "GET") == 0;
    return rc;
}

static int insert_locked(rg_store *st, const rg_room *r)
{
    return rg_sql_insert_locked(st,
                                "INSERT INTO rooms(" RG_SQL_ROOM_COLS
                                ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                "?13, ?14, ?15)",
                                &rg_cols_room, r, "room insert");
}

int rg_sqlite_room_create(rg_store *st, rg_room *r)
{
    int rc = rg_room_prepare_new(r);
    if (rc != RG_OK) return rc;
    rg_sql_lock(st);
    rc = rg_sql_begin(st);
    if (rc == RG_OK) {
        rc = insert_locked(st, r);
        if (rc == RG_OK) rc = rg_sqlite_outbox_emit.room(st, r->sid, 0, r->date_created);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* The account's room in progress of a name (?1 account, ?2 name): one at
 * most, by the partial unique index. */
#define LIVE_BY_NAME                                                                               \
    "SELECT " RG_SQL_ROOM_COLS " FROM rooms WHERE account_sid = ?1 AND unique_name = ?2 AND "      \
    "status = 1"

/* One room row selected by two text parameters; the caller holds the lock. */
static int room_query_one(rg_store *st, const char *sql, const char *a, const char *b, rg_room *out)
{
    return rg_sql_get_locked(
        st, sql, RG_ARGS(RG_ARG_TEXT(a, RG_IDENTITY_MAX), RG_ARG_TEXT(b, RG_IDENTITY_MAX)),
        read_room, out, "room get");
}

/* A SID match wins over a name match; among rooms with that name, the
 * in-progress one, else the newest.  Two lookups rather than one
 * "sid = ?2 OR unique_name = ?2": SQLite answers that OR by reading every
 * room of the account, which made each join slower as rooms piled up. */
int rg_sqlite_room_get(rg_store *st, const char *account_sid, const char *sid_or_name, rg_room *out)
{
    /* every stored sid is a valid RM sid (prepare_new): a name that is
     * not one (a join's room, usually) needs no lookup by sid */
    int by_sid =
        sid_or_name == NULL || rg_sid_valid(sid_or_name, strnlen(sid_or_name, RG_SID_SIZE), "RM");
    rg_sql_lock(st);
    int rc = by_sid ? room_query_one(st,
                                     "SELECT " RG_SQL_ROOM_COLS
                                     " FROM rooms WHERE sid = ?2 AND account_sid = ?1",
                                     account_sid, sid_or_name, out)
                    : RG_ENOTFOUND;
    /* the one in progress, else the newest: two index searches in one
     * statement, where ORDER BY status = 1 DESC sorted in a temporary
     * b-tree on every join to a room by name */
    if (rc == RG_ENOTFOUND)
        rc = room_query_one(st,
                            LIVE_BY_NAME " UNION ALL SELECT * FROM (SELECT " RG_SQL_ROOM_COLS
                                         " FROM rooms WHERE account_sid = ?1 AND unique_name = ?2 "
                                         "ORDER BY date_created DESC, rowid DESC LIMIT 1) LIMIT 1",
                            account_sid, sid_or_name, out);
    rg_sql_unlock(st);
    return rc;
}

/* RG_EGONE when unique_name is the room id of a deactivated VideoSDK room
 * of the account (its signaling room is named after it), else
 * RG_ENOTFOUND.  Checked inside the transaction that would create the
 * room, so a join that read the meeting just before the deactivation
 * committed cannot open a fresh room for it afterwards. */
static int meeting_disabled_locked(rg_store *st, const char *account_sid, const char *unique_name)
{
    int64_t one;
    int rc = rg_sql_int(st,
                        "SELECT 1 FROM meetings WHERE account_sid = ?1 AND room_id = ?2 AND "
                        "disabled = 1",
                        account_sid, unique_name, NULL, 0, &one, "room meeting check");
    return rc == RG_OK ? RG_EGONE : rc;
}

static int get_or_create(rg_store *st, const char *account_sid, const char *unique_name,
                         rg_room_type type, int max_participants, int64_t now, rg_room *out,
                         int *created, int light)
{
    rg_room r;
    *created = 0;
    int rc = rg_room_for_name(&r, account_sid, unique_name, type, max_participants, now);
    if (rc != RG_OK) return rc;
    rg_sql_lock(st);
    rc = light ? rg_sql_begin_light(st) : rg_sql_begin(st);
    if (rc == RG_OK) {
        rc = room_query_one(st, LIVE_BY_NAME, account_sid, unique_name, out);
        if (rc == RG_ENOTFOUND) rc = meeting_disabled_locked(st, account_sid, unique_name);
        if (rc == RG_ENOTFOUND && (rc = insert_locked(st, &r)) == RG_OK &&
            (rc = rg_sqlite_outbox_emit.room(st, r.sid, 0, now)) == RG_OK) {
            *out = r;
            *created = 1;
        }
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    if (rc != RG_OK) *created = 0;
    return rc;
}

int rg_room_open_locked(rg_store *st, const rg_room *want, int *created)
{
    rg_room r = *want, cur;
    int rc = r.sid[0] ? rg_room_prepare_new(&r) : RG_EINVAL; /* the caller's sid, checked */
    *created = 0;
    if (rc != RG_OK) return rc;
    r.ever_joined = 1; /* its seat follows in the same savepoint */
    rc = room_query_one(st, LIVE_BY_NAME, r.account_sid, r.unique_name, &cur);
    if (rc == RG_OK) return strcmp(cur.sid, r.sid) == 0 ? RG_OK : RG_EEXIST;
    if (rc == RG_ENOTFOUND) rc = meeting_disabled_locked(st, r.account_sid, r.unique_name);
    /* a completed room with this sid (opened, then ended, before this
     * seat) is RG_EEXIST too: the insert's primary key */
    if (rc == RG_ENOTFOUND) {
        rc = insert_locked(st, &r); /* its event: the batch's */
        if (rc == RG_OK) *created = 1;
    }
    return rc;
}

int rg_sqlite_room_get_or_create(rg_store *st, const char *account_sid, const char *unique_name,
                                 rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                 int *created)
{
    return get_or_create(st, account_sid, unique_name, type, max_participants, now, out, created,
                         0);
}

int rg_sqlite_room_open_for_join(rg_store *st, const char *account_sid, const char *unique_name,
                                 rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                 int *created)
{
    return get_or_create(st, account_sid, unique_name, type, max_participants, now, out, created,
                         1);
}

int rg_sqlite_room_list(rg_store *st, const char *account_sid, rg_room_status status,
                        const char *unique_name, size_t offset, size_t limit, rg_room *out,
                        size_t *count, int *more)
{
    return rg_sql_list(
        st,
        "SELECT " RG_SQL_ROOM_COLS " FROM rooms WHERE account_sid = ?1 AND "
        "(?2 = 0 OR status = ?2) AND (?3 IS NULL OR unique_name = ?3) "
        "ORDER BY date_created DESC, rowid DESC LIMIT ?4 OFFSET ?5",
        RG_ARGS(RG_ARG_SID(account_sid), RG_ARG_INT(status),
                unique_name ? RG_ARG_TEXT(unique_name, RG_IDENTITY_MAX) : RG_ARG_NULL),
        read_room, out, sizeof *out, offset, limit, count, more, "room list");
}

/* Completes an in-progress room and disconnects whoever is still in it,
 * with their events (participant-disconnected for each, then room-ended);
 * inside the caller's transaction. */
static int complete_locked(rg_store *st, const char *room_sid, int64_t now)
{
    int changed = 0;
    int rc = rg_sql_run(st,
                        "UPDATE rooms SET status = 2, end_time = ?4, date_updated = ?4 "
                        "WHERE sid = ?1 AND status = 1",
                        room_sid, NULL, NULL, now, &changed, "room complete");
    if (rc == RG_OK && changed)
        rc = rg_sqlite_outbox_emit.disconnected(st, RG_OUTBOX_ROOM, room_sid, NULL, now);
    if (rc == RG_OK)
        rc = rg_sql_run(st,
                        "UPDATE participants SET connected = 0, end_time = ?4 "
                        "WHERE room_sid = ?1 AND connected = 1",
                        room_sid, NULL, NULL, now, NULL, "room disconnect all");
    if (rc == RG_OK && changed) rc = rg_sqlite_outbox_emit.room(st, room_sid, 1, now);
    return rc;
}

int rg_sqlite_room_complete(rg_store *st, const char *account_sid, const char *room_sid,
                            int64_t now)
{
    int64_t one;
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc == RG_OK) {
        rc = rg_sql_int(st, "SELECT 1 FROM rooms WHERE sid = ?1 AND account_sid = ?2", room_sid,
                        account_sid, NULL, 0, &one, "room find");
        if (rc == RG_OK) rc = complete_locked(st, room_sid, now);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* Rooms whose timeout has passed (?1 = seconds per minute, ?2 = now): never
 * joined and UnusedRoomTimeout after creation, or empty and
 * EmptyRoomTimeout after the last participant left. */
#define DUE_WHERE                                                                                  \
    "FROM rooms r WHERE status = 1 AND ("                                                          \
    "(ever_joined = 0 AND date_created + unused_room_timeout * ?1 <= ?2) OR "                      \
    "(ever_joined = 1 AND last_left + empty_room_timeout * ?1 <= ?2 AND NOT EXISTS "               \
    "(SELECT 1 FROM participants p WHERE p.room_sid = r.sid AND p.connected = 1)))"

/* Up to limit due rooms into out (limit 0: only counts whether any is). */
static int select_due(rg_store *st, int64_t now, int unit, rg_room *out, size_t limit,
                      size_t *count)
{
    int more = 0;
    int rc = rg_sql_list_locked(st, "SELECT " RG_SQL_ROOM_COLS " " DUE_WHERE " LIMIT ?3 OFFSET ?4",
                                RG_ARGS(RG_ARG_INT(unit), RG_ARG_INT(now)), read_room, out,
                                sizeof *out, 0, limit, count, &more, "room sweep");
    if (rc == RG_OK && limit == 0) *count = (size_t)more;
    return rc;
}

/* Completes up to SWEEP_BATCH due rooms in one transaction.  The common
 * case, nothing due, is one read: no write lock is taken every second. */
static int sweep_batch(rg_store *st, int64_t now, int unit, rg_room *out, size_t *count)
{
    int rc = select_due(st, now, unit, NULL, 0, count);
    if (rc != RG_OK || *count == 0) return rc;
    if ((rc = rg_sql_begin(st)) != RG_OK) return rc;
    rc = select_due(st, now, unit, out, SWEEP_BATCH, count); /* again, under the lock */
    for (size_t i = 0; rc == RG_OK && i < *count; i++) {
        rc = complete_locked(st, out[i].sid, now);
        rg_room_mark_completed(&out[i], now);
    }
    rc = rg_sql_end(st, rc);
    if (rc != RG_OK) *count = 0;
    return rc;
}

/* fn runs after each batch's commit, with the store unlocked, so it may
 * call the store. */
int rg_sqlite_room_sweep(rg_store *st, int64_t now, int unit_seconds,
                         void (*fn)(void *ud, const rg_room *r), void *ud)
{
    if (unit_seconds < 1) return RG_EINVAL;
    rg_room *batch = malloc(SWEEP_BATCH * sizeof *batch);
    size_t count = 0;
    int total = 0, rc = RG_OK;
    if (!batch) return RG_ENOMEM;
    do {
        rg_sql_lock(st);
        rc = sweep_batch(st, now, unit_seconds, batch, &count);
        rg_sql_unlock(st);
        for (size_t i = 0; rc == RG_OK && i < count; i++)
            if (fn) fn(ud, &batch[i]);
        total += (int)count;
    } while (rc == RG_OK && count == SWEEP_BATCH);
    free(batch);
    return rc == RG_OK ? total : rc;
}

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
#include "store/provision.h"
#include "store/sql.h"

#define ROOM_COLS                                                                                  \
    "sid, account_sid, unique_name, type, status, max_participants, empty_room_timeout, "          \
    "unused_room_timeout, status_callback, date_created, date_updated, end_time, last_left, "      \
    "ever_joined"

#define SWEEP_BATCH 32 /* rooms completed per transaction (and kept in memory) */

/* Columns in ROOM_COLS order.  A type or status this build does not know
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
    return rc;
}

static int in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

/* Fills the defaults rooms.h promises and checks the rest. */
static int prepare_new(rg_room *r)
{
    if (r->sid[0] == '\0' && rg_new_sid(r->sid, "RM") != RG_OK) return RG_ECRYPTO;
    if (!rg_sid_valid(r->sid, strnlen(r->sid, RG_SID_SIZE), "RM") ||
        !rg_sid_valid(r->account_sid, strnlen(r->account_sid, RG_SID_SIZE), "AC"))
        return RG_EINVAL;
    if (r->unique_name[0] == '\0') memcpy(r->unique_name, r->sid, RG_SID_SIZE);
    if (r->type == RG_ROOM_GO) r->max_participants = 2;
    if (!in_range((int)r->type, RG_ROOM_GO, RG_ROOM_GROUP) ||
        !in_range(r->max_participants, 1, RG_ROOM_MAX_PARTICIPANTS) ||
        !in_range(r->empty_room_timeout, 1, RG_ROOM_MAX_TIMEOUT) ||
        !in_range(r->unused_room_timeout, 1, RG_ROOM_MAX_TIMEOUT) ||
        memchr(r->unique_name, '\0', sizeof r->unique_name) == NULL ||
        memchr(r->status_callback, '\0', sizeof r->status_callback) == NULL)
        return RG_EINVAL;
    r->status = RG_ROOM_IN_PROGRESS;
    r->date_updated = r->date_created;
    r->end_time = r->last_left = 0;
    r->ever_joined = 0;
    return RG_OK;
}

static int insert_locked(rg_store *st, const rg_room *r)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st,
                            "INSERT INTO rooms(" ROOM_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                            "?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, r->sid);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 2, r->account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 3, r->unique_name, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 4, r->type);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 5, r->status);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 6, r->max_participants);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 7, r->empty_room_timeout);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 8, r->unused_room_timeout);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 9, r->status_callback, RG_URL_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 10, r->date_created);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 11, r->date_updated);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 12, r->end_time);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 13, r->last_left);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 14, r->ever_joined);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "room insert");
    rg_sql_release(st, s);
    return rc;
}

int rg_store_room_create(rg_store *st, rg_room *r)
{
    int rc = prepare_new(r);
    if (rc != RG_OK) return rc;
    rg_sql_lock(st);
    rc = insert_locked(st, r);
    rg_sql_unlock(st);
    return rc;
}

/* One room row selected by up to two text parameters. */
static int room_query_one(rg_store *st, const char *sql, const char *a, const char *b, rg_room *out)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 1, a, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, b, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "room get");
    if (rc == RG_OK) rc = read_room(s, out);
    rg_sql_release(st, s);
    return rc;
}

/* A SID match wins over a name match; among rooms with that name, the
 * in-progress one, else the newest.  Two lookups rather than one
 * "sid = ?2 OR unique_name = ?2": SQLite answers that OR by reading every
 * room of the account, which made each join slower as rooms piled up. */
int rg_store_room_get(rg_store *st, const char *account_sid, const char *sid_or_name, rg_room *out)
{
    rg_sql_lock(st);
    int rc =
        room_query_one(st, "SELECT " ROOM_COLS " FROM rooms WHERE sid = ?2 AND account_sid = ?1",
                       account_sid, sid_or_name, out);
    if (rc == RG_ENOTFOUND)
        rc = room_query_one(st,
                            "SELECT " ROOM_COLS " FROM rooms WHERE account_sid = ?1 AND "
                            "unique_name = ?2 ORDER BY status = 1 DESC, date_created DESC, "
                            "rowid DESC LIMIT 1",
                            account_sid, sid_or_name, out);
    rg_sql_unlock(st);
    return rc;
}

static int get_or_create(rg_store *st, const char *account_sid, const char *unique_name,
                         rg_room_type type, int max_participants, int64_t now, rg_room *out,
                         int *created, int light)
{
    rg_room r;
    *created = 0;
    if (!unique_name || !unique_name[0] || strlen(unique_name) > RG_IDENTITY_MAX || !account_sid ||
        strlen(account_sid) > RG_SID_LEN)
        return RG_EINVAL;
    memset(&r, 0, sizeof r);
    strcpy(r.account_sid, account_sid);
    strcpy(r.unique_name, unique_name);
    r.type = type;
    r.max_participants = max_participants;
    r.empty_room_timeout = r.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r.date_created = now;
    int rc = prepare_new(&r);
    if (rc != RG_OK) return rc;
    rg_sql_lock(st);
    rc = light ? rg_sql_begin_light(st) : rg_sql_begin(st);
    if (rc == RG_OK) {
        rc = room_query_one(st,
                            "SELECT " ROOM_COLS " FROM rooms WHERE account_sid = ?1 AND "
                            "unique_name = ?2 AND status = 1",
                            account_sid, unique_name, out);
        if (rc == RG_ENOTFOUND && (rc = insert_locked(st, &r)) == RG_OK) {
            *out = r;
            *created = 1;
        }
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    if (rc != RG_OK) *created = 0;
    return rc;
}

int rg_store_room_get_or_create(rg_store *st, const char *account_sid, const char *unique_name,
                                rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                int *created)
{
    return get_or_create(st, account_sid, unique_name, type, max_participants, now, out, created,
                         0);
}

int rg_store_room_open_for_join(rg_store *st, const char *account_sid, const char *unique_name,
                                rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                int *created)
{
    return get_or_create(st, account_sid, unique_name, type, max_participants, now, out, created,
                         1);
}

int rg_store_room_list(rg_store *st, const char *account_sid, rg_room_status status,
                       const char *unique_name, size_t offset, size_t limit, rg_room *out,
                       size_t *count, int *more)
{
    *count = 0;
    *more = 0;
    if (limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX || (limit > 0 && !out))
        return RG_EINVAL;
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "SELECT " ROOM_COLS " FROM rooms WHERE account_sid = ?1 AND "
                            "(?2 = 0 OR status = ?2) AND (?3 IS NULL OR unique_name = ?3) "
                            "ORDER BY date_created DESC, rowid DESC LIMIT ?4 OFFSET ?5",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, (int64_t)status);
    if (rc == RG_OK && unique_name) rc = rg_sql_bind_text(s, 3, unique_name, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 4, (int64_t)limit + 1);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 5, (int64_t)offset);
    if (rc == RG_OK)
        rc = rg_sql_page(st, s, read_room, out, sizeof *out, limit, count, more, "room list");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* Completes an in-progress room and disconnects whoever is still in it;
 * inside the caller's transaction. */
static int complete_locked(rg_store *st, const char *room_sid, int64_t now)
{
    int rc = rg_sql_run(st,
                        "UPDATE rooms SET status = 2, end_time = ?4, date_updated = ?4 "
                        "WHERE sid = ?1 AND status = 1",
                        room_sid, NULL, NULL, now, NULL, "room complete");
    if (rc == RG_OK)
        rc = rg_sql_run(st,
                        "UPDATE participants SET connected = 0, end_time = ?4 "
                        "WHERE room_sid = ?1 AND connected = 1",
                        room_sid, NULL, NULL, now, NULL, "room disconnect all");
    return rc;
}

int rg_store_room_complete(rg_store *st, const char *account_sid, const char *room_sid, int64_t now)
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
    sqlite3_stmt *s = NULL;
    int more = 0;
    int rc = rg_sql_prepare(st, "SELECT " ROOM_COLS " " DUE_WHERE " LIMIT ?3", &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, unit);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, now);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)limit + 1);
    if (rc == RG_OK)
        rc = rg_sql_page(st, s, read_room, out, sizeof *out, limit, count, &more, "room sweep");
    rg_sql_release(st, s);
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
        out[i].status = RG_ROOM_COMPLETED;
        out[i].end_time = out[i].date_updated = now;
    }
    rc = rg_sql_end(st, rc);
    if (rc != RG_OK) *count = 0;
    return rc;
}

/* fn runs after each batch's commit, with the store unlocked, so it may
 * call the store. */
int rg_store_room_sweep(rg_store *st, int64_t now, int unit_seconds,
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

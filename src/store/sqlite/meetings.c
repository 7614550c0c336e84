/* meetings.c - VideoSDK rooms on SQLite (see meetings.h).
 *
 * customRoomId reuse needs no transaction: the partial unique index on
 * (account_sid, custom_room_id) makes the insert itself the arbiter, and a
 * losing insert reads the winner's row. */
#include "store/meetings.h"

#include <string.h>

#include "core/errors.h"
#include "store/sqlite/sql.h"

/* Matches the room id first: a customRoomId that happens to look like
 * another room's id never shadows it. */
#define BY_KEY                                                                                     \
    "SELECT " RG_SQL_MEETING_COLS                                                                  \
    " FROM meetings WHERE account_sid = ?1 AND (room_id = ?2 OR custom_room_id = "                 \
    "?2) ORDER BY room_id = ?2 DESC LIMIT 1"

/* Columns in RG_SQL_MEETING_COLS order (store/cols.c). */
static int read_row(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_row(s, row, &rg_cols_meeting);
}

/* The lookup itself; the caller holds the lock. */
static int get_locked(rg_store *st, const char *account_sid, const char *key, rg_meeting *out)
{
    return rg_sql_get_locked(st, BY_KEY,
                             RG_ARGS(RG_ARG_SID(account_sid), RG_ARG_TEXT(key, RG_IDENTITY_MAX)),
                             read_row, out, "meeting get");
}

/* The account's room with this customRoomId, exactly (not by room id). */
static int get_custom_locked(rg_store *st, const rg_meeting *m, rg_meeting *out)
{
    return rg_sql_get_locked(
        st,
        "SELECT " RG_SQL_MEETING_COLS
        " FROM meetings WHERE account_sid = ?1 AND custom_room_id = ?2",
        RG_ARGS(RG_ARG_SID(m->account_sid), RG_ARG_TEXT(m->custom_room_id, RG_IDENTITY_MAX)),
        read_row, out, "meeting get custom");
}

static int insert_locked(rg_store *st, const rg_meeting *m)
{
    return rg_sql_insert_locked(
        st, "INSERT INTO meetings(" RG_SQL_MEETING_COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
        &rg_cols_meeting, m, "meeting insert");
}

int rg_sqlite_meeting_create(rg_store *st, rg_meeting *m, int *created)
{
    int rc;
    *created = 0;
    rg_sql_lock(st);
    rc = m->custom_room_id[0] != '\0' ? get_custom_locked(st, m, m) : RG_ENOTFOUND;
    if (rc == RG_ENOTFOUND) {
        rc = insert_locked(st, m);
        if (rc == RG_OK) *created = 1;
        /* Another connection took the customRoomId since the read. */
        else if (rc == RG_EEXIST && m->custom_room_id[0] != '\0' &&
                 get_custom_locked(st, m, m) == RG_OK)
            rc = RG_OK;
    }
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_meeting_get(rg_store *st, const char *account_sid, const char *key, rg_meeting *out)
{
    rg_sql_lock(st);
    int rc = get_locked(st, account_sid, key, out);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_meeting_any(rg_store *st, const char *account_sid, int *any)
{
    int64_t one = 0;
    rg_sql_lock(st);
    int rc = rg_sql_int(st, "SELECT EXISTS (SELECT 1 FROM meetings WHERE account_sid = ?1)",
                        account_sid, NULL, NULL, 0, &one, "meeting any");
    rg_sql_unlock(st);
    *any = rc == RG_OK && one != 0;
    return rc;
}

int rg_sqlite_meeting_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                           rg_meeting *out, size_t *count, int64_t *total)
{
    int more, rc;
    *count = 0;
    *total = 0;
    rg_sql_lock(st); /* the count and the page see the same rows */
    rc = rg_sql_int(st, "SELECT COUNT(*) FROM meetings WHERE account_sid = ?1", account_sid, NULL,
                    NULL, 0, total, "meeting count");
    if (rc == RG_OK)
        rc = rg_sql_list_locked(st,
                                "SELECT " RG_SQL_MEETING_COLS
                                " FROM meetings WHERE account_sid = ?1 "
                                "ORDER BY date_created DESC, rowid DESC LIMIT ?2 OFFSET ?3",
                                RG_ARGS(RG_ARG_SID(account_sid)), read_row, out, sizeof *out,
                                offset, limit, count, &more, "meeting list");
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_meeting_disable(rg_store *st, const char *account_sid, const char *key, int64_t now,
                              rg_meeting *out)
{
    int rc;
    rg_sql_lock(st);
    rc = get_locked(st, account_sid, key, out);
    if (rc == RG_OK && !out->disabled) {
        rc = rg_sql_run(st,
                        "UPDATE meetings SET disabled = 1, date_updated = ?4 "
                        "WHERE room_id = ?1 AND account_sid = ?2",
                        out->room_id, account_sid, NULL, now, NULL, "meeting disable");
        if (rc == RG_OK) out->disabled = 1, out->date_updated = now;
    }
    rg_sql_unlock(st);
    return rc;
}

/* meetings.c - VideoSDK rooms on SQLite (see meetings.h).
 *
 * customRoomId reuse needs no transaction: the partial unique index on
 * (account_sid, custom_room_id) makes the insert itself the arbiter, and a
 * losing insert reads the winner's row. */
#include "store/meetings.h"

#include <string.h>

#include "core/errors.h"
#include "store/sql.h"

#define COLS                                                                                       \
    "room_id, id, account_sid, custom_room_id, api_key, disabled, date_created, date_updated"

/* Matches the room id first: a customRoomId that happens to look like
 * another room's id never shadows it. */
#define BY_KEY                                                                                     \
    "SELECT " COLS " FROM meetings WHERE account_sid = ?1 AND (room_id = ?2 OR custom_room_id = "  \
    "?2) ORDER BY room_id = ?2 DESC LIMIT 1"

static int read_row(sqlite3_stmt *s, void *row)
{
    rg_meeting *m = row;
    int rc;
    memset(m, 0, sizeof *m);
    rc = rg_sql_col_text(s, 0, m->room_id, sizeof m->room_id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, m->id, sizeof m->id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, m->account_sid, sizeof m->account_sid);
    if (rc == RG_OK && sqlite3_column_type(s, 3) != SQLITE_NULL)
        rc = rg_sql_col_text(s, 3, m->custom_room_id, sizeof m->custom_room_id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 4, m->api_key, sizeof m->api_key);
    m->disabled = sqlite3_column_int(s, 5) != 0;
    m->date_created = (int64_t)sqlite3_column_int64(s, 6);
    m->date_updated = (int64_t)sqlite3_column_int64(s, 7);
    return rc;
}

/* The lookup itself; the caller holds the lock. */
static int get_locked(rg_store *st, const char *account_sid, const char *key, rg_meeting *out)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, BY_KEY, &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, key, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "meeting get");
    if (rc == RG_OK) rc = read_row(s, out);
    rg_sql_release(st, s);
    return rc;
}

/* The account's room with this customRoomId, exactly (not by room id). */
static int get_custom_locked(rg_store *st, const rg_meeting *m, rg_meeting *out)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(
        st, "SELECT " COLS " FROM meetings WHERE account_sid = ?1 AND custom_room_id = ?2", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, m->account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, m->custom_room_id, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "meeting get custom");
    if (rc == RG_OK) rc = read_row(s, out);
    rg_sql_release(st, s);
    return rc;
}

static int insert_locked(rg_store *st, const rg_meeting *m)
{
    sqlite3_stmt *s = NULL;
    int rc =
        rg_sql_prepare(st, "INSERT INTO meetings(" COLS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8)", &s);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 1, m->room_id, RG_ROOMID_LEN);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, m->id, RG_MEETING_OID_LEN);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 3, m->account_sid);
    if (rc == RG_OK && m->custom_room_id[0] != '\0')
        rc = rg_sql_bind_text(s, 4, m->custom_room_id, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 5, m->api_key);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 6, m->disabled != 0);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 7, m->date_created);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 8, m->date_updated);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "meeting insert");
    rg_sql_release(st, s);
    return rc;
}

int rg_store_meeting_create(rg_store *st, rg_meeting *m, int *created)
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

int rg_store_meeting_get(rg_store *st, const char *account_sid, const char *key, rg_meeting *out)
{
    rg_sql_lock(st);
    int rc = get_locked(st, account_sid, key, out);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_meeting_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                          rg_meeting *out, size_t *count, int64_t *total)
{
    sqlite3_stmt *s = NULL;
    int more, rc;
    *count = 0;
    *total = 0;
    rg_sql_lock(st);
    rc = rg_sql_int(st, "SELECT COUNT(*) FROM meetings WHERE account_sid = ?1", account_sid, NULL,
                    NULL, 0, total, "meeting count");
    if (rc == RG_OK)
        rc = rg_sql_prepare(st,
                            "SELECT " COLS " FROM meetings WHERE account_sid = ?1 "
                            "ORDER BY date_created DESC, rowid DESC LIMIT ?2 OFFSET ?3",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, (int64_t)limit + 1);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)offset);
    if (rc == RG_OK)
        rc = rg_sql_page(st, s, read_row, out, sizeof *out, limit, count, &more, "meeting list");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_meeting_disable(rg_store *st, const char *account_sid, const char *key, int64_t now,
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

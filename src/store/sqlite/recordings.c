/* recordings.c - recordings on SQLite (see recordings.h): rows and tombstones. */
#include "store/recordings.h"

#include <string.h>

#include "core/errors.h"
#include "store/sqlite/outbox_emit.h"
#include "store/sqlite/sql.h"

#define COLS                                                                                       \
    "sid, account_sid, size, content_type, duration, room_sid, consultation_id, "                  \
    "allowed_identities, allowed_roles, source, key_id, date_created, date_deleted"

static int read_row(sqlite3_stmt *s, void *row)
{
    rg_recording *r = row;
    size_t klen = 0;
    memset(r, 0, sizeof *r);
    int rc = rg_sql_col_text(s, 0, r->sid, sizeof r->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, r->account_sid, sizeof r->account_sid);
    r->size = (uint64_t)sqlite3_column_int64(s, 2);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, r->content_type, sizeof r->content_type);
    r->duration = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 4);
    if (rc == RG_OK) rc = rg_sql_col_text_opt(s, 5, r->room_sid, sizeof r->room_sid);
    if (rc == RG_OK) rc = rg_sql_col_text_opt(s, 6, r->consultation_id, sizeof r->consultation_id);
    if (rc == RG_OK)
        rc = rg_sql_col_text(s, 7, r->allowed_identities, sizeof r->allowed_identities);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 8, r->allowed_roles, sizeof r->allowed_roles);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 9, r->source, sizeof r->source);
    if (rc == RG_OK) rc = rg_sql_col_blob(s, 10, r->key_id, sizeof r->key_id, &klen);
    r->date_created = sqlite3_column_int64(s, 11);
    r->date_deleted = sqlite3_column_type(s, 12) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, 12);
    return rc;
}

int rg_sqlite_recording_insert(rg_store *st, const rg_recording *r)
{
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc != RG_OK) {
        rg_sql_unlock(st);
        return rc;
    }
    rc = rg_sql_put_locked(
        st,
        "INSERT INTO recordings(" COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
        "?12, NULL)",
        RG_ARGS(RG_ARG_SID(r->sid), RG_ARG_SID(r->account_sid), RG_ARG_INT(r->size),
                RG_ARG_TEXT(r->content_type, RG_CONTENT_TYPE_MAX),
                r->duration >= 0 ? RG_ARG_INT(r->duration) : RG_ARG_NULL,
                RG_ARG_OPT(r->room_sid, RG_SID_LEN),
                RG_ARG_OPT(r->consultation_id, RG_IDENTITY_MAX),
                RG_ARG_TEXT(r->allowed_identities, RG_ACL_JSON_MAX - 1),
                RG_ARG_TEXT(r->allowed_roles, RG_ACL_JSON_MAX - 1),
                RG_ARG_TEXT(r->source, sizeof r->source - 1),
                RG_ARG_BLOB(r->key_id, sizeof r->key_id), RG_ARG_INT(r->date_created)),
        NULL, "recording insert");
    /* its recording-completed status callback, in the same transaction */
    if (rc == RG_OK) rc = rg_outbox_recording_locked(st, r->sid, r->date_created);
    rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_recording_get(rg_store *st, const char *sid, rg_recording *out)
{
    return rg_sql_get(st, "SELECT " COLS " FROM recordings WHERE sid = ?1",
                      RG_ARGS(RG_ARG_SID(sid)), read_row, out, "recording get");
}

int rg_sqlite_recording_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                             rg_recording *out, size_t *count, int *more)
{
    return rg_sql_list(st,
                       "SELECT " COLS " FROM recordings WHERE account_sid = ?1 AND "
                       "date_deleted IS NULL ORDER BY date_created DESC, rowid DESC "
                       "LIMIT ?2 OFFSET ?3",
                       RG_ARGS(RG_ARG_SID(account_sid)), read_row, out, sizeof *out, offset, limit,
                       count, more, "recording list");
}

int rg_sqlite_recording_mark_deleted(rg_store *st, const char *sid, int64_t now)
{
    return rg_sql_put_one(st,
                          "UPDATE recordings SET date_deleted = ?2 WHERE sid = ?1 AND "
                          "date_deleted IS NULL",
                          RG_ARGS(RG_ARG_SID(sid), RG_ARG_INT(now)), "recording delete");
}

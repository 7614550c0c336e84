/* recordings.c - the recordings table on the shared plumbing of sql.h. */
#include "store/recordings.h"

#include <string.h>

#include "core/errors.h"
#include "store/sql.h"

#define COLS                                                                                       \
    "sid, account_sid, size, content_type, duration, room_sid, consultation_id, "                  \
    "allowed_identities, allowed_roles, source, key_id, date_created, date_deleted"

static int bind_opt(sqlite3_stmt *s, int i, const char *v, size_t max)
{
    return v[0] ? rg_sql_bind_text(s, i, v, max) : RG_OK; /* unbound = NULL */
}

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

int rg_store_recording_insert(rg_store *st, const rg_recording *r)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "INSERT INTO recordings(" COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                            "?8, ?9, ?10, ?11, ?12, NULL)",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, r->sid);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 2, r->account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)r->size);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 4, r->content_type, RG_CONTENT_TYPE_MAX);
    if (rc == RG_OK && r->duration >= 0) rc = rg_sql_bind_int64(s, 5, r->duration);
    if (rc == RG_OK) rc = bind_opt(s, 6, r->room_sid, RG_SID_LEN);
    if (rc == RG_OK) rc = bind_opt(s, 7, r->consultation_id, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 8, r->allowed_identities, RG_ACL_JSON_MAX - 1);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 9, r->allowed_roles, RG_ACL_JSON_MAX - 1);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 10, r->source, sizeof r->source - 1);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 11, r->key_id, sizeof r->key_id);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 12, r->date_created);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "recording insert");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_recording_get(rg_store *st, const char *sid, rg_recording *out)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st, "SELECT " COLS " FROM recordings WHERE sid = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, sid);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "recording get");
    if (rc == RG_OK) rc = read_row(s, out);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_recording_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                            rg_recording *out, size_t *count, int *more)
{
    sqlite3_stmt *s = NULL;
    *count = 0;
    *more = 0;
    if (limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX) return RG_EINVAL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "SELECT " COLS " FROM recordings WHERE account_sid = ?1 AND "
                            "date_deleted IS NULL ORDER BY date_created DESC, rowid DESC "
                            "LIMIT ?2 OFFSET ?3",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, (int64_t)limit + 1);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)offset);
    if (rc == RG_OK)
        rc = rg_sql_page(st, s, read_row, out, sizeof *out, limit, count, more, "recording list");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_recording_mark_deleted(rg_store *st, const char *sid, int64_t now)
{
    int changed = 0;
    rg_sql_lock(st);
    int rc = rg_sql_run(st,
                        "UPDATE recordings SET date_deleted = ?4 WHERE sid = ?1 AND "
                        "date_deleted IS NULL",
                        sid, NULL, NULL, now, &changed, "recording delete");
    rg_sql_unlock(st);
    return rc == RG_OK && !changed ? RG_ENOTFOUND : rc;
}

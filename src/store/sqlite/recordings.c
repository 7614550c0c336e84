/* recordings.c - recordings on SQLite (see recordings.h): rows and tombstones. */
#include "store/recordings.h"

#include <string.h>

#include "core/errors.h"
#include "store/outbox_emit.h"
#include "store/sqlite/sql.h"

/* Columns in RG_SQL_RECORDING_COLS order (store/cols.c). */
static int read_row(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_row(s, row, &rg_cols_recording);
}

int rg_sqlite_recording_insert(rg_store *st, const rg_recording *r)
{
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc != RG_OK) {
        rg_sql_unlock(st);
        return rc;
    }
    rc = rg_sql_insert_locked(st,
                              "INSERT INTO recordings(" RG_SQL_RECORDING_COLS
                              ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                              "?12, NULL)",
                              &rg_cols_recording, r, "recording insert");
    /* its recording-completed status callback, in the same transaction */
    if (rc == RG_OK) rc = rg_sqlite_outbox_emit.recording(st, r->sid, r->date_created);
    rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_recording_get(rg_store *st, const char *sid, rg_recording *out)
{
    return rg_sql_get(st, "SELECT " RG_SQL_RECORDING_COLS " FROM recordings WHERE sid = ?1",
                      RG_ARGS(RG_ARG_SID(sid)), read_row, out, "recording get");
}

int rg_sqlite_recording_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                             rg_recording *out, size_t *count, int *more)
{
    return rg_sql_list(st,
                       "SELECT " RG_SQL_RECORDING_COLS
                       " FROM recordings WHERE account_sid = ?1 AND "
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

/* consultations.c - consultations on SQLite (see consultations.h). */
#include "store/consultations.h"

#include <string.h>

#include "core/errors.h"
#include "store/sqlite/sql.h"

/* Columns in RG_SQL_CONSULTATION_COLS order (store/cols.c). */
static int read_row(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_row(s, row, &rg_cols_consultation);
}

int rg_sqlite_consultation_insert(rg_store *st, const rg_consultation *c)
{
    return rg_sql_insert(st,
                         "INSERT INTO consultations(" RG_SQL_CONSULTATION_COLS
                         ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                         &rg_cols_consultation, c, "consultation insert");
}

/* The caller holds the lock.  The consultation_id wins over a sid that
 * happens to be spelled the same. */
static int get_locked(rg_store *st, const char *account_sid, const char *id, rg_consultation *out)
{
    return rg_sql_get_locked(st,
                             "SELECT " RG_SQL_CONSULTATION_COLS
                             " FROM consultations WHERE account_sid = ?1 AND "
                             "(consultation_id = ?2 OR sid = ?2) "
                             "ORDER BY consultation_id = ?2 DESC LIMIT 1",
                             RG_ARGS(RG_ARG_SID(account_sid), RG_ARG_TEXT(id, RG_CONSULT_ID_MAX)),
                             read_row, out, "consultation get");
}

int rg_sqlite_consultation_get(rg_store *st, const char *account_sid, const char *id,
                               rg_consultation *out)
{
    rg_sql_lock(st);
    int rc = get_locked(st, account_sid, id, out);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_consultation_cancel(rg_store *st, const char *account_sid, const char *id,
                                  int64_t now, rg_consultation *out)
{
    int rc;
    rg_sql_lock(st);
    rc = get_locked(st, account_sid, id, out);
    if (rc == RG_OK && out->status != RG_CONSULT_STATUS_CANCELLED) {
        rc = rg_sql_run(st,
                        "UPDATE consultations SET status = 2, date_updated = ?4 "
                        "WHERE sid = ?1 AND account_sid = ?2",
                        out->sid, account_sid, NULL, now, NULL, "consultation cancel");
        if (rc == RG_OK) out->status = RG_CONSULT_STATUS_CANCELLED, out->date_updated = now;
    }
    rg_sql_unlock(st);
    return rc;
}

/* recordings.c - recordings on PostgreSQL (store/recordings.h), with the
 * SQLite back end's semantics (src/store/sqlite/recordings.c): rows and
 * tombstones; a new recording's status callback is recorded in the same
 * transaction. */
#include "store/recordings.h"

#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"
#include "store/outbox_emit.h"

/* Columns in RG_SQL_RECORDING_COLS order (store/cols.c). */
static int read_row(const PGresult *res, int i, void *row)
{
    return rg_pg_read_cols(res, i, row, &rg_cols_recording);
}

int rg_pgsql_recording_insert(rg_store *st, const rg_recording *r)
{
    if (r->size > (uint64_t)INT64_MAX) return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = rg_pg_insert_locked(st,
                                 "INSERT INTO recordings(" RG_SQL_RECORDING_COLS
                                 ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                                 "$12, NULL)",
                                 &rg_cols_recording, r, NULL);
        /* its recording-completed status callback, in the same transaction */
        if (rc == RG_OK) rc = rg_pgsql_outbox_emit.recording(st, r->sid, r->date_created);
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

int rg_pgsql_recording_get(rg_store *st, const char *sid, rg_recording *out)
{
    return rg_pg_get(st, "SELECT " RG_SQL_RECORDING_COLS " FROM recordings WHERE sid = $1",
                     RG_PG_ARGS(RG_PG_SID(sid)), read_row, out);
}

int rg_pgsql_recording_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                            rg_recording *out, size_t *count, int *more)
{
    return rg_pg_list(st,
                      "SELECT " RG_SQL_RECORDING_COLS " FROM recordings WHERE account_sid = $1 AND "
                      "date_deleted IS NULL ORDER BY date_created DESC, seq DESC "
                      "LIMIT $2 OFFSET $3",
                      RG_PG_ARGS(RG_PG_SID(account_sid)), read_row, out, sizeof *out, offset, limit,
                      count, more);
}

int rg_pgsql_recording_mark_deleted(rg_store *st, const char *sid, int64_t now)
{
    return rg_pg_put_one(st,
                         "UPDATE recordings SET date_deleted = $2 WHERE sid = $1 AND "
                         "date_deleted IS NULL",
                         RG_PG_ARGS(RG_PG_SID(sid), RG_PG_INT(now)));
}

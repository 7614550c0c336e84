/* consultations.c - consultations on PostgreSQL (store/consultations.h),
 * with the SQLite back end's semantics (src/store/sqlite/consultations.c);
 * closing a cancelled consultation's room is shared by every back end
 * (src/store/consultations.c). */
#include "store/consultations.h"

#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"

/* RG_SQL_CONSULTATION_COLS, every number as int8 (what rg_pg_int reads) */
#define SELECT_COLS                                                                                \
    "sid, account_sid, consultation_id, detail_id, client_identity, provider_identity, "           \
    "starts_at, ends_at, status::int8, date_created, date_updated"

/* Columns in RG_SQL_CONSULTATION_COLS order (store/cols.c). */
static int read_row(const PGresult *r, int i, void *row)
{
    return rg_pg_read_cols(r, i, row, &rg_cols_consultation);
}

int rg_pgsql_consultation_insert(rg_store *st, const rg_consultation *c)
{
    return rg_pg_insert(st,
                        "INSERT INTO consultations(" RG_SQL_CONSULTATION_COLS
                        ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                        &rg_cols_consultation, c, NULL);
}

/* The consultation_id wins over a sid that happens to be spelled the same. */
#define GET_SQL                                                                                    \
    "SELECT " SELECT_COLS " FROM consultations WHERE account_sid = $1 AND "                        \
    "(consultation_id = $2 OR sid = $2) ORDER BY consultation_id = $2 DESC LIMIT 1"

int rg_pgsql_consultation_get(rg_store *st, const char *account_sid, const char *id,
                              rg_consultation *out)
{
    return rg_pg_get(st, GET_SQL,
                     RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(id, RG_CONSULT_ID_MAX)),
                     read_row, out);
}

/* The row, read under its row lock (rg_pg_get_then), is cancelled unless
 * it is already: two nodes cancelling at once move date_updated once. */
static int cancel_locked(rg_store *st, void *row, void *now)
{
    rg_consultation *c = row;
    int64_t t = *(const int64_t *)now;
    if (c->status == RG_CONSULT_STATUS_CANCELLED) return RG_OK;
    int rc = rg_pg_put_locked(
        st, "UPDATE consultations SET status = 2, date_updated = $2 WHERE sid = $1",
        RG_PG_ARGS(RG_PG_SID(c->sid), RG_PG_INT(t)), NULL);
    if (rc == RG_OK) c->status = RG_CONSULT_STATUS_CANCELLED, c->date_updated = t;
    return rc;
}

int rg_pgsql_consultation_cancel(rg_store *st, const char *account_sid, const char *id, int64_t now,
                                 rg_consultation *out)
{
    return rg_pg_get_then(st, GET_SQL " FOR UPDATE",
                          RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(id, RG_CONSULT_ID_MAX)),
                          read_row, out, cancel_locked, &now);
}

/* consultations.c - consultations on PostgreSQL (store/consultations.h),
 * with the SQLite back end's semantics (src/store/sqlite/consultations.c);
 * closing a cancelled consultation's room is shared by every back end
 * (src/store/consultations.c). */
#include "store/consultations.h"

#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"

#define COLS                                                                                       \
    "sid, account_sid, consultation_id, detail_id, client_identity, provider_identity, "           \
    "starts_at, ends_at, status, date_created, date_updated"
/* the same, every number as int8 (what rg_pg_int reads) */
#define SELECT_COLS                                                                                \
    "sid, account_sid, consultation_id, detail_id, client_identity, provider_identity, "           \
    "starts_at, ends_at, status::int8, date_created, date_updated"

/* Columns in COLS order; a status this build does not know reads as
 * scheduled, as on SQLite. */
static int read_row(const PGresult *r, int i, void *row)
{
    rg_consultation *c = row;
    int64_t status = 0;
    memset(c, 0, sizeof *c);
    int rc = rg_pg_text(r, i, 0, c->sid, sizeof c->sid);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 1, c->account_sid, sizeof c->account_sid);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 2, c->consultation_id, sizeof c->consultation_id);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 3, c->detail_id, sizeof c->detail_id);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 4, c->client_identity, sizeof c->client_identity);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 5, c->provider_identity, sizeof c->provider_identity);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 6, &c->starts_at);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 7, &c->ends_at);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 8, &status);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 9, &c->date_created);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 10, &c->date_updated);
    c->status =
        status == RG_CONSULT_STATUS_CANCELLED ? RG_CONSULT_STATUS_CANCELLED : RG_CONSULT_SCHEDULED;
    return rc;
}

int rg_pgsql_consultation_insert(rg_store *st, const rg_consultation *c)
{
    return rg_pg_put(
        st,
        "INSERT INTO consultations(" COLS ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, "
        "$10, $11)",
        RG_PG_ARGS(RG_PG_SID(c->sid), RG_PG_SID(c->account_sid),
                   RG_PG_TEXT(c->consultation_id, RG_CONSULT_ID_MAX),
                   RG_PG_TEXT(c->detail_id, RG_CONSULT_ID_MAX),
                   RG_PG_TEXT(c->client_identity, RG_IDENTITY_MAX),
                   RG_PG_TEXT(c->provider_identity, RG_IDENTITY_MAX), RG_PG_INT(c->starts_at),
                   RG_PG_INT(c->ends_at), RG_PG_INT(c->status), RG_PG_INT(c->date_created),
                   RG_PG_INT(c->date_updated)),
        NULL);
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

/* The row is read under its row lock and updated while still scheduled,
 * so two nodes cancelling at once move date_updated once. */
int rg_pgsql_consultation_cancel(rg_store *st, const char *account_sid, const char *id, int64_t now,
                                 rg_consultation *out)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = rg_pg_get_locked(st, GET_SQL " FOR UPDATE",
                              RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_TEXT(id, RG_CONSULT_ID_MAX)),
                              read_row, out);
        if (rc == RG_OK && out->status != RG_CONSULT_STATUS_CANCELLED) {
            rc = rg_pg_put_locked(st,
                                  "UPDATE consultations SET status = 2, date_updated = $2 "
                                  "WHERE sid = $1",
                                  RG_PG_ARGS(RG_PG_SID(out->sid), RG_PG_INT(now)), NULL);
            if (rc == RG_OK) out->status = RG_CONSULT_STATUS_CANCELLED, out->date_updated = now;
        }
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

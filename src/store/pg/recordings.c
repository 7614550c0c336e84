/* recordings.c - recordings on PostgreSQL (store/recordings.h), with the
 * SQLite back end's semantics (src/store/sqlite/recordings.c): rows and
 * tombstones; a new recording's status callback is recorded in the same
 * transaction. */
#include "store/recordings.h"

#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"
#include "store/pg/outbox_emit.h"

#define COLS                                                                                       \
    "sid, account_sid, size, content_type, duration, room_sid, consultation_id, "                  \
    "allowed_identities, allowed_roles, source, key_id, date_created, date_deleted"

static int read_row(const PGresult *res, int i, void *row)
{
    rg_recording *r = row;
    int64_t size = 0;
    memset(r, 0, sizeof *r);
    int rc = rg_pg_text(res, i, 0, r->sid, sizeof r->sid);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 1, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_pg_int(res, i, 2, &size);
    r->size = (uint64_t)size;
    if (rc == RG_OK) rc = rg_pg_text(res, i, 3, r->content_type, sizeof r->content_type);
    r->duration = -1;
    if (rc == RG_OK && !PQgetisnull(res, i, 4)) rc = rg_pg_int(res, i, 4, &r->duration);
    if (rc == RG_OK) rc = rg_pg_text_opt(res, i, 5, r->room_sid, sizeof r->room_sid);
    if (rc == RG_OK) rc = rg_pg_text_opt(res, i, 6, r->consultation_id, sizeof r->consultation_id);
    if (rc == RG_OK)
        rc = rg_pg_text(res, i, 7, r->allowed_identities, sizeof r->allowed_identities);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 8, r->allowed_roles, sizeof r->allowed_roles);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 9, r->source, sizeof r->source);
    if (rc == RG_OK) rc = rg_pg_hash(res, i, 10, r->key_id, sizeof r->key_id);
    if (rc == RG_OK) rc = rg_pg_int(res, i, 11, &r->date_created);
    if (rc == RG_OK && !PQgetisnull(res, i, 12)) rc = rg_pg_int(res, i, 12, &r->date_deleted);
    return rc;
}

int rg_pgsql_recording_insert(rg_store *st, const rg_recording *r)
{
    if (r->size > (uint64_t)INT64_MAX) return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = rg_pg_put_locked(
            st,
            "INSERT INTO recordings(" COLS ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
            "$12, NULL)",
            RG_PG_ARGS(RG_PG_SID(r->sid), RG_PG_SID(r->account_sid), RG_PG_INT(r->size),
                       RG_PG_TEXT(r->content_type, RG_CONTENT_TYPE_MAX),
                       r->duration >= 0 ? RG_PG_INT(r->duration) : RG_PG_NULL,
                       RG_PG_OPT(r->room_sid, RG_SID_LEN),
                       RG_PG_OPT(r->consultation_id, RG_IDENTITY_MAX),
                       RG_PG_TEXT(r->allowed_identities, RG_ACL_JSON_MAX - 1),
                       RG_PG_TEXT(r->allowed_roles, RG_ACL_JSON_MAX - 1),
                       RG_PG_TEXT(r->source, sizeof r->source - 1),
                       RG_PG_BLOB(r->key_id, sizeof r->key_id), RG_PG_INT(r->date_created)),
            NULL);
        /* its recording-completed status callback, in the same transaction */
        if (rc == RG_OK) rc = rg_pg_outbox_recording_locked(st, r->sid, r->date_created);
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

int rg_pgsql_recording_get(rg_store *st, const char *sid, rg_recording *out)
{
    return rg_pg_get(st, "SELECT " COLS " FROM recordings WHERE sid = $1",
                     RG_PG_ARGS(RG_PG_SID(sid)), read_row, out);
}

int rg_pgsql_recording_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                            rg_recording *out, size_t *count, int *more)
{
    return rg_pg_list(st,
                      "SELECT " COLS " FROM recordings WHERE account_sid = $1 AND "
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

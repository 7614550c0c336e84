/* revocations.c - token revocations on PostgreSQL (store/rooms.h), with
 * the SQLite back end's semantics (src/store/sqlite/participants.c): a
 * revocation names the room by SID and records its unique name, and
 * lookups match either. */
#include "store/rooms.h"

#include <string.h>

#include "core/errors.h"
#include "store/pg/call.h"
#include "store/pg/revoke.h"

static int identity_ok(const char *identity)
{
    return identity && identity[0] && strnlen(identity, RG_IDENTITY_MAX + 1) <= RG_IDENTITY_MAX;
}

/* Upsert: a later kick moves the cut-off forward, never back.  The room's
 * account and name come from the room row, so nothing can disagree. */
int rg_pg_revoke_locked(rg_store *st, const char *room_sid, const char *identity,
                        const char *account_sid, int64_t before, int64_t *rows)
{
    return rg_pg_put_locked(
        st,
        "INSERT INTO revocations(account_sid, room_sid, room_name, identity, revoked_before) "
        "SELECT account_sid, sid, unique_name, $2, $4 FROM rooms WHERE sid = $1 AND "
        "($3 = '' OR account_sid = $3) ON CONFLICT (account_sid, room_sid, identity) DO "
        "UPDATE SET revoked_before = GREATEST(revocations.revoked_before, "
        "excluded.revoked_before)",
        RG_PG_ARGS(RG_PG_TEXT(room_sid, RG_IDENTITY_MAX), RG_PG_TEXT(identity, RG_IDENTITY_MAX),
                   RG_PG_TEXT(account_sid ? account_sid : "", RG_SID_LEN), RG_PG_INT(before)),
        rows);
}

int rg_pgsql_revocation_add(rg_store *st, const char *account_sid, const char *room_sid,
                            const char *identity, int64_t before)
{
    int64_t rows = 0;
    if (!account_sid || !account_sid[0] || !room_sid || !identity_ok(identity)) return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_revoke_locked(st, room_sid, identity, account_sid, before, &rows);
    rg_pg_unlock(st, t0, 1);
    return rc == RG_OK && rows == 0 ? RG_ENOTFOUND : rc;
}

static int read_one(const PGresult *r, int i, void *out)
{
    (void)r;
    (void)i;
    (void)out;
    return RG_OK;
}

int rg_pgsql_revoked(rg_store *st, const char *account_sid, const char *room_sid,
                     const char *identity, int64_t iat)
{
    if (!account_sid || !room_sid || !identity) return RG_EINVAL;
    int rc = rg_pg_get(st,
                       "SELECT 1 FROM revocations WHERE account_sid = $1 AND "
                       "(room_sid = $2 OR room_name = $2) AND identity = $3 AND "
                       "revoked_before >= $4 LIMIT 1",
                       RG_PG_ARGS(RG_PG_TEXT(account_sid, RG_SID_LEN),
                                  RG_PG_TEXT(room_sid, RG_IDENTITY_MAX),
                                  RG_PG_TEXT(identity, RG_IDENTITY_MAX), RG_PG_INT(iat)),
                       read_one, NULL);
    return rc == RG_OK ? 1 : rc == RG_ENOTFOUND ? 0 : rc;
}

static int read_revocation(const PGresult *r, int i, void *row)
{
    return rg_pg_read_cols(r, i, row, &rg_cols_revocation);
}

RG_STORE_VISITOR(visit_revocation, rg_revocation)

int rg_pgsql_revocation_each(rg_store *st, int (*fn)(void *ud, const rg_revocation *r), void *ud)
{
    rg_revocation r;
    visit_revocation_visit v = {fn, ud};
    return rg_pg_each(st,
                      "SELECT account_sid, room_sid, room_name, identity, revoked_before "
                      "FROM revocations",
                      NULL, 0, read_revocation, &r, visit_revocation, &v);
}

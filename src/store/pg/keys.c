/* keys.c - accounts and API keys on PostgreSQL (store.h), with the SQLite
 * back end's semantics (src/store/sqlite/keys.c): values too long for the
 * row structs are refused on the way in (RG_EINVAL) and are an RG_EIO on
 * the way out; keys list newest first, the later insertion first on a tie.
 * Every statement is a constant text with $n parameters. */
#include "store/pg/call.h"

#include <string.h>

#include "core/errors.h"

#define KEY_SELECT RG_SQL_KEY_COLS ", seq"

/* Columns in RG_SQL_ACCOUNT_COLS order (store/cols.c). */
static int read_account(const PGresult *r, int i, void *out)
{
    return rg_pg_read_cols(r, i, out, &rg_cols_account);
}

static int read_key(const PGresult *r, int i, void *out)
{
    rg_key_row *k = out;
    char type[16];
    memset(k, 0, sizeof *k);
    int rc = rg_pg_text(r, i, 0, k->sid, sizeof k->sid);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 1, k->account_sid, sizeof k->account_sid);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 2, k->friendly_name, sizeof k->friendly_name);
    if (rc == RG_OK) rc = rg_pg_blob(r, i, 3, k->sealed, sizeof k->sealed, &k->sealed_len);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 4, &k->date_created);
    if (rc == RG_OK) rc = rg_pg_int(r, i, 5, &k->date_updated);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 6, type, sizeof type);
    int t = rc == RG_OK ? rg_key_type_parse(type) : -1;
    if (rc == RG_OK && t < 0) rc = RG_EIO;
    k->key_type = t == RG_KEY_MAIN ? RG_KEY_MAIN : RG_KEY_STANDARD;
    if (rc == RG_OK) rc = rg_pg_int(r, i, 7, &k->seq);
    return rc;
}

/* ---- accounts ---- */

int rg_pgsql_account_insert(rg_store *st, const rg_account *a)
{
    if (a->token_sealed_len > sizeof a->token_sealed) return RG_EINVAL;
    return rg_pg_insert(st,
                        "INSERT INTO accounts(" RG_SQL_ACCOUNT_COLS
                        ", token_sealed) VALUES($1, $2, $3, $4, $5)",
                        &rg_cols_account, a, NULL);
}

int rg_pgsql_account_get(rg_store *st, const char *sid, rg_account *out)
{
    return rg_pg_get(st, "SELECT " RG_SQL_ACCOUNT_COLS " FROM accounts WHERE sid = $1",
                     RG_PG_ARGS(RG_PG_SID(sid)), read_account, out);
}

RG_STORE_VISITOR(visit_account, rg_account)

int rg_pgsql_account_each(rg_store *st, int (*fn)(void *ud, const rg_account *a), void *ud)
{
    rg_account a;
    visit_account_visit v = {fn, ud};
    return rg_pg_each(st, "SELECT " RG_SQL_ACCOUNT_COLS " FROM accounts ORDER BY sid", NULL, 0,
                      read_account, &a, visit_account, &v);
}

/* ---- API keys ---- */

int rg_pgsql_key_insert(rg_store *st, const rg_key_row *k)
{
    if (k->sealed_len > sizeof k->sealed) return RG_EINVAL;
    return rg_pg_insert(
        st, "INSERT INTO api_keys(" RG_SQL_KEY_COLS ") VALUES($1, $2, $3, $4, $5, $6, $7)",
        &rg_cols_key, k, NULL);
}

int rg_pgsql_key_get(rg_store *st, const char *sid, rg_key_row *out)
{
    return rg_pg_get(st, "SELECT " KEY_SELECT " FROM api_keys WHERE sid = $1",
                     RG_PG_ARGS(RG_PG_SID(sid)), read_key, out);
}

int rg_pgsql_key_newest(rg_store *st, const char *account_sid, rg_key_row *out)
{
    return rg_pg_get(st,
                     "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = $1 "
                     "ORDER BY date_created DESC, seq DESC LIMIT 1",
                     RG_PG_ARGS(RG_PG_SID(account_sid)), read_key, out);
}

int rg_pgsql_key_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                      rg_key_row *out, size_t *count, int *more)
{
    return rg_pg_list(st,
                      "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = $1 "
                      "ORDER BY date_created DESC, seq DESC LIMIT $2 OFFSET $3",
                      RG_PG_ARGS(RG_PG_SID(account_sid)), read_key, out, sizeof *out, offset, limit,
                      count, more);
}

int rg_pgsql_key_rename(rg_store *st, const char *sid, const char *name, int64_t now)
{
    return rg_pg_put_one(st,
                         "UPDATE api_keys SET friendly_name = $2, date_updated = $3 WHERE sid = $1",
                         RG_PG_ARGS(RG_PG_SID(sid), RG_PG_TEXT(name, RG_NAME_MAX), RG_PG_INT(now)));
}

int rg_pgsql_key_delete(rg_store *st, const char *sid)
{
    return rg_pg_put_one(st, "DELETE FROM api_keys WHERE sid = $1", RG_PG_ARGS(RG_PG_SID(sid)));
}

RG_STORE_VISITOR(visit_key, rg_key_row)

int rg_pgsql_key_each(rg_store *st, int (*fn)(void *ud, const rg_key_row *k), void *ud)
{
    rg_key_row k;
    visit_key_visit v = {fn, ud};
    return rg_pg_each(st, "SELECT " KEY_SELECT " FROM api_keys ORDER BY sid", NULL, 0, read_key, &k,
                      visit_key, &v);
}

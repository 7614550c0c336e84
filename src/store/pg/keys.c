/* keys.c - accounts and API keys on PostgreSQL (store.h), with the SQLite
 * back end's semantics (src/store/sqlite/keys.c): values too long for the
 * row structs are refused on the way in (RG_EINVAL) and are an RG_EIO on
 * the way out; keys list newest first, the later insertion first on a tie.
 * Every statement is a constant text with $n parameters. */
#include "store/pg/pg.h"

#include <string.h>

#include "core/errors.h"

#define ACCOUNT_COLS "sid, friendly_name, token_hash, date_created"
#define KEY_COLS                                                                                   \
    "sid, account_sid, friendly_name, secret_sealed, date_created, date_updated, key_type"
#define KEY_SELECT KEY_COLS ", seq"

typedef int (*reader)(const PGresult *r, int row, void *out);

static int read_account(const PGresult *r, int i, void *out)
{
    rg_account *a = out;
    size_t len = 0;
    memset(a, 0, sizeof *a);
    int rc = rg_pg_text(r, i, 0, a->sid, sizeof a->sid);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 1, a->friendly_name, sizeof a->friendly_name);
    if (rc == RG_OK) rc = rg_pg_blob(r, i, 2, a->token_hash, sizeof a->token_hash, &len);
    if (rc == RG_OK && len != sizeof a->token_hash) rc = RG_EIO;
    if (rc == RG_OK) rc = rg_pg_int(r, i, 3, &a->date_created);
    return rc;
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

/* ---- the shapes of a call: one row, a page, every row, a write ---- */

static int get(rg_store *st, const char *sql, const rg_pg_arg *args, int n, reader read, void *out)
{
    PGresult *r;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_query(st, sql, args, n, &r);
    if (rc == RG_OK) {
        rc = PQntuples(r) == 0 ? RG_ENOTFOUND : read(r, 0, out);
        PQclear(r);
    }
    rg_pg_unlock(st, t0, 0);
    return rc;
}

/* sql ends in "LIMIT $k OFFSET $k+1" after the n args: one row more than
 * asked only says whether there are more. */
static int list(rg_store *st, const char *sql, const rg_pg_arg *args, int n, reader read, void *out,
                size_t size, size_t offset, size_t limit, size_t *count, int *more)
{
    rg_pg_arg all[8];
    PGresult *r;
    *count = 0;
    *more = 0;
    if (n > 6 || limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX ||
        (limit > 0 && !out))
        return RG_EINVAL;
    memcpy(all, args, (size_t)n * sizeof *args);
    all[n] = RG_PG_INT(limit + 1);
    all[n + 1] = RG_PG_INT(offset);
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_query(st, sql, all, n + 2, &r);
    if (rc == RG_OK) {
        size_t rows = (size_t)PQntuples(r);
        for (size_t i = 0; rc == RG_OK && i < rows && i < limit; i++)
            if ((rc = read(r, (int)i, (char *)out + i * size)) == RG_OK) *count = i + 1;
        *more = rc == RG_OK && rows > limit;
        PQclear(r);
    }
    rg_pg_unlock(st, t0, 0);
    return rc;
}

/* fn runs with the store locked: it must not call back into st. */
static int each(rg_store *st, const char *sql, reader read, void *row,
                int (*visit)(void *ud, const void *row), void *ud)
{
    PGresult *r;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_query(st, sql, NULL, 0, &r);
    if (rc == RG_OK) {
        for (int i = 0, rows = PQntuples(r); rc == RG_OK && i < rows; i++)
            if ((rc = read(r, i, row)) == RG_OK) rc = visit(ud, row);
        PQclear(r);
    }
    rg_pg_unlock(st, t0, 0);
    return rc;
}

/* one_row: a write that touched no row is RG_ENOTFOUND */
static int put(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int one_row)
{
    int64_t rows = 0;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_write(st, sql, args, n, &rows);
    rg_pg_unlock(st, t0, 1);
    return rc == RG_OK && one_row && rows == 0 ? RG_ENOTFOUND : rc;
}

/* ---- accounts ---- */

int rg_pgsql_account_insert(rg_store *st, const rg_account *a)
{
    if (a->token_sealed_len > sizeof a->token_sealed) return RG_EINVAL;
    return put(
        st, "INSERT INTO accounts(" ACCOUNT_COLS ", token_sealed) VALUES($1, $2, $3, $4, $5)",
        RG_PG_ARGS(RG_PG_SID(a->sid), RG_PG_TEXT(a->friendly_name, RG_NAME_MAX),
                   RG_PG_BLOB(a->token_hash, sizeof a->token_hash), RG_PG_INT(a->date_created),
                   a->token_sealed_len ? RG_PG_BLOB(a->token_sealed, a->token_sealed_len)
                                       : RG_PG_NULL),
        0);
}

int rg_pgsql_account_get(rg_store *st, const char *sid, rg_account *out)
{
    return get(st, "SELECT " ACCOUNT_COLS " FROM accounts WHERE sid = $1",
               RG_PG_ARGS(RG_PG_SID(sid)), read_account, out);
}

typedef struct {
    int (*fn)(void *ud, const rg_account *a);
    void *ud;
} account_visit;

static int visit_account(void *ud, const void *row)
{
    account_visit *v = ud;
    return v->fn(v->ud, row);
}

int rg_pgsql_account_each(rg_store *st, int (*fn)(void *ud, const rg_account *a), void *ud)
{
    rg_account a;
    account_visit v = {fn, ud};
    return each(st, "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY sid", read_account, &a,
                visit_account, &v);
}

/* ---- API keys ---- */

int rg_pgsql_key_insert(rg_store *st, const rg_key_row *k)
{
    if (k->sealed_len > sizeof k->sealed) return RG_EINVAL;
    return put(st, "INSERT INTO api_keys(" KEY_COLS ") VALUES($1, $2, $3, $4, $5, $6, $7)",
               RG_PG_ARGS(RG_PG_SID(k->sid), RG_PG_SID(k->account_sid),
                          RG_PG_TEXT(k->friendly_name, RG_NAME_MAX),
                          RG_PG_BLOB(k->sealed, k->sealed_len), RG_PG_INT(k->date_created),
                          RG_PG_INT(k->date_updated),
                          RG_PG_TEXT(rg_key_type_name(k->key_type), 16)),
               0);
}

int rg_pgsql_key_get(rg_store *st, const char *sid, rg_key_row *out)
{
    return get(st, "SELECT " KEY_SELECT " FROM api_keys WHERE sid = $1", RG_PG_ARGS(RG_PG_SID(sid)),
               read_key, out);
}

int rg_pgsql_key_newest(rg_store *st, const char *account_sid, rg_key_row *out)
{
    return get(st,
               "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = $1 "
               "ORDER BY date_created DESC, seq DESC LIMIT 1",
               RG_PG_ARGS(RG_PG_SID(account_sid)), read_key, out);
}

int rg_pgsql_key_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                      rg_key_row *out, size_t *count, int *more)
{
    return list(st,
                "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = $1 "
                "ORDER BY date_created DESC, seq DESC LIMIT $2 OFFSET $3",
                RG_PG_ARGS(RG_PG_SID(account_sid)), read_key, out, sizeof *out, offset, limit,
                count, more);
}

int rg_pgsql_key_rename(rg_store *st, const char *sid, const char *name, int64_t now)
{
    return put(st, "UPDATE api_keys SET friendly_name = $2, date_updated = $3 WHERE sid = $1",
               RG_PG_ARGS(RG_PG_SID(sid), RG_PG_TEXT(name, RG_NAME_MAX), RG_PG_INT(now)), 1);
}

int rg_pgsql_key_delete(rg_store *st, const char *sid)
{
    return put(st, "DELETE FROM api_keys WHERE sid = $1", RG_PG_ARGS(RG_PG_SID(sid)), 1);
}

typedef struct {
    int (*fn)(void *ud, const rg_key_row *k);
    void *ud;
} key_visit;

static int visit_key(void *ud, const void *row)
{
    key_visit *v = ud;
    return v->fn(v->ud, row);
}

int rg_pgsql_key_each(rg_store *st, int (*fn)(void *ud, const rg_key_row *k), void *ud)
{
    rg_key_row k;
    key_visit v = {fn, ud};
    return each(st, "SELECT " KEY_SELECT " FROM api_keys ORDER BY sid", read_key, &k, visit_key,
                &v);
}

/* keys.c - accounts and API keys on SQLite.
 *
 * Every query is a constant string fed through bind calls (sql.h); user
 * data never becomes SQL text.  Each constant text is prepared once per
 * connection and its statement kept for the next call (sql.c's statement
 * cache): parsing costs more than running most of these queries.
 *
 * Lengths are checked both ways: on the way in a value that would not fit
 * the row structs is refused (RG_EINVAL), on the way out a stored value that
 * does not fit (an edited or corrupt file) is an RG_EIO, never a silent
 * truncation. */
#include "store/store.h"

#include <string.h>

#include <sqlite3.h>

#include "core/errors.h"
#include "store/sqlite/sql.h"

/* rowid orders keys created within the same second by insertion. */
#define KEY_SELECT RG_SQL_KEY_COLS ", rowid"

/* Columns in RG_SQL_ACCOUNT_COLS order (store/cols.c). */
static int read_account(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_row(s, row, &rg_cols_account);
}

/* Columns in KEY_SELECT order. */
static int read_key(sqlite3_stmt *s, void *row)
{
    rg_key_row *k = row;
    memset(k, 0, sizeof *k);
    int rc = rg_sql_col_text(s, 0, k->sid, sizeof k->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, k->account_sid, sizeof k->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, k->friendly_name, sizeof k->friendly_name);
    if (rc == RG_OK) rc = rg_sql_col_blob(s, 3, k->sealed, sizeof k->sealed, &k->sealed_len);
    k->date_created = (int64_t)sqlite3_column_int64(s, 4);
    k->date_updated = (int64_t)sqlite3_column_int64(s, 5);
    const char *type = (const char *)sqlite3_column_text(s, 6);
    int t = type ? rg_key_type_parse(type) : -1;
    if (rc == RG_OK && t < 0) rc = RG_EIO;
    k->key_type = t == RG_KEY_MAIN ? RG_KEY_MAIN : RG_KEY_STANDARD;
    k->seq = (int64_t)sqlite3_column_int64(s, 7);
    return rc;
}

/* ---- accounts ---- */

int rg_sqlite_account_insert(rg_store *st, const rg_account *a)
{
    return rg_sql_insert(st,
                         "INSERT INTO accounts(" RG_SQL_ACCOUNT_COLS
                         ", token_sealed) VALUES(?1, ?2, ?3, ?4, ?5)",
                         &rg_cols_account, a, "account insert");
}

int rg_sqlite_account_get(rg_store *st, const char *sid, rg_account *out)
{
    return rg_sql_get(st, "SELECT " RG_SQL_ACCOUNT_COLS " FROM accounts WHERE sid = ?1",
                      RG_ARGS(RG_ARG_SID(sid)), read_account, out, "account get");
}

RG_STORE_VISITOR(visit_account, rg_account)

/* fn runs with the store locked: it must not call back into st. */
int rg_sqlite_account_each(rg_store *st, int (*fn)(void *ud, const rg_account *a), void *ud)
{
    rg_account a;
    visit_account_visit v = {fn, ud};
    return rg_sql_each(st, "SELECT " RG_SQL_ACCOUNT_COLS " FROM accounts ORDER BY sid", NULL, 0,
                       read_account, &a, visit_account, &v, "account each");
}

/* ---- API keys ---- */

int rg_sqlite_key_insert(rg_store *st, const rg_key_row *k)
{
    if (k->sealed_len > sizeof k->sealed) return RG_EINVAL;
    return rg_sql_insert(
        st, "INSERT INTO api_keys(" RG_SQL_KEY_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &rg_cols_key, k, "key insert");
}

int rg_sqlite_key_get(rg_store *st, const char *sid, rg_key_row *out)
{
    return rg_sql_get(st, "SELECT " KEY_SELECT " FROM api_keys WHERE sid = ?1",
                      RG_ARGS(RG_ARG_SID(sid)), read_key, out, "key get");
}

int rg_sqlite_key_newest(rg_store *st, const char *account_sid, rg_key_row *out)
{
    return rg_sql_get(st,
                      "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = ?1 "
                      "ORDER BY date_created DESC, rowid DESC LIMIT 1",
                      RG_ARGS(RG_ARG_SID(account_sid)), read_key, out, "key get");
}

int rg_sqlite_key_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                       rg_key_row *out, size_t *count, int *more)
{
    return rg_sql_list(st,
                       "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = ?1 "
                       "ORDER BY date_created DESC, rowid DESC LIMIT ?2 OFFSET ?3",
                       RG_ARGS(RG_ARG_SID(account_sid)), read_key, out, sizeof *out, offset, limit,
                       count, more, "key list");
}

int rg_sqlite_key_rename(rg_store *st, const char *sid, const char *name, int64_t now)
{
    return rg_sql_put_one(
        st, "UPDATE api_keys SET friendly_name = ?2, date_updated = ?3 WHERE sid = ?1",
        RG_ARGS(RG_ARG_SID(sid), RG_ARG_TEXT(name, RG_NAME_MAX), RG_ARG_INT(now)), "key rename");
}

int rg_sqlite_key_delete(rg_store *st, const char *sid)
{
    return rg_sql_put_one(st, "DELETE FROM api_keys WHERE sid = ?1", RG_ARGS(RG_ARG_SID(sid)),
                          "key delete");
}

RG_STORE_VISITOR(visit_key, rg_key_row)

/* fn runs with the store locked: it must not call back into st. */
int rg_sqlite_key_each(rg_store *st, int (*fn)(void *ud, const rg_key_row *k), void *ud)
{
    rg_key_row k;
    visit_key_visit v = {fn, ud};
    return rg_sql_each(st, "SELECT " KEY_SELECT " FROM api_keys ORDER BY sid", NULL, 0, read_key,
                       &k, visit_key, &v, "key each");
}

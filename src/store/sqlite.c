/* sqlite.c - rg_store on SQLite: one connection and one mutex per handle.
 *
 * Every query is a constant string prepared with sqlite3_prepare_v2 and fed
 * through bind calls; user data never becomes SQL text.  Statements are
 * prepared per call: the store is off the hot path (the key cache serves
 * requests), so simplicity wins over statement caching.
 *
 * Lengths are checked both ways: on the way in a value that would not fit
 * the row structs is refused (RG_EINVAL), on the way out a stored value that
 * does not fit (an edited or corrupt file) is an RG_EIO, never a silent
 * truncation. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/errors.h"
#include "store/migrate.h"
#include "store/sql.h"

#define BUSY_TIMEOUT_MS 5000
#define TOKEN_HASH_LEN 32

#define KEY_COLS "sid, account_sid, friendly_name, secret_sealed, date_created, date_updated"
/* rowid orders keys created within the same second by insertion. */
#define KEY_SELECT KEY_COLS ", rowid"
#define ACCOUNT_COLS "sid, friendly_name, token_hash, date_created"

/* Columns in ACCOUNT_COLS order. */
static int read_account(sqlite3_stmt *s, rg_account *a)
{
    memset(a, 0, sizeof *a);
    size_t hlen = 0;
    int rc = rg_sql_col_text(s, 0, a->sid, sizeof a->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, a->friendly_name, sizeof a->friendly_name);
    if (rc == RG_OK) rc = rg_sql_col_blob(s, 2, a->token_hash, sizeof a->token_hash, &hlen);
    if (rc == RG_OK && hlen != TOKEN_HASH_LEN) rc = RG_EIO;
    a->date_created = (int64_t)sqlite3_column_int64(s, 3);
    return rc;
}

/* Columns in KEY_SELECT order. */
static int read_key(sqlite3_stmt *s, rg_key_row *k)
{
    memset(k, 0, sizeof *k);
    int rc = rg_sql_col_text(s, 0, k->sid, sizeof k->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, k->account_sid, sizeof k->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, k->friendly_name, sizeof k->friendly_name);
    if (rc == RG_OK) rc = rg_sql_col_blob(s, 3, k->sealed, sizeof k->sealed, &k->sealed_len);
    k->date_created = (int64_t)sqlite3_column_int64(s, 4);
    k->date_updated = (int64_t)sqlite3_column_int64(s, 5);
    k->seq = (int64_t)sqlite3_column_int64(s, 6);
    return rc;
}

/* ---- open / close ---- */

/* SQLite creates files 0644 (less the umask); the database holds token
 * hashes and sealed secrets, so create it ourselves first, private.  The WAL
 * and shared-memory files inherit the database file's mode.  An existing
 * file is left as it is. */
static int precreate_private(const char *path)
{
    if (strcmp(path, ":memory:") == 0 || path[0] == '\0') return RG_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return errno == EEXIST ? RG_OK : RG_EIO;
    int rc = fchmod(fd, 0600) == 0 ? RG_OK : RG_EIO; /* exactly 0600 whatever the umask */
    close(fd);
    return rc;
}

/* journal_mode answers with the mode in force; a filesystem without shared
 * memory support would silently stay in rollback mode. */
static int set_wal(rg_store *st)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, "PRAGMA journal_mode=WAL", &s);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "journal_mode");
    if (rc == RG_OK) {
        const char *mode = (const char *)sqlite3_column_text(s, 0);
        if (!mode || (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)) {
            fprintf(stderr, "roomgate: store: cannot enable WAL (mode %s)\n", mode ? mode : "?");
            rc = RG_EIO;
        }
    }
    rg_sql_release(st, s);
    return rc == RG_ENOTFOUND ? RG_EIO : rc;
}

/* secure_delete makes SQLite overwrite deleted rows, so a deleted key's
 * sealed secret does not linger in free pages of the file. */
static int configure(rg_store *st)
{
    sqlite3_extended_result_codes(st->db, 1);
    if (sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK) return RG_EIO;
    int rc = set_wal(st);
    if (rc != RG_OK) return rc;
    rc = sqlite3_exec(st->db,
                      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
                      NULL, NULL, NULL);
    return rc == SQLITE_OK ? RG_OK : rg_sql_fail(st, rc, "pragmas");
}

int rg_store_open(const char *path, rg_store **out)
{
    *out = NULL;
    if (!path) return RG_EINVAL;
    int rc = precreate_private(path);
    if (rc != RG_OK) return rc;
    rg_store *st = calloc(1, sizeof *st);
    if (!st) return RG_ENOMEM;
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        free(st);
        return RG_ENOMEM;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "roomgate: store: open %s: %s\n", path,
                st->db ? sqlite3_errmsg(st->db) : "out of memory");
        rc = RG_EIO;
    }
    if (rc == RG_OK) rc = configure(st);
    if (rc == RG_OK) rc = rg_store_migrate(st->db, &st->schema_version);
    if (rc != RG_OK) {
        rg_store_close(st);
        return rc;
    }
    *out = st;
    return RG_OK;
}

void rg_store_close(rg_store *st)
{
    if (!st) return;
    rg_sql_cache_clear(st); /* every other statement was released by its caller */
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    free(st);
}

int rg_store_schema_version(rg_store *st)
{
    return st->schema_version;
}

/* data_version moves only for commits by other connections: writers in this
 * process reload the cache themselves.  -1 on failure. */
int64_t rg_store_data_version(rg_store *st)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    rg_sql_lock(st);
    if (rg_sql_prepare(st, "PRAGMA data_version", &s) == RG_OK &&
        rg_sql_step_row(st, s, "data_version") == RG_OK)
        v = (int64_t)sqlite3_column_int64(s, 0);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return v;
}

/* ---- accounts ---- */

int rg_store_account_insert(rg_store *st, const rg_account *a)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc =
        rg_sql_prepare(st, "INSERT INTO accounts(" ACCOUNT_COLS ") VALUES(?1, ?2, ?3, ?4)", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, a->sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, a->friendly_name, RG_NAME_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 3, a->token_hash, sizeof a->token_hash);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 4, a->date_created);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "account insert");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_account_get(rg_store *st, const char *sid, rg_account *out)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st, "SELECT " ACCOUNT_COLS " FROM accounts WHERE sid = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, sid);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "account get");
    if (rc == RG_OK) rc = read_account(s, out);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* fn runs with the store locked: it must not call back into st. */
int rg_store_account_each(rg_store *st, int (*fn)(void *ud, const rg_account *a), void *ud)
{
    sqlite3_stmt *s = NULL;
    rg_account a;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st, "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY sid", &s), step = 0;
    while (rc == RG_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = read_account(s, &a);
        if (rc == RG_OK) rc = fn(ud, &a);
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, "account each");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* ---- API keys ---- */

int rg_store_key_insert(rg_store *st, const rg_key_row *k)
{
    if (k->sealed_len > sizeof k->sealed) return RG_EINVAL;
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc =
        rg_sql_prepare(st, "INSERT INTO api_keys(" KEY_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, k->sid);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 2, k->account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 3, k->friendly_name, RG_NAME_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 4, k->sealed, k->sealed_len);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 5, k->date_created);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 6, k->date_updated);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "key insert");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* One key row selected by a single SID parameter. */
static int key_query_one(rg_store *st, const char *sql, const char *param, rg_key_row *out)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, param);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "key get");
    if (rc == RG_OK) rc = read_key(s, out);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_key_get(rg_store *st, const char *sid, rg_key_row *out)
{
    return key_query_one(st, "SELECT " KEY_SELECT " FROM api_keys WHERE sid = ?1", sid, out);
}

int rg_store_key_newest(rg_store *st, const char *account_sid, rg_key_row *out)
{
    return key_query_one(st,
                         "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = ?1 "
                         "ORDER BY date_created DESC, rowid DESC LIMIT 1",
                         account_sid, out);
}

/* Asks for limit + 1 rows: the extra one only tells whether there are
 * more, so one query answers both questions. */
int rg_store_key_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                      rg_key_row *out, size_t *count, int *more)
{
    *count = 0;
    *more = 0;
    if (limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX || (limit > 0 && !out))
        return RG_EINVAL;
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "SELECT " KEY_SELECT " FROM api_keys WHERE account_sid = ?1 "
                            "ORDER BY date_created DESC, rowid DESC LIMIT ?2 OFFSET ?3",
                            &s),
        step = 0;
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, (int64_t)limit + 1);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)offset);
    while (rc == RG_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*count == limit) {
            *more = 1;
            step = SQLITE_DONE;
            break;
        }
        rc = read_key(s, &out[*count]);
        if (rc == RG_OK) (*count)++;
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, "key list");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    if (rc != RG_OK) {
        *count = 0;
        *more = 0;
    }
    return rc;
}

/* Runs an UPDATE/DELETE whose first parameter is bound already; no row
 * touched means no such key. */
static int step_changed(rg_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = rg_sql_step_done(st, s, what);
    if (rc == RG_OK && sqlite3_changes(st->db) == 0) rc = RG_ENOTFOUND;
    return rc;
}

int rg_store_key_rename(rg_store *st, const char *sid, const char *name, int64_t now)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(
        st, "UPDATE api_keys SET friendly_name = ?2, date_updated = ?3 WHERE sid = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, name, RG_NAME_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, now);
    if (rc == RG_OK) rc = step_changed(st, s, "key rename");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_key_delete(rg_store *st, const char *sid)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st, "DELETE FROM api_keys WHERE sid = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, sid);
    if (rc == RG_OK) rc = step_changed(st, s, "key delete");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* fn runs with the store locked: it must not call back into st. */
int rg_store_key_each(rg_store *st, int (*fn)(void *ud, const rg_key_row *k), void *ud)
{
    sqlite3_stmt *s = NULL;
    rg_key_row k;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st, "SELECT " KEY_SELECT " FROM api_keys ORDER BY sid", &s), step = 0;
    while (rc == RG_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = read_key(s, &k);
        if (rc == RG_OK) rc = fn(ud, &k);
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, "key each");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

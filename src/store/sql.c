/* sql.c - the SQLite plumbing every store file shares: error mapping,
 * binding with length checks, stepping, bounded column reads. */
#include "store/sql.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"

/* Maps a SQLite result to an rg code.  A foreign key violation means the
 * referenced account does not exist, hence RG_ENOTFOUND rather than
 * RG_EEXIST.  Only unexpected failures are logged; SQLite's messages name
 * tables and columns, never bound values. */
int rg_sql_fail(rg_store *st, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? RG_ENOTFOUND : RG_EEXIST;
    case SQLITE_NOMEM:
        return RG_ENOMEM;
    default:
        fprintf(stderr, "roomgate: store: %s: %s\n", what, sqlite3_errmsg(st->db));
        return RG_EIO;
    }
}

int rg_sql_prepare(rg_store *st, const char *sql, sqlite3_stmt **s)
{
    int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
    return rc == SQLITE_OK ? RG_OK : rg_sql_fail(st, rc, "prepare");
}

/* Binds a NUL-terminated string of at most max bytes. */
int rg_sql_bind_text(sqlite3_stmt *s, int i, const char *v, size_t max)
{
    if (!v) return RG_EINVAL;
    size_t n = strnlen(v, max + 1);
    if (n > max) return RG_EINVAL;
    return sqlite3_bind_text(s, i, v, (int)n, SQLITE_STATIC) == SQLITE_OK ? RG_OK : RG_ENOMEM;
}

int rg_sql_bind_sid(sqlite3_stmt *s, int i, const char *sid)
{
    return rg_sql_bind_text(s, i, sid, RG_SID_LEN);
}

int rg_sql_bind_int64(sqlite3_stmt *s, int i, int64_t v)
{
    return sqlite3_bind_int64(s, i, (sqlite3_int64)v) == SQLITE_OK ? RG_OK : RG_ENOMEM;
}

int rg_sql_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
    return sqlite3_bind_blob(s, i, p, (int)n, SQLITE_STATIC) == SQLITE_OK ? RG_OK : RG_ENOMEM;
}

/* Steps a statement that returns nothing (insert, update, delete). */
int rg_sql_step_done(rg_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    return rc == SQLITE_DONE ? RG_OK : rg_sql_fail(st, rc, what);
}

/* Steps to the first row: RG_OK on a row, RG_ENOTFOUND when there is none. */
int rg_sql_step_row(rg_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return RG_OK;
    return rc == SQLITE_DONE ? RG_ENOTFOUND : rg_sql_fail(st, rc, what);
}

int rg_sql_begin(rg_store *st)
{
    int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    return rc == SQLITE_OK ? RG_OK : rg_sql_fail(st, rc, "begin");
}

int rg_sql_begin_light(rg_store *st)
{
    int rc = sqlite3_exec(st->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    if (rc != SQLITE_OK) return rg_sql_fail(st, rc, "synchronous");
    st->light = 1;
    if ((rc = rg_sql_begin(st)) != RG_OK) rg_sql_end(st, rc); /* back to FULL */
    return rc;
}

int rg_sql_end(rg_store *st, int rc)
{
    if (rc == RG_OK) {
        int src = sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
        if (src != SQLITE_OK) rc = rg_sql_fail(st, src, "commit");
    }
    if (rc != RG_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    if (st->light) {
        /* every other write is durable when it answers */
        sqlite3_exec(st->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        st->light = 0;
    }
    return rc;
}

#define RUN_TEXT_MAX 4096 /* callers check their own, tighter, limits */

/* Binds t1..t3 and n to the parameters ?1..?4 the statement has. */
static int bind_run(sqlite3_stmt *s, const char *t1, const char *t2, const char *t3, int64_t n)
{
    const char *t[3] = {t1, t2, t3};
    int np = sqlite3_bind_parameter_count(s), rc = RG_OK;
    for (int i = 0; i < 3 && i < np && rc == RG_OK; i++)
        if (t[i] != NULL) rc = rg_sql_bind_text(s, i + 1, t[i], RUN_TEXT_MAX);
    if (rc == RG_OK && np >= 4) rc = rg_sql_bind_int64(s, 4, n);
    return rc;
}

int rg_sql_run(rg_store *st, const char *sql, const char *t1, const char *t2, const char *t3,
               int64_t n, int *changes, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) rc = bind_run(s, t1, t2, t3, n);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, what);
    if (rc == RG_OK && changes) *changes = sqlite3_changes(st->db);
    sqlite3_finalize(s);
    return rc;
}

int rg_sql_int(rg_store *st, const char *sql, const char *t1, const char *t2, const char *t3,
               int64_t n, int64_t *out, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) rc = bind_run(s, t1, t2, t3, n);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, what);
    if (rc == RG_OK) *out = (int64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc;
}

int rg_sql_page(rg_store *st, sqlite3_stmt *s, int (*read)(sqlite3_stmt *s, void *row),
                void *out, size_t size, size_t limit, size_t *count, int *more,
                const char *what)
{
    int rc = RG_OK, step;
    *count = 0;
    *more = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*count == limit) {
            *more = 1;
            step = SQLITE_DONE;
            break;
        }
        if ((rc = read(s, (char *)out + *count * size)) != RG_OK) break;
        (*count)++;
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, what);
    if (rc != RG_OK) *count = 0, *more = 0;
    return rc;
}

int rg_sql_col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    int n = sqlite3_column_bytes(s, i);
    if (!t || n < 0 || (size_t)n >= cap) return RG_EIO;
    memcpy(dst, t, (size_t)n);
    dst[n] = '\0';
    return RG_OK;
}

int rg_sql_col_text_opt(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL) {
        if (cap == 0) return RG_EIO;
        dst[0] = '\0';
        return RG_OK;
    }
    return rg_sql_col_text(s, i, dst, cap);
}

/* Copies a blob column; *len = its size.  SQLite returns NULL for an empty
 * blob, which is then a zero-length value. */
int rg_sql_col_blob(sqlite3_stmt *s, int i, uint8_t *dst, size_t cap, size_t *len)
{
    const void *b = sqlite3_column_blob(s, i);
    int n = sqlite3_column_bytes(s, i);
    if (n < 0 || (size_t)n > cap || (n > 0 && !b)) return RG_EIO;
    if (n > 0) memcpy(dst, b, (size_t)n);
    *len = (size_t)n;
    return RG_OK;
}

void rg_sql_lock(rg_store *st)
{
    pthread_mutex_lock(&st->mu);
}

void rg_sql_unlock(rg_store *st)
{
    pthread_mutex_unlock(&st->mu);
}

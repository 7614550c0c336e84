/* sql.c - the SQLite plumbing every store file shares: error mapping,
 * binding with length checks, stepping, bounded column reads. */
#include "store/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"

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

/* ---- prepared statement cache ------------------------------------------ */

/* The slot holding sql, else a free slot on its probe path, else NULL. */
static rg_sql_cached *cache_slot(rg_store *st, const char *sql)
{
    uint32_t h = rg_fnv1a_str(sql);
    rg_sql_cached *empty = NULL;
    for (int i = 0; i < 8; i++) {
        rg_sql_cached *c = &st->cache[(h + (uint32_t)i) % RG_SQL_CACHE];
        if (c->sql == NULL) {
            if (empty == NULL) empty = c;
        } else if (strcmp(c->sql, sql) == 0) {
            return c;
        }
    }
    return empty;
}

int rg_sql_prepare(rg_store *st, const char *sql, sqlite3_stmt **s)
{
    rg_sql_cached *c = cache_slot(st, sql);
    int rc;
    if (c && c->sql && !c->busy) {
        c->busy = 1;
        *s = c->stmt;
        return RG_OK;
    }
    if (c && c->sql == NULL) {
        rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL);
        if (rc != SQLITE_OK) return rg_sql_fail(st, rc, "prepare");
        if ((c->sql = strdup(sql)) != NULL) { /* without memory it just stays uncached */
            c->stmt = *s;
            c->busy = 1;
        }
        return RG_OK;
    }
    rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL); /* in use already: a second copy */
    return rc == SQLITE_OK ? RG_OK : rg_sql_fail(st, rc, "prepare");
}

void rg_sql_release(rg_store *st, sqlite3_stmt *s)
{
    if (s == NULL) return;
    for (int i = 0; i < RG_SQL_CACHE; i++)
        if (st->cache[i].stmt == s && st->cache[i].busy) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s); /* no pointer into a caller's buffer outlives the call */
            st->cache[i].busy = 0;
            return;
        }
    sqlite3_finalize(s);
}

void rg_sql_cache_clear(rg_store *st)
{
    for (int i = 0; i < RG_SQL_CACHE; i++) {
        sqlite3_finalize(st->cache[i].stmt);
        free(st->cache[i].sql);
        memset(&st->cache[i], 0, sizeof st->cache[i]);
    }
}

/* Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA). */
static int exec_cached(rg_store *st, const char *sql, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) {
        int src = sqlite3_step(s);
        while (src == SQLITE_ROW) /* PRAGMA synchronous=... returns nothing; others may */
            src = sqlite3_step(s);
        rc = src == SQLITE_DONE ? RG_OK : rg_sql_fail(st, src, what);
    }
    rg_sql_release(st, s);
    return rc;
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
    return exec_cached(st, "BEGIN IMMEDIATE", "begin");
}

int rg_sql_begin_light(rg_store *st)
{
    int rc = exec_cached(st, "PRAGMA synchronous=NORMAL", "synchronous");
    if (rc != RG_OK) return rc;
    st->light = 1;
    if ((rc = rg_sql_begin(st)) != RG_OK) rg_sql_end(st, rc); /* back to FULL */
    return rc;
}

int rg_sql_end(rg_store *st, int rc)
{
    if (rc == RG_OK) rc = exec_cached(st, "COMMIT", "commit");
    if (rc != RG_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL); /* may have none */
    if (st->light) {
        /* every other write is durable when it answers */
        exec_cached(st, "PRAGMA synchronous=FULL", "synchronous");
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
    rg_sql_release(st, s);
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
    rg_sql_release(st, s);
    return rc;
}

int rg_sql_page(rg_store *st, sqlite3_stmt *s, int (*read)(sqlite3_stmt *s, void *row), void *out,
                size_t size, size_t limit, size_t *count, int *more, const char *what)
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

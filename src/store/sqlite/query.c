/* query.c - the whole round of a one-statement store call under the
 * store's lock: prepare (from the statement cache), bind, step, read,
 * release (sql.h).  Every store file's simple gets, writes, pages and
 * walks go through these, so each is written once. */
#include <stdint.h>
#include <string.h>

#include "core/errors.h"
#include "store/page.h"
#include "store/sqlite/sql.h"

static int bind_arg(sqlite3_stmt *s, int i, const rg_sql_arg *a)
{
    switch (a->kind) {
    case 's':
        return rg_sql_bind_sid(s, i, a->p);
    case 't':
        return rg_sql_bind_text(s, i, a->p, a->n);
    case 'o':
        if (a->p == NULL || *(const char *)a->p == '\0') return RG_OK; /* unbound: NULL */
        return rg_sql_bind_text(s, i, a->p, a->n);
    case 'n':
        return RG_OK; /* unbound (and cleared by every release): NULL */
    case 'i':
        return rg_sql_bind_int64(s, i, a->i);
    case 'b':
        return rg_sql_bind_blob(s, i, a->p, a->n);
    default:
        return RG_EINVAL;
    }
}

int rg_sql_bind_args(sqlite3_stmt *s, const rg_sql_arg *args, int n)
{
    int rc = RG_OK;
    for (int i = 0; i < n && rc == RG_OK; i++)
        rc = bind_arg(s, i + 1, &args[i]);
    return rc;
}

/* Prepares sql and binds args; *s is set (maybe NULL) for rg_sql_release.
 * fit: bind only as many of args as the statement has parameters (the
 * fixed argument list of rg_sql_run and rg_sql_int). */
static int start_fit(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int fit,
                     sqlite3_stmt **s)
{
    *s = NULL;
    int rc = rg_sql_prepare(st, sql, s);
    if (rc == RG_OK && fit && sqlite3_bind_parameter_count(*s) < n)
        n = sqlite3_bind_parameter_count(*s);
    return rc == RG_OK ? rg_sql_bind_args(*s, args, n) : rc;
}

static int start(rg_store *st, const char *sql, const rg_sql_arg *args, int n, sqlite3_stmt **s)
{
    return start_fit(st, sql, args, n, 0, s);
}

static int get_fit(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int fit,
                   rg_sql_reader read, void *out, const char *what)
{
    sqlite3_stmt *s;
    int rc = start_fit(st, sql, args, n, fit, &s);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, what);
    if (rc == RG_OK) rc = read(s, out);
    rg_sql_release(st, s);
    return rc;
}

int rg_sql_get_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n,
                      rg_sql_reader read, void *out, const char *what)
{
    return get_fit(st, sql, args, n, 0, read, out, what);
}

int rg_sql_get(rg_store *st, const char *sql, const rg_sql_arg *args, int n, rg_sql_reader read,
               void *out, const char *what)
{
    rg_sql_lock(st);
    int rc = rg_sql_get_locked(st, sql, args, n, read, out, what);
    rg_sql_unlock(st);
    return rc;
}

static int put_fit(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int fit,
                   int *changes, const char *what)
{
    sqlite3_stmt *s;
    int rc = start_fit(st, sql, args, n, fit, &s);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, what);
    if (rc == RG_OK && changes) *changes = sqlite3_changes(st->db);
    rg_sql_release(st, s);
    return rc;
}

int rg_sql_put_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int *changes,
                      const char *what)
{
    return put_fit(st, sql, args, n, 0, changes, what);
}

int rg_sql_put(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int *changes,
               const char *what)
{
    rg_sql_lock(st);
    int rc = rg_sql_put_locked(st, sql, args, n, changes, what);
    rg_sql_unlock(st);
    return rc;
}

int rg_sql_insert_locked(rg_store *st, const char *sql, const rg_cols *t, const void *row,
                         const char *what)
{
    rg_arg a[RG_ARGS_MAX];
    return rg_sql_put_locked(st, sql, a, t->args(row, a), NULL, what);
}

int rg_sql_insert(rg_store *st, const char *sql, const rg_cols *t, const void *row,
                  const char *what)
{
    rg_arg a[RG_ARGS_MAX];
    return rg_sql_put(st, sql, a, t->args(row, a), NULL, what);
}

int rg_sql_put_one(rg_store *st, const char *sql, const rg_sql_arg *args, int n, const char *what)
{
    int changes = 0;
    int rc = rg_sql_put(st, sql, args, n, &changes, what);
    return rc == RG_OK && changes == 0 ? RG_ENOTFOUND : rc;
}

#define LIST_ARGS_MAX 8

int rg_sql_list_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n,
                       rg_sql_reader read, void *out, size_t size, size_t offset, size_t limit,
                       size_t *count, int *more, const char *what)
{
    rg_sql_arg all[LIST_ARGS_MAX + 2];
    sqlite3_stmt *s;
    *count = 0;
    *more = 0;
    int m = rg_page_args(all, LIST_ARGS_MAX, args, n, offset, limit, out);
    if (m < 0) return m;
    int rc = start(st, sql, all, m, &s);
    if (rc == RG_OK) rc = rg_sql_page(st, s, read, out, size, limit, count, more, what);
    rg_sql_release(st, s);
    return rc;
}

int rg_sql_list(rg_store *st, const char *sql, const rg_sql_arg *args, int n, rg_sql_reader read,
                void *out, size_t size, size_t offset, size_t limit, size_t *count, int *more,
                const char *what)
{
    rg_sql_lock(st);
    int rc =
        rg_sql_list_locked(st, sql, args, n, read, out, size, offset, limit, count, more, what);
    rg_sql_unlock(st);
    return rc;
}

int rg_sql_each_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n,
                       rg_sql_reader read, void *row, int (*visit)(void *ud, const void *row),
                       void *ud, const char *what)
{
    sqlite3_stmt *s;
    int step = SQLITE_DONE;
    int rc = start(st, sql, args, n, &s);
    while (rc == RG_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = read(s, row);
        if (rc == RG_OK) rc = visit(ud, row);
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, what);
    rg_sql_release(st, s);
    return rc;
}

int rg_sql_each(rg_store *st, const char *sql, const rg_sql_arg *args, int n, rg_sql_reader read,
                void *row, int (*visit)(void *ud, const void *row), void *ud, const char *what)
{
    rg_sql_lock(st);
    int rc = rg_sql_each_locked(st, sql, args, n, read, row, visit, ud, what);
    rg_sql_unlock(st);
    return rc;
}

/* ---- the fixed-shape forms: up to three texts and an integer ---------- */

#define RUN_TEXT_MAX 4096 /* callers check their own, tighter, limits */

static rg_sql_arg text_or_null(const char *t)
{
    return t ? RG_ARG_TEXT(t, RUN_TEXT_MAX) : RG_ARG_NULL;
}

static int read_int(sqlite3_stmt *s, void *out)
{
    *(int64_t *)out = (int64_t)sqlite3_column_int64(s, 0);
    return RG_OK;
}

int rg_sql_run(rg_store *st, const char *sql, const char *t1, const char *t2, const char *t3,
               int64_t n, int *changes, const char *what)
{
    rg_sql_arg a[4] = {text_or_null(t1), text_or_null(t2), text_or_null(t3), RG_ARG_INT(n)};
    return put_fit(st, sql, a, 4, 1, changes, what);
}

int rg_sql_int(rg_store *st, const char *sql, const char *t1, const char *t2, const char *t3,
               int64_t n, int64_t *out, const char *what)
{
    rg_sql_arg a[4] = {text_or_null(t1), text_or_null(t2), text_or_null(t3), RG_ARG_INT(n)};
    return get_fit(st, sql, a, 4, 1, read_int, out, what);
}

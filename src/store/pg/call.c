/* call.c - the shapes of a store call on PostgreSQL (call.h): lock, one
 * parameterized statement, read, unlock; and transactions. */
#include "store/pg/call.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/page.h"

int rg_pg_get_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
                     void *out)
{
    PGresult *r;
    int rc = rg_pg_query(st, sql, args, n, &r);
    if (rc == RG_OK) {
        rc = PQntuples(r) == 0 ? RG_ENOTFOUND : read(r, 0, out);
        PQclear(r);
    }
    return rc;
}

int rg_pg_get(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
              void *out)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_get_locked(st, sql, args, n, read, out);
    rg_pg_unlock(st, t0, 0);
    return rc;
}

int rg_pg_get_then(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
                   void *out, int (*change)(rg_store *st, void *row, void *ud), void *ud)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) {
        rc = rg_pg_get_locked(st, sql, args, n, read, out);
        if (rc == RG_OK) rc = change(st, out, ud);
        rc = rg_pg_end(st, rc);
    }
    rg_pg_unlock(st, t0, 1);
    return rc;
}

#define LIST_ARGS_MAX 6 /* the caller's parameters of a page */

int rg_pg_list(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
               void *out, size_t size, size_t offset, size_t limit, size_t *count, int *more)
{
    rg_pg_arg all[LIST_ARGS_MAX + 2];
    PGresult *r;
    *count = 0;
    *more = 0;
    int m = rg_page_args(all, LIST_ARGS_MAX, args, n, offset, limit, out);
    if (m < 0) return m;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_query(st, sql, all, m, &r);
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

int rg_pg_each_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n,
                      rg_pg_reader read, void *row, int (*visit)(void *ud, const void *row),
                      void *ud)
{
    PGresult *r;
    int rc = rg_pg_query(st, sql, args, n, &r);
    if (rc == RG_OK) {
        for (int i = 0, rows = PQntuples(r); rc == RG_OK && i < rows; i++)
            if ((rc = read(r, i, row)) == RG_OK) rc = visit(ud, row);
        PQclear(r);
    }
    return rc;
}

int rg_pg_each(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
               void *row, int (*visit)(void *ud, const void *row), void *ud)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_each_locked(st, sql, args, n, read, row, visit, ud);
    rg_pg_unlock(st, t0, 0);
    return rc;
}

int rg_pg_put_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *rows)
{
    return rg_pg_write(st, sql, args, n, rows);
}

int rg_pg_put(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *rows)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_write(st, sql, args, n, rows);
    rg_pg_unlock(st, t0, 1);
    return rc;
}

int rg_pg_insert_locked(rg_store *st, const char *sql, const rg_cols *t, const void *row,
                        int64_t *rows)
{
    rg_arg a[RG_ARGS_MAX];
    return rg_pg_put_locked(st, sql, a, t->args(row, a), rows);
}

int rg_pg_insert(rg_store *st, const char *sql, const rg_cols *t, const void *row, int64_t *rows)
{
    rg_arg a[RG_ARGS_MAX];
    return rg_pg_put(st, sql, a, t->args(row, a), rows);
}

int rg_pg_put_one(rg_store *st, const char *sql, const rg_pg_arg *args, int n)
{
    int64_t rows = 0;
    int rc = rg_pg_put(st, sql, args, n, &rows);
    return rc == RG_OK && rows == 0 ? RG_ENOTFOUND : rc;
}

int rg_pg_int_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *out)
{
    PGresult *r;
    *out = 0;
    int rc = rg_pg_query(st, sql, args, n, &r);
    if (rc != RG_OK) return rc;
    if (PQntuples(r) == 0)
        rc = RG_ENOTFOUND;
    else if (!PQgetisnull(r, 0, 0))
        rc = rg_pg_int(r, 0, 0, out);
    PQclear(r);
    return rc;
}

static int simple(rg_store *st, const char *sql)
{
    PGresult *r;
    int rc = rg_pg_query(st, sql, NULL, 0, &r);
    if (rc == RG_OK) PQclear(r);
    return rc;
}

int rg_pg_begin(rg_store *st)
{
    return simple(st, "BEGIN");
}

int rg_pg_end(rg_store *st, int rc)
{
    if (rc == RG_OK) {
        /* a COMMIT of an aborted transaction answers ROLLBACK, not an
         * error: the statement that aborted it failed already */
        PGresult *r;
        rc = rg_pg_query(st, "COMMIT", NULL, 0, &r);
        if (rc == RG_OK) {
            if (strcmp(PQcmdStatus(r), "COMMIT") != 0) rc = RG_EIO;
            PQclear(r);
        }
        return rc;
    }
    simple(st, "ROLLBACK");
    return rc;
}

int rg_pg_text_opt(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    if (PQgetisnull(r, row, col)) {
        if (cap == 0) return RG_EIO;
        dst[0] = '\0';
        return RG_OK;
    }
    return rg_pg_text(r, row, col, dst, cap);
}

int rg_pg_hash(const PGresult *r, int row, int col, uint8_t *dst, size_t cap)
{
    size_t len = 0;
    int rc = rg_pg_blob(r, row, col, dst, cap, &len);
    return rc == RG_OK && len != cap ? RG_EIO : rc;
}

/* One column of row i into its field; SQL NULL only where the kind says
 * what it reads as. */
static int read_col(const PGresult *r, int i, int k, char *row, const rg_col *c)
{
    int64_t v = 0;
    int rc;
    switch (c->kind) {
    case 't':
        return rg_pg_text(r, i, k, row + c->off, c->cap);
    case 'o':
        return rg_pg_text_opt(r, i, k, row + c->off, c->cap);
    case 'h':
        return rg_pg_hash(r, i, k, (uint8_t *)row + c->off, c->cap);
    case 'z':
    case 'd':
        if (PQgetisnull(r, i, k)) return rg_col_put_int(row, c, c->kind == 'd' ? -1 : 0);
        /* fall through */
    case 'i':
    case 'n':
    case 'y':
        rc = rg_pg_int(r, i, k, &v);
        return rc == RG_OK ? rg_col_put_int(row, c, v) : rc;
    default:
        return RG_EINVAL;
    }
}

int rg_pg_read_cols(const PGresult *r, int i, void *row, const rg_cols *t)
{
    int rc = RG_OK;
    memset(row, 0, t->size);
    for (int k = 0; k < t->n && rc == RG_OK; k++)
        rc = read_col(r, i, k, row, &t->col[k]);
    if (rc == RG_OK && t->fix) t->fix(row);
    return rc;
}

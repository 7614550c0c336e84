/* call.h - internal to the PostgreSQL back end: the shapes most store
 * functions take (one row, a page, every row, a write, a transaction), so
 * each such function is its SQL, its arguments and its row reader.  Every
 * statement goes through rg_pg_query (pg.h): constant SQL, values only as
 * $n parameters.
 *
 * The plain calls take the store's lock themselves; the _locked ones are
 * for a caller that holds it (several statements as one step, or inside
 * rg_pg_begin .. rg_pg_end). */
#ifndef RG_STORE_PG_CALL_H
#define RG_STORE_PG_CALL_H

#include "store/cols.h"
#include "store/pg/pg.h"

/* Reads row i of r into out (a struct of the caller's). */
typedef int (*rg_pg_reader)(const PGresult *r, int i, void *out);

/* The first row into out: RG_OK, RG_ENOTFOUND when there is none. */
int rg_pg_get(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
              void *out);
int rg_pg_get_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
                     void *out);

/* A page: sql ends in "LIMIT $k OFFSET $k+1" after the n args (at most
 * 6), the paging rule of store/page.h; rows of `size` bytes into out. */
int rg_pg_list(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
               void *out, size_t size, size_t offset, size_t limit, size_t *count, int *more);

/* Every row, read into row (one row's buffer) and handed to visit; stops
 * at visit's first non-zero value and returns it.  visit runs with the
 * store locked: it must not call back into st. */
int rg_pg_each(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
               void *row, int (*visit)(void *ud, const void *row), void *ud);
int rg_pg_each_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n,
                      rg_pg_reader read, void *row, int (*visit)(void *ud, const void *row),
                      void *ud);

/* A statement that returns no row; *rows (may be NULL) = rows touched.
 * rg_pg_put_one: RG_ENOTFOUND when it touched none (update by key). */
int rg_pg_put(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *rows);
int rg_pg_put_one(rg_store *st, const char *sql, const rg_pg_arg *args, int n);
int rg_pg_put_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *rows);
/* The same for an INSERT of row, its parameters from its row type's table
 * (store/cols.h). */
int rg_pg_insert(rg_store *st, const char *sql, const rg_cols *t, const void *row, int64_t *rows);
int rg_pg_insert_locked(rg_store *st, const char *sql, const rg_cols *t, const void *row,
                        int64_t *rows);

/* A read-then-write done once however many nodes do it at once: in one
 * transaction, the first row of sql (which ends FOR UPDATE, so the row
 * stays locked) into out, then, when there is one, change(st, out, ud);
 * committed when both answer RG_OK. */
int rg_pg_get_then(rg_store *st, const char *sql, const rg_pg_arg *args, int n, rg_pg_reader read,
                   void *out, int (*change)(rg_store *st, void *row, void *ud), void *ud);

/* Column 0 of the first row as an integer (RG_ENOTFOUND without a row;
 * NULL reads as 0). */
int rg_pg_int_locked(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *out);

/* A transaction on the locked store: rg_pg_end commits when rc is RG_OK,
 * else rolls back, and returns rc or the commit's failure.  Statements in
 * between that fail leave PostgreSQL's transaction aborted; rg_pg_end's
 * rollback is what ends it. */
int rg_pg_begin(rg_store *st);
int rg_pg_end(rg_store *st, int rc);

/* Text column read with SQL NULL as "" (optional columns). */
int rg_pg_text_opt(const PGresult *r, int row, int col, char *dst, size_t cap);
/* A bytea column of exactly cap bytes. */
int rg_pg_hash(const PGresult *r, int row, int col, uint8_t *dst, size_t cap);
/* Zeroes row, then reads row i's columns per the row type's table
 * (store/cols.h), then its fix; every number column is int8. */
int rg_pg_read_cols(const PGresult *r, int i, void *row, const rg_cols *t);

/* An optional text parameter: SQL NULL for "" (as SQLite's RG_ARG_OPT). */
#define RG_PG_OPT(v, max) ((v)[0] ? RG_PG_TEXT((v), (max)) : RG_PG_NULL)

#endif

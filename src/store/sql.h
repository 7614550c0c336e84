/* sql.h - internal to src/store/: the rg_store handle and the SQLite
 * helpers each store file (accounts and keys, rooms, recordings...) uses.
 *
 * Conventions: every public store function takes rg_sql_lock(st) for its
 * whole duration, prepares constant SQL, binds every value (never formats
 * user data into SQL), finalizes its statements and maps results with
 * rg_sql_fail.  Statements are released with rg_sql_release, which keeps
 * the prepared form of each constant SQL text for the next call. */
#ifndef RG_STORE_SQL_H
#define RG_STORE_SQL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define RG_SQL_CACHE 64 /* prepared statements kept per connection */

typedef struct {
    char *sql; /* the text it was prepared from (owned); NULL: a free slot */
    sqlite3_stmt *stmt;
    int busy; /* handed out and not yet released */
} rg_sql_cached;

struct rg_store {
    sqlite3 *db;
    pthread_mutex_t mu; /* serializes every use of db */
    int schema_version; /* as migrated by rg_store_open */
    int light;          /* in an rg_sql_begin_light transaction */
    rg_sql_cached cache[RG_SQL_CACHE];
};

void rg_sql_lock(rg_store *st);
void rg_sql_unlock(rg_store *st);

/* SQLite result -> RG_*: constraint -> RG_EEXIST (foreign key ->
 * RG_ENOTFOUND), nomem -> RG_ENOMEM, else logs `what` and gives RG_EIO. */
int rg_sql_fail(rg_store *st, int rc, const char *what);
/* A statement for sql: the cached one when it is free (parsing costs more
 * than running most of our statements), else a new one. */
int rg_sql_prepare(rg_store *st, const char *sql, sqlite3_stmt **s);
/* Gives a statement back: reset and unbound into the cache, or finalized.
 * NULL is fine. */
void rg_sql_release(rg_store *st, sqlite3_stmt *s);
/* Finalizes every cached statement (before sqlite3_close). */
void rg_sql_cache_clear(rg_store *st);

/* Binds a NUL-terminated string of at most max bytes (RG_EINVAL if longer). */
int rg_sql_bind_text(sqlite3_stmt *s, int i, const char *v, size_t max);
int rg_sql_bind_sid(sqlite3_stmt *s, int i, const char *sid);
int rg_sql_bind_int64(sqlite3_stmt *s, int i, int64_t v);
int rg_sql_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n);

/* Steps a statement that returns no row (insert, update, delete). */
int rg_sql_step_done(rg_store *st, sqlite3_stmt *s, const char *what);
/* Steps to the first row: RG_OK on a row, RG_ENOTFOUND when there is none. */
int rg_sql_step_row(rg_store *st, sqlite3_stmt *s, const char *what);

/* BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy
 * timeout), so a read-then-write inside the transaction cannot race another
 * connection's write.  rg_sql_end commits when rc is RG_OK, else rolls back;
 * it returns rc, or the commit's failure. */
int rg_sql_begin(rg_store *st);
int rg_sql_end(rg_store *st, int rc);
/* The same, for rows the server rebuilds when it starts (participants,
 * which are live connections): the commit survives a crash of the process
 * but does not wait for the disk (synchronous=NORMAL under WAL), so it may
 * be lost with the machine, along with the connections it described.  The
 * next ordinary commit makes it durable too. */
int rg_sql_begin_light(rg_store *st);

/* One-shot statements with up to three text parameters (?1..?3; NULL
 * leaves one unbound, i.e. SQL NULL) and one integer (?4), bound only when
 * the SQL uses them.  rg_sql_run steps a statement that returns no row and
 * sets *changes (may be NULL); rg_sql_int reads column 0 of the first row
 * (RG_ENOTFOUND when there is none). */
int rg_sql_run(rg_store *st, const char *sql, const char *t1, const char *t2, const char *t3,
               int64_t n, int *changes, const char *what);
int rg_sql_int(rg_store *st, const char *sql, const char *t1, const char *t2, const char *t3,
               int64_t n, int64_t *out, const char *what);

/* Steps a listing statement whose LIMIT is limit + 1: reads up to limit rows
 * into out (rows of `size` bytes) with read, sets *count, and *more = 1 when
 * the extra row exists, so one query answers both questions. */
int rg_sql_page(rg_store *st, sqlite3_stmt *s, int (*read)(sqlite3_stmt *s, void *row), void *out,
                size_t size, size_t limit, size_t *count, int *more, const char *what);

/* Copies a text column into dst (cap bytes incl. NUL); RG_EIO if it does
 * not fit (a corrupt or edited file), never a silent truncation. */
int rg_sql_col_text(sqlite3_stmt *s, int i, char *dst, size_t cap);
/* As rg_sql_col_text, with SQL NULL read as "" (optional columns). */
int rg_sql_col_text_opt(sqlite3_stmt *s, int i, char *dst, size_t cap);
/* Copies a blob column; *len = its size. */
int rg_sql_col_blob(sqlite3_stmt *s, int i, uint8_t *dst, size_t cap, size_t *len);

#endif

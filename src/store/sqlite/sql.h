/* sql.h - internal to the SQLite back end: the rg_store handle and the
 * SQLite helpers each store file (accounts and keys, rooms, recordings...) uses.
 *
 * Conventions: every public store function holds rg_sql_lock(st) for its
 * whole duration, runs constant SQL, binds every value (never formats user
 * data into SQL) and maps results with rg_sql_fail.  A function that is
 * one statement is one call of rg_sql_get / put / list / each (query.c),
 * which do the whole lock, prepare, bind, step, read, release round; the
 * steps below are for transactions and batches.  Statements are released
 * with rg_sql_release, which keeps the prepared form of each constant SQL
 * text for the next call (the statement cache). */
#ifndef RG_STORE_SQLITE_SQL_H
#define RG_STORE_SQLITE_SQL_H

#include <pthread.h>
#include <time.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/auditcheck.h"
#include "store/cols.h"
#include "store/ops.h"
#include "store/store.h"

/* prepared statements kept per connection: more than the server's
 * constant SQL texts, so none is parsed again on every call (at 64, some
 * leave statements found their probe path full and were) */
#define RG_SQL_CACHE 256

typedef struct {
    char *sql; /* the text it was prepared from (owned); NULL: a free slot */
    sqlite3_stmt *stmt;
    int busy; /* handed out and not yet released */
} rg_sql_cached;

/* What the outbox's last heads scan looked past (outbox.c "the look
 * past the window"): every row below `from` was a head in flight, a
 * non-head, not due, or an event of one of `accounts`, which then had
 * their share in flight.  from 0: no memo. */
#define RG_SQL_LOOK_ACCOUNTS 16
typedef struct {
    int64_t from;
    int64_t at_ms;  /* when the rows were last all read (the memo expires) */
    int64_t due_ms; /* the earliest retry set since (0: none) */
    size_t naccounts;
    char accounts[RG_SQL_LOOK_ACCOUNTS][RG_SID_SIZE];
} rg_sql_outbox_look;

struct rg_store {
    rg_store_head head; /* first: the dispatcher's view (store/ops.h) */
    sqlite3 *db;
    pthread_mutex_t mu; /* serializes every use of db */
    int schema_version; /* as migrated by rg_sqlite_open */
    int light;          /* in an rg_sql_begin_light transaction */
    rg_sql_cached cache[RG_SQL_CACHE];
    /* rg_sqlite_set_timer: how long each locked use took, read or write */
    void (*timer)(void *ud, int write, uint64_t micros);
    void *timer_ud;
    struct timespec t0;
    int wrote;               /* a transaction began under this lock */
    rg_sql_outbox_look look; /* the dispatcher's heads scans (outbox.c) */
    /* Durability outside the lock (rg_sql_sync_point): commits that must
     * reach the disk before anyone hears of them, counted under mu, and
     * how many of them an fdatasync of the WAL has covered (sync_mu). */
    char *wal_path; /* NULL: an in-memory database, nothing to sync */
    int64_t sync_want;
    int64_t sync_done;
    pthread_mutex_t sync_mu;
};

/* The back end's operations (store/ops.h) and its table (ops.c). */
RG_STORE_OPS(RG_STORE_PROTO_SQLITE)
RG_STORE_OUTBOX_OPS(RG_STORE_PROTO_SQLITE)
RG_STORE_PROTO_FIXED(sqlite)
extern const rg_store_ops rg_sqlite_ops;

void rg_sql_lock(rg_store *st);
void rg_sql_unlock(rg_store *st);

/* Durable commits without holding the lock through the fsync: a
 * transaction commits light (rg_sql_begin_light), then, still locked,
 * takes rg_sql_sync_point(st, 1) and, after rg_sql_unlock, calls
 * rg_sql_sync with it before telling anyone.  The one fdatasync of the
 * WAL makes every commit before it durable, so callers on other threads
 * share it, and the store serves others meanwhile.  A light commit whose
 * callers must not be told before earlier durable ones (a seat in a room
 * just opened) takes rg_sql_sync_point(st, 0): 0 when none is pending. */
int64_t rg_sql_sync_point(rg_store *st, int durable);
int rg_sql_sync(rg_store *st, int64_t point);

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

/* ---- one call: lock, prepare, bind, step, read, release (query.c) ----
 *
 * Most store functions are one statement: these do the whole round under
 * the store's lock, so each such function is its SQL, its arguments and
 * its row reader.  Arguments bind to ?1, ?2... in order. */
/* An argument: store/cols.h's rg_arg, with two kinds more here: 's' SID,
 * 'o' optional text (NULL or "" binds SQL NULL) of at most n bytes. */
typedef rg_arg rg_sql_arg;
#define RG_ARG_SID(v) ((rg_sql_arg){'s', (v), 0, 0})
#define RG_ARG_TEXT(v, max) ((rg_sql_arg){'t', (v), (max), 0})
#define RG_ARG_OPT(v, max) ((rg_sql_arg){'o', (v), (max), 0})
#define RG_ARG_INT(v) ((rg_sql_arg){'i', NULL, 0, (int64_t)(v)})
#define RG_ARG_BLOB(v, len) ((rg_sql_arg){'b', (v), (len), 0})
#define RG_ARG_NULL ((rg_sql_arg){'n', NULL, 0, 0})
/* The arguments as (array, count) for the calls below. */
#define RG_ARGS(...)                                                                               \
    (const rg_sql_arg[]){__VA_ARGS__},                                                             \
        (int)(sizeof((rg_sql_arg[]){__VA_ARGS__}) / sizeof(rg_sql_arg))

/* Reads the current row into row (a struct of the caller's). */
typedef int (*rg_sql_reader)(sqlite3_stmt *s, void *row);

/* Binds args to ?1..?n of s. */
int rg_sql_bind_args(sqlite3_stmt *s, const rg_sql_arg *args, int n);
/* The first row into out: RG_OK, RG_ENOTFOUND when there is none. */
int rg_sql_get(rg_store *st, const char *sql, const rg_sql_arg *args, int n, rg_sql_reader read,
               void *out, const char *what);
/* A statement that returns no row; *changes (may be NULL) = rows touched. */
int rg_sql_put(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int *changes,
               const char *what);
/* As rg_sql_put, RG_ENOTFOUND when no row was touched (update or delete
 * by key). */
int rg_sql_put_one(rg_store *st, const char *sql, const rg_sql_arg *args, int n, const char *what);
/* A page: args, then limit + 1 and offset bound to the next two
 * parameters (the query ends "LIMIT ?k OFFSET ?k+1": store/page.h); rows
 * of `size` bytes into out with read, as rg_sql_page.  RG_EINVAL for a
 * limit or offset SQLite cannot take. */
int rg_sql_list(rg_store *st, const char *sql, const rg_sql_arg *args, int n, rg_sql_reader read,
                void *out, size_t size, size_t offset, size_t limit, size_t *count, int *more,
                const char *what);
/* Every row, read into row (the caller's buffer of one row) and handed to
 * visit; stops at visit's first non-zero value and returns it.  The lock
 * is held throughout: visit must not call back into st. */
int rg_sql_each(rg_store *st, const char *sql, const rg_sql_arg *args, int n, rg_sql_reader read,
                void *row, int (*visit)(void *ud, const void *row), void *ud, const char *what);

/* The visitor for rg_sql_each: RG_STORE_VISITOR (store/ops.h). */
#define RG_SQL_VISITOR(name, T) RG_STORE_VISITOR(name, T)

/* The same for a caller that holds the lock already (several statements
 * as one step, or inside rg_sql_begin .. rg_sql_end). */
int rg_sql_get_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n,
                      rg_sql_reader read, void *out, const char *what);
int rg_sql_put_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n, int *changes,
                      const char *what);
/* rg_sql_put for an INSERT of row, its parameters from its row type's
 * table (store/cols.h); with the lock held or taken. */
int rg_sql_insert(rg_store *st, const char *sql, const rg_cols *t, const void *row,
                  const char *what);
int rg_sql_insert_locked(rg_store *st, const char *sql, const rg_cols *t, const void *row,
                         const char *what);
int rg_sql_list_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n,
                       rg_sql_reader read, void *out, size_t size, size_t offset, size_t limit,
                       size_t *count, int *more, const char *what);
int rg_sql_each_locked(rg_store *st, const char *sql, const rg_sql_arg *args, int n,
                       rg_sql_reader read, void *row, int (*visit)(void *ud, const void *row),
                       void *ud, const char *what);

/* Steps a listing statement whose LIMIT is limit + 1: reads up to limit rows
 * into out (rows of `size` bytes) with read, sets *count, and *more = 1 when
 * the extra row exists, so one query answers both questions. */
int rg_sql_page(rg_store *st, sqlite3_stmt *s, rg_sql_reader read, void *out, size_t size,
                size_t limit, size_t *count, int *more, const char *what);

/* Copies a text column into dst (cap bytes incl. NUL); RG_EIO if it does
 * not fit (a corrupt or edited file), never a silent truncation. */
int rg_sql_col_text(sqlite3_stmt *s, int i, char *dst, size_t cap);
/* As rg_sql_col_text, with SQL NULL read as "" (optional columns). */
int rg_sql_col_text_opt(sqlite3_stmt *s, int i, char *dst, size_t cap);
/* Copies a blob column; *len = its size. */
int rg_sql_col_blob(sqlite3_stmt *s, int i, uint8_t *dst, size_t cap, size_t *len);

/* How column i of a result lands in a row struct: store/cols.h, shared
 * with the other back ends. */
typedef rg_col rg_sql_col;
/* Zeroes row (size bytes), then reads columns 0..n-1 per cols.  A number
 * column whose field is not of its kind's size is RG_EINVAL (caught by the
 * first test that reads such a row). */
int rg_sql_read_cols(sqlite3_stmt *s, void *row, size_t size, const rg_sql_col *cols, int n);
/* The same with a row type's table, then its fix (store/cols.h). */
int rg_sql_read_row(sqlite3_stmt *s, void *row, const rg_cols *t);

#endif

/* pg.h - the PostgreSQL back end's private parts (issue 15): the handle
 * and the one helper every query goes through.  Nothing outside
 * src/store/pg/ sees a libpq type.
 *
 * State of this back end: it implements the operations in its table
 * (ops.c; the others answer RG_EIO through the dispatcher, store/ops.h)
 * with blocking libpq calls, each bounded by the handle's deadline
 * (wait.c: --db-timeout), under the mutex of the calling thread's
 * connection (rg_pg_link: one shared by default, one per event loop with
 * --db-connections); a seat and a batch of leaves are pipelines
 * (seats.c, participants.c).  That is a written deviation from issue
 * 15's design: an event loop that misses its caches or writes (a join, a
 * REST write) waits for its round trips (with a connection of its own,
 * never for another loop's).  The design it must grow into (docs/deploy.md
 * "Deviation from the design, and the plan"): the loop's connection
 * non-blocking (PQsendQueryParams/PQsendQueryPrepared, its socket watched
 * by the loop, the request resumed on the answer).  The change mark does
 * not ask: it listens (listen.c). */
#ifndef RG_STORE_PG_PG_H
#define RG_STORE_PG_PG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store/auditcheck.h"
#include "store/cols.h"
#include "store/nodes.h"
#include "store/ops.h"
#include "store/store.h"
#include "store/yield.h"

/* A connection's reconnect that never waits (conn.c, rg_pg_reset_step):
 * all zero when none is under way. */
typedef struct {
    int going;                      /* a reset started and not over */
    PostgresPollingStatusType want; /* what it waits for */
    int64_t tried_ms;               /* when the last one started (monotonic) */
} rg_pg_reset;

#define RG_PG_SESSION_MAX 47 /* bytes of a session's name (pid:start) */

/* One connection of a handle, and what belongs to it: its database
 * session, its prepared statements, its recovery.  A handle has one, or
 * one per event loop and one for the other threads (rg_pgsql_links): a
 * thread uses the link of its slot (rg_store_bind_thread), so two loops
 * never wait for each other's statements. */
typedef struct {
    PGconn *conn;
    rg_ylock lock;                       /* one call at a time on it (store/yield.h) */
    char session[RG_PG_SESSION_MAX + 1]; /* its database session (seats.c, outbox.c) */
    struct rg_pg_prep *prep;             /* its prepared statements (prep.c) */
    atomic_int own_pid;                  /* its backend: its notifications are ours */
    /* its recovery (conn.c): under lock but `down` */
    atomic_int down;   /* lost and not back yet: read without the lock */
    rg_pg_reset reset; /* the reconnect (rg_pg_reset_step) */
} rg_pg_link;

#define RG_PG_LINKS_MAX RG_STORE_LINKS_MAX /* per handle: eight loops' and the others' */

struct rg_store {
    rg_store_head head; /* first: the dispatcher's view (store/ops.h) */
    rg_pg_link links[RG_PG_LINKS_MAX];
    int nlinks; /* links[0] always; more only before other threads use the handle */
    int schema_version;
    char node[RG_NODE_ID_MAX + 1]; /* the node its seats record, from its first beat (nodes.c) */
    int deadline_ms;               /* a statement's answer is awaited this long (wait.c) */
    struct rg_pg_listen *listen;   /* the connection that hears others' changes (listen.c) */
    void (*timer)(void *ud, int write, uint64_t micros);
    void *timer_ud;
};

/* The calling thread's link: its slot's, modulo the handle's links (slot
 * 0, the threads no loop binds, uses the first). */
rg_pg_link *rg_pg_link_of(rg_store *st);

/* Opens links 1..n-1 of st (n at most RG_PG_LINKS_MAX) on location, each
 * with its session: RG_OK, or RG_EIO with none added.  Before any other
 * thread uses st. */
int rg_pgsql_links(rg_store *st, const char *location, int n);

/* The back end's operations, rg_pgsql_<op> (store/ops.h: every one is
 * declared; those written so far are in the table, pg/ops.c). */
RG_STORE_OPS(RG_STORE_PROTO_PGSQL)
RG_STORE_OUTBOX_OPS(RG_STORE_PROTO_PGSQL)
RG_STORE_PROTO_FIXED(pgsql)
extern const rg_store_ops rg_pgsql_ops;
int rg_pgsql_live_ended(rg_store *st, const rg_live_ref *refs, size_t n, unsigned char *ended);

/* A query parameter: store/cols.h's rg_arg ('t' text of at most n bytes,
 * longer: RG_EINVAL; 'b' bytea of n bytes; 'i' int8; 'n' NULL). */
typedef rg_arg rg_pg_arg;

#define RG_PG_TEXT(v, max) ((rg_pg_arg){'t', (v), (max), 0})
#define RG_PG_SID(v) RG_PG_TEXT((v), RG_SID_SIZE - 1)
#define RG_PG_BLOB(v, n) ((rg_pg_arg){'b', (v), (n), 0})
#define RG_PG_INT(v) ((rg_pg_arg){'i', NULL, 0, (int64_t)(v)})
#define RG_PG_NULL ((rg_pg_arg){'n', NULL, 0, 0})
/* A list in an array's text form ('{a,b}'), for `= ANY($n::text[])`: its
 * type is left to the server, which takes the statement's cast as the
 * parameter's type.  Sent as text, the parameter was cast to the array
 * for every row the statement read (the cast is not immutable, so not
 * folded): 1,000 SIDs against 3,500 participants took up to 1 s. */
#define RG_PG_LIST(v, max) ((rg_pg_arg){'l', (v), (max), 0})
#define RG_PG_ARGS(...)                                                                            \
    (const rg_pg_arg[]){__VA_ARGS__},                                                              \
        (int)(sizeof((const rg_pg_arg[]){__VA_ARGS__}) / sizeof(rg_pg_arg))

/* Runs one parameterized statement (sql is a constant; values travel only
 * as parameters), results in binary.  On RG_OK *res is the result (the
 * caller PQclear()s it).  Errors: unique violation RG_EEXIST, foreign key
 * RG_ENOTFOUND, bad text (encoding, length) RG_EINVAL, else RG_EIO.  The
 * caller holds st->lock. */
int rg_pg_query(rg_store *st, const char *sql, const rg_pg_arg *args, int n, PGresult **res);

/* A statement of a pipeline: a constant text and its parameters. */
typedef struct {
    const char *sql;
    const rg_pg_arg *args;
    int n;
} rg_pg_stmt;

#define RG_PG_PIPELINE_MAX 64

/* Runs n (<= RG_PG_PIPELINE_MAX) statements as one pipeline: each
 * prepared as rg_pg_query's are, then sent together and answered in one
 * round trip (libpq's pipeline mode).  On RG_OK res[i] is statement i's
 * result (the caller PQclear()s each); on an error (rg_pg_query's codes,
 * the first failed statement's) every res[i] is NULL, and PostgreSQL
 * skipped the statements after the failed one.  Inside a transaction,
 * that is aborted then (to its last savepoint); outside one, the
 * statements up to the pipeline's end are one implicit transaction, and
 * the failure undid those before it.  The caller holds st->lock. */
int rg_pg_pipeline(rg_store *st, const rg_pg_stmt *s, int n, PGresult **res);

/* The same for a write: one statement; *rows = rows it touched (may be
 * NULL). */
int rg_pg_write(rg_store *st, const char *sql, const rg_pg_arg *args, int n, int64_t *rows);

/* Locks st and starts the timer / stops it and unlocks (store.h's
 * rg_pgsql_set_timer). */
uint64_t rg_pg_lock(rg_store *st);
void rg_pg_unlock(rg_store *st, uint64_t started, int write);

/* Column readers for binary results: RG_EIO when the stored value does not
 * fit (an edited database), never a silent truncation. */
int rg_pg_text(const PGresult *r, int row, int col, char *dst, size_t cap);
int rg_pg_blob(const PGresult *r, int row, int col, uint8_t *dst, size_t cap, size_t *len);
int rg_pg_int(const PGresult *r, int row, int col, int64_t *out);

/* The connection (conn.c): a blocking connect for the open, with a
 * default connect_timeout; rg_pg_lost after a failure (marks the store
 * down when the connection broke, says so once); rg_pg_heal at the start
 * of a locked use (advances a reconnect without waiting); rg_pg_reachable
 * (any thread, no lock): 0 while the connection is down. */
PGconn *rg_pg_connect(const char *location);
void rg_pg_lost(rg_store *st);
void rg_pg_heal(rg_store *st);
/* The links other than the caller's that are free now (a trylock: a
 * link busy with its loop's statement is healed by its loop): a socket
 * the server closed noticed without a round trip, a reconnect advanced,
 * so an idle loop's link is back with the database, not at its loop's
 * next statement (the readiness ping calls it).  RG_OK when no link of
 * st is down, else RG_EIO. */
int rg_pg_heal_others(rg_store *st);
int rg_pg_reachable(rg_store *st);
/* Advances r, c's reconnect, without waiting: a reset (PQresetStart) is
 * started at most once a second, moved on only while its socket is ready
 * (libpq's rule for its polling), and one not finished within 10 s is
 * dropped for the next.  1 when it has just connected c again, else 0
 * (under way, failed, or not due yet).  Both connections of a store use
 * it: the main one (rg_pg_heal) and the listening one (listen.c). */
int rg_pg_reset_step(PGconn *c, rg_pg_reset *r);

/* One statement sent and its answer awaited for at most deadline_ms
 * (wait.c): PQexecParams's result (results in binary), or NULL with *late
 * set when the server did not answer in time; the connection is then
 * CONNECTION_BAD (given up), for rg_pg_late and the store's healing. */
PGresult *rg_pg_exec_within(PGconn *c, int deadline_ms, const char *sql, int n,
                            const unsigned *types, const char *const *values, const int *lengths,
                            const int *formats, int *late);

/* Its parts, for a statement sent otherwise (prep.c): the deadline
 * deadline_ms from now; the connection made non-blocking (0, or -1);
 * the answer to what was sent awaited until the deadline, as above. */
int64_t rg_pg_deadline(int deadline_ms);
int rg_pg_nonblocking(PGconn *c);
PGresult *rg_pg_await(PGconn *c, int64_t deadline, int *late);
/* Gives c up: its socket shut, so libpq finds the end of the stream and
 * marks it CONNECTION_BAD (the store heals it, conn.c). */
void rg_pg_give_up(PGconn *c);

/* The connection's prepared statements (prep.c).  rg_pg_prepared answers
 * the name of sql prepared with these parameter types on link l,
 * preparing it first if it is not yet (one more round trip, once per
 * statement and connection); NULL when it is not kept (no parameters, the
 * table full, the prepare failed: the caller sends sql unnamed).  *late as
 * rg_pg_await.  rg_pg_prepared_forget: after a reconnect (a new session has
 * none); rg_pg_prepared_free at the close. */
const char *rg_pg_prepared(rg_pg_link *l, const char *sql, int n, const unsigned *types,
                           int64_t deadline, int *late);
void rg_pg_prepared_forget(rg_pg_link *l);
void rg_pg_prepared_free(rg_pg_link *l);

/* After a statement given up at its deadline: the store is down, said
 * once per outage with the reason (conn.c). */
void rg_pg_late(rg_store *st);

/* The change mark's listening connection (listen.c): made ready after
 * the main one (RG_OK, or RG_ENOMEM), connected at the first mark asked
 * (a handle that never asks, the CLI's, the heartbeat's, the audit log's,
 * holds no second connection); rg_pg_listen_mark sets *mark to the count
 * of others' changes heard and answers 1 while it listens, 0 while it
 * does not (the caller asks store_changes); any thread.  The backend's
 * pid while it listens, else 0 (for the tests). */
int rg_pg_listen_open(rg_store *st, const char *location);
void rg_pg_listen_close(rg_store *st);
int rg_pg_listen_mark(rg_store *st, int64_t *mark);
int rg_pg_listen_pid(rg_store *st);

/* Runs the schema migrations up to the newest (migrate.c). */
int rg_pg_migrate(PGconn *conn, int *version);

#endif

/* conn.c - the connection to PostgreSQL and its recovery (pg.h).
 *
 * A database that stops (a restart, a failover, a network cut) breaks the
 * connection: libpq marks it CONNECTION_BAD and every statement fails at
 * once.  The store then answers RG_EIO without a round trip (the callers
 * answer 503, /readyz says "store unavailable") and heals itself: at the
 * start of a locked use, at most once a second, a reconnect is started
 * (PQresetStart) and advanced only while its socket is ready (a poll of
 * zero timeout), so no event loop ever waits for the database to come
 * back; an attempt that has not finished in ATTEMPT_MS is abandoned.  A
 * reconnect only ever happens between locked uses, never inside a
 * transaction, so no statement of a half-done transaction runs on the new
 * session.  The first connection (rg_pgsql_open) is blocking, bounded by
 * connect_timeout (DEFAULT_CONNECT_TIMEOUT unless the location sets one). */
#include "store/pg/pg.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/errors.h"
#include "store/pg/pgrooms.h"

#define DEFAULT_CONNECT_TIMEOUT "10" /* seconds; libpq's own default waits forever */
#define RETRY_MS 1000
#define ATTEMPT_MS 10000

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

PGconn *rg_pg_connect(const char *location)
{
    /* the location (expanded as a connection string) comes after the
     * defaults, so what it sets wins.  The defaults: a connect bounded in
     * time; TCP keepalives that find a host gone without a FIN within
     * about 25 s (the kernel's default waits two hours). */
    const char *const keys[] = {"connect_timeout",  "keepalives_idle", "keepalives_interval",
                                "keepalives_count", "dbname",          NULL};
    const char *const values[] = {DEFAULT_CONNECT_TIMEOUT, "10", "5", "3", location, NULL};
    return PQconnectdbParams(keys, values, 1);
}

/* A loop's request fibers (its REST handlers, http/fiber.h) use the
 * loop's own link; its signaling messages (on fibers too: a join's
 * admission read) and what runs on the loop's own stack share the first
 * with the threads no loop binds, as with --db-connections 1.  The hub's writer (seats and leaves,
 * signal/hub_writer.c) binds the slot after the loops'
 * (docs/deploy.md "Requests wait on fibers"). */
rg_pg_link *rg_pg_link_of(rg_store *st)
{
    int slot = rg_store_thread_slot();
    if (slot > 0) {
        const rg_yield *y = rg_yield_get();
        if (y != NULL && (y->self() == NULL || y->task())) slot = 0;
    }
    return &st->links[slot % st->nlinks];
}

int rg_pg_reachable(rg_store *st)
{
    return !atomic_load_explicit(&rg_pg_link_of(st)->down, memory_order_relaxed);
}

/* The database seems gone (a link broke, or did not answer in time): the
 * other links that are free are given up too, so that their calls answer
 * at once instead of each waiting for its own deadline, and all of them
 * reconnect (rg_pg_heal, rg_pg_heal_others).  A link busy with its loop's
 * statement finds out by itself.  Only trylocks: the caller holds l's. */
static void give_up_others(rg_store *st, const rg_pg_link *l)
{
    for (int i = 0; i < st->nlinks; i++) {
        rg_pg_link *o = &st->links[i];
        if (o == l || pthread_mutex_trylock(&o->lock.mu) != 0) continue;
        if (PQstatus(o->conn) == CONNECTION_OK) rg_pg_give_up(o->conn);
        if (PQstatus(o->conn) == CONNECTION_BAD) atomic_store(&o->down, 1);
        pthread_mutex_unlock(&o->lock.mu);
    }
}

/* Said once per outage, with a fixed text: libpq's message for a failed
 * connection may quote the location's password. */
static void link_lost(rg_store *st, rg_pg_link *l)
{
    if (PQstatus(l->conn) != CONNECTION_BAD) return;
    if (atomic_exchange_explicit(&l->down, 1, memory_order_relaxed)) return;
    fprintf(stderr, "roomgate: store: the connection to PostgreSQL is lost; requests that "
                    "need the store answer 503 until it is back (retried every second)\n");
    give_up_others(st, l);
}

void rg_pg_lost(rg_store *st)
{
    link_lost(st, rg_pg_link_of(st));
}

static void link_late(rg_store *st, rg_pg_link *l)
{
    if (atomic_exchange_explicit(&l->down, 1, memory_order_relaxed)) return;
    fprintf(stderr,
            "roomgate: store: PostgreSQL did not answer a statement within --db-timeout "
            "(%d ms); the connection is given up, requests that need the store answer 503 "
            "until a new one is made (retried every second)\n",
            st->deadline_ms);
    give_up_others(st, l);
}

void rg_pg_late(rg_store *st)
{
    link_late(st, rg_pg_link_of(st));
}

/* One statement of a session's start through wait.c. */
static PGresult *session_exec(rg_store *st, rg_pg_link *l, const char *sql)
{
    int late;
    PGresult *r =
        rg_pg_exec_within(l->conn, st->deadline_ms, sql, 0, NULL, NULL, NULL, NULL, &late);
    if (late) link_late(st, l);
    return r;
}

/* Through wait.c, not rg_pg_query: this file is below query.c (which
 * heals through it), so it calls nothing else of the back end's.
 *
 * The session's server checks every second whether its client is still
 * there (PostgreSQL 14 and later; unless the location's options set it),
 * so a statement given up at its deadline (wait.c) is abandoned and its
 * transaction rolled back even while it waits for a lock, instead of
 * running on, holding what it took, until it tries to answer. */
int rg_pg_session_start(rg_store *st, rg_pg_link *l)
{
    static const char check[] =
        "SELECT set_config('client_connection_check_interval', '1000', false) WHERE "
        "current_setting('client_connection_check_interval', true) = '0'";
    static const char sql[] = "SELECT " RG_PG_SESSION_OF(
        "pid", "backend_start") " FROM pg_stat_activity WHERE pid = pg_backend_pid()";
    PGresult *r = session_exec(st, l, check);
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    /* its notifications are its own changes (listen.c) */
    atomic_store(&l->own_pid, PQbackendPID(l->conn));
    PQclear(r);
    if (!ok) return RG_EIO;
    r = session_exec(st, l, sql);
    int rc = RG_EIO;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        size_t n = (size_t)PQgetlength(r, 0, 0);
        if (n < sizeof l->session) {
            memcpy(l->session, PQgetvalue(r, 0, 0), n + 1);
            rc = RG_OK;
        }
    }
    PQclear(r);
    return rc;
}

static void healed(rg_store *st, rg_pg_link *l)
{
    rg_pg_prepared_forget(l); /* a new session has none */
    /* a new backend: a new session for the seats it takes (seats.c) */
    if (rg_pg_session_start(st, l) != RG_OK) return; /* lost again: the next use retries */
    atomic_store_explicit(&l->down, 0, memory_order_relaxed);
    fprintf(stderr, "roomgate: store: reconnected to PostgreSQL\n");
}

/* 1 when c's socket is ready for what a reset in progress waits for
 * (want), without waiting. */
static int socket_ready(PGconn *c, PostgresPollingStatusType want)
{
    struct pollfd p = {PQsocket(c), want == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0};
    return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

int rg_pg_reset_step(PGconn *c, rg_pg_reset *r)
{
    int64_t now = mono_ms();
    if (r->going && now - r->tried_ms > ATTEMPT_MS) r->going = 0; /* the next start closes it */
    if (!r->going) {
        if (now - r->tried_ms < RETRY_MS) return 0;
        r->tried_ms = now;
        if (!PQresetStart(c)) return 0;
        r->going = 1;
        r->want = PGRES_POLLING_WRITING; /* as libpq says after a start */
    }
    while (socket_ready(c, r->want)) {
        r->want = PQresetPoll(c);
        if (r->want == PGRES_POLLING_OK || r->want == PGRES_POLLING_FAILED) {
            r->going = 0;
            return r->want == PGRES_POLLING_OK;
        }
    }
    return 0;
}

static void heal_link(rg_store *st, rg_pg_link *l)
{
    if (!l->reset.going && PQstatus(l->conn) != CONNECTION_BAD) return;
    if (rg_pg_reset_step(l->conn, &l->reset)) healed(st, l);
}

void rg_pg_heal(rg_store *st)
{
    heal_link(st, rg_pg_link_of(st));
}

int rg_pg_heal_others(rg_store *st)
{
    rg_pg_link *mine = rg_pg_link_of(st);
    int down = 0;
    for (int i = 0; i < st->nlinks; i++) {
        rg_pg_link *l = &st->links[i];
        if (l == mine || pthread_mutex_trylock(&l->lock.mu) != 0) continue;
        /* a server gone closed the socket: read without waiting (libpq's
         * sockets never block), libpq then says CONNECTION_BAD */
        if (!l->reset.going && PQstatus(l->conn) == CONNECTION_OK) PQconsumeInput(l->conn);
        link_lost(st, l);
        heal_link(st, l);
        pthread_mutex_unlock(&l->lock.mu);
    }
    for (int i = 0; i < st->nlinks; i++)
        down |= atomic_load_explicit(&st->links[i].down, memory_order_relaxed);
    return down ? RG_EIO : RG_OK;
}

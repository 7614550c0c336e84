/* wait.c - one statement's round trip with a deadline (pg.h).
 *
 * libpq's PQexecParams waits for the server's answer without end.  A
 * database that stops answering without closing its socket (a stopped
 * or swapped-out server, a lock held forever, a half-open network path
 * the kernel has not given up on) would hold the calling event loop, and
 * every loop behind the handle's mutex, for as long as it lasts.  So the
 * statement is sent (PQsendQueryParams on a non-blocking connection) and
 * its answer awaited by poll() for at most the handle's deadline
 * (--db-timeout).  Past it the connection is given up: its socket is shut,
 * so libpq sees the end of the stream and marks it CONNECTION_BAD, and
 * the store heals it as after any loss (conn.c).  The server, told by
 * client_connection_check_interval (conn.c), abandons the statement and
 * rolls back its transaction when it wakes. */
#include "store/pg/pg.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until the socket can do what is asked (POLLIN, or POLLOUT while
 * libpq still has bytes to send) or the deadline passes: 0, or -1 late.
 * On a fiber of an event loop (store/yield.h) the loop goes on meanwhile,
 * and 0 may come early: the callers look at the connection again and wait
 * again when it has nothing yet. */
static int wait_socket(PGconn *c, short events, int64_t deadline)
{
    const rg_yield *y = rg_yield_get();
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) return -1;
        struct pollfd p = {PQsocket(c), events, 0};
        if (p.fd < 0) return 0; /* broken: libpq's next call says so */
        if (y != NULL && y->can_wait()) {
            y->wait_fd(p.fd, events);
            return 0;
        }
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n != 0) return 0; /* ready, or an error libpq will report */
    }
}

/* Sends what libpq has buffered (large parameters need several writes). */
static int flush_within(PGconn *c, int64_t deadline)
{
    int f;
    while ((f = PQflush(c)) == 1) {
        if (wait_socket(c, POLLIN | POLLOUT, deadline) != 0) return -1;
        if (!PQconsumeInput(c)) return 0; /* the error is in the result */
    }
    return 0;
}

/* The results as PQexecParams keeps them: the last one, or the first
 * error (later results of a failed statement add nothing). */
static PGresult *collect(PGconn *c, int64_t deadline, int *late)
{
    PGresult *kept = NULL;
    for (;;) {
        while (PQisBusy(c)) {
            if (wait_socket(c, POLLIN, deadline) != 0) {
                *late = 1;
                PQclear(kept);
                return NULL;
            }
            if (!PQconsumeInput(c)) break; /* broken: PQgetResult reports it */
        }
        PGresult *r = PQgetResult(c);
        if (r == NULL) return kept;
        ExecStatusType s = PQresultStatus(kept);
        if (kept != NULL && (s == PGRES_FATAL_ERROR || s == PGRES_NONFATAL_ERROR)) {
            PQclear(r);
            continue;
        }
        PQclear(kept);
        kept = r;
    }
}

/* Gives the connection up: the peer's end is shut, so libpq's next read
 * finds the end of the stream and the connection is CONNECTION_BAD. */
void rg_pg_give_up(PGconn *c)
{
    int fd = PQsocket(c);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
    PQconsumeInput(c);
    PGresult *r;
    while (PQstatus(c) != CONNECTION_BAD && (r = PQgetResult(c)) != NULL)
        PQclear(r);
}

int64_t rg_pg_deadline(int deadline_ms)
{
    return mono_ms() + deadline_ms;
}

PGresult *rg_pg_await(PGconn *c, int64_t deadline, int *late)
{
    PGresult *r = NULL;
    *late = 0;
    if (flush_within(c, deadline) != 0)
        *late = 1;
    else
        r = collect(c, deadline, late);
    if (*late) rg_pg_give_up(c);
    return r;
}

int rg_pg_nonblocking(PGconn *c)
{
    return PQisnonblocking(c) || PQsetnonblocking(c, 1) == 0 ? 0 : -1;
}

PGresult *rg_pg_exec_within(PGconn *c, int deadline_ms, const char *sql, int n,
                            const unsigned *types, const char *const *values, const int *lengths,
                            const int *formats, int *late)
{
    int64_t deadline = rg_pg_deadline(deadline_ms);
    *late = 0;
    if (rg_pg_nonblocking(c) != 0) return NULL;
    if (!PQsendQueryParams(c, sql, n, types, values, lengths, formats, 1))
        return PQgetResult(c); /* NULL, or the error (the connection's state) */
    return rg_pg_await(c, deadline, late);
}

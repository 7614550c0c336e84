/* conns.h - the HTTP connections one event loop holds: how many are open,
 * each one's --max-conns-per-ip count, and closing the idle ones when the
 * server drains.
 *
 * Why a set and not just a count: at shutdown the idle keep-alive HTTP/1
 * connections must go at once, while a request whose body is still
 * arriving must be let finish.  libh2o 2.2 keeps both on one timer (its
 * request timeout, armed when a connection starts waiting for a request),
 * so shortening that timer, as we once did, also cut off every request
 * that had begun more than the new timeout ago.  A connection that waits
 * for a request has nothing in its input buffer (h2o keeps a request's
 * bytes there until its response is sent), and a read shut down on such a
 * socket makes h2o see an end of stream and close it through its own path.
 * HTTP/2 connections are left to h2o's GOAWAY and idle timeout. */
#ifndef RG_HTTP_CONNS_H
#define RG_HTTP_CONNS_H

#include <h2o.h>
#include <stdatomic.h>
#include <stddef.h>

#include "http/connlimit.h"
#include "http/metrics.h"

typedef struct rg_conn rg_conn;

typedef struct {
    rg_conn *head;     /* every open connection of the loop */
    size_t n;          /* how many */
    rg_connlimit *lim; /* --max-conns-per-ip, shared by the loops; NULL: none */
    /* the loop's count for the others to read (http/spread.h): raised by
     * whichever loop gave it the connection, lowered here when one closes
     * or is refused; NULL: none */
    atomic_int *count;
    rg_wmetrics *metrics; /* the loop's; NULL: none */
} rg_conns;

/* Takes sock into the set, counted against its address's limit: 0, or -1
 * when the address is at its limit (or out of memory) and sock was closed.
 * Called at accept, before TLS or any byte is read. */
int rg_conns_add(rg_conns *set, h2o_socket_t *sock);
/* Shuts the reading side of every HTTP/1 connection waiting for its next
 * request; h2o then closes it.  Safe to repeat (each socket once). */
void rg_conns_close_idle(rg_conns *set);
/* sock now carries a WebSocket (http/wsconn.c): never idle in that sense;
 * its module closes it (with a close frame) at the drain.  A socket that
 * no set holds is ignored. */
void rg_conns_upgraded(h2o_socket_t *sock);

#endif

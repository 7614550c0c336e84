/* spread.h - which event loop owns a new connection.
 *
 * Every loop polls the one listening socket (server.c says why it is one)
 * and the loop that wakes first accepts.  Left at that, the kernel's
 * choice decides: with the loops idle it wakes the same one each time, so
 * a burst of connections all lands on one loop while the others sit idle
 * (measured: four wrk connections fetching /media, one loop at 100 % of a
 * core, the other at 0 %, half the throughput of round 1's SO_REUSEPORT
 * sockets).  So the loop that accepts gives each connection to the open
 * loop that holds the fewest (itself on a tie: no hand-over), passing the
 * descriptor through that loop's inbox, where the socket is made: h2o
 * ties a socket's buffers to the thread that creates it.
 *
 * A loop's count rises when a connection is picked for it and falls when
 * that connection closes (the loop's rg_conns reports it, conns.h). */
#ifndef RG_HTTP_SPREAD_H
#define RG_HTTP_SPREAD_H

#include <h2o.h>
#include <stdatomic.h>

typedef struct rg_spread rg_spread;

/* On the loop that owns fd: make its socket and serve it (or close it). */
typedef void (*rg_spread_adopt_fn)(void *ud, int fd);

/* Room for n loops, none open yet; NULL when out of memory. */
rg_spread *rg_spread_new(int n);
void rg_spread_free(rg_spread *s);

/* On loop i's thread: it takes connections from now on, through an inbox
 * on its context's queue; adopt(ud, fd) runs there for each.  0 or -1. */
int rg_spread_open(rg_spread *s, int i, h2o_multithread_queue_t *q, rg_spread_adopt_fn adopt,
                   void *ud);
/* On loop i's thread, when it stops accepting (the drain): no connection
 * is given to it any more; turns the loop until what was already given
 * has arrived, then closes the inbox.  Safe when never opened. */
void rg_spread_close(rg_spread *s, int i, h2o_loop_t *loop);

/* On loop `from`, with fd just accepted: hands fd to the loop with the
 * fewest connections, or returns 0 when that is `from` itself (the caller
 * adopts it), with the count of the owner raised either way.  Returns 1
 * when fd was handed over. */
int rg_spread_give(rg_spread *s, int from, int fd);

/* Where loop i's count lives, for its rg_conns to lower on each close. */
atomic_int *rg_spread_count(rg_spread *s, int i);

#endif

/* yield.h - how a store call made on an event loop waits without holding
 * the loop (issue 15: "no loop ever blocks on the database").
 *
 * The HTTP server runs a request's handler on a fiber of its loop
 * (http/fiber.c) when the store is PostgreSQL.  The store does not know
 * fibers; it only asks this thread's rg_yield, set by the loop, to wait
 * for it: for its connection's socket (pg/wait.c) and for a connection
 * lock that another fiber of the same loop holds while it waits
 * (rg_ylock).  On threads without a loop, and on the loop's own stack
 * (a signaling join admitted again), rg_yield says the caller cannot wait, and
 * the store blocks as it always did, bounded by --db-timeout. */
#ifndef RG_STORE_YIELD_H
#define RG_STORE_YIELD_H

#include <pthread.h>
#include <stdatomic.h>

typedef struct rg_yield {
    /* The fiber running now, NULL on the loop's own stack. */
    void *(*self)(void);
    /* 1 when the fiber running now is no request's (a signaling
     * connection's messages): it uses the connection of the loop's own
     * stack (pg/conn.c rg_pg_link_of), so a request waiting on the loop's
     * own does not hold up the loop's joins. */
    int (*task)(void);
    /* 1 when the caller runs on a fiber that may give the loop back while
     * it waits (not one that is being driven or finished). */
    int (*can_wait)(void);
    /* Gives the loop back until fd may be ready for events (POLLIN,
     * POLLOUT) or a tick (at most 100 ms) passed; the caller looks again. */
    void (*wait_fd)(int fd, short events);
    /* Gives the loop back until the holder of lock releases it. */
    void (*park)(const void *lock);
    /* Gives the loop back for about a millisecond: a fiber waiting for a
     * lock another thread holds (it cannot be told when it is free). */
    void (*nap)(void);
    /* Runs holder, a fiber of this loop waiting with lock held, until it
     * releases lock: for a caller that cannot wait (the loop's own stack,
     * or a fiber that must finish now). */
    void (*drive)(void *holder);
    /* The running fiber released lock: the first fiber parked on it runs
     * at the loop's next turn; a driven fiber hands back to its driver. */
    void (*released)(const void *lock);
} rg_yield;

/* This thread's; NULL where no loop runs fibers (every thread but the
 * loops', and every loop of a SQLite server). */
const rg_yield *rg_yield_get(void);
void rg_yield_set(const rg_yield *y);

/* A mutex that knows its holder's fiber: a fiber of the holder's own loop
 * parks instead of blocking its loop (which would never run the holder
 * again), and the loop's own stack drives the holder to its release.  A
 * fiber that finds it held by another thread naps and tries again, so its
 * loop goes on however long that thread's statement waits. */
typedef struct {
    pthread_mutex_t mu;
    atomic_int holder; /* the holding thread's rg_yield_thread_id, 0 when free */
    void *fiber;       /* the holder's fiber (NULL: a thread's own stack); its thread's */
} rg_ylock;

void rg_ylock_init(rg_ylock *l);
void rg_ylock_destroy(rg_ylock *l);
void rg_ylock_take(rg_ylock *l);
void rg_ylock_give(rg_ylock *l);

#endif

/* bus/bus.h - Redis pub/sub between roomgate nodes (--redis; issue 15),
 * on a thread of its own so that no event loop ever waits on Redis.
 *
 * The loops hand it work through a queue (publish, subscribe,
 * unsubscribe: a mutex and a pipe that wakes the thread); the thread
 * keeps two hiredis connections (a subscriber's, a publisher's), and
 * calls the handler with what arrives.  What Redis carries may be lost
 * (pub/sub is at-most-once, and nothing is queued while it is
 * unreachable): callers keep the truth in the store and use the bus only
 * to learn of it sooner.
 *
 * While Redis is unreachable the thread retries every second; publishing
 * drops at once (rg_bus_up says so).  After a reconnection every channel
 * is subscribed again, and `subscribed` tells each with again = 1, so the
 * caller can catch up on what it missed.
 *
 * Channel names are the caller's; the bus prefixes them with
 * "roomgate:DB:" (DB from the URL) so deployments may share one Redis. */
#ifndef RG_BUS_BUS_H
#define RG_BUS_BUS_H

#include <stddef.h>

#include "core/redisurl.h"

typedef struct rg_bus rg_bus;

/* Called on the bus thread, never with a caller's lock held. */
typedef struct {
    /* A message on a subscribed channel (the caller's name, unprefixed),
     * this node's own included. */
    void (*message)(void *ud, const char *channel, const char *data, size_t len);
    /* Redis confirmed the subscription; again: re-subscribed after Redis
     * was unreachable (messages may have been lost meanwhile). */
    void (*subscribed)(void *ud, const char *channel, int again);
    /* Redis became reachable (up 1) or was lost (up 0). */
    void (*state)(void *ud, int up);
} rg_bus_handler;

/* The thread is started; Redis need not be reachable yet.  NULL when out
 * of memory or threads.  h is copied. */
rg_bus *rg_bus_start(const rg_redis_url *url, const rg_bus_handler *h, void *ud);
/* Stops the thread (it is joined: no handler runs after) and frees all. */
void rg_bus_stop(rg_bus *b);

/* From any thread; none blocks on Redis.  A publish while Redis is
 * unreachable is dropped (so is one beyond the queue's bound). */
void rg_bus_publish(rg_bus *b, const char *channel, const char *data, size_t len);
void rg_bus_subscribe(rg_bus *b, const char *channel);
void rg_bus_unsubscribe(rg_bus *b, const char *channel);
/* 1 while connected to Redis. */
int rg_bus_up(const rg_bus *b);

#endif

/* heartbeat.h - this node's heartbeat (app/nodes.h) on a thread and a
 * PostgreSQL connection of its own (issue 15, "Dead nodes").
 *
 * Why its own: the loops' store calls share one connection behind one
 * mutex (store/pg/pg.h), so a join waiting on a locked row, or a
 * saturating join load, held a beat back for as long; another node's
 * sweeper then took this live node for dead and freed its seats.  On
 * its own connection a beat waits only for the nodes table, which the
 * loops never lock (only a sweep that marks this node down does, and
 * only once it has found the node silent).  The sweep is not run here:
 * it reads and locks the seats and rooms, so it may wait as long as a
 * loop does (app/nodes.c runs it on the main thread).
 *
 * On SQLite (one node, store/nodes.h) there is nothing to beat to: no
 * thread, no connection, and the run of beats counts from the start. */
#ifndef RG_APP_HEARTBEAT_H
#define RG_APP_HEARTBEAT_H

#include <stdint.h>

typedef struct rg_heartbeat rg_heartbeat;

/* Opens a store connection at location (a postgres:// URL; anything else:
 * no thread) and starts the thread that records node_id up every
 * period_ms.  The caller has recorded the first beat (monotonic
 * first_ms).  RG_OK, RG_ENOMEM, RG_EIO. */
int rg_heartbeat_start(const char *location, const char *node_id, int64_t period_ms,
                       int64_t first_ms, rg_heartbeat **out);

/* The monotonic ms of the first beat of the current unbroken run of
 * recorded beats; 0 while the store does not take them.  Any thread. */
int64_t rg_heartbeat_since(rg_heartbeat *hb);

/* Stops the thread (a beat under way finishes first), closes the
 * connection and frees hb (NULL: nothing). */
void rg_heartbeat_stop(rg_heartbeat *hb);

/* Monotonic milliseconds (the clock of rg_heartbeat_since). */
int64_t rg_heartbeat_now_ms(void);

#endif

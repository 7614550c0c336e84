/* nodes.h - the nodes of a deployment sharing one store (issue 15, "Dead
 * nodes"): each roomgate process heartbeats in the store, and a sweeper
 * frees the seats of a node that fell silent.
 *
 * A node names itself once per process (app/nodes.c: host, pid and a
 * random part) and beats every few seconds; the seats it takes from its
 * first beat on record its id.  The sweeper, run by every node but by one
 * at a time, disconnects the seats of the nodes silent for longer than the
 * timeout (or that said they stopped), each with its
 * participant-disconnected event, as a leave does, and hands them back so
 * the caller tells the rooms' other members.
 *
 * PostgreSQL only (src/store/pg/nodes.c): the heartbeat's clock is the
 * database's, so the nodes' clocks need not agree.  SQLite serves one node:
 * both calls succeed and do nothing (a crashed process's seats are freed
 * when it starts again, rg_store_participant_disconnect_all). */
#ifndef RG_STORE_NODES_H
#define RG_STORE_NODES_H

#include <stdint.h>

#include "store/rooms.h"
#include "store/store.h"

#define RG_NODE_ID_MAX 127 /* bytes of a node's id */

/* The states a node row goes through: up while it beats; stopped when it
 * exits cleanly (its seats, if any are left, are free at once); down when
 * a sweeper found it silent and freed its seats (its next beat, should it
 * come back, makes it up again). */
typedef enum { RG_NODE_UP = 0, RG_NODE_STOPPED = 1 } rg_node_state;

/* Records that node (1..RG_NODE_ID_MAX bytes, printable) is alive (state
 * up) or stopped; the first call also makes node the one this handle's
 * seats record.  *was_down (may be NULL) is set to 1 when a sweeper had
 * declared the node dead since its last beat (its seats were freed).
 * RG_OK, RG_EINVAL, RG_EIO. */
int rg_store_node_beat(rg_store *st, const char *node, rg_node_state state, int *was_down);

/* One sweep by node `self` (never swept itself): when no other node's
 * sweep is running, frees the connected seats of every node silent for
 * more than timeout_ms or stopped, records their participant-disconnected
 * events (end_time now, unix seconds) and marks the silent nodes down.  fn
 * (may be NULL) sees each freed seat, after its transaction committed,
 * with the store unlocked.  The number freed, or a negative RG_ code. */
int rg_store_node_sweep(rg_store *st, const char *self, int64_t timeout_ms, int64_t now,
                        void (*fn)(void *ud, const rg_participant *p), void *ud);

#endif

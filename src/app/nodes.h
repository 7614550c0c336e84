/* app/nodes.h - this process as a node of a deployment sharing one store
 * (issue 15, "Dead nodes"; store/nodes.h): its id, its heartbeat and the
 * sweeper that frees the seats of nodes that fell silent, as the module
 * rg_mod_nodes (cli/modules.c).
 *
 * The node's id is "HOST:PID:RANDOM" (the host name, the process id and 8
 * hex digits of randomness, so a reused pid or a container's pid 1 never
 * repeats one), fixed for the process; it is what its seats record and
 * what the nodes table lists.  Every --node-timeout / 5 seconds (at most
 * 3 s), so a node misses four beats before it counts as silent, the
 * heartbeat beats on a thread and a store connection of its own
 * (app/heartbeat.h: a busy or blocked loop connection never delays it)
 * and the sweep runs as a main thread poller (http/app.h), never on an
 * event loop.
 *
 * A node sweeps only once its own beats have been recorded without a
 * break for a whole timeout: after a database outage every node's last
 * beat is old, and the first node back must not take the others, still
 * reconnecting, for dead. */
#ifndef RG_APP_NODES_H
#define RG_APP_NODES_H

#include "core/options.h"
#include "http/app.h"
#include "store/nodes.h"

struct rg_heartbeat;

struct rg_node {
    char id[RG_NODE_ID_MAX + 1];
    int64_t timeout_ms;         /* --node-timeout */
    struct rg_heartbeat *heart; /* the beats and their unbroken run (app/heartbeat.h) */
};

/* The option section of --node-timeout (cli/serve_options.c). */
extern const rg_opt_section rg_nodes_options;

/* Makes this process's id into out (RG_NODE_ID_MAX + 1 bytes): RG_OK, or
 * RG_ECRYPTO when no randomness. */
int rg_node_make_id(char *out, size_t cap);

/* A seat the sweeper freed: the room's members on every node hear that it
 * left (rg_signal_remove).  The sweep's callback; ud is the app. */
void rg_node_seat_freed(void *ud, const rg_participant *p);

#endif

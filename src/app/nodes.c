/* app/nodes.c - this process as a node (app/nodes.h): its id, the
 * heartbeat (app/heartbeat.h) and the dead nodes' sweeper, as a module
 * whose start records the first beat through the server's store handle
 * (before any loop takes a seat, so every seat of this process names it)
 * and whose stop, after the loops are gone and their seats freed, stops
 * the heartbeat and then says the node stopped.
 *
 * A sweep's freed seats had their participant-disconnected events
 * recorded in its transaction (the outbox, as a leave's); here the rooms'
 * members learn they left: this node's hub drops the member and tells its
 * own participants, the other nodes hear it on the Redis control channel
 * (rg_signal_remove), and their periodic comparison with the store
 * (signal/sync.c) catches what Redis lost. */
#include "app/nodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/heartbeat.h"
#include "core/errors.h"
#include "core/signal_msg.h"
#include "crypto/random.h"
#include "http/module.h"
#include "signal/signal.h"

#define BEAT_MAX_MS 3000

const rg_opt_section rg_nodes_options = {"server", "a server option"};

int rg_node_make_id(char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    char host[64], rnd[9];
    unsigned char r[4];
    if (rg_random(r, sizeof r) != 0) return RG_ECRYPTO;
    for (size_t i = 0; i < sizeof r; i++) {
        rnd[2 * i] = hex[r[i] >> 4];
        rnd[2 * i + 1] = hex[r[i] & 15];
    }
    rnd[8] = '\0';
    if (gethostname(host, sizeof host) != 0) host[0] = '\0';
    host[sizeof host - 1] = '\0';
    /* the id is printable without blanks (store/nodes.h): anything else
     * in a host name becomes '_' */
    for (char *h = host; *h; h++)
        if (*h <= ' ' || *h > '~' || *h == ':') *h = '_';
    int n = snprintf(out, cap, "%s:%ld:%s", host[0] ? host : "localhost", (long)getpid(), rnd);
    return n > 0 && (size_t)n < cap ? RG_OK : RG_ETOOBIG;
}

void rg_node_seat_freed(void *ud, const rg_participant *p)
{
    rg_signal_remove(ud, p->room_sid, p->sid, RG_SIG_E_REMOVED,
                     "The participant's node stopped responding");
}

/* A failed sweep (the store unreachable) is retried at the next period. */
static void sweep(void *ud, int64_t now)
{
    rg_app *app = ud;
    int64_t since = rg_heartbeat_since(app->node->heart);
    if (since == 0 || rg_heartbeat_now_ms() - since < app->node->timeout_ms) return;
    int n = rg_store_node_sweep(app->store, app->node->id, app->node->timeout_ms, now,
                                rg_node_seat_freed, app);
    if (n > 0)
        fprintf(stderr, "roomgate: %d seat(s) of silent node(s) freed (--node-timeout %lld s)\n", n,
                (long long)(app->node->timeout_ms / 1000));
}

static int nodes_start(rg_app *app)
{
    struct rg_node *node = calloc(1, sizeof *node);
    char location[4096];
    int period;
    if (node == NULL || rg_node_make_id(node->id, sizeof node->id) != RG_OK) {
        free(node);
        fprintf(stderr, "roomgate: cannot name this node\n");
        return 1;
    }
    node->timeout_ms = (int64_t)(app->cfg.node_timeout > 0 ? app->cfg.node_timeout : 15) * 1000;
    app->node = node;
    if (rg_store_node_beat(app->store, node->id, RG_NODE_UP, NULL) != RG_OK) {
        fprintf(stderr, "roomgate: cannot record this node in the store\n");
        return 1;
    }
    period = (int)(node->timeout_ms / 5);
    if (period > BEAT_MAX_MS) period = BEAT_MAX_MS;
    if (rg_store_location(app->cfg.db, app->cfg.data_dir, location, sizeof location) != RG_OK ||
        rg_heartbeat_start(location, node->id, period, rg_heartbeat_now_ms(), &node->heart) !=
            RG_OK ||
        rg_app_add_poller(app, sweep, app, period) != 0) {
        fprintf(stderr, "roomgate: cannot start the node heartbeat\n");
        return 1;
    }
    return 0;
}

/* After the loops: their seats are freed; what a drain cut short is
 * freed at once by the next sweep elsewhere (a stopped node's seats). */
static void nodes_stop(rg_app *app)
{
    if (app->node == NULL) return;
    rg_heartbeat_stop(app->node->heart); /* no beat may follow the stop's */
    if (rg_store_node_beat(app->store, app->node->id, RG_NODE_STOPPED, NULL) != RG_OK)
        fprintf(stderr, "roomgate: node %s: its stop was not recorded\n", app->node->id);
    free(app->node);
    app->node = NULL;
}

const rg_module rg_mod_nodes = {
    .name = "nodes", .options = &rg_nodes_options, .start = nodes_start, .stop = nodes_stop};

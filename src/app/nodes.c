/* app/nodes.c - this process as a node (app/nodes.h): its id, the
 * heartbeat and the dead nodes' sweeper, as a module whose start records
 * the first beat (before any loop takes a seat, so every seat of this
 * process names it) and whose stop, after the loops are gone and their
 * seats freed, says the node stopped.
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
#include <time.h>
#include <unistd.h>

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

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void beat(void *ud, int64_t now)
{
    rg_app *app = ud;
    struct rg_node *node = app->node;
    int was_down = 0;
    (void)now;
    int rc = rg_store_node_beat(app->store, node->id, RG_NODE_UP, &was_down);
    if (rc != RG_OK && !node->down_said)
        fprintf(stderr, "roomgate: node %s: the heartbeat was not recorded (error %d)\n", node->id,
                rc);
    node->down_said = rc != RG_OK;
    if (rc != RG_OK)
        node->beating_since = 0;
    else if (node->beating_since == 0)
        node->beating_since = mono_ms();
    if (was_down)
        fprintf(stderr,
                "roomgate: node %s: another node found it silent for longer than "
                "--node-timeout and freed its seats; its participants are disconnected\n",
                node->id);
}

/* A failed sweep (the store unreachable) is retried at the next period. */
static void sweep(void *ud, int64_t now)
{
    rg_app *app = ud;
    int64_t since = app->node->beating_since;
    if (since == 0 || mono_ms() - since < app->node->timeout_ms) return;
    int n = rg_store_node_sweep(app->store, app->node->id, app->node->timeout_ms, now,
                                rg_node_seat_freed, app);
    if (n > 0)
        fprintf(stderr, "roomgate: %d seat(s) of silent node(s) freed (--node-timeout %lld s)\n", n,
                (long long)(app->node->timeout_ms / 1000));
}

static int nodes_start(rg_app *app)
{
    struct rg_node *node = calloc(1, sizeof *node);
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
    node->beating_since = mono_ms();
    period = (int)(node->timeout_ms / 5);
    if (period > BEAT_MAX_MS) period = BEAT_MAX_MS;
    if (rg_app_add_poller(app, beat, app, period) != 0 ||
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
    if (rg_store_node_beat(app->store, app->node->id, RG_NODE_STOPPED, NULL) != RG_OK)
        fprintf(stderr, "roomgate: node %s: its stop was not recorded\n", app->node->id);
    free(app->node);
    app->node = NULL;
}

const rg_module rg_mod_nodes = {
    .name = "nodes", .options = &rg_nodes_options, .start = nodes_start, .stop = nodes_stop};

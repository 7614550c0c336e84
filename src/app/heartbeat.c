/* app/heartbeat.c - the heartbeat thread (app/heartbeat.h): it sleeps a
 * period on a condition variable of the monotonic clock (so a stop wakes
 * it at once), records the beat through its own connection and keeps the
 * run of unbroken beats that the sweep waits for (app/nodes.h).  A beat
 * that fails (the database unreachable: the connection heals itself at
 * the next use, store/pg/conn.c) breaks the run; the next recorded one
 * starts a new run. */
#include "app/heartbeat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/errors.h"
#include "http/bgsync.h"
#include "store/nodes.h"
#include "store/store.h"

#define HEAL_STEP_MS 100 /* between two uses of a connection that is down */

struct rg_heartbeat {
    rg_store *st; /* its own connection; NULL on SQLite (no thread) */
    char id[RG_NODE_ID_MAX + 1];
    int64_t period_ms;
    _Atomic int64_t since; /* rg_heartbeat_since */
    int down_said;         /* the last beat failed (said once); the thread's */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* on the monotonic clock */
    int stop;            /* under mu */
    pthread_t tid;
    int started;
};

int64_t rg_heartbeat_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int beat(rg_heartbeat *hb)
{
    int was_down = 0;
    int rc = rg_store_node_beat(hb->st, hb->id, RG_NODE_UP, &was_down);
    if (rc != RG_OK && !hb->down_said)
        fprintf(stderr, "roomgate: node %s: the heartbeat was not recorded (error %d)\n", hb->id,
                rc);
    hb->down_said = rc != RG_OK;
    if (rc != RG_OK)
        atomic_store(&hb->since, 0);
    else if (atomic_load(&hb->since) == 0)
        atomic_store(&hb->since, rg_heartbeat_now_ms());
    if (was_down)
        fprintf(stderr,
                "roomgate: node %s: another node found it silent for longer than "
                "--node-timeout and freed its seats; its participants are disconnected\n",
                hb->id);
    return rc;
}

/* Waits until the next beat is due or a stop: 1 to beat, 0 to stop. */
static int wait_period(rg_heartbeat *hb, int64_t due_ms)
{
    struct timespec at = {.tv_sec = due_ms / 1000, .tv_nsec = (long)(due_ms % 1000) * 1000000};
    pthread_mutex_lock(&hb->mu);
    while (!hb->stop && rg_heartbeat_now_ms() < due_ms)
        pthread_cond_timedwait(&hb->wake, &hb->mu, &at);
    int go = !hb->stop;
    pthread_mutex_unlock(&hb->mu);
    return go;
}

/* Beats are due every period from the last one's start, so a slow beat
 * does not push the next ones later.  While the connection is down its
 * reconnect advances only when it is used (store/pg/conn.c): then the
 * thread looks again every HEAL_STEP_MS, so the beats resume as soon as
 * the database is back rather than some periods later (every node's
 * sweep waits for a whole timeout of them, app/nodes.h). */
static void *run(void *arg)
{
    rg_heartbeat *hb = arg;
    int64_t due = rg_heartbeat_now_ms() + hb->period_ms;
    while (wait_period(hb, due)) {
        int64_t now = rg_heartbeat_now_ms();
        if (beat(hb) != RG_OK && !rg_store_reachable(hb->st))
            due = now + HEAL_STEP_MS;
        else
            due = due + hb->period_ms > now ? due + hb->period_ms : now + hb->period_ms;
    }
    return NULL;
}

int rg_heartbeat_start(const char *location, const char *node_id, int64_t period_ms,
                       int64_t first_ms, rg_heartbeat **out)
{
    pthread_condattr_t ca;
    rg_heartbeat *hb = calloc(1, sizeof *hb);
    *out = NULL;
    if (!hb) return RG_ENOMEM;
    snprintf(hb->id, sizeof hb->id, "%s", node_id);
    hb->period_ms = period_ms;
    atomic_store(&hb->since, first_ms);
    pthread_mutex_init(&hb->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&hb->wake, &ca);
    pthread_condattr_destroy(&ca);
    *out = hb;
    if (!rg_store_is_postgres(location)) return RG_OK;
    if (rg_store_open(location, &hb->st) != RG_OK ||
        rg_bgsync_thread(&hb->tid, run, hb, "rg-heartbeat") != RG_OK)
        return RG_EIO; /* the caller stops hb */
    hb->started = 1;
    return RG_OK;
}

int64_t rg_heartbeat_since(rg_heartbeat *hb)
{
    return hb ? atomic_load(&hb->since) : 0;
}

void rg_heartbeat_stop(rg_heartbeat *hb)
{
    if (!hb) return;
    pthread_mutex_lock(&hb->mu);
    hb->stop = 1;
    pthread_cond_broadcast(&hb->wake);
    pthread_mutex_unlock(&hb->mu);
    if (hb->started) pthread_join(hb->tid, NULL);
    if (hb->st) rg_store_close(hb->st);
    pthread_cond_destroy(&hb->wake);
    pthread_mutex_destroy(&hb->mu);
    free(hb);
}

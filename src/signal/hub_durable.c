/* signal/hub_durable.c - the seats waiting for their rooms' durable
 * commit, and the thread that makes it (group commit).
 *
 * A batch of seats that opens a room commits light (no fsync) and the
 * store says how far its write-ahead log must reach the disk before
 * anyone hears of it (rg_seat.durable).  The loop does not wait: its
 * seated peers stay unannounced (RG_HUB_SEATING) and the batch is queued
 * here.  This thread takes every batch queued, makes them all durable
 * with one call of the sync hook (one fdatasync covers every commit
 * before it, of both loops), and sends each batch back to its loop, which
 * then announces its peers (rg_hub_durable_done, hub_join.c).  While the
 * disk works the loops go on reading joins, so the next fsync covers all
 * of those: the fsyncs per join fall as the load rises. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/bgsync.h"
#include "signal/hub.h"

struct rg_hub_durable {
    rg_sig_hub *hub;
    pthread_t thread;
    rg_bgsync sync;       /* its lock guards queue */
    h2o_linklist_t queue; /* rg_hub_waiting, oldest first */
};

/* Sends w back to its loop, or drops it when the loop is gone. */
static void send_back(rg_sig_hub *hub, rg_hub_waiting *w)
{
    rg_sig_thread *t = hub->threads[w->thread];
    if (t != NULL) {
        pthread_mutex_lock(&t->post_lock);
        if (!t->closed) {
            h2o_multithread_send_message(&t->durable_receiver, &w->super);
            w = NULL;
        }
        pthread_mutex_unlock(&t->post_lock);
    }
    free(w);
}

static void *run(void *arg)
{
    struct rg_hub_durable *d = arg;
    h2o_linklist_t batch;
    h2o_linklist_init_anchor(&batch);
    pthread_mutex_lock(&d->sync.mu);
    for (;;) {
        while (!d->sync.stop && h2o_linklist_is_empty(&d->queue))
            pthread_cond_wait(&d->sync.wake, &d->sync.mu);
        if (h2o_linklist_is_empty(&d->queue)) break; /* stopping, nothing left */
        h2o_linklist_insert_list(&batch, &d->queue);
        pthread_mutex_unlock(&d->sync.mu);
        int64_t point = 0;
        for (h2o_linklist_t *l = batch.next; l != &batch; l = l->next) {
            rg_hub_waiting *w = H2O_STRUCT_FROM_MEMBER(rg_hub_waiting, super.link, l);
            if (w->point > point) point = w->point;
        }
        int rc = d->hub->hooks.sync(d->hub->app, point);
        while (!h2o_linklist_is_empty(&batch)) {
            rg_hub_waiting *w = H2O_STRUCT_FROM_MEMBER(rg_hub_waiting, super.link, batch.next);
            h2o_linklist_unlink(&w->super.link);
            w->rc = rc;
            send_back(d->hub, w);
        }
        pthread_mutex_lock(&d->sync.mu);
    }
    pthread_mutex_unlock(&d->sync.mu);
    return NULL;
}

int rg_hub_durable_start(rg_sig_hub *hub)
{
    struct rg_hub_durable *d = calloc(1, sizeof *d);
    if (d == NULL) return RG_ENOMEM;
    d->hub = hub;
    h2o_linklist_init_anchor(&d->queue);
    rg_bgsync_init(&d->sync);
    if (rg_bgsync_thread(&d->thread, run, d, "rg-hubsync") != RG_OK) {
        rg_bgsync_destroy(&d->sync);
        free(d);
        return RG_ENOMEM;
    }
    hub->durable = d;
    hub->durable_done = rg_hub_durable_done;
    return RG_OK;
}

/* After the loops are gone: what is queued is synced and dropped. */
void rg_hub_durable_stop(rg_sig_hub *hub)
{
    struct rg_hub_durable *d = hub != NULL ? hub->durable : NULL;
    if (d == NULL) return;
    rg_bgsync_stop(&d->sync);
    pthread_join(d->thread, NULL);
    rg_bgsync_destroy(&d->sync);
    free(d);
    hub->durable = NULL;
}

void rg_hub_durable_wait(rg_sig_hub *hub, rg_hub_waiting *w)
{
    struct rg_hub_durable *d = hub->durable;
    pthread_mutex_lock(&d->sync.mu);
    h2o_linklist_insert(&d->queue, &w->super.link);
    pthread_cond_signal(&d->sync.wake);
    pthread_mutex_unlock(&d->sync.mu);
}

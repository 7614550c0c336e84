/* signal/hub_writer.c - the thread that writes the hub's seats and leaves
 * when the store is across the network (PostgreSQL), so that no loop
 * waits for the database on a join or a leave.
 *
 * A loop's batch of seats (hub_seats.c) or of leaves (hub_leave.c) is a
 * job queued here.  The thread takes the jobs in the order they came from
 * every loop (those of one kind queued one after another are written in
 * one transaction, up to RG_HUB_WRITE_GROUP jobs and RG_HUB_WRITE_ROWS
 * rows): the store sees one node's seats and leaves
 * in the order they were asked (a rejoin after its leave), and the rooms
 * change in that same order, under their locks, right after each write
 * (the writer is the one that replaces an identity's older connection,
 * or takes a leaving member out), so the rooms always agree with the
 * store.  Then the job goes back to its loop, which tells its own peers
 * (a peer is its loop's alone).  A row lock that holds one job holds the
 * jobs behind it, never a loop: its connections, relays and requests go
 * on.
 *
 * The thread has a store connection of its own (init binds it), so the
 * loops' own statements (admission reads) never queue behind a write. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/bgsync.h"
#include "signal/hub.h"

struct rg_hub_writer {
    rg_sig_hub *hub;
    pthread_t thread;
    rg_bgsync sync;       /* its lock guards queue; finished counts jobs sent back */
    h2o_linklist_t queue; /* rg_hub_job, oldest first */
    void (*init)(void *arg);
    void *arg;
};

rg_hub_job *rg_hub_job_new(rg_sig_thread *t, void (*write)(rg_sig_hub *, rg_hub_job **, int),
                           void (*written)(rg_sig_thread *, rg_hub_job *))
{
    rg_hub_job *job = calloc(1, sizeof *job);
    if (job != NULL) {
        job->thread = t->index;
        job->write = write;
        job->written = written;
    }
    return job;
}

/* What a job still holds (rooms, members, openings) once its loop is done
 * with it, or when no loop gets it back. */
static void job_free(rg_sig_hub *hub, rg_hub_job *job)
{
    for (int i = 0; i < job->nseats; i++) {
        rg_hub_member_free(job->seats[i].m);
        free(job->seats[i].opening);
        rg_hub_room_unref(hub, job->seats[i].room);
    }
    for (int i = 0; i < job->ngone; i++) /* never written (the loop is gone) */
        rg_hub_room_unref(hub, job->gone[i].room);
    free(job->tracks);
    free(job);
}

/* Back to its loop; a loop already disposed (it waits for its jobs first,
 * so only at a failed start) gets nothing: what the job holds is freed. */
static void send_back(rg_sig_hub *hub, rg_hub_job *job)
{
    rg_sig_thread *t = hub->threads[job->thread];
    if (t != NULL) {
        pthread_mutex_lock(&t->post_lock);
        if (!t->closed) {
            h2o_multithread_send_message(&t->writer_receiver, &job->super);
            job = NULL;
        }
        pthread_mutex_unlock(&t->post_lock);
    }
    if (job != NULL) job_free(hub, job);
}

/* The oldest job and those of its kind right behind it (the loops' turns
 * queued while the last write was out): one write for them all, as the
 * loops' batches grew when they shared a connection.  sync.mu held. */
static int take_group(struct rg_hub_writer *wr, rg_hub_job **jobs)
{
    int n = 0, rows = 0;
    while (n < RG_HUB_WRITE_GROUP && !h2o_linklist_is_empty(&wr->queue)) {
        rg_hub_job *job = H2O_STRUCT_FROM_MEMBER(rg_hub_job, super.link, wr->queue.next);
        int w = job->nseats + job->ngone;
        if (n > 0 && (job->write != jobs[0]->write || rows + w > RG_HUB_WRITE_ROWS)) break;
        h2o_linklist_unlink(&job->super.link);
        jobs[n++] = job;
        rows += w;
    }
    return n;
}

static void *run(void *arg)
{
    struct rg_hub_writer *wr = arg;
    rg_bgsync *sy = &wr->sync;
    if (wr->init != NULL) wr->init(wr->arg);
    pthread_mutex_lock(&sy->mu);
    for (;;) {
        while (!sy->stop && h2o_linklist_is_empty(&wr->queue))
            pthread_cond_wait(&sy->wake, &sy->mu);
        if (h2o_linklist_is_empty(&wr->queue)) break; /* stopping, nothing left */
        rg_hub_job *jobs[RG_HUB_WRITE_GROUP];
        int n = take_group(wr, jobs);
        pthread_mutex_unlock(&sy->mu);
        jobs[0]->write(wr->hub, jobs, n);
        for (int i = 0; i < n; i++)
            send_back(wr->hub, jobs[i]);
        pthread_mutex_lock(&sy->mu);
        sy->finished += (uint64_t)n;
        pthread_cond_broadcast(&sy->done);
    }
    pthread_mutex_unlock(&sy->mu);
    return NULL;
}

/* The loops' receiver of jobs written (hub->writer_done). */
static void written(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    rg_sig_thread *t = H2O_STRUCT_FROM_MEMBER(rg_sig_thread, writer_receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        rg_hub_job *job = H2O_STRUCT_FROM_MEMBER(rg_hub_job, super.link, messages->next);
        h2o_linklist_unlink(&job->super.link);
        job->written(t, job);
        job_free(t->hub, job);
    }
}

/* A loop ending (hub->writer_flush): every job queued so far (its own
 * among them) is written and back in its receiver, which is answered
 * here, on the loop's thread. */
static void flush(rg_sig_thread *t)
{
    rg_bgsync_flush(&t->hub->writer->sync);
    written(&t->writer_receiver, &t->writer_receiver._messages);
}

int rg_hub_writer_start(rg_sig_hub *hub, void (*init)(void *arg), void *arg)
{
    struct rg_hub_writer *wr = calloc(1, sizeof *wr);
    if (wr == NULL) return RG_ENOMEM;
    wr->hub = hub;
    wr->init = init;
    wr->arg = arg;
    h2o_linklist_init_anchor(&wr->queue);
    rg_bgsync_init(&wr->sync);
    if (rg_bgsync_thread(&wr->thread, run, wr, "rg-hubwriter") != RG_OK) {
        rg_bgsync_destroy(&wr->sync);
        free(wr);
        return RG_ENOMEM;
    }
    hub->writer = wr;
    hub->writer_done = written;
    hub->writer_flush = flush;
    return RG_OK;
}

/* After the loops are gone (each waited for its jobs): nothing is left. */
void rg_hub_writer_stop(rg_sig_hub *hub)
{
    struct rg_hub_writer *wr = hub != NULL ? hub->writer : NULL;
    if (wr == NULL) return;
    rg_bgsync_stop(&wr->sync);
    pthread_join(wr->thread, NULL);
    rg_bgsync_destroy(&wr->sync);
    free(wr);
    hub->writer = NULL;
    hub->writer_done = NULL;
    hub->writer_flush = NULL;
}

void rg_hub_writer_post(rg_sig_hub *hub, rg_hub_job *job)
{
    struct rg_hub_writer *wr = hub->writer;
    pthread_mutex_lock(&wr->sync.mu);
    h2o_linklist_insert(&wr->queue, &job->super.link);
    wr->sync.pushed++;
    pthread_cond_signal(&wr->sync.wake);
    pthread_mutex_unlock(&wr->sync.mu);
}

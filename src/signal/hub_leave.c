/* signal/hub_leave.c - the leaves of a loop turn, written in one store
 * transaction, as the turn's seats are (hub_join.c).
 *
 * A participant whose connection goes is not taken out of its room at
 * once: its member is marked leaving and its leave queued.  At the end of
 * the turn (the seat timer, or before the next seats: a rejoin comes
 * after its leave) the store writes them all (one commit instead of one
 * per leave), and only then does each member go and the others hear it
 * left (RG_HUB_LEFT, the other nodes' gone), and the connections' sockets
 * close (rg_hub_after_leaves).  So nobody learns of a leave before it is
 * written: a client that saw the close, or the participant_left, and
 * asks the REST API finds the participant disconnected, as with one
 * transaction per leave.
 *
 * With a writer thread (a store across the network, hub_writer.c) the
 * batch is written and told there, and what waits for it runs when it is
 * back on the loop.
 *
 * Meanwhile the member is still one to everyone: a newcomer is told of
 * it (and then hears it left), a replacement or a kick removes it as
 * usual (whoever removes a member tells the others, hub.h), and then the
 * leave finds nothing to announce and its write changes nothing. */
#include <string.h>

#include "core/errors.h"
#include "signal/hub.h"

static void on_leave_timer(h2o_timeout_entry_t *e)
{
    rg_hub_leaves_run(H2O_STRUCT_FROM_MEMBER(rg_sig_thread, leave_entry, e));
}

static void leave_timer_link(rg_sig_thread *t)
{
    t->leave_entry.cb = on_leave_timer;
    if (!h2o_timeout_is_linked(&t->leave_entry))
        h2o_timeout_link(t->ctx->loop, &t->seat_timeout, &t->leave_entry);
}

void rg_hub_leave_queue_sid(rg_sig_thread *t, const char *sid, rg_hub_room *room)
{
    rg_hub_gone *g = &t->gone[t->ngone++];
    memcpy(g->sid, sid, sizeof g->sid);
    g->now = rg_hub_now(t);
    g->room = room;
    leave_timer_link(t);
}

void rg_hub_leave_queue(rg_hub_peer *p, rg_hub_member *m)
{
    m->leaving = 1;
    rg_hub_leave_queue_sid(p->t, p->sid, p->room);
}

/* The leave is written: its member goes, and the others hear it, unless
 * someone removed it meanwhile (and told them). */
static void gone_told(rg_sig_hub *hub, rg_hub_gone *g)
{
    rg_hub_room *room = g->room;
    rg_hub_member *m;
    pthread_mutex_lock(&room->lock);
    if ((m = rg_hub_member_find(room, g->sid)) != NULL && m->leaving) {
        m = rg_hub_member_take(room, g->sid);
        if (m->lobby == 0) { /* RG_HUB_SEATING: never announced, nobody to tell */
            rg_hub_event left = {RG_HUB_LEFT, 0, m->sid, m->identity, NULL, 0};
            rg_hub_broadcast(hub, room, NULL, &left);
            RG_HUB_FANOUT(hub, gone, m);
        }
        rg_hub_member_free(m);
    }
    pthread_mutex_unlock(&room->lock);
    rg_hub_room_unref(hub, room);
}

static void run_after(rg_sig_thread *t)
{
    rg_hub_after after[SIG_SEAT_BATCH];
    int n = t->nafter;
    memcpy(after, t->after, (size_t)n * sizeof *after);
    t->nafter = 0;
    for (int i = 0; i < n; i++)
        after[i].fn(after[i].arg);
}

/* On the writer: the leaves of the jobs queued together, in one store
 * call, then each told, in order. */
static void leaves_write(rg_sig_hub *hub, rg_hub_job **jobs, int njobs)
{
    rg_leave leaves[RG_HUB_WRITE_ROWS];
    int n = 0;
    for (int j = 0; j < njobs; j++)
        for (int i = 0; i < jobs[j]->ngone; i++)
            leaves[n++] = (rg_leave){jobs[j]->gone[i].sid, jobs[j]->gone[i].now, RG_OK};
    if (n > 0) hub->hooks.leave(hub->app, leaves, (size_t)n);
    for (int j = 0; j < njobs; j++) {
        for (int i = 0; i < jobs[j]->ngone; i++)
            gone_told(hub, &jobs[j]->gone[i]);
        jobs[j]->ngone = 0; /* the rooms' references went with them */
    }
}

static void leaves_written(rg_sig_thread *t, rg_hub_job *job)
{
    t->leaves_flying--;
    for (int i = 0; i < job->nafter; i++)
        job->after[i].fn(job->after[i].arg);
    job->nafter = 0;
}

/* The store across the network: the turn's leaves (and what waits for
 * them) are a job for the writer (hub_writer.c), which writes and tells
 * them in its order, after the seats asked before them; what waits runs
 * when the job is back (leaves_written).  No memory for a job:
 * written here, as without a writer. */
static int leaves_post(rg_sig_thread *t)
{
    rg_hub_job *job;
    if (t->ngone == 0 && t->nafter == 0) return 0;
    if ((job = rg_hub_job_new(t, leaves_write, leaves_written)) == NULL) return -1;
    memcpy(job->gone, t->gone, (size_t)t->ngone * sizeof *t->gone);
    memcpy(job->after, t->after, (size_t)t->nafter * sizeof *t->after);
    job->ngone = t->ngone;
    job->nafter = t->nafter;
    t->ngone = t->nafter = 0;
    t->leaves_flying++;
    rg_hub_writer_post(t->hub, job);
    return 0;
}

void rg_hub_leaves_run(rg_sig_thread *t)
{
    rg_hub_gone gone[SIG_SEAT_BATCH];
    rg_leave leaves[SIG_SEAT_BATCH];
    int n = t->ngone;
    if (h2o_timeout_is_linked(&t->leave_entry)) h2o_timeout_unlink(&t->leave_entry);
    if (t->hub->writer != NULL && !t->disposing && leaves_post(t) == 0) return;
    /* taken first: nothing below queues a leave, but the queue is free */
    memcpy(gone, t->gone, (size_t)n * sizeof *gone);
    t->ngone = 0;
    for (int i = 0; i < n; i++)
        leaves[i] = (rg_leave){gone[i].sid, gone[i].now, RG_OK};
    if (n > 0) t->hub->hooks.leave(t->hub->app, leaves, (size_t)n);
    for (int i = 0; i < n; i++)
        gone_told(t->hub, &gone[i]);
    run_after(t);
}

void rg_hub_after_leaves(rg_sig_thread *t, void (*fn)(void *arg), void *arg)
{
    if (t->nafter == SIG_SEAT_BATCH) rg_hub_leaves_run(t);
    if (t->ngone == 0 && t->leaves_flying == 0) {
        fn(arg);
        return;
    }
    t->after[t->nafter++] = (rg_hub_after){fn, arg};
    leave_timer_link(t); /* leaves at the writer only: it follows them there */
}

/* bgq.c - a queue and one thread (see bgq.h). */
#include "http/bgq.h"

#include <stdlib.h>

#include "http/bgsync.h"

struct rg_bgq {
    rg_bgsync s;
    rg_defer *head, **tail;
    size_t max_batch;
    rg_bgq_fn run;
    void *ud;
    pthread_t tid;
};

static void *main_loop(void *arg)
{
    rg_bgq *q = arg;
    rg_defer **batch = calloc(q->max_batch, sizeof *batch);
    pthread_mutex_lock(&q->s.mu);
    for (;;) {
        size_t n = 0;
        while (q->head == NULL && !q->s.stop)
            pthread_cond_wait(&q->s.wake, &q->s.mu);
        if (q->head == NULL) break;
        while (q->head && n < q->max_batch) {
            batch[n++] = q->head;
            q->head = q->head->next;
        }
        if (q->head == NULL) q->tail = &q->head;
        pthread_mutex_unlock(&q->s.mu);
        q->run(q->ud, batch, n);
        pthread_mutex_lock(&q->s.mu);
        q->s.finished += n;
        pthread_cond_broadcast(&q->s.done);
    }
    pthread_mutex_unlock(&q->s.mu);
    free(batch);
    return NULL;
}

rg_bgq *rg_bgq_start(const char *name, rg_bgq_fn run, void *ud, size_t max_batch)
{
    rg_bgq *q = calloc(1, sizeof *q);
    if (q == NULL) return NULL;
    rg_bgsync_init(&q->s);
    q->tail = &q->head;
    q->run = run;
    q->ud = ud;
    q->max_batch = max_batch ? max_batch : 1;
    if (rg_bgsync_thread(&q->tid, main_loop, q, name) != 0) {
        rg_bgsync_destroy(&q->s);
        free(q);
        return NULL;
    }
    return q;
}

void rg_bgq_push(rg_bgq *q, rg_defer *d)
{
    d->next = NULL;
    pthread_mutex_lock(&q->s.mu);
    *q->tail = d;
    q->tail = &d->next;
    q->s.pushed++;
    pthread_cond_signal(&q->s.wake);
    pthread_mutex_unlock(&q->s.mu);
}

void rg_bgq_flush(rg_bgq *q)
{
    if (q != NULL) rg_bgsync_flush(&q->s);
}

void rg_bgq_stop(rg_bgq *q)
{
    if (q == NULL) return;
    rg_bgsync_stop(&q->s);
    pthread_join(q->tid, NULL);
    rg_bgsync_destroy(&q->s);
    free(q);
}

/* bgq.c - a queue and one thread (see bgq.h). */
#include "http/bgq.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

struct rg_bgq {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    rg_defer *head, **tail;
    uint64_t pushed, finished; /* counts, for flush */
    int stop;
    size_t max_batch;
    rg_bgq_fn run;
    void *ud;
    pthread_t tid;
};

static void *main_loop(void *arg)
{
    rg_bgq *q = arg;
    rg_defer **batch = calloc(q->max_batch, sizeof *batch);
    pthread_mutex_lock(&q->mu);
    for (;;) {
        size_t n = 0;
        while (q->head == NULL && !q->stop)
            pthread_cond_wait(&q->wake, &q->mu);
        if (q->head == NULL) break;
        while (q->head && n < q->max_batch) {
            batch[n++] = q->head;
            q->head = q->head->next;
        }
        if (q->head == NULL) q->tail = &q->head;
        pthread_mutex_unlock(&q->mu);
        q->run(q->ud, batch, n);
        pthread_mutex_lock(&q->mu);
        q->finished += n;
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->mu);
    free(batch);
    return NULL;
}

rg_bgq *rg_bgq_start(const char *name, rg_bgq_fn run, void *ud, size_t max_batch)
{
    rg_bgq *q = calloc(1, sizeof *q);
    sigset_t all, old;
    int rc;
    if (q == NULL) return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->done, NULL);
    q->tail = &q->head;
    q->run = run;
    q->ud = ud;
    q->max_batch = max_batch ? max_batch : 1;
    /* The thread starts with every signal blocked: SIGTERM must reach the
     * main thread's sigtimedwait, not kill the process from here. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&q->tid, NULL, main_loop, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        free(q);
        return NULL;
    }
    pthread_setname_np(q->tid, name);
    return q;
}

void rg_bgq_push(rg_bgq *q, rg_defer *d)
{
    d->next = NULL;
    pthread_mutex_lock(&q->mu);
    *q->tail = d;
    q->tail = &d->next;
    q->pushed++;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->mu);
}

void rg_bgq_flush(rg_bgq *q)
{
    if (q == NULL) return;
    pthread_mutex_lock(&q->mu);
    uint64_t want = q->pushed;
    while (q->finished < want)
        pthread_cond_wait(&q->done, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

void rg_bgq_stop(rg_bgq *q)
{
    if (q == NULL) return;
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->tid, NULL);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->done);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

/* importq.c - import threads with one running import per account (see
 * importq.h). */
#include "playback/importq.h"

#include <stdlib.h>
#include <string.h>

#include "http/bgsync.h"

typedef struct {
    rg_importq *q;
    unsigned i;
    pthread_t tid;
} worker;

struct rg_importq {
    rg_bgsync s;
    rg_import_job *head; /* waiting, oldest first */
    /* the account each thread is importing for ("" when idle) */
    char running[RG_IMPORT_THREADS_MAX][RG_SID_SIZE];
    unsigned nthreads;
    worker w[RG_IMPORT_THREADS_MAX];
};

static int is_running(const rg_importq *q, const char *account)
{
    for (unsigned i = 0; i < q->nthreads; i++)
        if (strcmp(q->running[i], account) == 0) return 1;
    return 0;
}

/* Unlinks and returns the oldest job whose account has none running. */
static rg_import_job *take(rg_importq *q)
{
    for (rg_import_job **p = &q->head; *p; p = &(*p)->next) {
        rg_import_job *j = *p;
        if (is_running(q, j->account)) continue;
        *p = j->next;
        return j;
    }
    return NULL;
}

static void *worker_loop(void *arg)
{
    worker *w = arg;
    rg_importq *q = w->q;
    pthread_mutex_lock(&q->s.mu);
    for (;;) {
        rg_import_job *j = take(q);
        if (j == NULL) {
            if (q->s.stop && q->head == NULL) break;
            pthread_cond_wait(&q->s.wake, &q->s.mu);
            continue;
        }
        memcpy(q->running[w->i], j->account, RG_SID_SIZE);
        pthread_mutex_unlock(&q->s.mu);
        j->d->work(j->d); /* j may be freed from here on */
        pthread_mutex_lock(&q->s.mu);
        q->running[w->i][0] = '\0';
        q->s.finished++;
        /* the account's next import may run now, on any thread */
        pthread_cond_broadcast(&q->s.wake);
        pthread_cond_broadcast(&q->s.done);
    }
    pthread_mutex_unlock(&q->s.mu);
    return NULL;
}

static void stop_threads(rg_importq *q, unsigned started)
{
    rg_bgsync_stop(&q->s);
    for (unsigned i = 0; i < started; i++)
        pthread_join(q->w[i].tid, NULL);
}

rg_importq *rg_importq_start(unsigned threads)
{
    rg_importq *q = calloc(1, sizeof *q);
    unsigned i;
    if (q == NULL || threads == 0 || threads > RG_IMPORT_THREADS_MAX) {
        free(q);
        return NULL;
    }
    rg_bgsync_init(&q->s);
    q->nthreads = threads;
    for (i = 0; i < threads; i++) {
        q->w[i].q = q;
        q->w[i].i = i;
        if (rg_bgsync_thread(&q->w[i].tid, worker_loop, &q->w[i], "rg-import") != 0) break;
    }
    if (i < threads) {
        stop_threads(q, i);
        rg_bgsync_destroy(&q->s);
        free(q);
        return NULL;
    }
    return q;
}

int rg_importq_push(rg_importq *q, rg_import_job *j)
{
    unsigned n = 0;
    rg_import_job **tail;
    j->next = NULL;
    pthread_mutex_lock(&q->s.mu);
    n += (unsigned)is_running(q, j->account);
    for (tail = &q->head; *tail; tail = &(*tail)->next)
        n += strcmp((*tail)->account, j->account) == 0;
    if (n >= RG_IMPORTS_PER_ACCOUNT) {
        pthread_mutex_unlock(&q->s.mu);
        return -1;
    }
    *tail = j;
    q->s.pushed++;
    pthread_cond_broadcast(&q->s.wake);
    pthread_mutex_unlock(&q->s.mu);
    return 0;
}

void rg_importq_flush(rg_importq *q)
{
    if (q != NULL) rg_bgsync_flush(&q->s);
}

void rg_importq_stop(rg_importq *q)
{
    if (q == NULL) return;
    stop_threads(q, q->nthreads);
    rg_bgsync_destroy(&q->s);
    free(q);
}

/* bgsync.c - the lock, wake-up and pushed/finished counts a background
 * queue shares with the loops feeding it, and its threads started with
 * every signal blocked (bgsync.h). */
#include "http/bgsync.h"

#include "core/errors.h"

#include <signal.h>

void rg_bgsync_init(rg_bgsync *s)
{
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->done, NULL);
}

void rg_bgsync_destroy(rg_bgsync *s)
{
    pthread_cond_destroy(&s->wake);
    pthread_cond_destroy(&s->done);
    pthread_mutex_destroy(&s->mu);
}

void rg_bgsync_flush(rg_bgsync *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t want = s->pushed;
    while (s->finished < want)
        pthread_cond_wait(&s->done, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void rg_bgsync_stop(rg_bgsync *s)
{
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->mu);
}

int rg_bgsync_thread(pthread_t *tid, void *(*fn)(void *), void *arg, const char *name)
{
    sigset_t all, old;
    int rc;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(tid, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return RG_EIO;
    pthread_setname_np(*tid, name);
    return RG_OK;
}

/* bgsync.h - what a background queue's threads share with the loops that
 * feed them (bgq.c, importq.c): one lock, a wake-up for the threads, and
 * the pushed/finished counts that let a loop wait for everything it
 * queued; plus starting such a thread with every signal blocked. */
#ifndef RG_HTTP_BGSYNC_H
#define RG_HTTP_BGSYNC_H

#include <pthread.h>
#include <stdint.h>

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t wake, done; /* work queued or stop / work finished */
    uint64_t pushed, finished; /* counts, for flush; under mu */
    int stop;
} rg_bgsync;

void rg_bgsync_init(rg_bgsync *s);
void rg_bgsync_destroy(rg_bgsync *s);
/* Waits until everything pushed so far has finished. */
void rg_bgsync_flush(rg_bgsync *s);
/* Sets stop and wakes every thread (the caller joins them). */
void rg_bgsync_stop(rg_bgsync *s);
/* pthread_create with every signal blocked (SIGTERM must reach the main
 * thread's sigtimedwait, not kill the process from here), named name.
 * RG_OK, or RG_EIO when the thread could not be made. */
int rg_bgsync_thread(pthread_t *tid, void *(*fn)(void *), void *arg, const char *name);

#endif

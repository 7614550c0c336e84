/* yield.c - the thread's rg_yield and the fiber-aware lock (yield.h). */
#include "store/yield.h"

#include <stddef.h>

static _Thread_local const rg_yield *thread_yield;
static _Thread_local int thread_id;
static atomic_int next_id = 1;

const rg_yield *rg_yield_get(void)
{
    return thread_yield;
}

void rg_yield_set(const rg_yield *y)
{
    thread_yield = y;
}

/* A small number per thread, never 0 (gettid is a system call). */
static int my_id(void)
{
    if (thread_id == 0) thread_id = atomic_fetch_add(&next_id, 1);
    return thread_id;
}

void rg_ylock_init(rg_ylock *l)
{
    pthread_mutex_init(&l->mu, NULL);
    atomic_init(&l->holder, 0);
    l->fiber = NULL;
}

void rg_ylock_destroy(rg_ylock *l)
{
    pthread_mutex_destroy(&l->mu);
}

void rg_ylock_take(rg_ylock *l)
{
    const rg_yield *y = thread_yield;
    int me = my_id();
    for (;;) {
        if (pthread_mutex_trylock(&l->mu) == 0) break;
        /* holder is only ever this thread's id when this thread wrote it:
         * then the holder is one of this loop's fibers, waiting */
        if (y == NULL || atomic_load_explicit(&l->holder, memory_order_relaxed) != me ||
            l->fiber == NULL) {
            if (y != NULL && y->self() != NULL && y->can_wait()) {
                y->nap(); /* another thread's: the fiber waits, its loop does not */
                continue;
            }
            pthread_mutex_lock(&l->mu); /* another thread's: wait for it, as ever */
            break;
        }
        if (y->self() != NULL && y->can_wait())
            y->park(l);
        else
            y->drive(l->fiber);
    }
    atomic_store_explicit(&l->holder, me, memory_order_relaxed);
    l->fiber = y ? y->self() : NULL;
}

void rg_ylock_give(rg_ylock *l)
{
    void *fiber = l->fiber;
    l->fiber = NULL;
    atomic_store_explicit(&l->holder, 0, memory_order_relaxed);
    pthread_mutex_unlock(&l->mu);
    if (fiber != NULL) thread_yield->released(l);
}

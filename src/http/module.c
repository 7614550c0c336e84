/* module.c - the modules' process lifecycle and their routes as the
 * router's one table (module.h). */
#include "http/module.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* Every signal blocked while the modules start: a thread one starts (the
 * job threads, the webhook dispatcher) inherits that mask, so SIGTERM and
 * SIGINT reach the main thread's sigtimedwait (server.c) rather than
 * killing the process from that thread.  The caller's mask comes back
 * after. */
int rg_modules_start(rg_app *app, int *ok)
{
    sigset_t all, old;
    int n = 0;
    *ok = 1;
    while (app->modules[n] != NULL)
        n++;
    if (n > RG_MODULES_MAX) { /* rg_worker has a slot for each */
        fprintf(stderr, "roomgate: more than %d modules\n", RG_MODULES_MAX);
        *ok = 0;
        return 0;
    }
    n = 0;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (; app->modules[n] != NULL; n++)
        if (app->modules[n]->start && app->modules[n]->start(app) != 0) {
            *ok = 0;
            n++;
            break;
        }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return n;
}

void rg_modules_stop(rg_app *app, int n)
{
    while (n-- > 0)
        if (app->modules[n]->stop) app->modules[n]->stop(app);
}

void **rg_worker_state(rg_worker *w, const rg_module *m)
{
    const rg_module *const *list = w->app->modules;
    for (int i = 0; list != NULL && list[i] != NULL && i < RG_MODULES_MAX; i++)
        if (list[i] == m) return &w->state[i];
    return NULL;
}

void *rg_worker_get(rg_worker *w, const rg_module *m)
{
    void **slot = rg_worker_state(w, m);
    return slot != NULL ? *slot : NULL;
}

rg_route *rg_modules_routes(const rg_module *const *modules, int *n)
{
    rg_route *t;
    int k = 0;
    *n = 0;
    for (const rg_module *const *m = modules; *m != NULL; m++)
        for (const rg_route *r = (*m)->routes; r && r->method != NULL; r++)
            (*n)++;
    if ((t = calloc((size_t)*n + 1, sizeof *t)) == NULL) return NULL;
    for (const rg_module *const *m = modules; *m != NULL; m++)
        for (const rg_route *r = (*m)->routes; r && r->method != NULL; r++)
            t[k++] = *r;
    return t;
}

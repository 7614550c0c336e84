/* defer.c - deferred answers anchored to the request pool (see defer.h). */
#include "http/defer.h"

#include <stdlib.h>

struct rg_defer_anchor {
    rg_defer *d;
};

static void on_anchor_dispose(void *p)
{
    struct rg_defer_anchor *a = p;
    rg_defer *d = a->d;
    if (d == NULL) return;
    d->c = NULL;
    d->anchor = NULL;
    if (d->abort) d->abort(d);
}

void *rg_defer_new(rg_call *c, size_t size, rg_defer_fn done)
{
    rg_defer *d = calloc(1, size);
    struct rg_defer_anchor *a;
    if (c->gone) { /* h2o is freeing the request (http/fiber.h): nothing may hang on it */
        free(d);
        return NULL;
    }
    if (d == NULL) return NULL;
    a = h2o_mem_alloc_shared(&c->req->pool, sizeof *a, on_anchor_dispose);
    a->d = d;
    d->anchor = a;
    d->c = c;
    d->rx = c->w->defer_rx;
    d->done = done;
    return d;
}

void rg_defer_complete(rg_defer *d)
{
    rg_call *c = d->c;
    if (d->anchor) d->anchor->d = NULL;
    d->anchor = NULL;
    d->done(d, c);
    free(d);
}

void rg_defer_cancel(rg_defer *d)
{
    if (d->anchor) d->anchor->d = NULL;
    free(d);
}

void rg_defer_post(rg_defer *d)
{
    h2o_multithread_send_message(d->rx, &d->msg);
}

void rg_defer_on_messages(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
    (void)rx;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        rg_defer_complete(H2O_STRUCT_FROM_MEMBER(rg_defer, msg, m));
    }
}

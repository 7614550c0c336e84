/* watch.c - the change watcher: its listeners in registration order, and
 * the tick that asks the store's change mark once and calls every listener
 * when it moved (watch.h). */
#include "store/watch.h"

#include <stdlib.h>

#include "core/errors.h"

typedef struct {
    rg_watch_fn fn;
    void *ud;
} listener;

struct rg_watch {
    rg_store *st;
    int64_t mark; /* as of the last check that answered */
    listener listeners[RG_WATCH_MAX];
    int n;
};

int rg_watch_new(rg_store *st, rg_watch **out)
{
    rg_watch *w;
    *out = NULL;
    int64_t mark = rg_store_change_mark(st);
    if (mark < 0) return RG_EIO;
    if ((w = calloc(1, sizeof *w)) == NULL) return RG_ENOMEM;
    w->st = st;
    w->mark = mark;
    *out = w;
    return RG_OK;
}

void rg_watch_free(rg_watch *w)
{
    free(w);
}

int rg_watch_listen(rg_watch *w, rg_watch_fn fn, void *ud)
{
    if (w == NULL) return RG_OK;
    if (w->n == RG_WATCH_MAX) return RG_ENOMEM;
    w->listeners[w->n++] = (listener){fn, ud};
    return RG_OK;
}

int rg_watch_check(rg_watch *w)
{
    int64_t mark = rg_store_change_mark(w->st);
    if (mark < 0) return RG_EIO;
    if (mark == w->mark) return 0;
    w->mark = mark;
    for (int i = 0; i < w->n; i++)
        w->listeners[i].fn(w->listeners[i].ud, mark);
    return 1;
}

void rg_watch_tick(void *w, int64_t now)
{
    (void)now;
    rg_watch_check(w);
}

/* spread.c - handing new connections to the loop with the fewest
 * (http/spread.h). */
#include "http/spread.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* A descriptor on its way to its loop. */
typedef struct {
    h2o_multithread_message_t super;
    int fd;
} handed;

typedef struct {
    h2o_multithread_receiver_t rx; /* on the loop's own queue */
    rg_spread_adopt_fn adopt;
    void *ud;
    int open;          /* takes connections (s->mu) */
    atomic_int count;  /* connections it holds or is about to */
    atomic_int flying; /* handed, not yet arrived */
} inbox;

struct rg_spread {
    pthread_mutex_t mu; /* open flags; a give and a close do not cross */
    int n;
    inbox *loops;
};

rg_spread *rg_spread_new(int n)
{
    rg_spread *s = calloc(1, sizeof *s);
    if (s == NULL || (s->loops = calloc((size_t)n, sizeof *s->loops)) == NULL) {
        free(s);
        return NULL;
    }
    s->n = n;
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void rg_spread_free(rg_spread *s)
{
    if (s == NULL) return;
    pthread_mutex_destroy(&s->mu);
    free(s->loops);
    free(s);
}

static void on_handed(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages)
{
    inbox *in = H2O_STRUCT_FROM_MEMBER(inbox, rx, rx);
    while (!h2o_linklist_is_empty(messages)) {
        handed *h = H2O_STRUCT_FROM_MEMBER(handed, super.link, messages->next);
        int fd = h->fd;
        h2o_linklist_unlink(&h->super.link);
        free(h);
        atomic_fetch_sub(&in->flying, 1);
        in->adopt(in->ud, fd);
    }
}

int rg_spread_open(rg_spread *s, int i, h2o_multithread_queue_t *q, rg_spread_adopt_fn adopt,
                   void *ud)
{
    inbox *in = &s->loops[i];
    in->adopt = adopt;
    in->ud = ud;
    h2o_multithread_register_receiver(q, &in->rx, on_handed);
    pthread_mutex_lock(&s->mu);
    in->open = 1;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void rg_spread_close(rg_spread *s, int i, h2o_loop_t *loop)
{
    inbox *in = &s->loops[i];
    pthread_mutex_lock(&s->mu);
    int was_open = in->open;
    in->open = 0;
    pthread_mutex_unlock(&s->mu);
    if (!was_open) return;
    /* nothing is handed to it from here on: what is on its way arrives
     * within a few turns (the queue wakes the loop) */
    while (atomic_load(&in->flying) > 0)
        h2o_evloop_run(loop, 10);
    h2o_multithread_unregister_receiver(in->rx.queue, &in->rx);
}

/* The open loop with the fewest connections, `from` on a tie (mu held). */
static int fewest(rg_spread *s, int from)
{
    int best = from, least = atomic_load(&s->loops[from].count);
    for (int i = 0; i < s->n; i++) {
        int c = atomic_load(&s->loops[i].count);
        if (s->loops[i].open && c < least) {
            best = i;
            least = c;
        }
    }
    return best;
}

int rg_spread_give(rg_spread *s, int from, int fd)
{
    handed *h = malloc(sizeof *h);
    pthread_mutex_lock(&s->mu);
    int to = h != NULL ? fewest(s, from) : from;
    atomic_fetch_add(&s->loops[to].count, 1);
    if (to != from) {
        atomic_fetch_add(&s->loops[to].flying, 1);
        *h = (handed){.fd = fd};
        h2o_multithread_send_message(&s->loops[to].rx, &h->super);
        h = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    free(h);
    return to != from;
}

atomic_int *rg_spread_count(rg_spread *s, int i)
{
    return &s->loops[i].count;
}

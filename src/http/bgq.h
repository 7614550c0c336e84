/* bgq.h - a background thread fed by a queue of rg_defer items.
 *
 * The thread takes everything queued (up to max_batch) at once and hands
 * the batch to run(), which must complete or forward each item.  So the
 * audit writer commits each batch with one fsync (group commit), and the
 * job thread runs imports and uploads one after the other. */
#ifndef RG_HTTP_BGQ_H
#define RG_HTTP_BGQ_H

#include <stddef.h>

#include "http/defer.h"

typedef struct rg_bgq rg_bgq;
typedef void (*rg_bgq_fn)(void *ud, rg_defer **items, size_t n);

rg_bgq *rg_bgq_start(const char *name, rg_bgq_fn run, void *ud, size_t max_batch);
void rg_bgq_push(rg_bgq *q, rg_defer *d);
/* Returns once everything pushed before the call has been run. */
void rg_bgq_flush(rg_bgq *q);
/* Runs what is left, joins the thread, frees q (NULL is fine). */
void rg_bgq_stop(rg_bgq *q);

#endif

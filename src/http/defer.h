/* defer.h - answering a request later: work that runs off the loop (the
 * audit writer, background jobs) or waits on the loop (the validator
 * client), then completes back on the request's own loop.
 *
 * An rg_defer is heap-allocated and anchored to the request's pool: if the
 * client goes away first, the anchor's dispose clears d->c (and calls
 * d->abort if the operation runs on the loop), so the completion runs with
 * c == NULL and never touches a freed request.  Whoever completes frees. */
#ifndef RG_HTTP_DEFER_H
#define RG_HTTP_DEFER_H

#include "http/call.h"

typedef struct rg_defer rg_defer;
typedef void (*rg_defer_fn)(rg_defer *d, rg_call *c); /* c NULL: the request is gone */

struct rg_defer {
    h2o_multithread_message_t msg;
    rg_defer *next; /* background queue link */
    rg_call *c;
    struct rg_defer_anchor *anchor;
    h2o_multithread_receiver_t *rx;
    rg_defer_fn done;
    void (*abort)(rg_defer *d); /* set while an on-loop operation is in flight */
    void (*work)(rg_defer *d);  /* what a job thread runs (rg_playback_job) */
    void *aux;                  /* the in-flight on-loop operation's own state */
};

/* calloc(size) (size >= sizeof(rg_defer), the struct embedding it) tied to
 * c's request; NULL when out of memory. */
void *rg_defer_new(rg_call *c, size_t size, rg_defer_fn done);
/* From any thread: run d->done on the request's loop, then free d. */
void rg_defer_post(rg_defer *d);
/* On the loop: run d->done now, then free d. */
void rg_defer_complete(rg_defer *d);
/* On the loop, for an op that was never started: frees d without done. */
void rg_defer_cancel(rg_defer *d);
/* The receiver callback every loop registers for completions. */
void rg_defer_on_messages(h2o_multithread_receiver_t *rx, h2o_linklist_t *messages);

#endif

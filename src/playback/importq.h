/* importq.h - the import threads: a small pool that runs {"path"} imports,
 * fair between accounts.
 *
 * An import reads and seals a file of up to --max-import (8 GiB by
 * default): minutes of work.  On the one job thread that finishes uploads
 * and deletes, one tenant's big import held every other tenant's upload and
 * delete for as long.  Imports therefore run here, never on the job
 * thread, on --import-threads threads, and at most one import per account
 * runs at a time (the others of that account wait their turn, and at most
 * RG_IMPORTS_PER_ACCOUNT may be queued or running), so one account cannot
 * take every thread: with N threads, N accounts import side by side.
 * docs/security.md "Imports". */
#ifndef RG_PLAYBACK_IMPORTQ_H
#define RG_PLAYBACK_IMPORTQ_H

#include "core/sid.h"
#include "http/defer.h"

#define RG_IMPORT_THREADS_MAX 64
#define RG_IMPORTS_PER_ACCOUNT 8

typedef struct rg_importq rg_importq;

/* One queued import: embed it in the op; d->work runs on an import thread
 * and must complete or forward d (it may free the job with it). */
typedef struct rg_import_job {
    rg_defer *d;
    char account[RG_SID_SIZE];
    struct rg_import_job *next;
} rg_import_job;

/* NULL when a thread cannot be started. */
rg_importq *rg_importq_start(unsigned threads);
/* Queues j; -1 (nothing queued) when j's account already has
 * RG_IMPORTS_PER_ACCOUNT imports queued or running. */
int rg_importq_push(rg_importq *q, rg_import_job *j);
/* Returns once everything pushed before the call has run. */
void rg_importq_flush(rg_importq *q);
/* Runs what is queued, joins the threads, frees q (NULL is fine). */
void rg_importq_stop(rg_importq *q);

#endif

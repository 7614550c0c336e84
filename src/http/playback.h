/* playback.h - secure recording playback: configuration, the process-wide
 * state (keys, link key, audit writer, background jobs, caches) and the
 * per-loop state, shared by h_recordings.c, h_sec_rec.c and h_media.c.
 *
 * Lifecycle: `serve` parses rg_playback_config with the other options,
 * rg_playback_start() runs before the loops start (keys loaded, threads
 * up), rg_playback_thread_init/dispose bracket each loop, and
 * rg_playback_stop() runs after every loop is gone. */
#ifndef RG_HTTP_PLAYBACK_H
#define RG_HTTP_PLAYBACK_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <h2o/http1client.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>

#include "core/link.h"
#include "crypto/recfile.h"
#include "http/call.h"
#include "http/defer.h"
#include "store/audit.h"
#include "store/recordings.h"

/* A validator URL split up. */
typedef struct {
    char host[256];
    uint16_t port;
    int is_ssl;
    char path[1024];
} rg_validator_url;

typedef struct rg_bgq rg_bgq;
typedef struct rg_valcache rg_valcache;
typedef struct rg_filekeys rg_filekeys;
struct rg_rowcache;

#define RG_CORS_MAX 16

typedef struct rg_playback {
    const rg_playback_config *cfg;
    char rec_dir[4096];                 /* DATA/recordings */
    EVP_PKEY *pub, *priv, *twilio_priv; /* NULL when not configured */
    uint8_t pub_key_id[32];
    uint8_t link_key[RG_LINK_KEY_LEN];
    int import_fd;         /* O_PATH descriptor of the import dir, -1 when none */
    rg_store *audit_store; /* the audit writer's own connection */
    rg_bgq *auditq, *jobs;
    rg_filekeys *filekeys;
    struct rg_rowcache *reccache; /* live recordings by sid (hot: /sec_rec, /media) */
    rg_valcache *valcache;
    int has_validator;
    rg_validator_url validator;
    SSL_CTX *client_ssl;
    char cors[RG_CORS_MAX][256];
    int ncors;
} rg_playback;

/* Per loop thread. */
typedef struct rg_pb_thread {
    h2o_context_t *ctx;
    h2o_multithread_receiver_t rx; /* completions of deferred work */
    EVP_CIPHER_CTX *gcm;
    h2o_http1client_ctx_t hc;
    h2o_timeout_t io_timeout;
} rg_pb_thread;

/* Loads keys, derives the link key, opens the import dir and the audit
 * connection, starts the writer and job threads; sets h2o's body limit and
 * buffer policy.  Prints the reason and returns -1 on failure. */
int rg_playback_start(rg_app *app, const char *data_dir, uint8_t master[32]);
void rg_playback_stop(rg_app *app);
/* The request body limit h2o must enforce (the larger of --max-body and
 * --max-upload); routes other than the upload refuse bodies over max_body. */
size_t rg_playback_body_limit(const rg_app *app);

int rg_playback_thread_init(rg_worker *w, h2o_context_t *ctx);
/* After the loop stopped: waits for background work aimed at this loop,
 * delivers its completions, releases the thread's state. */
void rg_playback_thread_dispose(rg_worker *w);

/* A request waiting for its audit row: embed first in the handler's op. */
typedef struct {
    rg_defer d;
    rg_audit_item item;
} rg_audited;

/* Queues a's row for the audit writer; a->d.done runs on the loop once
 * the row is durable (a->item.result RG_OK) or the commit failed. */
void rg_audit_submit(rg_playback *pb, rg_audited *a);
/* Runs work on the job thread; it must end with rg_defer_post or
 * rg_audit_submit of d. */
void rg_playback_job(rg_playback *pb, rg_defer *d, void (*work)(rg_defer *d));

/* The file key of an open recording: from the cache, or unwrapped with
 * the private key (RG_ENOTFOUND when none is configured). */
int rg_filekey_get(rg_playback *pb, const rg_rec_file *f, uint8_t key[32]);
void rg_filekey_forget(rg_playback *pb, const char *sid);

/* A recording by sid through the in-memory cache (live rows only are
 * cached; the cache is cleared every second, so a deletion made by another
 * process is seen within a second, and at once for this one's). */
int rg_recording_get_cached(rg_app *app, const char *sid, rg_recording *out);
void rg_recording_forget(rg_playback *pb, const char *sid);

/* CORS for the playback routes: adds Access-Control-Allow-Origin (and
 * Vary) when the request's Origin is configured.  1 when it was. */
int rg_cors_apply(rg_call *c);

/* The client's address and user agent for audit rows. */
void rg_audit_client(rg_call *c, rg_audit_row *r);

#endif

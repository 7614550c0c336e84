/* playback.h - secure recording playback: configuration, the process-wide
 * state (keys, link key, audit writer, background jobs, caches) and the
 * per-loop state, shared by playback/recordings.c, playback/sec_rec.c and playback/media.c.
 *
 * Lifecycle: `serve` parses rg_playback_config with the other options,
 * rg_playback_start() runs before the loops start (keys loaded, threads
 * up), rg_playback_thread_init/dispose bracket each loop, and
 * rg_playback_stop() runs after every loop is gone. */
#ifndef RG_PLAYBACK_PLAYBACK_H
#define RG_PLAYBACK_PLAYBACK_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <h2o/http1client.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>

#include "core/link.h"
#include "core/linkseen.h"
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
typedef struct rg_importq rg_importq;
struct rg_import_job;
typedef struct rg_valcache rg_valcache;
typedef struct rg_filekeys rg_filekeys;
typedef struct rg_mediabufs rg_mediabufs;
typedef struct rg_tus rg_tus;
struct rg_rowcache;

#define RG_CORS_MAX 16
/* /media opens up to RG_MEDIA_BATCH segments per step into one buffer */
#define RG_MEDIA_BATCH 8
#define RG_MEDIA_BUF (RG_MEDIA_BATCH * (RG_REC_SEGMENT + RG_REC_TAG))
#define RG_VALIDATOR_ACCOUNTS_MAX 64

typedef struct rg_pb_hooks rg_pb_hooks;

typedef struct rg_playback {
    const rg_playback_config *cfg;
    const rg_pb_hooks *hooks;           /* the validator client's lifecycle; NULL: none */
    char rec_dir[4096];                 /* DATA/recordings */
    EVP_PKEY *pub, *priv, *twilio_priv; /* NULL when not configured */
    uint8_t pub_key_id[32];
    uint8_t link_key[RG_LINK_KEY_LEN];
    int import_fd;         /* O_PATH descriptor of the import dir, -1 when none */
    rg_store *audit_store; /* the audit writer's own connection */
    rg_bgq *auditq, *jobs;
    rg_importq *imports; /* {"path"} imports: their own threads (importq.h) */
    rg_filekeys *filekeys;
    rg_mediabufs *mediabufs;      /* /media's decryption buffers, kept for reuse */
    rg_linkseen *seen;            /* /media links served with a durable row (media.c) */
    pthread_mutex_t seen_mu;      /* one table for every loop: a player's connections */
                                  /* land on any of them */
    rg_tus *tus;                  /* resumable uploads in DATA/uploads (tus_store.h) */
    struct rg_rowcache *reccache; /* live recordings by sid (hot: /sec_rec, /media) */
    rg_valcache *valcache;
    int has_validator;
    rg_validator_url validator;
    /* --playback-validator-accounts: the accounts an answer without
     * account_sid may open recordings of */
    char validator_accounts[RG_VALIDATOR_ACCOUNTS_MAX][RG_SID_SIZE];
    int nvalidator_accounts;
    SSL_CTX *client_ssl;
    char cors[RG_CORS_MAX][256];
    int ncors;
} rg_playback;

/* Rows nobody waits for (rg_audit_submit_later) reach the writer at most
 * this long after they were queued: one commit for many of them. */
#define RG_AUDIT_LATER_MS 50

/* Per loop thread. */
typedef struct rg_pb_thread {
    h2o_context_t *ctx;
    rg_playback *pb;
    EVP_CIPHER_CTX *gcm;
    rg_defer *later, **later_tail;  /* rg_audit_submit_later's rows, oldest first */
    h2o_timeout_t later_timeout;    /* RG_AUDIT_LATER_MS */
    h2o_timeout_entry_t later_tick; /* linked while later is not empty */
    h2o_http1client_ctx_t hc;
    h2o_timeout_t io_timeout; /* each step of a validator exchange */
    h2o_timeout_t deadline;   /* the whole exchange */
} rg_pb_thread;

/* A service that lives on playback's state (the validator client,
 * validator.h) and follows its lifecycle: handed to rg_playback_start, as
 * Janus hands janus_callbacks to plugins, so that playback never calls up
 * into the code that builds on it.  setup runs last in rg_playback_start,
 * teardown in rg_playback_stop after the threads are gone, thread_init
 * after a loop's receiver is registered, thread_dispose after it is
 * unregistered. */
struct rg_pb_hooks {
    int (*setup)(rg_playback *pb);
    void (*teardown)(rg_playback *pb);
    void (*thread_init)(rg_playback *pb, rg_pb_thread *t);
    void (*thread_dispose)(rg_pb_thread *t);
};

/* Loads keys, derives the link key, opens the import dir and the audit
 * connection, starts the writer and job threads, then hooks->setup (hooks
 * may be NULL); sets h2o's buffer policy.  Prints the reason and returns
 * -1 on failure. */
int rg_playback_start(rg_app *app, const char *data_dir, uint8_t master[32],
                      const rg_pb_hooks *hooks);
void rg_playback_stop(rg_app *app);

int rg_playback_thread_init(rg_worker *w, h2o_context_t *ctx);
/* This loop's playback state (set by rg_playback_thread_init in the
 * module's slot, http/module.h); NULL when playback is off. */
rg_pb_thread *rg_pb_loop(rg_worker *w);
/* After the loop stopped: waits for background work aimed at this loop,
 * delivers its completions, releases the thread's state. */
void rg_playback_thread_dispose(rg_worker *w);

/* /media's decryption buffer of len bytes: one kept from an earlier
 * request when len is the usual size (no fresh pages to fault in and
 * hand back per request), else a new one.  NULL without memory. */
uint8_t *rg_mediabuf_get(rg_playback *pb, size_t len);
/* Cleanses the first used bytes (the plaintext it held) and keeps or
 * frees buf (NULL is fine). */
void rg_mediabuf_put(rg_playback *pb, uint8_t *buf, size_t len, size_t used);

/* A request waiting for its audit row: embed first in the handler's op.
 * status, code and msg are the answer a check or the job refused it with
 * (status 0: none), set only by rg_refuse / rg_refuse_audited. */
typedef struct {
    rg_defer d;
    rg_audit_item item;
    int status, code;
    char msg[200];
} rg_audited;

/* a is refused: the answer it gets (the last refusal set wins). */
void rg_refuse(rg_audited *a, int status, int code, const char *msg);
/* The same, and a's audit row records it: outcome "refused", reason why
 * (the answer's message; both say the same thing). */
void rg_refuse_audited(rg_audited *a, int status, int code, const char *why);

/* Queues a's row for the audit writer; a->d.done runs on the loop once
 * the row is durable (a->item.result RG_OK) or the commit failed. */
void rg_audit_submit(rg_playback *pb, rg_audited *a);
/* The same for a row the answer does not wait for (a repeat /media
 * fetch, media.c): kept on t's loop and handed to the writer with the
 * others queued within RG_AUDIT_LATER_MS, or when the loop stops. */
void rg_audit_submit_later(rg_pb_thread *t, rg_audited *a);
/* Runs work on the job thread; it must end with rg_defer_post or
 * rg_audit_submit of d.  For short work only (finishing an upload, a
 * delete): every tenant's uploads and deletes wait in this one queue. */
void rg_playback_job(rg_playback *pb, rg_defer *d, void (*work)(rg_defer *d));
/* The same on an import thread, for j->account (one import per account
 * runs at a time); j is embedded in d's op.  -1 when the account has too
 * many imports queued (nothing queued; answer 429). */
int rg_playback_import(rg_playback *pb, struct rg_import_job *j, rg_defer *d,
                       void (*work)(rg_defer *d));

/* Whether the link (key from rg_linkseen_key) was served to its address
 * with a durable row and has not expired; recording it once it was.
 * Shared by the loops, under seen_mu. */
int rg_media_seen(rg_playback *pb, const char *key, int64_t now);
void rg_media_seen_add(rg_playback *pb, const char *key, int64_t exp);

/* The file key of an open recording: from the cache, or unwrapped with
 * the private key (RG_ENOTFOUND when none is configured). */
int rg_filekey_get(rg_playback *pb, const rg_rec_file *f, uint8_t key[32]);
void rg_filekey_forget(rg_playback *pb, const char *sid);

/* A recording by sid through the in-memory cache (live rows only are
 * cached; the cache is cleared when the change watcher says another
 * process committed, so a deletion made there is seen within a tick, and
 * at once for this one's). */
int rg_recording_get_cached(rg_app *app, const char *sid, rg_recording *out);
/* The same from the cache alone: RG_OK, or RG_ENOTFOUND when only the
 * store could say. */
int rg_recording_cached(rg_app *app, const char *sid, rg_recording *out);
void rg_recording_forget(rg_playback *pb, const char *sid);

/* CORS for the playback routes: adds Access-Control-Allow-Origin (and
 * Vary) when the request's Origin is configured.  1 when it was. */
int rg_cors_apply(rg_call *c);

/* The client's address and user agent for audit rows. */
void rg_audit_client(rg_call *c, rg_audit_row *r);

/* The handlers, routed by playback/module.c. */
void rg_h_recordings_create(rg_call *c); /* playback/rec_create.c */
/* playback/tus.c: tus 1.0 uploads at /v1/Recordings/Uploads */
void rg_h_tus_options(rg_call *c);
void rg_h_tus_create(rg_call *c);
void rg_h_tus_head(rg_call *c);
void rg_h_tus_patch(rg_call *c);
void rg_h_tus_delete(rg_call *c);
/* playback/recordings.c */
void rg_h_recordings_list(rg_call *c);
void rg_h_recording_fetch(rg_call *c);
void rg_h_recording_delete(rg_call *c);
void rg_h_recording_access_log(rg_call *c);
void rg_h_demo_recordings(rg_call *c);
/* playback/sec_rec.c, playback/media.c */
void rg_h_sec_rec(rg_call *c);
void rg_h_playback_preflight(rg_call *c);
void rg_h_media(rg_call *c);

#endif

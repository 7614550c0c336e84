/* playback.c - process and loop state of secure recording playback: keys,
 * the media link key, the audit writer and job threads, the file key
 * cache, CORS, and the audit row's client fields. */
#include "playback/playback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "core/commalist.h"
#include "core/fnv.h"
#include "core/errors.h"
#include "crypto/kdf.h"
#include "crypto/rsakey.h"
#include "http/accesslog.h"
#include "http/bgq.h"
#include "http/module.h"
#include "playback/importq.h"
#include "playback/tus_store.h"
#include "crypto/random.h"
#include "store/rowcache.h"
#include "store/watch.h"

#define AUDIT_BATCH 512
#define FILEKEYS 64
#define MEDIABUFS 4 /* kept at most: 2 MiB */

/* Buffers of RG_MEDIA_BUF bytes.  A fresh 512 KiB malloc per request is
 * an mmap whose pages are faulted in, zeroed and unmapped again each
 * time: about a tenth of a range request's CPU. */
struct rg_mediabufs {
    pthread_mutex_t mu;
    uint8_t *free[MEDIABUFS];
    int n;
};

struct rg_filekeys {
    pthread_mutex_t mu;
    struct {
        char sid[RG_SID_SIZE];
        uint8_t key[32];
    } e[FILEKEYS];
};

/* ---- threads ---------------------------------------------------------- */

static void audit_run(void *ud, rg_defer **items, size_t n)
{
    rg_playback *pb = ud;
    rg_audit_item *its[AUDIT_BATCH];
    int rc;
    for (size_t i = 0; i < n; i++)
        its[i] = &((rg_audited *)items[i])->item;
    rc = rg_store_audit_append(pb->audit_store, its, n, (int64_t)time(NULL));
    for (size_t i = 0; i < n; i++) {
        if (rc != RG_OK) its[i]->result = rc;
        rg_defer_post(items[i]);
    }
}

static void jobs_run(void *ud, rg_defer **items, size_t n)
{
    (void)ud;
    for (size_t i = 0; i < n; i++)
        items[i]->work(items[i]);
}

void rg_audit_submit(rg_playback *pb, rg_audited *a)
{
    rg_bgq_push(pb->auditq, &a->d);
}

/* Hands every row kept by rg_audit_submit_later to the writer. */
static void later_flush(rg_pb_thread *t)
{
    rg_defer *d = t->later;
    t->later = NULL;
    t->later_tail = &t->later;
    if (h2o_timeout_is_linked(&t->later_tick)) h2o_timeout_unlink(&t->later_tick);
    while (d != NULL) {
        rg_defer *next = d->next; /* rg_bgq_push reuses the link */
        rg_bgq_push(t->pb->auditq, d);
        d = next;
    }
}

static void on_later_tick(h2o_timeout_entry_t *e)
{
    later_flush(H2O_STRUCT_FROM_MEMBER(rg_pb_thread, later_tick, e));
}

void rg_audit_submit_later(rg_pb_thread *t, rg_audited *a)
{
    a->d.next = NULL;
    *t->later_tail = &a->d;
    t->later_tail = &a->d.next;
    if (!h2o_timeout_is_linked(&t->later_tick))
        h2o_timeout_link(t->ctx->loop, &t->later_timeout, &t->later_tick);
}

void rg_refuse(rg_audited *a, int status, int code, const char *msg)
{
    a->status = status;
    a->code = code;
    snprintf(a->msg, sizeof a->msg, "%s", msg);
}

void rg_refuse_audited(rg_audited *a, int status, int code, const char *why)
{
    rg_refuse(a, status, code, why);
    snprintf(a->item.row.outcome, sizeof a->item.row.outcome, "refused");
    snprintf(a->item.row.reason, sizeof a->item.row.reason, "%s", why);
}

void rg_playback_job(rg_playback *pb, rg_defer *d, void (*work)(rg_defer *d))
{
    d->work = work;
    rg_bgq_push(pb->jobs, d);
}

int rg_playback_import(rg_playback *pb, rg_import_job *j, rg_defer *d, void (*work)(rg_defer *d))
{
    d->work = work;
    j->d = d;
    return rg_importq_push(pb->imports, j);
}

/* ---- file keys -------------------------------------------------------- */

static unsigned slot_of(const char *sid)
{
    return rg_fnv1a_str(sid) % FILEKEYS;
}

int rg_filekey_get(rg_playback *pb, const rg_rec_file *f, uint8_t key[32])
{
    rg_filekeys *fk = pb->filekeys;
    unsigned i = slot_of(f->h.sid);
    int rc;
    pthread_mutex_lock(&fk->mu);
    if (strcmp(fk->e[i].sid, f->h.sid) == 0) {
        memcpy(key, fk->e[i].key, 32);
        pthread_mutex_unlock(&fk->mu);
        return RG_OK;
    }
    pthread_mutex_unlock(&fk->mu);
    if (pb->priv == NULL) return RG_ENOTFOUND;
    /* RSA-3072 decryption costs about a millisecond: done once per
     * recording, not per range request. */
    if ((rc = rg_rec_file_key(f, pb->priv, key)) != RG_OK) return rc;
    pthread_mutex_lock(&fk->mu);
    memcpy(fk->e[i].sid, f->h.sid, RG_SID_SIZE);
    memcpy(fk->e[i].key, key, 32);
    pthread_mutex_unlock(&fk->mu);
    return RG_OK;
}

void rg_filekey_forget(rg_playback *pb, const char *sid)
{
    rg_filekeys *fk = pb->filekeys;
    unsigned i = slot_of(sid);
    pthread_mutex_lock(&fk->mu);
    if (strcmp(fk->e[i].sid, sid) == 0) {
        OPENSSL_cleanse(fk->e[i].key, 32);
        fk->e[i].sid[0] = '\0';
    }
    pthread_mutex_unlock(&fk->mu);
}

/* ---- /media buffers ---------------------------------------------------- */

uint8_t *rg_mediabuf_get(rg_playback *pb, size_t len)
{
    rg_mediabufs *mb = pb->mediabufs;
    uint8_t *b = NULL;
    if (len == RG_MEDIA_BUF) {
        pthread_mutex_lock(&mb->mu);
        if (mb->n > 0) b = mb->free[--mb->n];
        pthread_mutex_unlock(&mb->mu);
    }
    return b ? b : malloc(len);
}

void rg_mediabuf_put(rg_playback *pb, uint8_t *buf, size_t len, size_t used)
{
    rg_mediabufs *mb;
    if (buf == NULL) return;
    mb = pb->mediabufs;
    /* explicit_bzero, not OPENSSL_cleanse: the same guarantee (never
     * optimised away) at memset's speed; OPENSSL_cleanse of the ~0.5 MiB a
     * range used was 5.7 % of a /media range's CPU (perf, 1 MiB ranges) */
    explicit_bzero(buf, used < len ? used : len);
    if (len == RG_MEDIA_BUF) {
        pthread_mutex_lock(&mb->mu);
        if (mb->n < MEDIABUFS) {
            mb->free[mb->n++] = buf;
            buf = NULL;
        }
        pthread_mutex_unlock(&mb->mu);
    }
    free(buf);
}

/* ---- /media links served ---------------------------------------------- */

int rg_media_seen(rg_playback *pb, const char *key, int64_t now)
{
    pthread_mutex_lock(&pb->seen_mu);
    int r = rg_linkseen_has(pb->seen, key, now);
    pthread_mutex_unlock(&pb->seen_mu);
    return r;
}

void rg_media_seen_add(rg_playback *pb, const char *key, int64_t exp)
{
    pthread_mutex_lock(&pb->seen_mu);
    rg_linkseen_add(pb->seen, key, exp);
    pthread_mutex_unlock(&pb->seen_mu);
}

/* ---- recordings cache ------------------------------------------------- */

#define RECCACHE_ROWS 512

int rg_recording_get_cached(rg_app *app, const char *sid, rg_recording *out)
{
    rg_rowcache *rc = app->pb->reccache;
    uint64_t gen = rg_rowcache_gen(rc);
    int r;
    if (rg_rowcache_get(rc, sid, out) == 0) return RG_OK;
    r = rg_store_recording_get(app->store, sid, out);
    if (r == RG_OK && out->date_deleted == 0) rg_rowcache_put(rc, sid, out, gen);
    return r;
}

int rg_recording_cached(rg_app *app, const char *sid, rg_recording *out)
{
    return rg_rowcache_get(app->pb->reccache, sid, out) == 0 ? RG_OK : RG_ENOTFOUND;
}

void rg_recording_forget(rg_playback *pb, const char *sid)
{
    rg_rowcache_del(pb->reccache, sid);
}

/* Another process committed (the change watcher): a recording may be gone. */
static void reccache_changed(void *ud, int64_t mark)
{
    (void)mark;
    rg_rowcache_clear(((rg_playback *)ud)->reccache);
}

/* ---- start / stop ----------------------------------------------------- */

/* HKDF-SHA256(master, info "roomgate media links v1") (crypto/kdf.h):
 * every process with the master key signs and checks the same links, and
 * no new file holds a secret. */
static int derive_link_key(const uint8_t master[32], uint8_t out[RG_LINK_KEY_LEN])
{
    return rg_kdf(master, "roomgate media links v1", out, RG_LINK_KEY_LEN) == RG_OK ? 0 : -1;
}

/* Loads a key named by the option, else DATA/dflt when that file exists. */
static int load_key(const char *opt, const char *data_dir, const char *dflt, int private,
                    EVP_PKEY **out)
{
    char path[4096];
    int rc;
    *out = NULL;
    if (opt == NULL) {
        if (dflt == NULL) return 0;
        snprintf(path, sizeof path, "%s/%s", data_dir, dflt);
        if (access(path, F_OK) != 0) return 0;
        opt = path;
    }
    rc = private ? rg_rsa_load_private(opt, out) : rg_rsa_load_public(opt, out);
    if (rc == RG_OK) return 0;
    fprintf(stderr, "roomgate: cannot load the %s key %s%s\n", private ? "private" : "public", opt,
            rc == RG_EINVAL ? " (RSA >= 2048 bits in PEM; a private key must be mode 0600)" : "");
    return -1;
}

static int load_keys(rg_playback *pb, const char *data_dir)
{
    const rg_playback_config *cfg = pb->cfg;
    if (load_key(cfg->public_key, data_dir, "recording-public.pem", 0, &pb->pub) != 0 ||
        load_key(cfg->private_key, data_dir, "recording-private.pem", 1, &pb->priv) != 0)
        return -1;
    if (cfg->twilio_key && load_key(cfg->twilio_key, data_dir, NULL, 1, &pb->twilio_priv) != 0)
        return -1;
    if (pb->pub == NULL && pb->priv != NULL) { /* the private key has the public half */
        EVP_PKEY_up_ref(pb->priv);
        pb->pub = pb->priv;
    }
    if (pb->pub && rg_rsa_key_id(pb->pub, pb->pub_key_id) != RG_OK) return -1;
    if (pb->twilio_priv == NULL && pb->priv != NULL) {
        EVP_PKEY_up_ref(pb->priv);
        pb->twilio_priv = pb->priv;
    }
    return 0;
}

static int add_cors(void *ud, const char *s, size_t n)
{
    rg_playback *pb = ud;
    if (n == 0) return 0;
    if (n >= sizeof pb->cors[0] || pb->ncors == RG_CORS_MAX) {
        fprintf(stderr, "roomgate: --cors-origins: at most %d origins of 255 bytes\n", RG_CORS_MAX);
        return -1;
    }
    memcpy(pb->cors[pb->ncors], s, n);
    pb->cors[pb->ncors++][n] = '\0';
    return 0;
}

static int parse_cors(rg_playback *pb)
{
    return rg_commalist_each(pb->cfg->cors_origins, add_cors, pb);
}

static int open_import_dir(rg_playback *pb)
{
    pb->import_fd = -1;
    if (pb->cfg->import_dir == NULL) return 0;
    pb->import_fd = open(pb->cfg->import_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (pb->import_fd >= 0) return 0;
    fprintf(stderr, "roomgate: --import-dir %s: %s\n", pb->cfg->import_dir, strerror(errno));
    return -1;
}

static int start_services(rg_playback *pb, const char *db, const char *data_dir,
                          const uint8_t master[32])
{
    char path[4096];
    if (rg_store_location(db, data_dir, path, sizeof path) != RG_OK ||
        rg_store_open(path, &pb->audit_store) != RG_OK)
        return -1;
    /* the audit chain's head: keyed, started at the tail on a database
     * from before heads, and its file brought up to date */
    if (rg_store_audit_anchor_dir(pb->audit_store, master, data_dir, pb->cfg->audit_head) !=
            RG_OK ||
        rg_store_audit_head_start(pb->audit_store) != RG_OK) {
        fprintf(stderr, "roomgate: cannot start the audit chain head (%s%s)\n",
                pb->cfg->audit_head ? pb->cfg->audit_head : data_dir,
                pb->cfg->audit_head ? "" : "/audit.head");
        return -1;
    }
    pb->auditq = rg_bgq_start("rg-audit", audit_run, pb, AUDIT_BATCH);
    pb->jobs = rg_bgq_start("rg-jobs", jobs_run, pb, 1);
    pb->imports = rg_importq_start(pb->cfg->import_threads);
    pb->filekeys = calloc(1, sizeof *pb->filekeys);
    pb->mediabufs = calloc(1, sizeof *pb->mediabufs);
    pb->seen = calloc(1, sizeof *pb->seen);
    if (!pb->auditq || !pb->jobs || !pb->imports || !pb->filekeys || !pb->mediabufs || !pb->seen)
        return -1;
    pthread_mutex_init(&pb->filekeys->mu, NULL);
    pthread_mutex_init(&pb->mediabufs->mu, NULL);
    pthread_mutex_init(&pb->seen_mu, NULL);
    return pb->hooks ? pb->hooks->setup(pb) : 0;
}

static int start_reccache(rg_app *app, rg_playback *pb)
{
    uint64_t seed;
    if (rg_random(&seed, sizeof seed) != RG_OK ||
        rg_rowcache_new(sizeof(rg_recording), RECCACHE_ROWS, seed, &pb->reccache) != RG_OK)
        return -1;
    return rg_watch_listen(app->changes, reccache_changed, pb) == RG_OK ? 0 : -1;
}

int rg_playback_start(rg_app *app, const char *data_dir, uint8_t master[32],
                      const rg_pb_hooks *hooks)
{
    rg_playback *pb = calloc(1, sizeof *pb);
    if (pb == NULL) return -1;
    app->pb = pb;
    pb->hooks = hooks;
    pb->cfg = &app->cfg.playback;
    pb->import_fd = -1;
    snprintf(pb->rec_dir, sizeof pb->rec_dir, "%s/recordings", data_dir);
    if (mkdir(pb->rec_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "roomgate: cannot create %s: %s\n", pb->rec_dir, strerror(errno));
        return -1;
    }
    if (load_keys(pb, data_dir) != 0 || parse_cors(pb) != 0 || open_import_dir(pb) != 0) return -1;
    if (derive_link_key(master, pb->link_key) != 0 ||
        rg_tus_open(data_dir, master, &pb->tus) != RG_OK ||
        start_services(pb, app->cfg.db, data_dir, master) != 0 || start_reccache(app, pb) != 0) {
        fprintf(stderr, "roomgate: cannot start recording playback\n");
        return -1;
    }
    /* h2o 2.2 spills request bodies over 32 MiB into a temp file in /tmp:
     * an upload's plaintext would land on disk.  Keep them in memory: no
     * body is larger than --max-body anyway (h2o's global limit). */
    h2o_socket_buffer_mmap_settings.threshold = SIZE_MAX;
    return 0;
}

void rg_playback_stop(rg_app *app)
{
    rg_playback *pb = app->pb;
    if (pb == NULL) return;
    rg_importq_stop(pb->imports);
    rg_bgq_stop(pb->jobs);
    rg_bgq_stop(pb->auditq);
    rg_store_close(pb->audit_store);
    if (pb->hooks) pb->hooks->teardown(pb);
    rg_rowcache_free(pb->reccache);
    rg_tus_close(pb->tus);
    EVP_PKEY_free(pb->pub);
    EVP_PKEY_free(pb->priv);
    EVP_PKEY_free(pb->twilio_priv);
    if (pb->import_fd >= 0) close(pb->import_fd);
    if (pb->filekeys) {
        OPENSSL_cleanse(pb->filekeys->e, sizeof pb->filekeys->e);
        pthread_mutex_destroy(&pb->filekeys->mu);
        free(pb->filekeys);
    }
    if (pb->mediabufs) {
        for (int i = 0; i < pb->mediabufs->n; i++)
            free(pb->mediabufs->free[i]); /* cleansed when they came back */
        pthread_mutex_destroy(&pb->mediabufs->mu);
        free(pb->mediabufs);
    }
    if (pb->seen) {
        pthread_mutex_destroy(&pb->seen_mu);
        free(pb->seen);
    }
    OPENSSL_cleanse(pb->link_key, sizeof pb->link_key);
    free(pb);
    app->pb = NULL;
}

extern const rg_module rg_mod_playback;

rg_pb_thread *rg_pb_loop(rg_worker *w)
{
    return rg_worker_get(w, &rg_mod_playback);
}

int rg_playback_thread_init(rg_worker *w, h2o_context_t *ctx)
{
    void **slot = rg_worker_state(w, &rg_mod_playback);
    rg_pb_thread *t = slot != NULL ? calloc(1, sizeof *t) : NULL;
    if (t == NULL || (t->gcm = EVP_CIPHER_CTX_new()) == NULL) {
        free(t);
        return -1;
    }
    *slot = t;
    t->ctx = ctx;
    t->pb = w->app->pb;
    t->later_tail = &t->later;
    t->later_tick.cb = on_later_tick;
    h2o_timeout_init(ctx->loop, &t->later_timeout, RG_AUDIT_LATER_MS);
    if (w->app->pb->hooks) w->app->pb->hooks->thread_init(w->app->pb, t);
    return 0;
}

void rg_playback_thread_dispose(rg_worker *w)
{
    void **slot = rg_worker_state(w, &rg_mod_playback);
    rg_pb_thread *t = slot != NULL ? *slot : NULL;
    rg_playback *pb = w->app->pb;
    if (t == NULL) return;
    later_flush(t);
    h2o_timeout_dispose(t->ctx->loop, &t->later_timeout);
    /* Jobs forward to the audit writer: flush in that order, then deliver
     * what they posted to this loop (for requests that are gone by now)
     * through the loop's deferral queue, which is still there (the server
     * takes it down after every module's loop_dispose). */
    rg_importq_flush(pb->imports);
    rg_bgq_flush(pb->jobs);
    rg_bgq_flush(pb->auditq);
    for (int i = 0; i < 3; i++)
        h2o_evloop_run(t->ctx->loop, 0);
    if (pb->hooks) pb->hooks->thread_dispose(t);
    EVP_CIPHER_CTX_free(t->gcm);
    free(t);
    *slot = NULL;
}

/* ---- per request ------------------------------------------------------ */

int rg_cors_apply(rg_call *c)
{
    rg_playback *pb = c->w->app->pb;
    ssize_t i = h2o_find_header_by_str(&c->req->headers, H2O_STRLIT("origin"), -1);
    h2o_req_t *req = c->req;
    if (i == -1) return 0;
    h2o_iovec_t o = req->headers.entries[i].value;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    for (int k = 0; k < pb->ncors; k++) {
        if (!rg_iov_eq(o, pb->cors[k])) continue;
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
                       pb->cors[k], strlen(pb->cors[k]));
        h2o_add_header_by_str(&req->pool, &req->res.headers,
                              H2O_STRLIT("access-control-expose-headers"), 0, NULL,
                              H2O_STRLIT("Content-Length, Content-Range, Accept-Ranges"));
        return 1;
    }
    return 0;
}

static void copy_header(rg_call *c, const h2o_token_t *tok, char *dst, size_t cap)
{
    ssize_t i = h2o_find_header(&c->req->headers, tok, -1);
    size_t n = 0;
    if (i != -1) {
        h2o_iovec_t v = c->req->headers.entries[i].value;
        /* printable ASCII only: the row is hashed and exported as JSON */
        for (size_t k = 0; k < v.len && n + 1 < cap; k++)
            dst[n++] = v.base[k] >= 0x20 && v.base[k] < 0x7f ? v.base[k] : '?';
    }
    dst[n] = '\0';
}

void rg_audit_client(rg_call *c, rg_audit_row *r)
{
    char peer[NI_MAXHOST];
    size_t n = rg_req_peer(c->req, peer);
    if (n >= sizeof r->client_ip) n = sizeof r->client_ip - 1;
    memcpy(r->client_ip, peer, n);
    r->client_ip[n] = '\0';
    copy_header(c, H2O_TOKEN_USER_AGENT, r->user_agent, sizeof r->user_agent);
    r->ts_ms = (int64_t)h2o_now(c->req->conn->ctx->loop);
}

/* playback.c - process and loop state of secure recording playback: keys,
 * the media link key, the audit writer and job threads, the file key
 * cache, CORS, and the audit row's client fields. */
#include "http/playback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/ssl.h>

#include "core/fnv.h"
#include "core/errors.h"
#include "crypto/rsakey.h"
#include "http/accesslog.h"
#include "http/bgq.h"
#include "http/validator.h"
#include "store/provision.h"
#include "store/rowcache.h"

#define AUDIT_BATCH 512
#define FILEKEYS 64

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

void rg_playback_job(rg_playback *pb, rg_defer *d, void (*work)(rg_defer *d))
{
    d->work = work;
    rg_bgq_push(pb->jobs, d);
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

void rg_recording_forget(rg_playback *pb, const char *sid)
{
    rg_rowcache_del(pb->reccache, sid);
}

static void reccache_tick(void *ud, int64_t now)
{
    (void)now;
    rg_rowcache_clear(((rg_playback *)ud)->reccache);
}

/* ---- start / stop ----------------------------------------------------- */

/* HKDF-SHA256(master, info "roomgate media links v1"): every process with
 * the master key signs and checks the same links, and no new file holds a
 * secret. */
static int derive_link_key(const uint8_t master[32], uint8_t out[RG_LINK_KEY_LEN])
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    static char info[] = "roomgate media links v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
        OSSL_PARAM_construct_octet_string("key", (void *)master, 32),
        OSSL_PARAM_construct_octet_string("info", info, sizeof info - 1),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx && EVP_KDF_derive(ctx, out, RG_LINK_KEY_LEN, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : -1;
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

static int parse_cors(rg_playback *pb)
{
    const char *s = pb->cfg->cors_origins;
    while (s && *s) {
        const char *comma = strchr(s, ','), *end = comma ? comma : s + strlen(s);
        while (s < end && *s == ' ')
            s++;
        size_t n = (size_t)(end - s);
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n > 0) {
            if (n >= sizeof pb->cors[0] || pb->ncors == RG_CORS_MAX) {
                fprintf(stderr, "roomgate: --cors-origins: at most %d origins of 255 bytes\n",
                        RG_CORS_MAX);
                return -1;
            }
            memcpy(pb->cors[pb->ncors], s, n);
            pb->cors[pb->ncors++][n] = '\0';
        }
        s = comma ? comma + 1 : end;
    }
    return 0;
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

static int start_services(rg_playback *pb, const char *data_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/roomgate.db", data_dir);
    if (rg_store_open(path, &pb->audit_store) != RG_OK) return -1;
    pb->auditq = rg_bgq_start("rg-audit", audit_run, pb, AUDIT_BATCH);
    pb->jobs = rg_bgq_start("rg-jobs", jobs_run, pb, 1);
    pb->filekeys = calloc(1, sizeof *pb->filekeys);
    if (!pb->auditq || !pb->jobs || !pb->filekeys) return -1;
    pthread_mutex_init(&pb->filekeys->mu, NULL);
    return rg_validator_setup(pb);
}

static int start_reccache(rg_app *app, rg_playback *pb)
{
    uint64_t seed;
    if (rg_random(&seed, sizeof seed) != RG_OK ||
        rg_rowcache_new(sizeof(rg_recording), RECCACHE_ROWS, seed, &pb->reccache) != RG_OK)
        return -1;
    return rg_app_add_poller(app, reccache_tick, pb, 1000);
}

int rg_playback_start(rg_app *app, const char *data_dir, uint8_t master[32])
{
    rg_playback *pb = calloc(1, sizeof *pb);
    if (pb == NULL) return -1;
    app->pb = pb;
    pb->cfg = &app->cfg.playback;
    pb->import_fd = -1;
    snprintf(pb->rec_dir, sizeof pb->rec_dir, "%s/recordings", data_dir);
    if (mkdir(pb->rec_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "roomgate: cannot create %s: %s\n", pb->rec_dir, strerror(errno));
        return -1;
    }
    if (load_keys(pb, data_dir) != 0 || parse_cors(pb) != 0 || open_import_dir(pb) != 0) return -1;
    if (derive_link_key(master, pb->link_key) != 0 || start_services(pb, data_dir) != 0 ||
        start_reccache(app, pb) != 0) {
        fprintf(stderr, "roomgate: cannot start recording playback\n");
        return -1;
    }
    /* h2o 2.2 spills request bodies over 32 MiB into a temp file in /tmp:
     * an upload's plaintext would land on disk.  Keep them in memory
     * (bounded by --max-upload). */
    h2o_socket_buffer_mmap_settings.threshold = SIZE_MAX;
    return 0;
}

void rg_playback_stop(rg_app *app)
{
    rg_playback *pb = app->pb;
    if (pb == NULL) return;
    rg_bgq_stop(pb->jobs);
    rg_bgq_stop(pb->auditq);
    rg_store_close(pb->audit_store);
    rg_validator_teardown(pb);
    rg_rowcache_free(pb->reccache);
    EVP_PKEY_free(pb->pub);
    EVP_PKEY_free(pb->priv);
    EVP_PKEY_free(pb->twilio_priv);
    if (pb->import_fd >= 0) close(pb->import_fd);
    if (pb->filekeys) {
        OPENSSL_cleanse(pb->filekeys->e, sizeof pb->filekeys->e);
        pthread_mutex_destroy(&pb->filekeys->mu);
        free(pb->filekeys);
    }
    OPENSSL_cleanse(pb->link_key, sizeof pb->link_key);
    free(pb);
    app->pb = NULL;
}

size_t rg_playback_body_limit(const rg_app *app)
{
    size_t up = app->cfg.playback.max_upload;
    return up > app->cfg.max_body ? up : app->cfg.max_body;
}

int rg_playback_thread_init(rg_worker *w, h2o_context_t *ctx)
{
    rg_pb_thread *t = calloc(1, sizeof *t);
    if (t == NULL || (t->gcm = EVP_CIPHER_CTX_new()) == NULL) {
        free(t);
        return -1;
    }
    w->pb = t;
    t->ctx = ctx;
    h2o_multithread_register_receiver(ctx->queue, &t->rx, rg_defer_on_messages);
    rg_validator_thread_init(w->app->pb, t);
    return 0;
}

void rg_playback_thread_dispose(rg_worker *w)
{
    rg_pb_thread *t = w->pb;
    rg_playback *pb = w->app->pb;
    if (t == NULL) return;
    /* Jobs forward to the audit writer: flush in that order, then deliver
     * what they posted to this loop (for requests that are gone by now). */
    rg_bgq_flush(pb->jobs);
    rg_bgq_flush(pb->auditq);
    for (int i = 0; i < 3; i++)
        h2o_evloop_run(t->ctx->loop, 0);
    h2o_multithread_unregister_receiver(t->ctx->queue, &t->rx);
    rg_validator_thread_dispose(t);
    EVP_CIPHER_CTX_free(t->gcm);
    free(t);
    w->pb = NULL;
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

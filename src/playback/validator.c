/* validator.c - remote IAM-style token validation with libh2o's HTTP/1
 * client, on the loop that serves the request (no thread blocks on it),
 * and a bounded cache of positive answers.
 *
 * One connection per validation (Connection: close): cache hits make
 * misses rare, and a pooled keep-alive socket the validator has closed
 * would turn into a spurious 502.  --validator-timeout is the deadline of
 * the whole exchange (a validator that trickles its answer a byte at a
 * time passes every per-step I/O timeout, so those alone bound nothing);
 * it also bounds each step.  A timeout is a 504, any other failure or a
 * non-200 or unparsable answer a 502. */
#include "playback/validator.h"

#include <stdio.h>
#include <stdlib.h>

#include <h2o/url.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "core/commalist.h"
#include "core/sid.h"
#include "core/timefmt.h"
#include "http/accesslog.h"

#define CACHE_SLOTS 512
#define MAX_ANSWER 65536

typedef struct {
    uint8_t key[32]; /* SHA-256 of the token */
    int used;
    rg_iam_answer a;
} cache_entry;

struct rg_valcache {
    pthread_mutex_t mu;
    cache_entry e[CACHE_SLOTS];
};

typedef struct {
    rg_defer *d;
    rg_validator_cb cb;
    h2o_http1client_t *client;
    h2o_iovec_t reqbuf;
    char *body;
    size_t blen;
    int status;
    uint8_t token_hash[32];
    h2o_timeout_entry_t deadline;
} vreq;

/* ---- setup ------------------------------------------------------------ */

static int add_account(void *ud, const char *s, size_t n)
{
    rg_playback *pb = ud;
    if (n == 0) return 0;
    if (!rg_sid_valid(s, n, "AC") || pb->nvalidator_accounts == RG_VALIDATOR_ACCOUNTS_MAX) {
        fprintf(stderr,
                "roomgate: --playback-validator-accounts: up to %d AC sids, comma-separated\n",
                RG_VALIDATOR_ACCOUNTS_MAX);
        return -1;
    }
    memcpy(pb->validator_accounts[pb->nvalidator_accounts], s, n);
    pb->validator_accounts[pb->nvalidator_accounts++][n] = '\0';
    return 0;
}

/* --playback-validator-accounts: AC sids, comma-separated. */
static int parse_accounts(rg_playback *pb)
{
    return rg_commalist_each(pb->cfg->validator_accounts, add_account, pb);
}

static int validator_setup(rg_playback *pb)
{
    h2o_url_t u;
    const char *url = pb->cfg->validator_url;
    if (url == NULL || *url == '\0') {
        if (pb->cfg->validator_accounts == NULL) return 0;
        fprintf(stderr, "roomgate: --playback-validator-accounts needs --playback-validator\n");
        return -1;
    }
    if (parse_accounts(pb) != 0) return -1;
    if (h2o_url_parse(url, SIZE_MAX, &u) != 0 || u.host.len == 0 ||
        u.host.len >= sizeof pb->validator.host || u.path.len >= sizeof pb->validator.path) {
        fprintf(stderr, "roomgate: --playback-validator: not an http(s) URL: %s\n", url);
        return -1;
    }
    memcpy(pb->validator.host, u.host.base, u.host.len);
    memcpy(pb->validator.path, u.path.base, u.path.len);
    pb->validator.port = h2o_url_get_port(&u);
    pb->validator.is_ssl = u.scheme == &H2O_URL_SCHEME_HTTPS;
    if (pb->validator.is_ssl) {
        pb->client_ssl = SSL_CTX_new(TLS_client_method());
        if (pb->client_ssl == NULL) return -1;
        SSL_CTX_set_min_proto_version(pb->client_ssl, TLS1_2_VERSION);
        SSL_CTX_set_default_verify_paths(pb->client_ssl);
        SSL_CTX_set_verify(pb->client_ssl, SSL_VERIFY_PEER, NULL);
    }
    if ((pb->valcache = calloc(1, sizeof *pb->valcache)) == NULL) return -1;
    pthread_mutex_init(&pb->valcache->mu, NULL);
    pb->has_validator = 1;
    return 0;
}

static void validator_teardown(rg_playback *pb)
{
    if (pb->valcache) {
        pthread_mutex_destroy(&pb->valcache->mu);
        free(pb->valcache);
    }
    SSL_CTX_free(pb->client_ssl);
}

static void validator_thread_init(rg_playback *pb, rg_pb_thread *t)
{
    if (!pb->has_validator) return;
    h2o_timeout_init(t->ctx->loop, &t->io_timeout, (uint64_t)pb->cfg->validator_timeout_ms);
    h2o_timeout_init(t->ctx->loop, &t->deadline, (uint64_t)pb->cfg->validator_timeout_ms);
    t->hc.loop = t->ctx->loop;
    t->hc.getaddr_receiver = &t->ctx->receivers.hostinfo_getaddr;
    t->hc.io_timeout = &t->io_timeout;
    t->hc.ssl_ctx = pb->client_ssl;
}

static void validator_thread_dispose(rg_pb_thread *t)
{
    if (t->hc.loop == NULL) return;
    h2o_timeout_dispose(t->ctx->loop, &t->io_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->deadline);
}

const rg_pb_hooks rg_validator_hooks = {
    .setup = validator_setup,
    .teardown = validator_teardown,
    .thread_init = validator_thread_init,
    .thread_dispose = validator_thread_dispose,
};

int rg_validator_vouches(const rg_playback *pb, const rg_iam_answer *a, const char *account_sid)
{
    int listed = 0;
    if (!a->valid) return 0;
    if (a->account_sid[0] && strcmp(a->account_sid, account_sid) != 0) return 0;
    for (int i = 0; i < pb->nvalidator_accounts; i++)
        listed |= strcmp(pb->validator_accounts[i], account_sid) == 0;
    /* configured: only those accounts; not configured: only what the
     * answer itself names */
    return pb->nvalidator_accounts > 0 ? listed : a->account_sid[0] != '\0';
}

/* ---- cache ------------------------------------------------------------ */

static void hash_token(const char *tok, size_t len, uint8_t out[32])
{
    unsigned n = 0;
    EVP_Digest(tok, len, out, &n, EVP_sha256(), NULL);
}

static cache_entry *slot(rg_valcache *vc, const uint8_t key[32])
{
    return &vc->e[(key[0] | key[1] << 8) % CACHE_SLOTS];
}

int rg_validator_cached(rg_playback *pb, const char *token, size_t len, int64_t now,
                        rg_iam_answer *a)
{
    uint8_t key[32];
    cache_entry *e;
    int hit;
    if (pb->valcache == NULL) return 0;
    hash_token(token, len, key);
    pthread_mutex_lock(&pb->valcache->mu);
    e = slot(pb->valcache, key);
    hit = e->used && memcmp(e->key, key, 32) == 0 && e->a.expiration > now;
    if (hit) *a = e->a;
    pthread_mutex_unlock(&pb->valcache->mu);
    return hit;
}

static void cache_put(rg_playback *pb, const uint8_t key[32], const rg_iam_answer *a)
{
    cache_entry *e;
    pthread_mutex_lock(&pb->valcache->mu);
    e = slot(pb->valcache, key);
    memcpy(e->key, key, 32);
    e->a = *a;
    e->used = 1;
    pthread_mutex_unlock(&pb->valcache->mu);
}

/* ---- the answer ------------------------------------------------------- */

static void text_of(json_t *o, const char *name, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, name));
    snprintf(dst, cap, "%s", s && strlen(s) < cap ? s : "");
}

/* The IAM shape; -1 when the body is not it. */
static int parse_answer(const char *body, size_t n, rg_iam_answer *a)
{
    json_t *o = json_loadb(body, n, 0, NULL), *valid, *roles, *out, *acct;
    const char *exp;
    int rc = -1;
    memset(a, 0, sizeof *a);
    if (!json_is_object(o) || !json_is_boolean(valid = json_object_get(o, "valid"))) goto done;
    a->valid = json_is_true(valid);
    a->code = (int)json_integer_value(json_object_get(o, "code"));
    if (!a->valid) {
        rc = 0;
        goto done;
    }
    text_of(o, "identity", a->identity, sizeof a->identity);
    text_of(o, "realm_user_id", a->realm_user_id, sizeof a->realm_user_id);
    text_of(o, "worker_sid", a->worker_sid, sizeof a->worker_sid);
    /* an account_sid that is there must be an AC sid: anything else is not
     * an answer we understand (502), never "no account" */
    acct = json_object_get(o, "account_sid");
    if (acct && !json_is_null(acct)) {
        if (!json_is_string(acct) ||
            !rg_sid_valid(json_string_value(acct), json_string_length(acct), "AC"))
            goto done;
        memcpy(a->account_sid, json_string_value(acct), RG_SID_SIZE);
    }
    exp = json_string_value(json_object_get(o, "expiration"));
    if (exp == NULL || rg_time_parse_iso8601(exp, strlen(exp), &a->expiration) != 0) goto done;
    roles = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(o, "roles"), i, e) if (json_is_string(e))
        json_array_append(roles, e);
    out = roles;
    size_t len = json_dumpb(out, a->roles, sizeof a->roles - 1, JSON_COMPACT);
    a->roles[len < sizeof a->roles ? len : 0] = '\0';
    if (len >= sizeof a->roles) snprintf(a->roles, sizeof a->roles, "[]");
    json_decref(roles);
    rc = 0;
done:
    json_decref(o);
    return rc;
}

static void finish(vreq *v, int status)
{
    rg_defer *d = v->d;
    rg_validator_cb cb = v->cb;
    rg_playback *pb = d->c ? d->c->w->app->pb : NULL;
    rg_iam_answer a;
    memset(&a, 0, sizeof a);
    if (status == 0 && (v->status != 200 || parse_answer(v->body, v->blen, &a) != 0)) status = 502;
    if (status == 0 && a.valid && pb) cache_put(pb, v->token_hash, &a);
    d->abort = NULL;
    d->aux = NULL;
    h2o_timeout_unlink(&v->deadline);
    free(v->reqbuf.base);
    free(v->body);
    free(v);
    cb(d, status, &a); /* decides and audits, or ends the op */
}

static int failure_status(const char *errstr)
{
    return strstr(errstr, "timeout") ? 504 : 502;
}

static int on_body(h2o_http1client_t *client, const char *errstr)
{
    vreq *v = client->data;
    h2o_buffer_t *in = client->sock->input;
    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) {
        finish(v, failure_status(errstr));
        return -1;
    }
    if (v->blen + in->size > MAX_ANSWER) {
        finish(v, 502);
        return -1;
    }
    memcpy(v->body + v->blen, in->bytes, in->size);
    v->blen += in->size;
    h2o_buffer_consume(&client->sock->input, in->size);
    if (errstr == h2o_http1client_error_is_eos) finish(v, 0);
    return 0;
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *errstr,
                                       int minor_version, int status, h2o_iovec_t msg,
                                       h2o_header_t *headers, size_t num_headers, int rlen)
{
    vreq *v = client->data;
    (void)minor_version, (void)msg, (void)headers, (void)num_headers, (void)rlen;
    if (errstr != NULL && errstr != h2o_http1client_error_is_eos) {
        finish(v, failure_status(errstr));
        return NULL;
    }
    v->status = status;
    if (errstr == h2o_http1client_error_is_eos) { /* no body */
        finish(v, 0);
        return NULL;
    }
    return on_body;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *errstr,
                                          h2o_iovec_t **reqbufs, size_t *reqbufcnt,
                                          int *method_is_head)
{
    vreq *v = client->data;
    if (errstr != NULL) {
        finish(v, failure_status(errstr));
        return NULL;
    }
    *reqbufs = &v->reqbuf;
    *reqbufcnt = 1;
    *method_is_head = 0;
    return on_head;
}

/* The whole exchange took too long: stop it, answer 504. */
static void on_deadline(h2o_timeout_entry_t *e)
{
    vreq *v = H2O_STRUCT_FROM_MEMBER(vreq, deadline, e);
    h2o_http1client_cancel(v->client);
    finish(v, 504);
}

/* The client left: stop the exchange and drop the op. */
static void on_abort(rg_defer *d)
{
    vreq *v = d->aux;
    h2o_timeout_unlink(&v->deadline);
    h2o_http1client_cancel(v->client);
    free(v->reqbuf.base);
    free(v->body);
    free(v);
    rg_defer_cancel(d);
}

/* POST {path} with the caller's Authorization header and {"token": ...}. */
static int build_request(rg_call *c, vreq *v, const rg_validator_url *u, const char *tok,
                         size_t len)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    h2o_iovec_t auth = c->req->headers.entries[i].value;
    size_t cap = 512 + strlen(u->host) + strlen(u->path) + auth.len + 6 * len, blen;
    char *body = malloc(6 * len + 16), *buf = malloc(cap);
    int n;
    if (!body || !buf) goto fail;
    memcpy(body, "{\"token\":\"", 10);
    blen = 10 + rg_json_escape_ascii(body + 10, 6 * len + 1, tok, len);
    memcpy(body + blen, "\"}", 2);
    blen += 2;
    n = snprintf(buf, cap,
                 "POST %s HTTP/1.1\r\nHost: %s:%u\r\nContent-Type: application/json\r\n"
                 "Cache-Control: no-cache\r\nAuthorization: %.*s\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\nUser-Agent: roomgate\r\n\r\n%.*s",
                 u->path, u->host, (unsigned)u->port, (int)auth.len, auth.base, blen, (int)blen,
                 body);
    free(body);
    if (n < 0 || (size_t)n >= cap) goto fail;
    v->reqbuf = h2o_iovec_init(buf, (size_t)n);
    return 0;
fail:
    free(buf);
    return -1;
}

int rg_validator_start(rg_call *c, rg_defer *d, const char *token, size_t len, rg_validator_cb cb)
{
    rg_playback *pb = c->w->app->pb;
    rg_pb_thread *t = rg_pb_loop(c->w);
    vreq *v = calloc(1, sizeof *v);
    if (v == NULL || (v->body = malloc(MAX_ANSWER)) == NULL ||
        build_request(c, v, &pb->validator, token, len) != 0) {
        if (v) free(v->body);
        free(v);
        return -1;
    }
    hash_token(token, len, v->token_hash);
    v->d = d;
    v->cb = cb;
    d->aux = v;
    d->abort = on_abort;
    v->deadline.cb = on_deadline;
    h2o_timeout_link(t->ctx->loop, &t->deadline, &v->deadline);
    h2o_http1client_connect(&v->client, v, &t->hc,
                            h2o_iovec_init(pb->validator.host, strlen(pb->validator.host)),
                            pb->validator.port, pb->validator.is_ssl, on_connect);
    return 0;
}

/* playback/media.c - GET/HEAD /media/{RE}?exp=...&nonce=...&sig=...: the bytes of
 * a recording, decrypted on the fly, with Range support.
 *
 * The link is checked first (HMAC in constant time, then expiry), then the
 * recording; every fetch gets an audit row.  The first fetch of a link
 * from a client address waits for its row to be durable before any byte
 * is sent (in single-use mode every fetch does, and the same transaction
 * consumes the link's nonce); that address's later fetches of the link
 * (a player's next ranges) are served at once, their rows committed
 * within RG_AUDIT_LATER_MS, many in one batch (core/linkseen.h, docs/security.md "Media fetches and
 * the audit log").  The body is produced by an h2o generator: each proceed() reads and opens at
 * most BATCH segments into one per-request buffer (reused across requests, cleansed in between), so
 * memory stays bounded whatever the file size, and every byte sent has passed its GCM tag. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/recfmt.h"
#include "http/fiber.h"
#include "http/limits.h"
#include "playback/playback.h"
#include "playback/rec_json.h"
#include "http/router.h"
#include "store/yield.h"

#define BATCH RG_MEDIA_BATCH /* segments per proceed(): 512 KiB */

typedef struct {
    rg_audited a;                      /* with a refusal decided before the audit */
    char nonce[RG_LINK_NONCE_LEN + 1]; /* consumed in single-use mode */
    int64_t exp;                       /* the link's expiry */
    char seen_key[RG_LINKSEEN_KEY];    /* "" when the link cannot skip the wait */
    int detached;                      /* served already: the row is not awaited */
    rg_recording rec;
} media_op;

typedef struct {
    h2o_generator_t super;
    rg_rec_file f;
    uint8_t key[RG_REC_KEY];
    EVP_CIPHER_CTX *ctx;
    uint64_t pos, end; /* plaintext [pos, end) still to send */
    rg_playback *pb;
    uint8_t *buf;
    size_t buflen, used; /* used: the most plaintext it held */
} media_gen;

static const char *const P_EXP[] = {"exp", NULL};
static const char *const P_NONCE[] = {"nonce", NULL};
static const char *const P_SIG[] = {"sig", NULL};

static void gen_dispose(void *p)
{
    media_gen *g = p;
    OPENSSL_cleanse(g->key, sizeof g->key);
    rg_mediabuf_put(g->pb, g->buf, g->buflen, g->used);
    rg_rec_file_close(&g->f);
}

/* Reads and opens the segments covering [pos, ...) up to BATCH of them;
 * fills vecs with the plaintext slices to send.  -1 on a read or tag
 * failure (a damaged file). */
static int fill(media_gen *g, h2o_iovec_t *vecs, size_t *nvecs)
{
    const rg_rec_header *h = &g->f.h;
    uint64_t first = g->pos / h->segment, last = (g->end - 1) / h->segment;
    uint64_t stride = (uint64_t)h->segment + RG_REC_TAG, off = rg_rec_segment_offset(h, first);
    size_t want = 0, got = 0;
    if (last - first >= BATCH) last = first + BATCH - 1;
    for (uint64_t i = first; i <= last; i++)
        want += rg_rec_segment_plain(h->size, h->segment, i) + RG_REC_TAG;
    if (want > g->used) g->used = want;
    while (got < want) {
        ssize_t r = pread(g->f.fd, g->buf + got, want - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    *nvecs = 0;
    for (uint64_t i = first; i <= last; i++) {
        uint8_t *seg = g->buf + (i - first) * stride;
        size_t plain = rg_rec_segment_plain(h->size, h->segment, i);
        uint64_t s0 = i * h->segment, from = g->pos > s0 ? g->pos - s0 : 0,
                 to = g->end - s0 < plain ? g->end - s0 : plain;
        if (rg_rec_segment_open(g->ctx, &g->f, g->key, i, seg, plain + RG_REC_TAG) != RG_OK)
            return -1;
        vecs[(*nvecs)++] = h2o_iovec_init(seg + from, (size_t)(to - from));
        g->pos = s0 + to;
    }
    return 0;
}

static void send_more(media_gen *g, h2o_req_t *req)
{
    h2o_iovec_t vecs[BATCH];
    size_t n = 0;
    if (g->pos >= g->end) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    if (fill(g, vecs, &n) != 0) {
        fprintf(stderr, "roomgate: media: %s is damaged (a segment failed its tag)\n", g->f.h.sid);
        h2o_send(req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    h2o_send(req, vecs, n, g->pos >= g->end ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void on_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    send_more((media_gen *)self, req);
}

static void add_header(h2o_req_t *req, const h2o_token_t *t, const char *v, size_t n)
{
    h2o_add_header(&req->pool, &req->res.headers, t, NULL, h2o_strdup(&req->pool, v, n).base, n);
}

/* After the audit row: open the file and start the response. */
static void serve(rg_call *c, const rg_recording *rec)
{
    h2o_req_t *req = c->req;
    rg_playback *pb = c->w->app->pb;
    media_gen *g = h2o_mem_alloc_shared(&req->pool, sizeof *g, gen_dispose);
    ssize_t ri = h2o_find_header(&req->headers, H2O_TOKEN_RANGE, -1);
    uint64_t first = 0, last = 0;
    char cr[96];
    memset(g, 0, sizeof *g);
    g->f.fd = -1;
    int rc = rg_rec_file_open(pb->rec_dir, rec->sid, &g->f);
    if (rc == RG_OK && g->f.h.size != rec->size) rc = RG_EIO;
    if (rc == RG_OK) rc = rg_filekey_get(pb, &g->f, g->key);
    if (rc != RG_OK) {
        if (rc == RG_ENOTFOUND && g->f.fd >= 0)
            rg_reply_error(c, 503, 20503, "No recording private key is configured for playback");
        else
            rg_reply_error(c, rc == RG_ENOTFOUND ? 404 : 500, rc == RG_ENOTFOUND ? 20404 : 20500,
                           rc == RG_ENOTFOUND ? "The recording was deleted"
                                              : "The recording cannot be read");
        return;
    }
    rg_range_result rr =
        rg_range_parse(ri == -1 ? NULL : req->headers.entries[ri].value.base,
                       ri == -1 ? 0 : req->headers.entries[ri].value.len, rec->size, &first, &last);
    if (rr == RG_RANGE_UNSATISFIABLE) {
        int n = snprintf(cr, sizeof cr, "bytes */%" PRIu64, rec->size);
        add_header(req, H2O_TOKEN_CONTENT_RANGE, cr, (size_t)n);
        rg_reply_error(c, 416, 20416, "Range not satisfiable: the recording has %" PRIu64 " bytes",
                       rec->size);
        return;
    }
    g->pos = rr == RG_RANGE_OK ? first : 0;
    g->end = rr == RG_RANGE_OK ? last + 1 : rec->size;
    g->ctx = rg_pb_loop(c->w)->gcm;
    g->pb = pb;
    g->buflen = BATCH * ((size_t)g->f.h.segment + RG_REC_TAG);
    if ((g->buf = rg_mediabuf_get(pb, g->buflen)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    g->super.proceed = on_proceed;
    req->res.status = rr == RG_RANGE_OK ? 206 : 200;
    req->res.reason = rr == RG_RANGE_OK ? "Partial Content" : "OK";
    req->res.content_length = g->end - g->pos;
    add_header(req, H2O_TOKEN_CONTENT_TYPE, rec->content_type, strlen(rec->content_type));
    add_header(req, H2O_TOKEN_ACCEPT_RANGES, H2O_STRLIT("bytes"));
    add_header(req, H2O_TOKEN_CACHE_CONTROL, H2O_STRLIT("private, no-store"));
    if (rr == RG_RANGE_OK) {
        int n = snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
                         rec->size);
        add_header(req, H2O_TOKEN_CONTENT_RANGE, cr, (size_t)n);
    }
    h2o_start_response(req, &g->super);
    if (rg_iov_eq(req->method, "HEAD")) g->pos = g->end;
    send_more(g, req);
}

/* A row nobody waited for could not be written: the bytes went out, so
 * say it (once per process; the writer's failures are loud anyway). */
static void detached_failed(void)
{
    static atomic_int said;
    if (atomic_exchange(&said, 1) == 0)
        fprintf(stderr, "roomgate: audit: the row of a repeated /media fetch could not be "
                        "written (the fetch was served)\n");
}

static void media_done(rg_defer *d, rg_call *c)
{
    media_op *op = (media_op *)d;
    if (op->detached) {
        if (op->a.item.result != RG_OK) detached_failed();
        return;
    }
    if (c == NULL) return;
    /* durable: this address's next fetches of the link need not wait */
    if (op->a.item.result == RG_OK && op->a.status == 0 && op->seen_key[0])
        rg_media_seen_add(c->w->app->pb, op->seen_key, op->exp);
    if (op->a.item.result == RG_EEXIST)
        rg_reply_error(c, 410, 20410, "This single-use link was used already");
    else if (op->a.item.result != RG_OK)
        rg_reply_error(c, 503, 20500, "Could not write the audit row; try again");
    else if (op->a.status != 0)
        rg_reply_error(c, op->a.status, op->a.code, "%s", op->a.msg);
    else
        serve(c, &op->rec);
}

/* Checks the link and the recording; decides the outcome the audit row
 * records. */
static void decide(rg_call *c, media_op *op, const char *sid)
{
    rg_playback *pb = c->w->app->pb;
    size_t el = 0, nl = 0, sl = 0;
    const char *exp = rg_param(c, P_EXP, &el), *nonce = rg_param(c, P_NONCE, &nl),
               *sig = rg_param(c, P_SIG, &sl);
    int64_t e = 0;
    rg_link_status ls =
        rg_link_verify(c->w->hmac, pb->link_key, sid, exp, el, nonce, nl, sig, sl, c->now, &e);
    if (ls == RG_LINK_BAD)
        return rg_refuse_audited(&op->a, 403, 20403, "The link's signature is not valid");
    if (ls == RG_LINK_EXPIRED) return rg_refuse_audited(&op->a, 403, 20403, "The link has expired");
    if (rg_recording_get_cached(c->w->app, sid, &op->rec) != RG_OK || op->rec.date_deleted != 0)
        return rg_refuse_audited(&op->a, 404, 20404, "The recording was deleted");
    snprintf(op->a.item.row.account_sid, sizeof op->a.item.row.account_sid, "%s",
             op->rec.account_sid);
    memcpy(op->nonce, nonce, RG_LINK_NONCE_LEN); /* verified: exactly that long */
    op->exp = e;
    if (pb->cfg->single_use) {
        op->a.item.consume_nonce = op->nonce;
        op->a.item.nonce_exp = e;
    } else if (rg_linkseen_key(op->seen_key, sid, op->nonce, RG_LINK_NONCE_LEN,
                               op->a.item.row.client_ip) != 0) {
        op->seen_key[0] = '\0';
    }
}

/* On PostgreSQL a link whose recording is not cached (the first fetch
 * after a start, or after another process changed recordings) reads it
 * from the store: then the handler runs again on a fiber of the loop,
 * whose wait gives the loop back (http/fiber.h), as every other route's
 * does.  The cached case, the common one, stays on the loop's stack,
 * without a fiber's switches (the route's `loop` flag). */
static int hop_to_fiber(rg_call *c)
{
    char sid[RG_SID_SIZE];
    rg_recording rec;
    const rg_yield *y = rg_yield_get();
    if (c->w->fibers == NULL || (y != NULL && y->self() != NULL) ||
        rg_arg_sid(c, 0, "RE", sid) != 0 || rg_recording_cached(c->w->app, sid, &rec) == RG_OK)
        return 0;
    if (rg_fiber_call(c->w->fibers, c, rg_h_media) != 0)
        rg_reply_error(c, 503, 20500, "Too many requests are waiting for the database; try again");
    return 1;
}

void rg_h_media(rg_call *c)
{
    char sid[RG_SID_SIZE];
    media_op *op;
    if (hop_to_fiber(c)) return;
    rg_cors_apply(c);
    if (rg_limit_playback(c) != 0) return;
    if (rg_arg_sid(c, 0, "RE", sid) != 0) {
        rg_reply_not_found(c);
        return;
    }
    if (rg_call_query_params(c) != 0) return;
    if ((op = rg_defer_new(c, sizeof *op, media_done)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    rg_rec_audit_row(c, &op->a.item.row, "media", "served", NULL, NULL, NULL);
    snprintf(op->a.item.row.recording_sid, sizeof op->a.item.row.recording_sid, "%s", sid);
    decide(c, op, sid);
    /* a bad or expired link identifies nobody: a few rows per address and
     * minute, the rest in its summary row (limits.h) */
    if (op->a.status == 403 && !rg_limit_anon_row(c)) {
        rg_reply_error(c, op->a.status, op->a.code, "%s", op->a.msg);
        rg_defer_cancel(&op->a.d);
        return;
    }
    if (op->a.status == 0 && op->seen_key[0] &&
        rg_media_seen(c->w->app->pb, op->seen_key, c->now)) {
        op->detached = 1;
        serve(c, &op->rec); /* reads op->rec before the writer has op */
        rg_audit_submit_later(rg_pb_loop(c->w), &op->a);
        return;
    }
    rg_audit_submit(c->w->app->pb, &op->a);
}

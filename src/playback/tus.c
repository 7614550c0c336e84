/* playback/tus.c - /v1/Recordings/Uploads: large recordings in pieces, by the tus
 * 1.0 resumable upload protocol (core, creation, termination, and the
 * Upload-Metadata header; docs/api.md "Resumable uploads (tus)").
 *
 * h2o 2.2 holds each request body whole in memory, so no body may be
 * larger than --max-body; a recording of up to --max-import arrives as
 * PATCHes of at most that, each authenticated (Basic auth of the owning
 * account), each sealed to disk before it is answered (tus_store.h).
 * When the last byte arrives the recording's row and its audit row are
 * written, as POST /v1/Recordings does, and the answer to that PATCH names
 * the recording (Roomgate-Recording-Sid).
 *
 * The loop parses and authenticates; the disk work runs on the job thread. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/crypto.h>

#include "app/recordings.h"
#include "core/errors.h"
#include "core/jsonw.h"
#include "core/tus.h"
#include "playback/playback.h"
#include "playback/rec_json.h"
#include "http/router.h"
#include "playback/tus_store.h"
#include "crypto/random.h"

enum { OP_CREATE, OP_HEAD, OP_PATCH, OP_DELETE };

typedef struct {
    rg_audited a; /* with the job's refusal */
    rg_playback *pb;
    rg_app *app; /* for the write action (app/recordings.h) */
    int kind;
    char account_sid[RG_SID_SIZE];
    char id[RG_TUS_ID_LEN + 1];
    uint64_t offset; /* PATCH: the client's Upload-Offset */
    uint8_t *body;   /* PATCH: a copy (h2o's buffer dies with the connection) */
    size_t n;
    int complete;
    rg_tus_upload u;
} tus_op;

/* ---- headers ------------------------------------------------------------ */

static int header(rg_call *c, const char *name, h2o_iovec_t *out)
{
    ssize_t i = h2o_find_header_by_str(&c->req->headers, name, strlen(name), -1);
    if (i == -1) return 0;
    *out = c->req->headers.entries[i].value;
    return 1;
}

static void add(rg_call *c, const char *name, const char *value)
{
    h2o_req_t *req = c->req;
    size_t n = strlen(value);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL,
                          h2o_strdup(&req->pool, value, n).base, n);
}

static void add_u64(rg_call *c, const char *name, uint64_t v)
{
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, v);
    add(c, name, num);
}

/* Every tus answer, errors included, names the protocol version. */
static void tus_headers(rg_call *c)
{
    add(c, "tus-resumable", RG_TUS_VERSION);
}

static void tus_error(rg_call *c, int status, int code, const char *msg)
{
    tus_headers(c);
    if (status == 412) add(c, "tus-version", RG_TUS_VERSION);
    rg_reply_error(c, status, code, "%s", msg);
}

/* Basic auth, then Tus-Resumable: 1.0.0 (412 otherwise). */
static int admit(rg_call *c, rg_principal *p)
{
    h2o_iovec_t v;
    if (rg_auth_basic(c, NULL, p) != 0) return -1;
    if (!header(c, "tus-resumable", &v) || !rg_tus_version_ok(v.base, v.len)) {
        tus_error(c, 412, 20412, "Tus-Resumable: 1.0.0 is required");
        return -1;
    }
    return 0;
}

/* ---- the job thread ------------------------------------------------------ */

/* The recording is complete on disk: its row, then the upload is done. */
static int complete(tus_op *op)
{
    rg_tus *t = op->pb->tus;
    int rc = rg_app_recording_add(op->app, &op->u.rec);
    if (rc != RG_OK) {
        rg_tus_remove(t, op->id);
        rg_refuse(&op->a, 503, 20500, "Could not store the recording; upload it again");
        return -1;
    }
    /* the recording exists either way; without the marker a HEAD would
     * show the last committed offset and a retry would 404 on resume */
    (void)rg_tus_mark_done(t, &op->u);
    snprintf(op->a.item.row.recording_sid, sizeof op->a.item.row.recording_sid, "%s",
             op->u.rec.sid);
    snprintf(op->a.item.row.account_sid, sizeof op->a.item.row.account_sid, "%s",
             op->u.rec.account_sid);
    op->complete = 1;
    return 0;
}

static void patch(tus_op *op)
{
    rg_tus_upload *u = &op->u;
    uint64_t at = rg_tus_offset(u);
    int done = 0, rc;
    char msg[160];
    if (op->offset != at) {
        snprintf(msg, sizeof msg, "Upload-Offset %" PRIu64 " does not match the upload's %" PRIu64,
                 op->offset, at);
        rg_refuse(&op->a, 409, 20409, msg);
    } else if (op->n > u->rec.size - at) {
        rg_refuse(&op->a, 413, 21617, "The piece goes past Upload-Length");
    } else if (op->n > 0) {
        rc = rg_tus_append(op->pb->tus, u, op->pb->rec_dir, op->body, op->n, &done);
        if (rc != RG_OK)
            rg_refuse(&op->a, 503, 20500, "Could not store the piece; send it again");
        else if (done)
            complete(op);
    }
}

static void tus_work(rg_defer *d)
{
    tus_op *op = (tus_op *)d;
    rg_tus *t = op->pb->tus;
    int64_t now = (int64_t)time(NULL);
    int rc;
    if (op->kind == OP_CREATE) {
        int done = 0;
        rg_tus_sweep(t, now);
        if (rg_tus_open_count(t, op->u.rec.account_sid) >= RG_TUS_OPEN_MAX) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "The account has %d unfinished uploads, the most it may hold; finish or "
                     "delete one first",
                     RG_TUS_OPEN_MAX);
            rg_refuse(&op->a, 403, 20403, msg);
        } else if (rg_tus_create(t, op->pb->pub, &op->u) != RG_OK) {
            rg_refuse(&op->a, 503, 20500, "Could not create the upload; try again");
        } else if (op->u.rec.size == 0) { /* complete at creation (tus 1.0 "creation") */
            memcpy(op->id, op->u.id, sizeof op->id);
            if (rg_tus_append(t, &op->u, op->pb->rec_dir, NULL, 0, &done) != RG_OK || !done)
                rg_refuse(&op->a, 503, 20500, "Could not store the recording; try again");
            else
                complete(op);
        }
        if (op->complete)
            rg_audit_submit(op->pb, &op->a);
        else
            rg_defer_post(d);
        return;
    }
    if (rg_tus_lock(t, op->id) != RG_OK) {
        rg_refuse(&op->a, 409, 20409, "Another request is working on this upload; try again");
        rg_defer_post(d);
        return;
    }
    rc = rg_tus_load(t, op->id, now, &op->u);
    if (rc == RG_ENOMEM)
        rg_refuse(&op->a, 503, 20500, "Out of memory; try again");
    else if (rc != RG_OK || strcmp(op->u.rec.account_sid, op->account_sid) != 0)
        rg_refuse(&op->a, 404, 20404, "The requested upload was not found");
    else if (op->kind == OP_DELETE)
        rg_tus_remove(t, op->id);
    else if (op->kind == OP_PATCH)
        patch(op);
    rg_tus_unlock(t, op->id);
    if (op->body) OPENSSL_cleanse(op->body, op->n);
    free(op->body);
    op->body = NULL;
    if (op->complete)
        rg_audit_submit(op->pb, &op->a);
    else
        rg_defer_post(d);
}

static void tus_done(rg_defer *d, rg_call *c)
{
    tus_op *op = (tus_op *)d;
    OPENSSL_cleanse(op->u.key, sizeof op->u.key);
    OPENSSL_cleanse(op->u.tail_key, sizeof op->u.tail_key);
    OPENSSL_cleanse(op->u.tail, sizeof op->u.tail);
    free(op->body); /* set only when the job never ran */
    if (c == NULL) return;
    if (op->a.status != 0) {
        tus_error(c, op->a.status, op->a.code, op->a.msg);
        return;
    }
    tus_headers(c);
    if (op->complete && op->a.item.result != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not write the audit row; try again");
        return;
    }
    switch (op->kind) {
    case OP_CREATE: {
        char loc[64];
        snprintf(loc, sizeof loc, "/v1/Recordings/Uploads/%s", op->u.id);
        add(c, "location", loc);
        add_u64(c, "upload-offset", 0);
        if (op->u.done) add(c, "roomgate-recording-sid", op->u.rec.sid);
        rg_reply_empty(c, 201);
        return;
    }
    case OP_HEAD:
        add_u64(c, "upload-offset", rg_tus_offset(&op->u));
        add_u64(c, "upload-length", op->u.rec.size);
        if (op->u.done) add(c, "roomgate-recording-sid", op->u.rec.sid);
        rg_reply_empty(c, 200);
        return;
    case OP_PATCH:
        add_u64(c, "upload-offset", rg_tus_offset(&op->u));
        if (op->u.done) add(c, "roomgate-recording-sid", op->u.rec.sid);
        rg_reply_empty(c, 204);
        return;
    default:
        rg_reply_empty(c, 204);
    }
}

/* ---- the handlers --------------------------------------------------------- */

static tus_op *new_op(rg_call *c, const rg_principal *p, int kind)
{
    tus_op *op = rg_defer_new(c, sizeof *op, tus_done);
    if (op == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return NULL;
    }
    op->pb = c->w->app->pb;
    op->app = c->w->app;
    op->kind = kind;
    memcpy(op->account_sid, p->account_sid, RG_SID_SIZE);
    return op;
}

/* Upload-Metadata into a JSON object of the keys POST /v1/Recordings
 * knows (filetype, tus clients' usual name, as content_type). */
static json_t *metadata(rg_call *c)
{
    static const char *const known[] = {"content_type", "allowed_identities", "allowed_roles",
                                        "room_sid",     "consultation_id",    "duration",
                                        "filetype",     "filename",           NULL};
    rg_tus_pair pairs[RG_TUS_META_MAX_PAIRS];
    size_t n = 0;
    h2o_iovec_t v = {NULL, 0};
    json_t *o = json_object();
    char *buf;
    if (header(c, "upload-metadata", &v)) {
        buf = h2o_mem_alloc_pool(&c->req->pool, RG_TUS_META_BUF(v.len));
        if (rg_tus_parse_metadata(v.base, v.len, pairs, RG_TUS_META_MAX_PAIRS, &n, buf,
                                  RG_TUS_META_BUF(v.len)) != RG_OK) {
            json_decref(o);
            tus_error(c, 400, 21603,
                      "Invalid parameter Upload-Metadata: comma-separated \"key base64\" pairs");
            return NULL;
        }
    }
    for (const char *const *k = known; *k; k++) {
        const rg_tus_pair *pr = rg_tus_meta_get(pairs, n, *k);
        if (pr == NULL) continue;
        if (!rg_text_valid(pr->value, pr->value_len) || pr->value_len > RG_ACL_JSON_MAX) {
            char msg[96];
            snprintf(msg, sizeof msg, "Invalid parameter %s: text (UTF-8, no control characters)",
                     *k);
            json_decref(o);
            tus_error(c, 400, 21603, msg);
            return NULL;
        }
        json_object_set_new(o, *k, json_stringn(pr->value, pr->value_len));
    }
    if (json_object_get(o, "filetype")) {
        if (json_object_get(o, "content_type")) {
            json_decref(o);
            tus_error(c, 400, 21603, "Invalid parameter content_type: given twice (filetype)");
            return NULL;
        }
        json_object_set(o, "content_type", json_object_get(o, "filetype"));
    }
    return o;
}

void rg_h_tus_options(rg_call *c)
{
    char max[24];
    snprintf(max, sizeof max, "%" PRIu64, c->w->app->cfg.playback.max_import);
    tus_headers(c);
    add(c, "tus-version", RG_TUS_VERSION);
    add(c, "tus-extension", "creation,termination");
    add(c, "tus-max-size", max);
    rg_reply_empty(c, 204);
}

void rg_h_tus_create(rg_call *c)
{
    rg_principal p;
    rg_playback *pb = c->w->app->pb;
    h2o_iovec_t v;
    uint64_t len;
    json_t *meta;
    tus_op *op;
    if (admit(c, &p) != 0) return;
    if (pb->pub == NULL) {
        tus_error(c, 503, 20503,
                  "No recording public key is configured; run `roomgate keys "
                  "generate-recording-keypair`");
        return;
    }
    if (header(c, "upload-defer-length", &v)) {
        tus_error(c, 400, 21603, "Invalid parameter Upload-Defer-Length: not supported");
        return;
    }
    if (!header(c, "upload-length", &v)) {
        tus_error(c, 400, 21602, "Missing required parameter Upload-Length");
        return;
    }
    if (rg_tus_parse_u64(v.base, v.len, &len) != RG_OK) {
        tus_error(c, 400, 21603, "Invalid parameter Upload-Length: a non-negative integer");
        return;
    }
    if (len > pb->cfg->max_import) {
        tus_error(c, 413, 21617, "Upload-Length is larger than --max-import (Tus-Max-Size)");
        return;
    }
    if (c->req->entity.len > 0) {
        tus_error(c, 400, 21603, "The creation request has no body: send the data by PATCH");
        return;
    }
    if ((meta = metadata(c)) == NULL) return;
    if ((op = new_op(c, &p, OP_CREATE)) == NULL) {
        json_decref(meta);
        return;
    }
    rg_recording *r = &op->u.rec;
    memcpy(r->account_sid, p.account_sid, RG_SID_SIZE); /* the room must be this account's */
    int rc = rg_rec_meta_from_json(c, meta, r);
    json_decref(meta);
    if (rc != 0 || rg_new_sid(r->sid, "RE") != RG_OK) {
        if (rc == 0) rg_reply_error(c, 503, 20500, "Try again");
        rg_defer_cancel(&op->a.d);
        return;
    }
    memcpy(r->key_id, pb->pub_key_id, sizeof r->key_id);
    r->size = len;
    r->date_created = c->now;
    snprintf(r->source, sizeof r->source, "tus");
    rg_rec_audit_row(c, &op->a.item.row, "create", "created", "tus", NULL, &p);
    rg_playback_job(pb, &op->a.d, tus_work);
}

/* HEAD, PATCH and DELETE on /v1/Recordings/Uploads/{id}, once admitted. */
static tus_op *upload_op(rg_call *c, rg_principal *p, int kind)
{
    tus_op *op;
    if (!rg_tus_id_valid(c->args[0].base, c->args[0].len)) {
        tus_error(c, 404, 20404, "The requested upload was not found");
        return NULL;
    }
    if ((op = new_op(c, p, kind)) == NULL) return NULL;
    memcpy(op->id, c->args[0].base, RG_TUS_ID_LEN);
    return op;
}

void rg_h_tus_head(rg_call *c)
{
    rg_principal p;
    tus_op *op = admit(c, &p) == 0 ? upload_op(c, &p, OP_HEAD) : NULL;
    if (op) rg_playback_job(op->pb, &op->a.d, tus_work);
}

void rg_h_tus_delete(rg_call *c)
{
    rg_principal p;
    tus_op *op = admit(c, &p) == 0 ? upload_op(c, &p, OP_DELETE) : NULL;
    if (op) rg_playback_job(op->pb, &op->a.d, tus_work);
}

void rg_h_tus_patch(rg_call *c)
{
    rg_principal p;
    h2o_iovec_t v, ct;
    uint64_t off;
    if (admit(c, &p) != 0) return;
    if (!header(c, "content-type", &ct) ||
        !h2o_lcstris(ct.base, ct.len, H2O_STRLIT("application/offset+octet-stream"))) {
        tus_error(c, 415, 20415, "Content-Type must be application/offset+octet-stream");
        return;
    }
    if (!header(c, "upload-offset", &v) || rg_tus_parse_u64(v.base, v.len, &off) != RG_OK) {
        tus_error(c, 400, 21603, "Invalid parameter Upload-Offset: a non-negative integer");
        return;
    }
    tus_op *op = upload_op(c, &p, OP_PATCH);
    if (op == NULL) return;
    op->offset = off;
    op->n = c->req->entity.len; /* at most --max-body: h2o refused more */
    if (op->n > 0 && (op->body = malloc(op->n)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        rg_defer_cancel(&op->a.d);
        return;
    }
    if (op->n > 0) memcpy(op->body, c->req->entity.base, op->n);
    rg_rec_audit_row(c, &op->a.item.row, "create", "created", "tus", NULL, &p);
    rg_playback_job(op->pb, &op->a.d, tus_work);
}

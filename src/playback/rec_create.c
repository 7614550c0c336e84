/* playback/rec_create.c - POST /v1/Recordings: store a recording encrypted.
 *
 * Three ways in (docs/api.md):
 *  - a raw body (any Content-Type but JSON), metadata in the query string;
 *    libh2o 2.2 hands handlers whole bodies only, so the body is in memory
 *    (up to --max-body: h2o's limit for every route) and is sealed
 *    segment by segment on the loop; larger files come by tus (playback/tus.c);
 *  - {"path": ...} (JSON): a file under the account's own subdirectory of
 *    --import-dir (import.h), read and sealed in bounded memory on an
 *    import thread (importq.h: one per account at a time, so a tenant's
 *    big import holds neither the job thread nor every import thread);
 *  - either of those with Twilio's encryption_details: decrypted with the
 *    configured private key, verified, and re-sealed in our format; a wrong
 *    key or a tampered file is a 422 and nothing is stored.
 * The job (or import) thread then syncs and renames the file, inserts the
 * row and the audit row; the 201 waits for both. */
#include <stdio.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "app/recordings.h"
#include "core/b64.h"
#include "core/commalist.h"
#include "core/errors.h"
#include "core/jsonw.h"
#include "crypto/twimport.h"
#include "playback/import.h"
#include "playback/importq.h"
#include "playback/playback.h"
#include "playback/rec_json.h"
#include "http/router.h"
#include "store/consultations.h"
#include "crypto/random.h"
#include "store/rooms.h"

#define PATH_MAX_LEN 1024

typedef struct {
    rg_audited a; /* with the job's refusal */
    rg_playback *pb;
    rg_app *app; /* for the write action (app/recordings.h) */
    rg_recording rec;
    rg_rec_writer *w;            /* raw uploads: sealed already, finished by the job */
    char path[PATH_MAX_LEN + 1]; /* imports: relative to the account's import dir */
    rg_import_job job;
    int twilio;
    uint8_t ecek[1024], iv[64];
    size_t ecek_len, iv_len;
} create_op;

/* Where metadata comes from: the JSON body (imports) or the query. */
typedef struct {
    rg_call *c;
    json_t *body; /* NULL: query parameters */
} source;

static const char *field(source *s, const char *pascal, const char *snake)
{
    if (s->body) {
        json_t *v = json_object_get(s->body, snake);
        if (!v) v = json_object_get(s->body, pascal);
        return json_is_string(v) ? json_string_value(v) : NULL;
    }
    const char *names[] = {pascal, snake, NULL};
    return rg_param(s->c, names, NULL);
}

static int bad(rg_call *c, const char *name, const char *why)
{
    rg_reply_error(c, 400, 21603, "Invalid parameter %s: %s", name, why);
    return -1;
}

/* A non-empty item of a comma-separated ACL, to the array ud. */
static int append_item(void *ud, const char *s, size_t n)
{
    if (n > 0) json_array_append_new(ud, json_stringn(s, n));
    return 0;
}

/* An ACL from a JSON array or a comma-separated string, as JSON text. */
static int read_acl(source *s, const char *pascal, const char *snake, char *out, size_t cap)
{
    json_t *arr = json_array(), *v = s->body ? json_object_get(s->body, snake) : NULL;
    const char *csv = NULL;
    int rc = 0;
    if (s->body && !v) v = json_object_get(s->body, pascal);
    if (v && json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                rc = -1;
            else
                json_array_append(arr, e);
        }
    } else if (v && !json_is_string(v)) {
        rc = -1;
    } else if ((csv = v ? json_string_value(v) : field(s, pascal, snake)) != NULL) {
        rg_commalist_each(csv, append_item, arr);
    }
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        size_t n = json_string_length(e);
        if (n == 0 || n > RG_IDENTITY_MAX || !rg_text_valid(json_string_value(e), n)) rc = -1;
    }
    if (json_array_size(arr) > RG_ACL_MAX_ENTRIES) rc = -1;
    if (rc == 0) {
        size_t n = json_dumpb(arr, out, cap - 1, JSON_COMPACT);
        if (n == 0 || n >= cap - 1)
            rc = -1;
        else
            out[n] = '\0';
    }
    json_decref(arr);
    if (rc != 0) bad(s->c, snake, "a list of up to 64 identities or roles of 1 to 256 bytes");
    return rc;
}

static int content_type_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RG_CONTENT_TYPE_MAX || strchr(s, '/') == NULL) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f) return 0;
    return 1;
}

static int read_meta(source *s, rg_recording *r)
{
    rg_call *c = s->c;
    const char *room = field(s, "RoomSid", "room_sid");
    const char *cons = field(s, "ConsultationId", "consultation_id");
    const char *dur = field(s, "Duration", "duration");
    json_t *jd = s->body ? json_object_get(s->body, "duration") : NULL;
    if (room && *room) {
        if (!rg_sid_valid(room, strlen(room), "RM")) return bad(c, "room_sid", "an RM sid");
        memcpy(r->room_sid, room, RG_SID_SIZE);
    }
    if (cons && *cons) {
        if (strlen(cons) > RG_IDENTITY_MAX || !rg_text_valid(cons, strlen(cons)))
            return bad(c, "consultation_id", "1 to 256 bytes of text");
        snprintf(r->consultation_id, sizeof r->consultation_id, "%s", cons);
    }
    r->duration = -1;
    if (json_is_integer(jd)) {
        r->duration = json_integer_value(jd);
    } else if (dur && *dur) {
        char *end;
        r->duration = strtoll(dur, &end, 10);
        if (*end != '\0' || *dur == '-') r->duration = -2;
    } else if (jd && !json_is_null(jd)) {
        r->duration = -2;
    }
    if (r->duration < -1 || r->duration > 10000000)
        return bad(c, "duration", "whole seconds, 0 to 10000000");
    if (read_acl(s, "AllowedIdentities", "allowed_identities", r->allowed_identities,
                 sizeof r->allowed_identities) != 0 ||
        read_acl(s, "AllowedRoles", "allowed_roles", r->allowed_roles, sizeof r->allowed_roles) !=
            0)
        return -1;
    return 0;
}

/* The room and the consultation decide who may play the recording (their
 * participants), so they must be the recording's account's: another
 * account's room would make /sec_rec an oracle of who was in it.  A room
 * is looked up by sid (a room of the account whose unique name happens to
 * be that sid is not it). */
static int check_owned(rg_call *c, const rg_recording *r)
{
    rg_store *st = c->w->app->store;
    rg_room room;
    rg_consultation cn;
    int rc = RG_OK;
    if (r->room_sid[0]) {
        rc = rg_store_room_get(st, r->account_sid, r->room_sid, &room);
        if (rc == RG_OK && strcmp(room.sid, r->room_sid) != 0) rc = RG_ENOTFOUND;
        if (rc == RG_ENOTFOUND) {
            rg_reply_error(c, 404, 20404, "The room %s was not found", r->room_sid);
            return -1;
        }
    }
    if (rc == RG_OK && r->consultation_id[0]) {
        rc = rg_store_consultation_get(st, r->account_sid, r->consultation_id, &cn);
        if (rc == RG_ENOTFOUND) {
            rg_reply_error(c, 404, 20404, "The consultation %s was not found", r->consultation_id);
            return -1;
        }
    }
    if (rc != RG_OK) rg_reply_error(c, 503, 20500, "Could not read the store; try again");
    return rc == RG_OK ? 0 : -1;
}

int rg_rec_meta_from_json(rg_call *c, json_t *obj, rg_recording *r)
{
    source s = {c, obj};
    const char *ct = field(&s, "ContentType", "content_type");
    if (ct == NULL) ct = "application/octet-stream";
    if (strlen(ct) > RG_CONTENT_TYPE_MAX || !content_type_ok(ct))
        return bad(c, "content_type", "a media type");
    snprintf(r->content_type, sizeof r->content_type, "%s", ct);
    return read_meta(&s, r) == 0 && check_owned(c, r) == 0 ? 0 : -1;
}

/* Twilio's encryption_details: an object (JSON) or its JSON text (query). */
static int read_twilio(source *s, create_op *op)
{
    json_t *ed = s->body ? json_object_get(s->body, "encryption_details") : NULL, *own = NULL;
    const char *text = s->body ? NULL : field(s, "EncryptionDetails", "encryption_details");
    const char *type, *cek, *iv;
    if (text) ed = own = json_loads(text, 0, NULL);
    if (ed == NULL || json_is_null(ed)) return 0;
    type = json_string_value(json_object_get(ed, "type"));
    cek = json_string_value(json_object_get(ed, "encrypted_cek"));
    iv = json_string_value(json_object_get(ed, "iv"));
    int ok = json_is_object(ed) && type && strcmp(type, "rsa-aes") == 0 && cek && iv &&
             rg_b64_decode(op->ecek, sizeof op->ecek, cek, strlen(cek), &op->ecek_len) == RG_OK &&
             rg_b64_decode(op->iv, sizeof op->iv, iv, strlen(iv), &op->iv_len) == RG_OK &&
             op->ecek_len > 0 && op->iv_len >= 12;
    json_decref(own);
    if (!ok)
        return bad(s->c, "encryption_details",
                   "{\"type\": \"rsa-aes\", \"encrypted_cek\": base64, \"iv\": base64}");
    op->twilio = 1;
    return 0;
}

/* A path relative to the account's import directory <import-dir>/<AC>/,
 * without "..", or an absolute one inside it (made relative).  The kernel
 * enforces the rest (import.c). */
static int read_path(rg_call *c, create_op *op, const char *p)
{
    const char *dir = op->pb->cfg->import_dir, *ac = op->rec.account_sid;
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (p[0] == '/') {
        if (strncmp(p, dir, dl) != 0 || p[dl] != '/' || strncmp(p + dl + 1, ac, RG_SID_LEN) != 0 ||
            p[dl + 1 + RG_SID_LEN] != '/')
            return bad(c, "path", "outside your import directory (<import-dir>/<AccountSid>/)");
        p += dl + 1 + RG_SID_LEN + 1;
    }
    size_t n = strlen(p);
    if (n == 0 || n > PATH_MAX_LEN || !rg_text_valid(p, n)) return bad(c, "path", "a file name");
    for (const char *q = p; q; q = strchr(q, '/')) {
        if (*q == '/') q++;
        if (strncmp(q, "..", 2) == 0 && (q[2] == '/' || q[2] == '\0'))
            return bad(c, "path", "must not contain ..");
    }
    memcpy(op->path, p, n + 1);
    return 0;
}

/* ---- the job thread ---------------------------------------------------- */

/* Seals src into the writer, plain or from Twilio's encryption. */
static int seal(create_op *op, rg_rec_source *src)
{
    uint64_t size = op->twilio ? src->size - RG_TWILIO_TAG : src->size;
    int rc = rg_rec_writer_open(op->pb->rec_dir, op->rec.sid, op->pb->pub, size, &op->w);
    if (rc != RG_OK) return rc;
    op->rec.size = size;
    if (op->twilio)
        rc = rg_twilio_decrypt(op->pb->twilio_priv, op->ecek, op->ecek_len, op->iv, op->iv_len, src,
                               op->w);
    else
        rc = rg_rec_writer_copy(op->w, src);
    if (rc != RG_OK) {
        rg_rec_writer_abort(op->w);
        op->w = NULL;
    }
    return rc;
}

static void seal_failed(create_op *op, int rc)
{
    if (rc == RG_ECRYPTO && op->twilio)
        rg_refuse(&op->a, 422, 21622,
                  "The Twilio-encrypted file does not decrypt with the configured private key, or "
                  "it was altered");
    else if (rc == RG_EINVAL && op->twilio)
        rg_refuse(&op->a, 422, 21622, "The file is too short to be a Twilio-encrypted recording");
    else
        rg_refuse(&op->a, 503, 20500, "Could not store the recording; try again");
}

static void import_file(create_op *op)
{
    const char *why;
    char msg[160];
    uint64_t size;
    int fd, rc;
    if (rg_import_open(op->pb->import_fd, op->rec.account_sid, op->path, &fd, &size, &why) !=
        RG_OK) {
        snprintf(msg, sizeof msg, "Invalid parameter path: %s", why);
        rg_refuse(&op->a, 400, 21603, msg);
        return;
    }
    if (size > op->pb->cfg->max_import) {
        rg_refuse(&op->a, 413, 21617, "The file is larger than --max-import");
    } else {
        rg_rec_source src = {.fd = fd, .size = size};
        if ((rc = seal(op, &src)) != RG_OK) seal_failed(op, rc);
    }
    close(fd);
}

static void create_work(rg_defer *d)
{
    create_op *op = (create_op *)d;
    int rc;
    if (op->w == NULL) import_file(op);
    if (op->a.status == 0) {
        rc = rg_rec_writer_finish(op->w);
        op->w = NULL;
        if (rc == RG_OK) rc = rg_app_recording_add(op->app, &op->rec);
        if (rc != RG_OK) rg_refuse(&op->a, 503, 20500, "Could not store the recording; try again");
    }
    if (op->a.status != 0) {
        rg_defer_post(d);
        return;
    }
    rg_audit_submit(op->pb, &op->a);
}

static void create_done(rg_defer *d, rg_call *c)
{
    create_op *op = (create_op *)d;
    rg_rec_writer_abort(op->w);
    if (c == NULL) return;
    if (op->a.status != 0)
        rg_reply_error(c, op->a.status, op->a.code, "%s", op->a.msg);
    else if (op->a.item.result != RG_OK)
        rg_reply_error(c, 503, 20500, "Could not write the audit row; try again");
    else
        rg_reply_json(c, 201, rg_recording_json(c, &op->rec));
}

/* ---- the handler ------------------------------------------------------- */

static int is_json(rg_call *c)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i == -1) return 0;
    h2o_iovec_t v = c->req->headers.entries[i].value;
    return h2o_strstr(v.base, v.len, H2O_STRLIT("json")) != SIZE_MAX;
}

static void header_content_type(rg_call *c, char *out, size_t cap)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    h2o_iovec_t v = i == -1 ? h2o_iovec_init(H2O_STRLIT("application/octet-stream"))
                            : c->req->headers.entries[i].value;
    snprintf(out, cap, "%.*s", (int)(v.len < cap ? v.len : cap - 1), v.base);
}

/* The raw body, sealed here on the loop: it lives in h2o's buffer, which
 * is gone if the client disconnects, so no other thread may read it. */
static int seal_body(rg_call *c, create_op *op)
{
    h2o_iovec_t b = c->req->entity;
    rg_rec_source src = {.fd = -1, .mem = (const uint8_t *)b.base, .size = b.len};
    int rc;
    if (b.len == 0 || (op->twilio && b.len < RG_TWILIO_TAG)) {
        rg_reply_error(c, 400, 21602,
                       "Missing the recording: send it as the body, or JSON "
                       "{\"path\": ...} to import a file");
        return -1;
    }
    if ((rc = seal(op, &src)) == RG_OK) return 0;
    seal_failed(op, rc);
    rg_reply_error(c, op->a.status, op->a.code, "%s", op->a.msg);
    return -1;
}

static int parse_request(rg_call *c, create_op *op, json_t **body)
{
    source s = {c, NULL};
    const char *path, *ct;
    if (is_json(c)) {
        json_error_t e;
        if (rg_call_query_params(c) != 0) return -1;
        s.body = *body = json_loadb(c->req->entity.base, c->req->entity.len, 0, &e);
        if (!json_is_object(s.body)) {
            rg_reply_error(c, 400, 21601, "Malformed JSON body: expected an object");
            return -1;
        }
        if ((path = field(&s, "Path", "path")) == NULL) {
            rg_reply_error(c, 400, 21602, "Missing required parameter path");
            return -1;
        }
        if (op->pb->import_fd < 0) {
            rg_reply_error(c, 400, 21603,
                           "Imports are disabled: start the server with --import-dir");
            return -1;
        }
        if (read_path(c, op, path) != 0) return -1;
        ct = field(&s, "ContentType", "content_type");
        snprintf(op->rec.content_type, sizeof op->rec.content_type, "%s",
                 ct ? ct : "application/octet-stream");
        snprintf(op->rec.source, sizeof op->rec.source, "import");
    } else {
        if (rg_call_query_params(c) != 0) return -1;
        header_content_type(c, op->rec.content_type, sizeof op->rec.content_type);
        snprintf(op->rec.source, sizeof op->rec.source, "upload");
    }
    if (!content_type_ok(op->rec.content_type)) return bad(c, "content_type", "a media type");
    if (read_meta(&s, &op->rec) != 0 || read_twilio(&s, op) != 0 || check_owned(c, &op->rec) != 0)
        return -1;
    if (op->twilio) snprintf(op->rec.source, sizeof op->rec.source, "twilio");
    if (op->twilio && op->pb->twilio_priv == NULL) {
        rg_reply_error(c, 503, 20503, "No private key is configured for Twilio imports");
        return -1;
    }
    return s.body || seal_body(c, op) == 0 ? 0 : -1;
}

void rg_h_recordings_create(rg_call *c)
{
    rg_principal p;
    rg_playback *pb = c->w->app->pb;
    create_op *op;
    json_t *body = NULL;
    if (rg_auth_basic(c, NULL, &p) != 0) return;
    if (pb->pub == NULL) {
        rg_reply_error(c, 503, 20503,
                       "No recording public key is configured; run `roomgate keys "
                       "generate-recording-keypair`");
        return;
    }
    if ((op = rg_defer_new(c, sizeof *op, create_done)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    op->pb = pb;
    op->app = c->w->app;
    memcpy(op->rec.account_sid, p.account_sid, RG_SID_SIZE);
    op->rec.date_created = c->now;
    memcpy(op->rec.key_id, pb->pub_key_id, sizeof op->rec.key_id);
    int rc = rg_new_sid(op->rec.sid, "RE") == RG_OK ? parse_request(c, op, &body) : -1;
    json_decref(body);
    if (rc != 0) {
        /* answered already (or cannot make a sid): drop the op unposted */
        if (op->rec.sid[0] == '\0') rg_reply_error(c, 503, 20500, "Try again");
        rg_rec_writer_abort(op->w);
        op->w = NULL;
        rg_defer_cancel(&op->a.d);
        return;
    }
    rg_rec_audit_row(c, &op->a.item.row, "create", "created", op->rec.source, &op->rec, &p);
    if (op->w != NULL) { /* an upload, sealed already: the job thread finishes it */
        rg_playback_job(pb, &op->a.d, create_work);
        return;
    }
    memcpy(op->job.account, op->rec.account_sid, RG_SID_SIZE);
    if (rg_playback_import(pb, &op->job, &op->a.d, create_work) != 0) {
        rg_reply_error(c, 429, 20429,
                       "This account has %d imports queued or running; try again when one ends",
                       RG_IMPORTS_PER_ACCOUNT);
        rg_defer_cancel(&op->a.d);
    }
}

/* playback/sec_rec.c - GET /sec_rec?recording_sid=RE... : Twilio Flex's
 * url_provider (seed 003), and the CORS preflight of the playback routes.
 *
 * The caller sends Authorization: Basic base64("token:" + JWT).  The token
 * is validated locally (our own tokens) or, with --playback-validator, by
 * an IAM-style endpoint (validator.c), whose answer must vouch for the
 * recording's account (else 403).  Access is granted when the
 * identity (or realm_user_id) is in allowed_identities, a role is in
 * allowed_roles, or the identity took part in the recording's room or
 * consultation.  Every decision is written to the audit log before the
 * answer leaves; a grant answers {"media_url"} with a signed link. */
#include <stdio.h>

#include "core/b64.h"
#include "core/errors.h"
#include "http/limits.h"
#include "api/page.h"
#include "playback/playback.h"
#include "playback/rec_json.h"
#include "http/router.h"
#include "playback/validator.h"
#include "store/consultations.h"
#include "crypto/random.h"
#include "store/rooms.h"

static const char *const P_SID[] = {"recording_sid", "RecordingSid", NULL};

typedef struct {
    rg_audited a; /* its refusal: status 0 = granted */
    char media_url[1024];
    rg_recording rec;
    int have_rec;
} sec_op;

/* Whether an ACL (a JSON array as the store keeps it, written compactly by
 * jansson: inside strings only '"' and '\\' are escaped, as identities and
 * roles hold no control characters) has s.  A scan instead of a parse:
 * this runs on every /sec_rec.  A '"' inside an entry is always escaped,
 * so a match that starts after '[' or ',' and ends before ',' or ']' is a
 * whole entry. */
static int in_list(const char *acl, const char *s)
{
    char want[2 * RG_IDENTITY_MAX + 3];
    size_t k = 0, alen = strlen(acl);
    if (!s || !*s) return 0;
    want[k++] = '"';
    for (; *s && k < sizeof want - 2; s++) {
        if (*s == '"' || *s == '\\') want[k++] = '\\';
        want[k++] = *s;
    }
    want[k++] = '"';
    for (const char *p = acl; (p = memmem(p, alen - (size_t)(p - acl), want, k)) != NULL; p++) {
        char before = p == acl ? '\0' : p[-1], after = p[k];
        if ((before == '[' || before == ',') && (after == ',' || after == ']')) return 1;
    }
    return 0;
}

static int any_in_list(const char *acl, const char *roles_json)
{
    json_t *a, *e;
    size_t i;
    int found = 0;
    if (strcmp(acl, "[]") == 0 || !roles_json[0] || strcmp(roles_json, "[]") == 0) return 0;
    a = json_loads(roles_json, 0, NULL);
    json_array_foreach(a, i, e) found |= json_is_string(e) && in_list(acl, json_string_value(e));
    json_decref(a);
    return found;
}

/* Took part in the recording's room, or is a party of its consultation
 * (the client, the provider, or a participant of its room). */
static int participated(rg_store *st, const rg_recording *r, const char *identity)
{
    rg_consultation cn;
    rg_room room;
    if (!identity[0]) return 0;
    if (r->room_sid[0] &&
        rg_store_participant_was_in(st, r->account_sid, r->room_sid, identity) == 1)
        return 1;
    if (!r->consultation_id[0]) return 0;
    if (rg_store_consultation_get(st, r->account_sid, r->consultation_id, &cn) == RG_OK &&
        (strcmp(cn.client_identity, identity) == 0 || strcmp(cn.provider_identity, identity) == 0))
        return 1;
    return rg_store_room_get(st, r->account_sid, r->consultation_id, &room) == RG_OK &&
           rg_store_participant_was_in(st, r->account_sid, room.sid, identity) == 1;
}

/* media_url: --public-url or the request's origin, then the signed path. */
static int mint_link(rg_call *c, sec_op *op)
{
    rg_playback *pb = c->w->app->pb;
    uint8_t rnd[16];
    char nonce[RG_LINK_NONCE_LEN + 1], sig[RG_LINK_SIG_LEN + 1];
    int64_t exp = c->now + pb->cfg->link_ttl;
    const char *base = rg_base_url(c); /* --public-url, else a vouched Host (host_ok) */
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    if (rg_random(rnd, sizeof rnd) != RG_OK) return -1;
    rg_b64url_encode(nonce, rnd, sizeof rnd);
    if (rg_link_sign(c->w->hmac, pb->link_key, op->rec.sid, exp, nonce, sig) != RG_OK) return -1;
    int n = snprintf(op->media_url, sizeof op->media_url, "%.*s/media/%s?exp=%lld&nonce=%s&sig=%s",
                     (int)bl, base, op->rec.sid, (long long)exp, nonce, sig);
    return n > 0 && (size_t)n < sizeof op->media_url ? 0 : -1;
}

/* With the caller known: the access rule, the link, the audit row. */
static void decide(rg_call *c, sec_op *op)
{
    rg_audit_row *row = &op->a.item.row;
    const rg_recording *r = &op->rec;
    if (!op->have_rec) {
        rg_refuse_audited(&op->a, 404, 20404, "No such recording");
    } else if (in_list(r->allowed_identities, row->identity) ||
               in_list(r->allowed_identities, row->realm_user_id) ||
               any_in_list(r->allowed_roles, row->roles) ||
               participated(c->w->app->store, r, row->identity)) {
        snprintf(row->outcome, sizeof row->outcome, "granted");
        if (mint_link(c, op) != 0)
            rg_refuse_audited(&op->a, 503, 20500, "Could not sign a media link");
    } else {
        rg_refuse_audited(&op->a, 403, 20403, "This identity may not play this recording");
    }
    rg_audit_submit(c->w->app->pb, &op->a);
}

/* A refusal before anyone was identified (no token, a bad token): its own
 * audit row for the first few of an address each minute, otherwise it is
 * counted in the address's summary row and answered at once (limits.h),
 * so an anonymous flood cannot fill the audit log. */
static void submit_refusal(rg_call *c, sec_op *op)
{
    if (op->a.status != 401 || rg_limit_anon_row(c)) {
        rg_audit_submit(c->w->app->pb, &op->a);
        return;
    }
    rg_reply_error(c, op->a.status, op->a.code, "%s", op->a.msg);
    rg_defer_cancel(&op->a.d);
}

static void sec_done(rg_defer *d, rg_call *c)
{
    sec_op *op = (sec_op *)d;
    if (c == NULL) return;
    if (op->a.item.result != RG_OK)
        rg_reply_error(c, 503, 20500, "Could not write the audit row; try again");
    else if (op->a.status != 0)
        rg_reply_error(c, op->a.status, op->a.code, "%s", op->a.msg);
    else
        rg_reply_json(c, 200, json_pack("{s:s}", "media_url", op->media_url));
}

static void set_text(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* Our own token, checked here; its account must own the recording (a
 * token of another account sees a 404, as any other route). */
static void validate_local(rg_call *c, sec_op *op, const char *tok, size_t len)
{
    rg_token_result r;
    rg_audit_row *row = &op->a.item.row;
    char why[96];
    rg_token_check(c->w->hmac, tok, len, c->now, rg_keycache_lookup_key, c->w->app->keys, &r);
    /* a kick's revocation, as the validate route answers it (a remote
     * validator that is roomgate says valid:false for it too) */
    if (r.code == RG_TOK_VALID && rg_revcache_token_revoked(c->w->app->revocations, c->w->app->hot,
                                                            c->w->app->store, &r, NULL))
        r.code = RG_TOK_REVOKED;
    if (r.code != RG_TOK_VALID) {
        snprintf(why, sizeof why, "invalid token (%d): %s", (int)r.code, rg_tok_message(r.code));
        rg_refuse_audited(&op->a, 401, (int)r.code, why);
    } else {
        set_text(row->identity, sizeof row->identity, r.identity);
        set_text(row->realm_user_id, sizeof row->realm_user_id, r.identity);
        snprintf(row->roles, sizeof row->roles, "%s%s%s%s", "[",
                 r.kind == RG_TOKEN_VIDEOSDK && (r.roles & RG_ROLE_CRAWLER) ? "\"crawler\"" : "",
                 r.kind == RG_TOKEN_VIDEOSDK && (r.roles & RG_ROLE_RTC)
                     ? (r.roles & RG_ROLE_CRAWLER ? ",\"rtc\"" : "\"rtc\"")
                     : "",
                 "]");
        if (op->have_rec && strcmp(r.account_sid, op->rec.account_sid) != 0) op->have_rec = 0;
    }
    rg_token_result_clear(&r);
    if (op->a.status == 0)
        decide(c, op);
    else
        submit_refusal(c, op);
}

static void apply_answer(sec_op *op, const rg_iam_answer *a)
{
    rg_audit_row *row = &op->a.item.row;
    char why[64];
    if (!a->valid) {
        snprintf(why, sizeof why, "invalid token (%d, remote validator)", a->code);
        rg_refuse_audited(&op->a, 401, a->code ? a->code : 20101, why);
        return;
    }
    set_text(row->identity, sizeof row->identity, a->identity);
    set_text(row->realm_user_id, sizeof row->realm_user_id, a->realm_user_id);
    set_text(row->roles, sizeof row->roles, a->roles);
}

static void on_validated(rg_defer *d, int status, const rg_iam_answer *a)
{
    sec_op *op = (sec_op *)d;
    rg_call *c = d->c;
    if (status == 504)
        rg_refuse_audited(&op->a, 504, 20504, "The token validator did not answer in time");
    else if (status != 0)
        rg_refuse_audited(&op->a, 502, 20502, "The token validator failed");
    else
        apply_answer(op, a);
    /* the answer is good for its own account only (docs/security.md) */
    if (op->a.status == 0 && op->have_rec && c != NULL &&
        !rg_validator_vouches(c->w->app->pb, a, op->rec.account_sid))
        rg_refuse_audited(&op->a, 403, 20403,
                          "The token validator does not vouch for this recording's account");
    if (c == NULL) { /* the client left: nothing to decide, the op ends here */
        rg_defer_cancel(d);
        return;
    }
    if (op->a.status == 0)
        decide(c, op);
    else
        submit_refusal(c, op);
}

static void validate_remote(rg_call *c, sec_op *op, const char *tok, size_t len)
{
    rg_iam_answer a;
    if (rg_validator_cached(c->w->app->pb, tok, len, c->now, &a)) {
        on_validated(&op->a.d, 0, &a);
        return;
    }
    if (rg_validator_start(c, &op->a.d, tok, len, on_validated) != 0) {
        rg_refuse_audited(&op->a, 502, 20502, "The token validator cannot be reached");
        rg_audit_submit(c->w->app->pb, &op->a);
    }
}

/* Without --public-url the link names the request's Host, so only a Host
 * the operator vouches for is used: loopback, the --listen address, or
 * one of --allowed-hosts.  Anything else (Host: attacker.example) would
 * hand the caller a signed link to another server: 400, before any
 * credential is read or any row written. */
static int host_ok(rg_call *c)
{
    if (c->w->app->pb->cfg->public_url != NULL || rg_host_vouched(c)) return 1;
    rg_reply_error(c, 400, 21603,
                   "Invalid Host header: media links are built only for loopback, the --listen "
                   "address and --allowed-hosts (set --public-url behind a proxy)");
    return 0;
}

void rg_h_sec_rec(rg_call *c)
{
    const char *user, *tok, *sid;
    size_t ulen, len, slen = 0;
    sec_op *op;
    rg_cors_apply(c);
    if (rg_limit_playback(c) != 0 || !host_ok(c) || rg_call_query_params(c) != 0) return;
    sid = rg_param(c, P_SID, &slen);
    if (sid == NULL) {
        rg_reply_error(c, 400, 21602, "Missing required parameter recording_sid");
        return;
    }
    if (!rg_sid_valid(sid, slen, "RE")) {
        rg_reply_error(c, 400, 21603, "Invalid parameter recording_sid: an RE sid");
        return;
    }
    if ((op = rg_defer_new(c, sizeof *op, sec_done)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    op->have_rec =
        rg_recording_get_cached(c->w->app, sid, &op->rec) == RG_OK && op->rec.date_deleted == 0;
    rg_rec_audit_row(c, &op->a.item.row, "sec_rec", "granted", NULL, NULL, NULL);
    set_text(op->a.item.row.recording_sid, sizeof op->a.item.row.recording_sid, sid);
    if (op->have_rec)
        set_text(op->a.item.row.account_sid, sizeof op->a.item.row.account_sid,
                 op->rec.account_sid);
    if (rg_auth_basic_parts(c, &user, &ulen, &tok, &len) != 0 || ulen != 5 ||
        memcmp(user, "token", 5) != 0 || len == 0) {
        rg_refuse_audited(&op->a, 401, 20003,
                          "Missing credentials: Authorization: Basic base64(\"token:\" + JWT)");
        submit_refusal(c, op);
        return;
    }
    if (c->w->app->pb->has_validator)
        validate_remote(c, op, tok, len);
    else
        validate_local(c, op, tok, len);
}

/* OPTIONS on /sec_rec and /media/{RE}: the CORS preflight.  A configured
 * Origin gets the methods and the Authorization and Range headers; any
 * other gets a 403 without CORS headers, so the browser refuses. */
void rg_h_playback_preflight(rg_call *c)
{
    h2o_req_t *req = c->req;
    if (!rg_cors_apply(c)) {
        rg_reply_error(c, 403, 20403, "Origin not allowed");
        return;
    }
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-methods"),
                          0, NULL, H2O_STRLIT("GET, HEAD, OPTIONS"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-allow-headers"),
                          0, NULL, H2O_STRLIT("Authorization, Range"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("access-control-max-age"), 0,
                          NULL, H2O_STRLIT("600"));
    rg_reply_empty(c, 204);
}

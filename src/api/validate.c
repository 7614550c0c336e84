/* api/validate.c - POST /v1/Accounts/{AC}/Tokens/validate, in the shape of
 * Twilio's IAM API (the url_provider flow of seed 003 calls it).
 *
 * Two ways in: the account's Basic credentials, or, as Twilio's IAM takes
 * it, Basic base64("token:" + JWT).  In the second mode the JWT in the
 * header is the credential: when the body names a different token, the
 * header's must itself be valid for this account, else 401. */
#include "core/errors.h"
#include "core/jsonw.h"
#include "core/verdict.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "http/module.h"

static const char *const P_TOKEN[] = {"token", "Token", NULL};

extern const rg_module rg_mod_validate;

/* This loop's cached answers (validate_loop_init's, in the module's slot). */
static rg_verdict_cache *verdicts(rg_worker *w)
{
    return rg_worker_get(w, &rg_mod_validate);
}

/* Everything a cached verdict depends on besides the token: the keys and
 * the revocations.  Read before validating, so a change that lands during
 * the validation leaves the new entry already stale. */
static uint64_t auth_generation(rg_app *app)
{
    uint64_t g = rg_keycache_generation(app->keys) << 32;
    return app->revocations ? g ^ rg_revcache_generation(app->revocations) : g;
}

/* The cache key: a token is valid for one account only. */
static int verdict_key(rg_call *c, const h2o_iovec_t *account, const char *tok, size_t len,
                       uint8_t digest[32])
{
    return rg_sha256_2(c->w->hmac, account->base, account->len, tok, len, digest);
}

/* A kick revokes the tokens of (room, identity) issued up to it, so only a
 * token that names a room (Twilio grant, VideoSDK roomId or customRoomId)
 * can be matched; its identity is the one a join takes (a VideoSDK token
 * without participantId: its jti).  The set is in memory; a customRoomId
 * is resolved through the hot cache, and only while a kick is recorded. */
static int revoked(rg_call *c, const rg_token_result *r)
{
    rg_app *app = c->w->app;
    return rg_revcache_token_revoked(app->revocations, app->hot, app->store, r, NULL);
}

static void validate_for(rg_call *c, const char *tok, size_t len, const h2o_iovec_t *account,
                         rg_token_result *r)
{
    rg_token_check(c->w->hmac, tok, len, c->now, rg_keycache_lookup_key, c->w->app->keys, r);
    if (r->code == RG_TOK_VALID && !rg_iov_eq(*account, r->account_sid))
        r->code = RG_TOK_BAD_ISSUER;
    if (r->code == RG_TOK_VALID && revoked(c, r)) r->code = RG_TOK_REVOKED;
}

static json_t *roles_json(const rg_token_result *r)
{
    json_t *a = json_array();
    if (r->kind == RG_TOKEN_VIDEOSDK) {
        if (r->roles & RG_ROLE_CRAWLER) json_array_append_new(a, json_string("crawler"));
        if (r->roles & RG_ROLE_RTC) json_array_append_new(a, json_string("rtc"));
    }
    return a;
}

static json_t *grants_json(const rg_token_result *r)
{
    json_t *g;
    if (r->kind == RG_TOKEN_TWILIO) {
        g = json_object_get(r->payload, "grants");
        return json_is_object(g) ? json_incref(g) : json_object();
    }
    g = json_object();
    json_object_set(g, "permissions", json_object_get(r->payload, "permissions"));
    if (r->room[0] != '\0') json_object_set_new(g, "roomId", json_string(r->room));
    return g;
}

static json_t *answer_json(rg_call *c, const rg_token_result *r)
{
    /* account_sid: the account the answer vouches for, so that a roomgate
     * using this one as its --playback-validator opens that account's
     * recordings only */
    return json_pack("{s:b, s:i, s:n, s:s, s:s?, s:s?, s:o, s:o, s:s, s:s}", "valid", 1, "code", 0,
                     "message", "expiration", rg_fmt_iso8601(c, r->exp), "realm_user_id",
                     r->identity[0] ? r->identity : NULL, "identity",
                     r->identity[0] ? r->identity : NULL, "roles", roles_json(r), "grants",
                     grants_json(r), "key_sid", r->key_sid, "account_sid", r->account_sid);
}

/* The refusal: constant but for the code and its message. */
static size_t write_refusal(rg_call *c, const rg_token_result *r, char **out)
{
    const char *msg = rg_tok_message(r->code);
    size_t cap = strlen(msg) + 192;
    rg_jw w;
    rg_jw_init(&w, *out = h2o_mem_alloc_pool(&c->req->pool, cap), cap);
    rg_jw_lit(&w, "{\"valid\":false,\"code\":");
    rg_jw_i64(&w, (int64_t)r->code);
    rg_jw_lit(&w, ",\"message\":");
    rg_jw_str(&w, msg, strlen(msg));
    rg_jw_lit(&w, ",\"expiration\":null,\"realm_user_id\":null,\"identity\":null,\"roles\":[],"
                  "\"grants\":{},\"key_sid\":null,\"account_sid\":null}");
    return w.len;
}

/* jansson escapes control characters its own way (\n, \u001F); rg_jw_str
 * does the rest ('"' and '\\') the same. */
static int plain_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20) return 0;
    return 1;
}

/* The positive answer without a DOM, byte for byte what answer_json's
 * JSON_COMPACT dump gives: the same members in the same order, the grants
 * or permissions echoed from the token's own compact text.  Returns 0 when
 * that text is not available (the caller dumps answer_json instead). */
static size_t write_answer(rg_call *c, const rg_token_result *r, char **out)
{
    if (r->echo_len == 0 || !plain_text(r->identity) || !plain_text(r->room)) return 0;
    size_t cap = 2 * (strlen(r->identity) + strlen(r->room)) + r->echo_len + 384;
    const char *exp = rg_fmt_iso8601(c, r->exp);
    rg_jw w;
    rg_jw_init(&w, *out = h2o_mem_alloc_pool(&c->req->pool, cap), cap);
    rg_jw_lit(&w, "{\"valid\":true,\"code\":0,\"message\":null,\"expiration\":");
    rg_jw_str(&w, exp, strlen(exp));
    for (int i = 0; i < 2; i++) {
        rg_jw_raw(&w, i ? ",\"identity\":" : ",\"realm_user_id\":", i ? 12 : 17);
        if (r->identity[0])
            rg_jw_str(&w, r->identity, strlen(r->identity));
        else
            rg_jw_lit(&w, "null");
    }
    if (r->kind == RG_TOKEN_TWILIO) {
        rg_jw_lit(&w, ",\"roles\":[],\"grants\":");
        rg_jw_raw(&w, r->echo, r->echo_len);
    } else {
        int both = (r->roles & RG_ROLE_CRAWLER) && (r->roles & RG_ROLE_RTC);
        rg_jw_lit(&w, ",\"roles\":[");
        if (r->roles & RG_ROLE_CRAWLER) rg_jw_lit(&w, "\"crawler\"");
        if (both) rg_jw_lit(&w, ",");
        if (r->roles & RG_ROLE_RTC) rg_jw_lit(&w, "\"rtc\"");
        rg_jw_lit(&w, "],\"grants\":{\"permissions\":");
        rg_jw_raw(&w, r->echo, r->echo_len);
        if (r->room[0] != '\0') {
            rg_jw_lit(&w, ",\"roomId\":");
            rg_jw_str(&w, r->room, strlen(r->room));
        }
        rg_jw_lit(&w, "}");
    }
    rg_jw_lit(&w, ",\"key_sid\":");
    rg_jw_str(&w, r->key_sid, strlen(r->key_sid));
    rg_jw_lit(&w, ",\"account_sid\":");
    rg_jw_str(&w, r->account_sid, strlen(r->account_sid));
    rg_jw_lit(&w, "}");
    return w.overflow ? 0 : w.len;
}

/* The answer's JSON text in the request's pool. */
static size_t write_verdict(rg_call *c, const char *tok, size_t len, rg_token_result *r, char **out)
{
    size_t n = r->code != RG_TOK_VALID ? write_refusal(c, r, out) : write_answer(c, r, out);
    if (n > 0) return n;
    /* A token written in another style (spaces, escapes): its grants as
     * jansson reads and dumps them. */
    r->payload = rg_token_payload_json(tok, len);
    json_t *body = answer_json(c, r);
    n = rg_json_dump_pool(c, body, out);
    json_decref(body);
    return n;
}

/* Validates tok for the account and answers; positive answers are cached
 * per thread (core/verdict.h) until the token expires. */
/* Answers {valid: ...}; returns the result (RG_TOK_*). */
static int validate_and_answer(rg_call *c, const h2o_iovec_t *account, const char *tok, size_t len)
{
    int code;
    uint64_t gen = auth_generation(c->w->app);
    uint8_t digest[32];
    int keyed = verdict_key(c, account, tok, len, digest) == RG_OK;
    const char *cached;
    size_t blen;
    rg_token_result r;
    char *buf;
    if (keyed && (cached = rg_verdict_get(verdicts(c->w), digest, gen, c->now, RG_TOKEN_LEEWAY,
                                          &blen)) != NULL) {
        rg_metrics_validated(c->w->metrics, rg_metrics_format_of_cached(cached, blen), 0);
        rg_reply_raw(c, 200, cached, blen);
        return RG_TOK_VALID; /* only valid answers are cached */
    }
    validate_for(c, tok, len, account, &r);
    rg_metrics_validated(c->w->metrics,
                         r.kind == RG_TOKEN_TWILIO     ? RG_MFMT_TWILIO
                         : r.kind == RG_TOKEN_VIDEOSDK ? RG_MFMT_VIDEOSDK
                                                       : RG_MFMT_UNKNOWN,
                         (int)r.code);
    blen = write_verdict(c, tok, len, &r, &buf);
    code = r.code;
    if (keyed && code == RG_TOK_VALID)
        rg_verdict_put(verdicts(c->w), digest, gen, r.exp, buf, blen);
    rg_token_result_clear(&r);
    buf[blen] = '\n'; /* over the NUL both writers leave: sent with its length */
    rg_reply_pooled(c, 200, buf, blen + 1);
    return code;
}

/* In token mode, a header JWT that differs from the body's is the
 * credential: it must itself be valid for the account.  Its result. */
static int header_token_check(rg_call *c, const h2o_iovec_t *account, const char *tok, size_t len)
{
    uint64_t gen = auth_generation(c->w->app);
    uint8_t digest[32];
    size_t blen;
    rg_token_result r;
    int code;
    if (verdict_key(c, account, tok, len, digest) == RG_OK &&
        rg_verdict_get(verdicts(c->w), digest, gen, c->now, RG_TOKEN_LEEWAY, &blen) != NULL)
        return RG_TOK_VALID;
    validate_for(c, tok, len, account, &r);
    code = r.code;
    rg_token_result_clear(&r);
    return code;
}

void rg_h_validate(rg_call *c)
{
    const h2o_iovec_t *account = &c->args[0];
    const char *user, *hdr_tok = NULL, *tok;
    size_t ulen, hlen = 0, len;
    rg_principal p;
    int code;
    int token_mode = rg_auth_basic_parts(c, &user, &ulen, &hdr_tok, &hlen) == 0 && ulen == 5 &&
                     memcmp(user, "token", 5) == 0;
    if (!token_mode && rg_auth_basic(c, account, &p) != 0) return;
    /* In token mode the header's JWT is the credential: an address whose
     * forged ones keep failing is refused before any is checked. */
    if (token_mode && rg_limit_token_begin(c) != 0) return;
    if (rg_call_params(c) != 0) return;
    tok = rg_param(c, P_TOKEN, &len);
    if (token_mode && tok == NULL) tok = hdr_tok, len = hlen;
    if (tok == NULL) {
        rg_reply_error(c, 400, 21602, "Missing required parameter token");
        return;
    }
    if (token_mode && (len != hlen || memcmp(tok, hdr_tok, len) != 0)) {
        if ((code = header_token_check(c, account, hdr_tok, hlen)) != RG_TOK_VALID) {
            if (rg_limit_token_guess(code)) rg_limit_token_failed(c);
            rg_auth_deny(c);
            return;
        }
        token_mode = 0; /* authenticated: the body's token is only the question */
    }
    /* The answer itself is the job with account credentials; with the
     * token as its own credential, a forged one is a failed attempt. */
    code = validate_and_answer(c, account, tok, len);
    if (token_mode && rg_limit_token_guess(code)) rg_limit_token_failed(c);
}

/* ---- module ------------------------------------------------------------ */

/* Cached validate answers per loop: 4096 slots of ~2 KiB. */
#define VERDICT_SLOTS 4096

static int validate_loop_init(rg_worker *w, h2o_context_t *ctx)
{
    void **slot = rg_worker_state(w, &rg_mod_validate);
    (void)ctx;
    if (slot == NULL) return -1;
    return (*slot = rg_verdict_cache_new(VERDICT_SLOTS)) != NULL ? 0 : -1;
}

static void validate_loop_dispose(rg_worker *w)
{
    void **slot = rg_worker_state(w, &rg_mod_validate);
    if (slot == NULL) return;
    rg_verdict_cache_free(*slot);
    *slot = NULL;
}

static const rg_route routes[] = {
    {"POST", "/v1/Accounts/{AC}/Tokens/validate", rg_h_validate, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_validate = {.name = "validate",
                                   .loop_init = validate_loop_init,
                                   .loop_dispose = validate_loop_dispose,
                                   .routes = routes};

/* h_validate.c - POST /v1/Accounts/{AC}/Tokens/validate, in the shape of
 * Twilio's IAM API (the url_provider flow of seed 003 calls it).
 *
 * Two ways in: the account's Basic credentials, or, as Twilio's IAM takes
 * it, Basic base64("token:" + JWT).  In the second mode the JWT in the
 * header is the credential: when the body names a different token, the
 * header's must itself be valid for this account, else 401. */
#include "core/errors.h"
#include "core/verdict.h"
#include "http/router.h"

static const char *const P_TOKEN[] = {"token", "Token", NULL};

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
 * token that names both a room (Twilio grant, VideoSDK roomId) and an
 * identity can be matched.  The set is in memory: no disk I/O here. */
static int revoked(rg_call *c, const rg_token_result *r)
{
    rg_revcache *rc = c->w->app->revocations;
    int64_t issued = r->iat != 0 ? r->iat : r->nbf;
    return rc != NULL && r->room[0] != '\0' && r->identity[0] != '\0' &&
           rg_revcache_revoked(rc, r->account_sid, r->room, r->identity, issued);
}

static void validate_for(rg_call *c, const char *tok, size_t len, const h2o_iovec_t *account,
                         rg_token_result *r)
{
    rg_token_validate(c->w->hmac, tok, len, c->now, rg_keycache_lookup_key, c->w->app->keys, r);
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
    if (r->code != RG_TOK_VALID)
        return json_pack("{s:b, s:i, s:s, s:n, s:n, s:n, s:[], s:{}, s:n}", "valid", 0, "code",
                         (int)r->code, "message", rg_tok_message(r->code), "expiration",
                         "realm_user_id", "identity", "roles", "grants", "key_sid");
    return json_pack("{s:b, s:i, s:n, s:s, s:s?, s:s?, s:o, s:o, s:s}", "valid", 1, "code", 0,
                     "message", "expiration", rg_fmt_iso8601(c, r->exp), "realm_user_id",
                     r->identity[0] ? r->identity : NULL, "identity",
                     r->identity[0] ? r->identity : NULL, "roles", roles_json(r), "grants",
                     grants_json(r), "key_sid", r->key_sid);
}

/* Validates tok for the account and answers; positive answers are cached
 * per thread (core/verdict.h) until the token expires. */
static void validate_and_answer(rg_call *c, const h2o_iovec_t *account, const char *tok,
                                size_t len)
{
    uint64_t gen = auth_generation(c->w->app);
    uint8_t digest[32];
    int keyed = verdict_key(c, account, tok, len, digest) == RG_OK;
    const char *cached;
    size_t blen;
    rg_token_result r;
    json_t *body;
    char *buf;
    if (keyed && (cached = rg_verdict_get(c->w->verdicts, digest, gen, c->now, RG_TOKEN_LEEWAY,
                                          &blen)) != NULL) {
        rg_reply_raw(c, 200, cached, blen);
        return;
    }
    validate_for(c, tok, len, account, &r);
    body = answer_json(c, &r);
    blen = rg_json_dump_pool(c, body, &buf);
    json_decref(body);
    if (keyed && r.code == RG_TOK_VALID)
        rg_verdict_put(c->w->verdicts, digest, gen, r.exp, buf, blen);
    rg_token_result_clear(&r);
    rg_reply_raw(c, 200, buf, blen);
}

/* In token mode, a header JWT that differs from the body's is the
 * credential: it must itself be valid for the account. */
static int header_token_valid(rg_call *c, const h2o_iovec_t *account, const char *tok, size_t len)
{
    uint64_t gen = auth_generation(c->w->app);
    uint8_t digest[32];
    size_t blen;
    rg_token_result r;
    int ok;
    if (verdict_key(c, account, tok, len, digest) == RG_OK &&
        rg_verdict_get(c->w->verdicts, digest, gen, c->now, RG_TOKEN_LEEWAY, &blen) != NULL)
        return 1;
    validate_for(c, tok, len, account, &r);
    ok = r.code == RG_TOK_VALID;
    rg_token_result_clear(&r);
    return ok;
}

void rg_h_validate(rg_call *c)
{
    const h2o_iovec_t *account = &c->args[0];
    const char *user, *hdr_tok = NULL, *tok;
    size_t ulen, hlen = 0, len;
    rg_principal p;
    int token_mode = rg_auth_basic_parts(c, &user, &ulen, &hdr_tok, &hlen) == 0 && ulen == 5 &&
                     memcmp(user, "token", 5) == 0;
    if (!token_mode && rg_auth_basic(c, account, &p) != 0) return;
    if (rg_call_params(c) != 0) return;
    tok = rg_param(c, P_TOKEN, &len);
    if (token_mode && tok == NULL) tok = hdr_tok, len = hlen;
    if (tok == NULL) {
        rg_reply_error(c, 400, 21602, "Missing required parameter token");
        return;
    }
    if (token_mode && (len != hlen || memcmp(tok, hdr_tok, len) != 0) &&
        !header_token_valid(c, account, hdr_tok, hlen)) {
        rg_auth_deny(c);
        return;
    }
    validate_and_answer(c, account, tok, len);
}

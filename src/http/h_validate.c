/* h_validate.c - POST /v1/Accounts/{AC}/Tokens/validate, in the shape of
 * Twilio's IAM API (the url_provider flow of seed 003 calls it).
 *
 * Two ways in: the account's Basic credentials, or, as Twilio's IAM takes
 * it, Basic base64("token:" + JWT).  In the second mode the JWT in the
 * header is the credential: when the body names a different token, the
 * header's must itself be valid for this account, else 401. */
#include "core/errors.h"
#include "http/router.h"

static const char *const P_TOKEN[] = {"token", "Token", NULL};

static void validate_for(rg_call *c, const char *tok, size_t len, const h2o_iovec_t *account,
                         rg_token_result *r)
{
    rg_token_validate(c->w->hmac, tok, len, c->now, rg_keycache_lookup_key, c->w->app->keys, r);
    if (r->code == RG_TOK_VALID && !rg_iov_eq(*account, r->account_sid))
        r->code = RG_TOK_BAD_ISSUER;
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

static void answer(rg_call *c, const rg_token_result *r)
{
    json_t *body;
    if (r->code != RG_TOK_VALID) {
        body = json_pack("{s:b, s:i, s:s, s:n, s:n, s:n, s:[], s:{}, s:n}", "valid", 0, "code",
                         (int)r->code, "message", rg_tok_message(r->code), "expiration",
                         "realm_user_id", "identity", "roles", "grants", "key_sid");
    } else {
        body = json_pack("{s:b, s:i, s:n, s:s, s:s?, s:s?, s:o, s:o, s:s}", "valid", 1, "code", 0,
                         "message", "expiration", rg_fmt_iso8601(c, r->exp), "realm_user_id",
                         r->identity[0] ? r->identity : NULL, "identity",
                         r->identity[0] ? r->identity : NULL, "roles", roles_json(r), "grants",
                         grants_json(r), "key_sid", r->key_sid);
    }
    rg_reply_json(c, 200, body);
}

void rg_h_validate(rg_call *c)
{
    const h2o_iovec_t *account = &c->args[0];
    const char *user, *hdr_tok = NULL, *tok;
    size_t ulen, hlen = 0, len;
    rg_principal p;
    rg_token_result r;
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
    if (token_mode && (len != hlen || memcmp(tok, hdr_tok, len) != 0)) {
        validate_for(c, hdr_tok, hlen, account, &r);
        rg_token_result_clear(&r);
        if (r.code != RG_TOK_VALID) {
            rg_auth_deny(c);
            return;
        }
    }
    validate_for(c, tok, len, account, &r);
    answer(c, &r);
    rg_token_result_clear(&r);
}

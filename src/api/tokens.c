/* api/tokens.c - minting: POST /v1/AccessTokens, GET /token (seed 000's
 * shape) and GET /get-token (VideoSDK's).  These are hot paths: the key
 * comes from the in-memory cache and the token is built without jansson. */
#include <openssl/crypto.h>
#include <stdio.h>

#include "core/errors.h"
#include "core/jsonw.h"
#include "http/limits.h"
#include "http/metrics.h"
#include "api/page.h"
#include "http/module.h"
#include "crypto/random.h"

static const char *const P_IDENTITY[] = {"identity", "Identity", NULL};
static const char *const P_ROOM[] = {"room", "Room", NULL};
static const char *const P_TTL[] = {"ttl", "Ttl", NULL};
static const char *const P_KIND[] = {"kind", "Kind", NULL};
static const char *const P_PERMS[] = {"permissions", NULL};
static const char *const P_ROLES[] = {"roles", NULL};
static const char *const P_ROOM_ID[] = {"roomId", NULL};
static const char *const P_PARTICIPANT[] = {"participantId", NULL};

/* With `serve --demo`, an anonymous GET /token or GET /get-token (the
 * demo page's lobby and moderation roles) signs with the demo account's
 * newest key; anything that sends credentials is checked. */
static int authenticate(rg_call *c, int allow_demo, rg_principal *p)
{
    const char *demo = c->w->app->demo_account;
    if (allow_demo && demo[0] != '\0' &&
        h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1) == -1) {
        if (rg_demo_host_check(c) != 0) return -1;
        memset(p, 0, sizeof *p);
        p->kind = RG_PRINCIPAL_ACCOUNT;
        memcpy(p->account_sid, demo, RG_SID_SIZE);
        return 0;
    }
    return rg_auth_basic(c, NULL, p);
}

/* A mint's two ends, shared by both token formats (fmt: RG_MFMT_*).
 * mint_begin: p's signing key and a place in its mint budget; 0, or -1
 * after answering (a refusal counted as a failed mint).  mint_end: wipes
 * the key's secret and counts the mint; 0 when rc is RG_OK, else -1 after
 * answering 400. */
static int mint_begin(rg_call *c, const rg_principal *p, int fmt, char key_sid[RG_SID_SIZE],
                      rg_key_view *key)
{
    if (rg_auth_signing_key(c, p, key_sid, key) != 0) return -1;
    if (rg_limit_mint(c, key_sid) == 0) return 0;
    OPENSSL_cleanse(key, sizeof *key);
    rg_metrics_minted(c->w->metrics, fmt, 0);
    return -1;
}

static int mint_end(rg_call *c, int fmt, rg_key_view *key, int rc)
{
    OPENSSL_cleanse(key, sizeof *key);
    rg_metrics_minted(c->w->metrics, fmt, rc == RG_OK);
    if (rc == RG_OK) return 0;
    rg_reply_error(c, 400, 21603, "Could not mint a token from these parameters");
    return -1;
}

int rg_mint_twilio(rg_call *c, const rg_principal *p, const char *identity, const char *room,
                   int64_t ttl, char *out, size_t *len)
{
    char key_sid[RG_SID_SIZE];
    rg_key_view key;
    rg_twilio_claims cl;
    if (mint_begin(c, p, RG_MFMT_TWILIO, key_sid, &key) != 0) return -1;
    cl = (rg_twilio_claims){.account_sid = p->account_sid,
                            .key_sid = key_sid,
                            .secret = key.secret,
                            .secret_len = key.secret_len,
                            .identity = identity,
                            .room = room,
                            .now = c->now,
                            .ttl = ttl};
    return mint_end(c, RG_MFMT_TWILIO, &key,
                    rg_token_mint_twilio(c->w->hmac, &cl, out, RG_TOKEN_BUF, len));
}

static int mint_videosdk(rg_call *c, const rg_principal *p, unsigned perms, unsigned roles,
                         const char *room_id, const char *participant, int64_t ttl, char *out,
                         size_t *len)
{
    char key_sid[RG_SID_SIZE];
    rg_key_view key;
    rg_videosdk_claims cl;
    int rc;
    if (mint_begin(c, p, RG_MFMT_VIDEOSDK, key_sid, &key) != 0) return -1;
    cl = (rg_videosdk_claims){.key_sid = key_sid,
                              .secret = key.secret,
                              .secret_len = key.secret_len,
                              .permissions = perms,
                              .roles = roles,
                              .room_id = room_id,
                              .participant_id = participant,
                              .now = c->now,
                              .ttl = ttl};
    rc = rg_random(cl.jti_rand, sizeof cl.jti_rand);
    if (rc == RG_OK) rc = rg_token_mint_videosdk(c->w->hmac, &cl, out, RG_TOKEN_BUF, len);
    return mint_end(c, RG_MFMT_VIDEOSDK, &key, rc);
}

/* Built without jansson: on the hot path its generic escaping costs more
 * than the HMAC. */
void rg_reply_token(rg_call *c, const char *identity, const char *room, const char *tok, size_t len,
                    const char *expires_at)
{
    size_t ilen = strlen(identity), rlen = room ? strlen(room) : 0;
    size_t cap = len + 6 * (ilen + rlen) + 160;
    char *buf = h2o_mem_alloc_pool(&c->req->pool, cap);
    rg_jw w;
    rg_jw_init(&w, buf, cap);
    rg_jw_lit(&w, "{\"identity\":");
    rg_jw_str(&w, identity, ilen);
    if (room != NULL) {
        rg_jw_lit(&w, ",\"room\":");
        rg_jw_str(&w, room, rlen);
    }
    rg_jw_lit(&w, ",\"token\":\"");
    rg_jw_raw(&w, tok, len);
    if (expires_at != NULL) {
        rg_jw_lit(&w, "\",\"expires_at\":\"");
        rg_jw_raw(&w, expires_at, strlen(expires_at));
    }
    rg_jw_lit(&w, "\"}\n");
    rg_reply_pooled(c, 200, buf, w.len);
}

/* identity, room and ttl, shared by the Twilio-format routes. */
static int read_grant(rg_call *c, const char **identity, const char **room, int64_t *ttl)
{
    if (rg_call_params(c) != 0 || rg_param_text(c, P_IDENTITY, 1, RG_IDENTITY_MAX, identity) ||
        rg_param_text(c, P_ROOM, RG_PARAM_NONEMPTY, RG_IDENTITY_MAX, room) ||
        rg_param_int(c, P_TTL, 1, RG_TOKEN_MAX_TTL, 3600, ttl))
        return -1;
    return 0;
}

void rg_h_access_tokens(rg_call *c)
{
    rg_principal p;
    const char *identity, *room, *kind;
    int64_t ttl;
    char *tok = h2o_mem_alloc_pool(&c->req->pool, RG_TOKEN_BUF);
    size_t len;
    int rc;
    if (authenticate(c, 0, &p) != 0 || read_grant(c, &identity, &room, &ttl) != 0 ||
        rg_param_text(c, P_KIND, 0, 16, &kind) != 0)
        return;
    if (kind == NULL || strcmp(kind, "twilio") == 0)
        rc = rg_mint_twilio(c, &p, identity, room, ttl, tok, &len);
    else if (strcmp(kind, "videosdk") == 0)
        rc = mint_videosdk(c, &p, RG_PERM_ALLOW_JOIN, 0, room, identity, ttl, tok, &len);
    else {
        rg_reply_error(c, 400, 21603, "Invalid parameter kind: expected twilio or videosdk");
        return;
    }
    if (rc != 0) return;
    rg_reply_token(c, identity, NULL, tok, len, rg_fmt_iso8601(c, c->now + ttl));
}

void rg_h_token(rg_call *c)
{
    rg_principal p;
    const char *identity, *room;
    int64_t ttl;
    char *tok = h2o_mem_alloc_pool(&c->req->pool, RG_TOKEN_BUF);
    size_t len;
    if (authenticate(c, 1, &p) != 0 || read_grant(c, &identity, &room, &ttl) != 0 ||
        rg_mint_twilio(c, &p, identity, room, ttl, tok, &len) != 0)
        return;
    rg_reply_token(c, identity, NULL, tok, len, NULL);
}

void rg_h_get_token(rg_call *c)
{
    rg_principal p;
    const char *perms_csv, *roles_csv, *room_id, *participant;
    unsigned perms, roles = 0;
    int64_t ttl;
    char *tok = h2o_mem_alloc_pool(&c->req->pool, RG_TOKEN_BUF);
    size_t len;
    if (authenticate(c, 1, &p) != 0 || rg_call_params(c) != 0 ||
        rg_param_text(c, P_PERMS, 0, 128, &perms_csv) != 0 ||
        rg_param_text(c, P_ROLES, 0, 64, &roles_csv) != 0 ||
        rg_param_text(c, P_ROOM_ID, RG_PARAM_NONEMPTY, RG_IDENTITY_MAX, &room_id) != 0 ||
        rg_param_text(c, P_PARTICIPANT, 0, RG_IDENTITY_MAX, &participant) != 0 ||
        rg_param_int(c, P_TTL, 1, RG_TOKEN_MAX_TTL, 3600, &ttl) != 0)
        return;
    if (rg_perm_parse(perms_csv ? perms_csv : "allow_join", &perms) != RG_OK) {
        rg_reply_error(c, 400, 4008,
                       "Invalid permissions: use allow_join, ask_join or allow_mod; ask_join "
                       "cannot be combined with allow_join or allow_mod");
        return;
    }
    if (roles_csv != NULL && rg_roles_parse(roles_csv, &roles) != RG_OK) {
        rg_reply_error(c, 400, 21603, "Invalid parameter roles: use crawler, rtc or both");
        return;
    }
    if (mint_videosdk(c, &p, perms, roles, room_id, participant, ttl, tok, &len) != 0) return;
    rg_reply_json(c, 200, json_pack("{s:s%}", "token", tok, len));
}

static const rg_route routes[] = {
    {"POST", "/v1/AccessTokens", rg_h_access_tokens, RG_ROUTE_AUTH},
    {"GET", "/token", rg_h_token, RG_ROUTE_AUTH}, /* anonymous with --demo */
    {"GET", "/get-token", rg_h_get_token, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_tokens = {.name = "tokens", .routes = routes};

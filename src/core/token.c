/* token.c - minting (Twilio, VideoSDK) and validation of HS* JWTs.
 *
 * Minting never touches jansson: payloads are appended with jsonw into a
 * stack buffer, the header's base64url is a constant, and the only other
 * costs are one base64 pass and one HMAC.  Validation must parse foreign
 * JSON, so it uses jansson (with duplicate keys rejected), but keeps the
 * order of docs/api.md: shape (20101), key (20103), MAC (20107), and only
 * then the claims and time rules, which are not trusted before the MAC. */
#include "core/token.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/jsonw.h"

/* base64url of the exact headers in docs/api.md; test_token decodes them. */
#define TWILIO_HDR_JSON "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}"
#define TWILIO_HDR_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImN0eSI6InR3aWxpby1mcGE7dj0xIn0"
#define VSDK_HDR_JSON "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define VSDK_HDR_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

/* Worst-case payload: two identity-sized strings, each byte escaped to 2
 * chars (control chars are refused), plus SIDs, numbers and keys. */
#define PAYLOAD_MAX 1536

/* Time claims beyond +-2^53 s are refused, so `now +- leeway/ttl` and
 * `exp - iat` never overflow int64. */
#define TIME_LIMIT ((int64_t)1 << 53)

static const char *const perm_names[] = {"allow_join", "ask_join", "allow_mod"};
static const char *const role_names[] = {"crawler", "rtc"};
#define NPERMS 3
#define NROLES 2

const char *rg_tok_message(rg_tok_code code)
{
    switch (code) {
    case RG_TOK_VALID:
        return "Token is valid";
    case RG_TOK_INVALID:
        return "Invalid Access Token";
    case RG_TOK_BAD_ISSUER:
        return "Invalid Access Token issuer/subject";
    case RG_TOK_EXPIRED:
        return "Access Token expired or expiration date invalid";
    case RG_TOK_NOT_YET_VALID:
        return "Access Token not yet valid";
    case RG_TOK_REVOKED:
        return "token revoked for this room";
    case RG_TOK_BAD_SIGNATURE:
        return "Invalid Access Token signature";
    }
    return "Invalid Access Token";
}

/* ---- permission and role names ---------------------------------------- */

/* Index of name (n bytes) in names, or -1. */
static int name_index(const char *const *names, int count, const char *name, size_t n)
{
    for (int i = 0; i < count; i++) {
        if (strlen(names[i]) == n && memcmp(names[i], name, n) == 0) return i;
    }
    return -1;
}

/* "a,b , c" -> bit mask; an empty list or an empty/unknown item fails. */
static int parse_names(const char *csv, const char *const *names, int count, unsigned *mask)
{
    unsigned m = 0;
    const char *p = csv;

    if (csv == NULL || mask == NULL) return RG_EINVAL;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && *p == ' ')
            p++, n--;
        while (n > 0 && p[n - 1] == ' ')
            n--;
        int i = name_index(names, count, p, n);
        if (i < 0) return RG_EINVAL;
        m |= 1u << i;
        if (end == NULL) break;
        p = end + 1;
    }
    *mask = m;
    return RG_OK;
}

/* VideoSDK refuses ask_join next to a permission that already admits. */
static bool perms_ok(unsigned m)
{
    if (m == 0 || (m & ~7u) != 0) return false;
    return !((m & RG_PERM_ASK_JOIN) && (m & (RG_PERM_ALLOW_JOIN | RG_PERM_ALLOW_MOD)));
}

int rg_perm_parse(const char *csv, unsigned *mask)
{
    unsigned m;
    if (parse_names(csv, perm_names, NPERMS, &m) != RG_OK || !perms_ok(m)) return RG_EINVAL;
    *mask = m;
    return RG_OK;
}

int rg_roles_parse(const char *csv, unsigned *mask)
{
    return parse_names(csv, role_names, NROLES, mask);
}

/* ---- minting ------------------------------------------------------------ */

/* An identity, room or id: 1..RG_IDENTITY_MAX bytes of UTF-8, no controls. */
static bool text_ok(const char *s, size_t max)
{
    if (s == NULL) return false;
    size_t n = strnlen(s, max + 1);
    return n > 0 && n <= max && rg_text_valid(s, n);
}

static bool mint_args_ok(const uint8_t *secret, size_t secret_len, int64_t now, int64_t ttl)
{
    /* exp = now + ttl must stay within what the validator accepts. */
    return secret != NULL && secret_len > 0 && ttl > 0 && ttl <= RG_TOKEN_MAX_TTL && now >= 0 &&
           now <= TIME_LIMIT - ttl;
}

/* Appends ,"key":"escaped value" (key is a literal without quotes). */
static void put_str(rg_jw *w, const char *key, const char *val)
{
    rg_jw_lit(w, ",\"");
    rg_jw_raw(w, key, strlen(key));
    rg_jw_lit(w, "\":");
    rg_jw_str(w, val, strlen(val));
}

static void put_times(rg_jw *w, int64_t now, int64_t ttl)
{
    rg_jw_lit(w, ",\"iat\":");
    rg_jw_i64(w, now);
    rg_jw_lit(w, ",\"nbf\":");
    rg_jw_i64(w, now);
    rg_jw_lit(w, ",\"exp\":");
    rg_jw_i64(w, now + ttl);
}

/* out = hdr_b64 "." b64url(payload) "." b64url(HS256(secret, first two)). */
static int sign(rg_hmac *h, const char *hdr_b64, size_t hlen, const rg_jw *payload,
                const uint8_t *secret, size_t secret_len, char *out, size_t cap, size_t *outlen)
{
    if (payload->overflow || out == NULL || outlen == NULL) return RG_EINVAL;
    size_t total = hlen + 1 + rg_b64url_len(payload->len) + 1 + rg_b64url_len(32);
    if (total + 1 > cap) return RG_ETOOBIG;

    memcpy(out, hdr_b64, hlen);
    size_t pos = hlen;
    out[pos++] = '.';
    pos += rg_b64url_encode(out + pos, (const uint8_t *)payload->buf, payload->len);

    uint8_t mac[RG_HMAC_MAX];
    size_t maclen = 0;
    if (rg_hmac_compute(h, RG_ALG_HS256, secret, secret_len, out, pos, mac, &maclen) != RG_OK)
        return RG_ECRYPTO;
    out[pos++] = '.';
    pos += rg_b64url_encode(out + pos, mac, maclen);
    *outlen = pos;
    return RG_OK;
}

int rg_token_mint_twilio(rg_hmac *h, const rg_twilio_claims *c, char *out, size_t cap,
                         size_t *outlen)
{
    if (h == NULL || c == NULL || !mint_args_ok(c->secret, c->secret_len, c->now, c->ttl) ||
        !text_ok(c->key_sid, RG_SID_LEN) || !text_ok(c->account_sid, RG_SID_LEN) ||
        !text_ok(c->identity, RG_IDENTITY_MAX) ||
        (c->room != NULL && !text_ok(c->room, RG_IDENTITY_MAX)))
        return RG_EINVAL;

    char jti[RG_SID_SIZE + 24];
    rg_jw j;
    rg_jw_init(&j, jti, sizeof(jti));
    rg_jw_raw(&j, c->key_sid, strlen(c->key_sid));
    rg_jw_lit(&j, "-");
    rg_jw_i64(&j, c->now);

    char buf[PAYLOAD_MAX];
    rg_jw w;
    rg_jw_init(&w, buf, sizeof(buf));
    rg_jw_lit(&w, "{\"jti\":");
    rg_jw_str(&w, jti, j.len);
    put_str(&w, "iss", c->key_sid);
    put_str(&w, "sub", c->account_sid);
    put_times(&w, c->now, c->ttl);
    rg_jw_lit(&w, ",\"grants\":{\"identity\":");
    rg_jw_str(&w, c->identity, strlen(c->identity));
    rg_jw_lit(&w, ",\"video\":{");
    if (c->room != NULL) {
        rg_jw_lit(&w, "\"room\":");
        rg_jw_str(&w, c->room, strlen(c->room));
    }
    rg_jw_lit(&w, "}}}");
    return sign(h, TWILIO_HDR_B64, sizeof(TWILIO_HDR_B64) - 1, &w, c->secret, c->secret_len, out,
                cap, outlen);
}

/* Appends a JSON array of the names whose bit is set in mask. */
static void put_names(rg_jw *w, const char *const *names, int count, unsigned mask)
{
    bool first = true;
    rg_jw_lit(w, "[");
    for (int i = 0; i < count; i++) {
        if (!(mask & (1u << i))) continue;
        if (!first) rg_jw_lit(w, ",");
        rg_jw_str(w, names[i], strlen(names[i]));
        first = false;
    }
    rg_jw_lit(w, "]");
}

/* RFC 9562 UUIDv4: version nibble 4, variant bits 10. */
static void format_uuid4(char out[37], const uint8_t rnd[16])
{
    uint8_t b[16];
    char hex[33];
    memcpy(b, rnd, 16);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    rg_hex_encode(hex, b, 16);
    size_t o = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20) out[o++] = '-';
        out[o++] = hex[i];
    }
    out[o] = '\0';
}

int rg_token_mint_videosdk(rg_hmac *h, const rg_videosdk_claims *c, char *out, size_t cap,
                           size_t *outlen)
{
    unsigned roles = c != NULL && c->roles != 0 ? c->roles : RG_ROLE_CRAWLER | RG_ROLE_RTC;
    if (h == NULL || c == NULL || !mint_args_ok(c->secret, c->secret_len, c->now, c->ttl) ||
        !text_ok(c->key_sid, RG_SID_LEN) || !perms_ok(c->permissions) || (roles & ~3u) != 0 ||
        (c->room_id != NULL && !text_ok(c->room_id, RG_IDENTITY_MAX)) ||
        (c->participant_id != NULL && !text_ok(c->participant_id, RG_IDENTITY_MAX)))
        return RG_EINVAL;

    char uuid[37];
    format_uuid4(uuid, c->jti_rand);

    char buf[PAYLOAD_MAX];
    rg_jw w;
    rg_jw_init(&w, buf, sizeof(buf));
    rg_jw_lit(&w, "{\"apikey\":");
    rg_jw_str(&w, c->key_sid, strlen(c->key_sid));
    rg_jw_lit(&w, ",\"permissions\":");
    put_names(&w, perm_names, NPERMS, c->permissions);
    rg_jw_lit(&w, ",\"version\":2,\"roles\":");
    put_names(&w, role_names, NROLES, roles);
    if (c->room_id != NULL) put_str(&w, "roomId", c->room_id);
    if (c->participant_id != NULL) put_str(&w, "participantId", c->participant_id);
    put_str(&w, "jti", uuid);
    put_times(&w, c->now, c->ttl);
    rg_jw_lit(&w, "}");
    return sign(h, VSDK_HDR_B64, sizeof(VSDK_HDR_B64) - 1, &w, c->secret, c->secret_len, out, cap,
                outlen);
}

/* ---- validation: helpers ---------------------------------------------- */

/* The three segments, decoded into one scratch buffer. */
typedef struct {
    const char *signed_part; /* header "." payload, the MAC input */
    size_t signed_len;
    const uint8_t *hdr, *pay, *sig;
    size_t hlen, plen, slen;
    uint8_t buf[RG_TOKEN_MAX_LEN]; /* decoded bytes are at most 3/4 of len */
} segments;

static bool decode_seg(segments *s, size_t *used, const char *src, size_t n, const uint8_t **out,
                       size_t *outlen)
{
    if (n == 0 || rg_b64url_decode(s->buf + *used, sizeof(s->buf) - *used, src, n, outlen) != 0)
        return false;
    *out = s->buf + *used;
    *used += *outlen;
    return true;
}

/* Exactly three non-empty base64url segments. */
static bool split(const char *tok, size_t len, segments *s)
{
    const char *d1 = memchr(tok, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
    if (d2 == NULL || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL) return false;
    size_t used = 0;
    s->signed_part = tok;
    s->signed_len = (size_t)(d2 - tok);
    return decode_seg(s, &used, tok, (size_t)(d1 - tok), &s->hdr, &s->hlen) &&
           decode_seg(s, &used, d1 + 1, (size_t)(d2 - d1 - 1), &s->pay, &s->plen) &&
           decode_seg(s, &used, d2 + 1, len - (size_t)(d2 + 1 - tok), &s->sig, &s->slen);
}

static bool str_is(const json_t *v, const char *lit)
{
    return json_is_string(v) && json_string_length(v) == strlen(lit) &&
           memcmp(json_string_value(v), lit, strlen(lit)) == 0;
}

/* Header -> alg.  The two headers we mint skip the JSON parser. */
static bool parse_header(const uint8_t *hdr, size_t n, rg_alg *alg)
{
    if ((n == sizeof(TWILIO_HDR_JSON) - 1 && memcmp(hdr, TWILIO_HDR_JSON, n) == 0) ||
        (n == sizeof(VSDK_HDR_JSON) - 1 && memcmp(hdr, VSDK_HDR_JSON, n) == 0)) {
        *alg = RG_ALG_HS256;
        return true;
    }
    json_t *root = json_loadb((const char *)hdr, n, JSON_REJECT_DUPLICATES, NULL);
    const json_t *a = json_object_get(root, "alg");
    const json_t *typ = json_object_get(root, "typ");
    /* "crit" names extensions we would have to understand (RFC 7515
     * 4.1.11, e.g. unencoded payloads): we understand none. */
    int i = json_is_string(a) ? rg_alg_from_name(json_string_value(a), json_string_length(a)) : -1;
    bool ok = json_is_object(root) && i >= 0 && (typ == NULL || str_is(typ, "JWT")) &&
              json_object_get(root, "crit") == NULL;
    json_decref(root);
    if (ok) *alg = (rg_alg)i;
    return ok;
}

/* Copies a JSON string of at most max bytes (jansson refuses NUL). */
static bool copy_str(const json_t *v, char *dst, size_t max)
{
    if (!json_is_string(v) || json_string_length(v) > max) return false;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* A JSON integer, or a real with an integral value, within TIME_LIMIT. */
static bool time_value(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < -TIME_LIMIT || i > TIME_LIMIT) return false;
        *out = (int64_t)i;
        return true;
    }
    if (!json_is_real(v)) return false;
    double d = json_real_value(v);
    /* The range test also rejects NaN and infinities before the cast. */
    if (!(d >= (double)-TIME_LIMIT && d <= (double)TIME_LIMIT) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* ---- validation: rules ------------------------------------------------- */

/* Finds the key and checks the MAC; fills key_sid/account_sid. */
static rg_tok_code check_key_and_mac(rg_hmac *h, const segments *s, rg_alg alg, const json_t *kid,
                                     rg_key_lookup_fn lookup, void *ud, rg_token_result *r)
{
    if (json_string_length(kid) == 0 || !copy_str(kid, r->key_sid, RG_SID_LEN))
        return RG_TOK_BAD_ISSUER;
    rg_key_view view;
    memset(&view, 0, sizeof(view));
    if (lookup(ud, r->key_sid, &view) != 0 || view.secret_len > RG_SECRET_MAX) {
        OPENSSL_cleanse(&view, sizeof(view));
        return RG_TOK_BAD_ISSUER;
    }
    view.account_sid[RG_SID_LEN] = '\0';
    memcpy(r->account_sid, view.account_sid, sizeof(r->account_sid));

    uint8_t mac[RG_HMAC_MAX];
    size_t maclen = 0;
    int rc = rg_hmac_compute(h, alg, view.secret, view.secret_len, s->signed_part, s->signed_len,
                             mac, &maclen);
    OPENSSL_cleanse(&view, sizeof(view));
    /* Lengths are public (they follow from alg); only then the bytes, in
     * constant time.  A failing HMAC fails closed. */
    if (rc != RG_OK || s->slen != maclen || CRYPTO_memcmp(mac, s->sig, maclen) != 0)
        return RG_TOK_BAD_SIGNATURE;
    return RG_TOK_VALID;
}

static rg_tok_code twilio_claims(const json_t *p, rg_token_result *r)
{
    if (!str_is(json_object_get(p, "sub"), r->account_sid)) return RG_TOK_BAD_ISSUER;
    const json_t *grants = json_object_get(p, "grants");
    const json_t *id = json_object_get(grants, "identity");
    if (!json_is_object(grants) || json_string_length(id) == 0 ||
        !copy_str(id, r->identity, RG_IDENTITY_MAX))
        return RG_TOK_INVALID;
    const json_t *video = json_object_get(grants, "video");
    if (video == NULL) return RG_TOK_VALID;
    const json_t *room = json_object_get(video, "room");
    if (!json_is_object(video) || (room != NULL && !copy_str(room, r->room, RG_IDENTITY_MAX)))
        return RG_TOK_INVALID;
    r->has_video_grant = 1;
    return RG_TOK_VALID;
}

/* An array of known names -> mask (permissions must not be empty). */
static bool names_mask(const json_t *arr, const char *const *names, int count, bool allow_empty,
                       unsigned *mask)
{
    size_t i;
    const json_t *v;
    unsigned m = 0;

    if (!json_is_array(arr) || (json_array_size(arr) == 0 && !allow_empty)) return false;
    json_array_foreach(arr, i, v)
    {
        int k = json_is_string(v)
                    ? name_index(names, count, json_string_value(v), json_string_length(v))
                    : -1;
        if (k < 0) return false;
        m |= 1u << k;
    }
    *mask = m;
    return true;
}

static rg_tok_code videosdk_claims(const json_t *p, rg_token_result *r)
{
    const json_t *roles = json_object_get(p, "roles");
    const json_t *pid = json_object_get(p, "participantId");
    const json_t *room = json_object_get(p, "roomId");

    r->roles = RG_ROLE_CRAWLER | RG_ROLE_RTC;
    if (!names_mask(json_object_get(p, "permissions"), perm_names, NPERMS, false,
                    &r->permissions) ||
        (roles != NULL && !names_mask(roles, role_names, NROLES, true, &r->roles)) ||
        (pid != NULL && !copy_str(pid, r->identity, RG_IDENTITY_MAX)) ||
        (room != NULL && !copy_str(room, r->room, RG_IDENTITY_MAX)))
        return RG_TOK_INVALID;
    return RG_TOK_VALID;
}

/* Reads an optional time claim; false if present and malformed. */
static bool opt_time(const json_t *p, const char *name, bool *present, int64_t *out)
{
    const json_t *v = json_object_get(p, name);
    *present = v != NULL;
    *out = 0;
    return v == NULL || time_value(v, out);
}

static rg_tok_code time_rules(const json_t *p, int64_t now, rg_token_result *r)
{
    bool has_iat, has_nbf, has_exp;
    /* Clamp the caller's clock into the claim range: arithmetic stays in
     * bounds and the comparisons keep their meaning. */
    now = now < -TIME_LIMIT ? -TIME_LIMIT : now > TIME_LIMIT ? TIME_LIMIT : now;

    if (!opt_time(p, "exp", &has_exp, &r->exp) || !has_exp ||
        !opt_time(p, "iat", &has_iat, &r->iat) || !opt_time(p, "nbf", &has_nbf, &r->nbf))
        return RG_TOK_EXPIRED;
    if (now > r->exp + RG_TOKEN_LEEWAY) return RG_TOK_EXPIRED;
    int64_t start = has_iat ? r->iat : has_nbf ? r->nbf : now;
    if (r->exp - start > RG_TOKEN_MAX_TTL) return RG_TOK_EXPIRED;
    bool has_start = has_nbf || has_iat;
    int64_t not_before = has_nbf ? r->nbf : r->iat;
    if (has_start && not_before > now + RG_TOKEN_LEEWAY) return RG_TOK_NOT_YET_VALID;
    return RG_TOK_VALID;
}

static rg_tok_code validate(rg_hmac *h, const char *token, size_t len, int64_t now,
                            rg_key_lookup_fn lookup, void *ud, rg_token_result *r)
{
    segments s;
    rg_alg alg;

    if (h == NULL || token == NULL || lookup == NULL || len > RG_TOKEN_MAX_LEN ||
        !split(token, len, &s) || !parse_header(s.hdr, s.hlen, &alg))
        return RG_TOK_INVALID;
    r->alg = alg;
    r->payload = json_loadb((const char *)s.pay, s.plen, JSON_REJECT_DUPLICATES, NULL);
    const json_t *p = r->payload;
    const json_t *apikey = json_object_get(p, "apikey");
    const json_t *iss = json_object_get(p, "iss");
    if (!json_is_object(p) || (!json_is_string(apikey) && !json_is_string(iss)))
        return RG_TOK_INVALID;
    r->kind = json_is_string(apikey) ? RG_TOKEN_VIDEOSDK : RG_TOKEN_TWILIO;

    rg_tok_code code =
        check_key_and_mac(h, &s, alg, r->kind == RG_TOKEN_VIDEOSDK ? apikey : iss, lookup, ud, r);
    if (code == RG_TOK_VALID)
        code = r->kind == RG_TOKEN_TWILIO ? twilio_claims(p, r) : videosdk_claims(p, r);
    if (code == RG_TOK_VALID) code = time_rules(p, now, r);
    return code;
}

rg_tok_code rg_token_validate(rg_hmac *h, const char *token, size_t len, int64_t now,
                              rg_key_lookup_fn lookup, void *ud, rg_token_result *r)
{
    if (r == NULL) return RG_TOK_INVALID;
    memset(r, 0, sizeof(*r));
    r->code = validate(h, token, len, now, lookup, ud, r);
    return r->code;
}

void rg_token_result_clear(rg_token_result *r)
{
    if (r == NULL) return;
    json_decref(r->payload);
    r->payload = NULL;
}

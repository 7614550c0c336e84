/* token.c - minting (Twilio, VideoSDK) and validation of HS* JWTs.
 *
 * Minting never touches jansson: payloads are appended with jsonw into a
 * stack buffer, the header's base64url is a constant, and the only other
 * costs are one base64 pass and one HMAC.  Validation must parse foreign
 * JSON: it reads the claims it needs with core/jsonr.c (jansson's syntax,
 * duplicate keys rejected, no allocation; fuzzed against jansson) and keeps
 * the order of docs/api.md: shape (20101), key (20103), MAC (20107), and
 * only then the claims and time rules, which are not trusted before the
 * MAC. */
#include "core/token.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/jsonr.h"
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

/* The two headers we mint, decoded, when the first segment is one of their
 * base64url texts (canonical: one text per byte string), else NULL. */
static const char *minted_header(const char *seg, size_t n, size_t *hlen)
{
    if (n == sizeof(TWILIO_HDR_B64) - 1 && memcmp(seg, TWILIO_HDR_B64, n) == 0) {
        *hlen = sizeof(TWILIO_HDR_JSON) - 1;
        return TWILIO_HDR_JSON;
    }
    if (n == sizeof(VSDK_HDR_B64) - 1 && memcmp(seg, VSDK_HDR_B64, n) == 0) {
        *hlen = sizeof(VSDK_HDR_JSON) - 1;
        return VSDK_HDR_JSON;
    }
    return NULL;
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
    const char *minted = minted_header(tok, (size_t)(d1 - tok), &s->hlen);
    if (minted != NULL) s->hdr = (const uint8_t *)minted;
    return (minted != NULL || decode_seg(s, &used, tok, (size_t)(d1 - tok), &s->hdr, &s->hlen)) &&
           decode_seg(s, &used, d1 + 1, (size_t)(d2 - d1 - 1), &s->pay, &s->plen) &&
           decode_seg(s, &used, d2 + 1, len - (size_t)(d2 + 1 - tok), &s->sig, &s->slen);
}

/* The claims the rules read (core/jsonr.h): everything else in a header or
 * payload is checked for syntax and skipped. */
enum { H_ALG, H_TYP, H_CRIT, NHDR };
static const rg_jr_path hdr_paths[NHDR] = {
    RG_JR_PATH(-1, "alg"),
    RG_JR_PATH(-1, "typ"),
    /* "crit" names extensions we would have to understand (RFC 7515
     * 4.1.11, e.g. unencoded payloads): we understand none. */
    RG_JR_PATH(-1, "crit"),
};

// clang-format off
enum {
    C_APIKEY, C_ISS, C_SUB, C_GRANTS, C_IDENTITY, C_VIDEO, C_ROOM, C_PERMS, C_ROLES, C_PID,
    C_ROOMID, C_EXP, C_IAT, C_NBF, C_JTI, NCLAIMS
};
static const rg_jr_path claim_paths[NCLAIMS] = {
    RG_JR_PATH(-1, "apikey"), RG_JR_PATH(-1, "iss"), RG_JR_PATH(-1, "sub"),
    RG_JR_PATH(-1, "grants"), RG_JR_PATH(C_GRANTS, "identity"), RG_JR_PATH(C_GRANTS, "video"),
    RG_JR_PATH(C_VIDEO, "room"), RG_JR_PATH(-1, "permissions"), RG_JR_PATH(-1, "roles"),
    RG_JR_PATH(-1, "participantId"), RG_JR_PATH(-1, "roomId"), RG_JR_PATH(-1, "exp"),
    RG_JR_PATH(-1, "iat"), RG_JR_PATH(-1, "nbf"), RG_JR_PATH(-1, "jti"),
};
// clang-format on

static bool is_str(const rg_jr_val *v)
{
    return v->type == RG_JR_STRING;
}

/* Header -> alg.  The two headers we mint skip the JSON reader. */
static bool parse_header(const uint8_t *hdr, size_t n, rg_alg *alg)
{
    rg_jr_val h[NHDR], root;
    char name[8];
    size_t nlen;
    if ((n == sizeof(TWILIO_HDR_JSON) - 1 && memcmp(hdr, TWILIO_HDR_JSON, n) == 0) ||
        (n == sizeof(VSDK_HDR_JSON) - 1 && memcmp(hdr, VSDK_HDR_JSON, n) == 0)) {
        *alg = RG_ALG_HS256;
        return true;
    }
    if (rg_jr_read((const char *)hdr, n, hdr_paths, NHDR, h, &root) != RG_JR_OK ||
        root.type != RG_JR_OBJECT || !rg_jr_str(&h[H_ALG], name, sizeof(name) - 1, &nlen))
        return false;
    int i = rg_alg_from_name(name, nlen);
    if (i < 0 || (h[H_TYP].type != RG_JR_ABSENT && !rg_jr_str_is(&h[H_TYP], "JWT", 3)) ||
        h[H_CRIT].type != RG_JR_ABSENT)
        return false;
    *alg = (rg_alg)i;
    return true;
}

/* Copies a JSON string of at most max bytes (\u0000 is refused). */
static bool copy_str(const rg_jr_val *v, char *dst, size_t max)
{
    return rg_jr_str(v, dst, max, NULL);
}

/* A non-empty string claim of at most max bytes. */
static bool copy_nonempty(const rg_jr_val *v, char *dst, size_t max)
{
    return is_str(v) && v->raw_len > 2 && copy_str(v, dst, max);
}

/* A JSON integer, or a real with an integral value, within TIME_LIMIT. */
static bool time_value(const rg_jr_val *v, int64_t *out)
{
    if (v->type == RG_JR_INTEGER) {
        if (v->integer < -TIME_LIMIT || v->integer > TIME_LIMIT) return false;
        *out = v->integer;
        return true;
    }
    if (v->type != RG_JR_REAL) return false;
    double d = v->real;
    /* The range test also rejects NaN and infinities before the cast. */
    if (!(d >= (double)-TIME_LIMIT && d <= (double)TIME_LIMIT) || (double)(int64_t)d != d)
        return false;
    *out = (int64_t)d;
    return true;
}

/* ---- validation: rules ------------------------------------------------- */

/* Finds the key and checks the MAC; fills key_sid/account_sid. */
static rg_tok_code check_key_and_mac(rg_hmac *h, const segments *s, rg_alg alg,
                                     const rg_jr_val *kid, rg_key_lookup_fn lookup, void *ud,
                                     rg_token_result *r)
{
    if (!copy_nonempty(kid, r->key_sid, RG_SID_LEN)) return RG_TOK_BAD_ISSUER;
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

/* Keeps the raw text of a value an answer echoes when it is already what
 * jansson's compact dump writes; otherwise the answer reads the payload. */
static void keep_echo(const rg_jr_val *v, rg_token_result *r)
{
    if (v->canonical && v->raw_len <= sizeof(r->echo)) {
        memcpy(r->echo, v->raw, v->raw_len);
        r->echo_len = v->raw_len;
    }
}

static rg_tok_code twilio_claims(const rg_jr_val *c, rg_token_result *r)
{
    if (!rg_jr_str_is(&c[C_SUB], r->account_sid, strlen(r->account_sid))) return RG_TOK_BAD_ISSUER;
    if (c[C_GRANTS].type != RG_JR_OBJECT ||
        !copy_nonempty(&c[C_IDENTITY], r->identity, RG_IDENTITY_MAX))
        return RG_TOK_INVALID;
    keep_echo(&c[C_GRANTS], r);
    if (c[C_VIDEO].type == RG_JR_ABSENT) return RG_TOK_VALID;
    /* A room claim: a non-empty string.  An empty one must not read as the
     * "any room" of a grant without a room. */
    if (c[C_VIDEO].type != RG_JR_OBJECT ||
        (c[C_ROOM].type != RG_JR_ABSENT && !copy_nonempty(&c[C_ROOM], r->room, RG_IDENTITY_MAX)))
        return RG_TOK_INVALID;
    r->has_video_grant = 1;
    return RG_TOK_VALID;
}

/* An array of known names -> mask (permissions must not be empty). */
static bool names_mask(const rg_jr_val *arr, const char *const *names, int count, bool allow_empty,
                       unsigned *mask)
{
    rg_jr_iter it;
    rg_jr_val v;
    char name[16];
    size_t n;
    unsigned m = 0;
    int k, items = 0;

    if (arr->type != RG_JR_ARRAY) return false;
    rg_jr_iter_init(&it, arr);
    while (rg_jr_next(&it, &v)) {
        items++;
        k = rg_jr_str(&v, name, sizeof(name) - 1, &n) ? name_index(names, count, name, n) : -1;
        if (k < 0) return false;
        m |= 1u << k;
    }
    if (items == 0 && !allow_empty) return false;
    *mask = m;
    return true;
}

static rg_tok_code videosdk_claims(const rg_jr_val *c, rg_token_result *r)
{
    r->roles = RG_ROLE_CRAWLER | RG_ROLE_RTC;
    if (!names_mask(&c[C_PERMS], perm_names, NPERMS, false, &r->permissions) ||
        (c[C_ROLES].type != RG_JR_ABSENT &&
         !names_mask(&c[C_ROLES], role_names, NROLES, true, &r->roles)) ||
        (c[C_PID].type != RG_JR_ABSENT && !copy_str(&c[C_PID], r->identity, RG_IDENTITY_MAX)) ||
        (c[C_ROOMID].type != RG_JR_ABSENT &&
         !copy_nonempty(&c[C_ROOMID], r->room, RG_IDENTITY_MAX)))
        return RG_TOK_INVALID;
    keep_echo(&c[C_PERMS], r);
    return RG_TOK_VALID;
}

/* Reads an optional time claim; false if present and malformed. */
static bool opt_time(const rg_jr_val *v, bool *present, int64_t *out)
{
    *present = v->type != RG_JR_ABSENT;
    *out = 0;
    return !*present || time_value(v, out);
}

/* The order matters only for which code a token breaking several rules
 * gets; docs/api.md lists it.  A far expiry is refused before a far start,
 * so a token built to outlive the 24 h cap reads "expired or expiration
 * date invalid" whatever its iat says. */
static rg_tok_code time_rules(const rg_jr_val *c, int64_t now, rg_token_result *r)
{
    bool has_iat, has_nbf, has_exp;
    /* Clamp the caller's clock into the claim range: arithmetic stays in
     * bounds and the comparisons keep their meaning. */
    now = now < -TIME_LIMIT ? -TIME_LIMIT : now > TIME_LIMIT ? TIME_LIMIT : now;

    if (!opt_time(&c[C_EXP], &has_exp, &r->exp) || !has_exp ||
        !opt_time(&c[C_IAT], &has_iat, &r->iat) || !opt_time(&c[C_NBF], &has_nbf, &r->nbf))
        return RG_TOK_EXPIRED;
    /* What a kick compares against; a token with neither claim counts as
     * issued before every kick. */
    r->issued = has_iat ? r->iat : has_nbf ? r->nbf : INT64_MIN;
    if (now > r->exp + RG_TOKEN_LEEWAY) return RG_TOK_EXPIRED;
    /* Measured from our clock whatever the claims say: iat and nbf are the
     * issuer's word, and an issuer could move both to the far future. */
    if (r->exp - now > RG_TOKEN_MAX_TTL + RG_TOKEN_LEEWAY) return RG_TOK_EXPIRED;
    /* A future iat would also dodge every kick made before it. */
    if ((has_iat && r->iat > now + RG_TOKEN_LEEWAY) || (has_nbf && r->nbf > now + RG_TOKEN_LEEWAY))
        return RG_TOK_NOT_YET_VALID;
    /* Both from the issuer's clock: no leeway between them. */
    int64_t start = has_iat ? r->iat : has_nbf ? r->nbf : now;
    if (r->exp - start > RG_TOKEN_MAX_TTL) return RG_TOK_EXPIRED;
    /* Valid before it was issued: a token shaped to be usable now while
     * its iat (what revocation reads) says later. */
    if (has_iat && has_nbf && r->nbf < r->iat) return RG_TOK_INVALID;
    return RG_TOK_VALID;
}

static rg_tok_code validate(rg_hmac *h, const char *token, size_t len, int64_t now,
                            rg_key_lookup_fn lookup, void *ud, rg_token_result *r, segments *s)
{
    rg_alg alg;
    rg_jr_val c[NCLAIMS], root;

    if (h == NULL || token == NULL || lookup == NULL || len > RG_TOKEN_MAX_LEN ||
        !split(token, len, s) || !parse_header(s->hdr, s->hlen, &alg))
        return RG_TOK_INVALID;
    r->alg = alg;
    if (rg_jr_read((const char *)s->pay, s->plen, claim_paths, NCLAIMS, c, &root) != RG_JR_OK ||
        root.type != RG_JR_OBJECT || (!is_str(&c[C_APIKEY]) && !is_str(&c[C_ISS])))
        return RG_TOK_INVALID;
    r->kind = is_str(&c[C_APIKEY]) ? RG_TOKEN_VIDEOSDK : RG_TOKEN_TWILIO;

    rg_tok_code code = check_key_and_mac(
        h, s, alg, r->kind == RG_TOKEN_VIDEOSDK ? &c[C_APIKEY] : &c[C_ISS], lookup, ud, r);
    if (code == RG_TOK_VALID)
        code = r->kind == RG_TOKEN_TWILIO ? twilio_claims(c, r) : videosdk_claims(c, r);
    if (code == RG_TOK_VALID) code = time_rules(c, now, r);
    /* Not a rule: a jti that is no string or too long is just not kept
     * (rg_jr_str leaves r->jti as it was, "", when it refuses). */
    if (code == RG_TOK_VALID && is_str(&c[C_JTI]))
        (void)copy_str(&c[C_JTI], r->jti, RG_IDENTITY_MAX);
    return code;
}

/* validate() into a cleared r (not NULL), the code kept in r->code. */
static rg_tok_code check(rg_hmac *h, const char *token, size_t len, int64_t now,
                         rg_key_lookup_fn lookup, void *ud, rg_token_result *r, segments *s)
{
    /* echo is the last member and guarded by echo_len: not worth clearing. */
    memset(r, 0, offsetof(rg_token_result, echo));
    r->code = validate(h, token, len, now, lookup, ud, r, s);
    return r->code;
}

rg_tok_code rg_token_check(rg_hmac *h, const char *token, size_t len, int64_t now,
                           rg_key_lookup_fn lookup, void *ud, rg_token_result *r)
{
    segments s;
    return r == NULL ? RG_TOK_INVALID : check(h, token, len, now, lookup, ud, r, &s);
}

rg_tok_code rg_token_validate(rg_hmac *h, const char *token, size_t len, int64_t now,
                              rg_key_lookup_fn lookup, void *ud, rg_token_result *r)
{
    segments s;
    if (r == NULL) return RG_TOK_INVALID;
    check(h, token, len, now, lookup, ud, r, &s);
    /* The claims as a DOM for the callers that read more than the rules do
     * (a join's jti).  The reader accepted it, so jansson must too; if it
     * does not, the token is refused rather than trusted half-read. */
    if (r->kind != 0) {
        r->payload = json_loadb((const char *)s.pay, s.plen, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(r->payload) && r->code == RG_TOK_VALID) r->code = RG_TOK_INVALID;
    }
    return r->code;
}

json_t *rg_token_payload_json(const char *token, size_t len)
{
    segments s;
    json_t *p;
    if (token == NULL || len > RG_TOKEN_MAX_LEN || !split(token, len, &s)) return NULL;
    p = json_loadb((const char *)s.pay, s.plen, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        return NULL;
    }
    return p;
}

void rg_token_result_clear(rg_token_result *r)
{
    if (r == NULL) return;
    json_decref(r->payload);
    r->payload = NULL;
}

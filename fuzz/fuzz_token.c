/* fuzz_token.c - token parsing and validation (src/core/token.c).
 *
 * Input: one mode byte, then the payload.
 *   even mode: the payload is a token, validated as it is at FZ_NOW;
 *   odd mode:  the payload is "<header JSON>\n<payload JSON>", which is
 *              base64url-encoded and signed under the known key with the
 *              algorithm (mode >> 1) % 3 before validation, so the claim
 *              and time rules behind the signature check get fuzzed too.
 * Both entry points run (rg_token_validate with its jansson DOM and the
 * DOM-free rg_token_check of POST validate): same code, same fields, and the
 * echoed claim text equal to jansson's compact dump.  The payload is also
 * fed to the permission and role list parsers. */
#include "core/b64.h"
#include "core/errors.h"
#include "fuzz.h"

/* header.payload.signature of the two JSON texts, malloc'd. */
static char *forge(const char *hdr, size_t hl, const char *pay, size_t pl, rg_alg alg, size_t *len)
{
    uint8_t mac[RG_HMAC_MAX];
    size_t maclen, n;
    char *t = malloc(rg_b64url_len(hl) + rg_b64url_len(pl) + rg_b64url_len(RG_HMAC_MAX) + 3);
    if (t == NULL) abort();
    n = rg_b64url_encode(t, (const uint8_t *)hdr, hl);
    t[n++] = '.';
    n += rg_b64url_encode(t + n, (const uint8_t *)pay, pl);
    if (rg_hmac_compute(fz_hmac(), alg, (const uint8_t *)FZ_SECRET, sizeof FZ_SECRET - 1, t, n, mac,
                        &maclen) != RG_OK)
        abort();
    t[n++] = '.';
    n += rg_b64url_encode(t + n, mac, maclen);
    *len = n;
    return t;
}

/* The promises a valid token keeps (README "Security model", issue 10
 * items 4 and 10): one spelling, a lifetime within the cap counted from
 * now, nothing issued in the future, nbf not before iat, no empty room. */
static void check_valid(const char *tok, size_t len, const rg_token_result *r)
{
    const json_t *p = r->payload, *video = json_object_get(json_object_get(p, "grants"), "video");
    const json_t *room =
        r->kind == RG_TOKEN_TWILIO ? json_object_get(video, "room") : json_object_get(p, "roomId");
    for (size_t i = 0; i < len; i++)
        FZ_ASSERT(tok[i] != '=' && tok[i] != '+' && tok[i] != '/');
    FZ_ASSERT(r->exp - FZ_NOW <= RG_TOKEN_MAX_TTL + RG_TOKEN_LEEWAY);
    FZ_ASSERT(r->iat <= FZ_NOW + RG_TOKEN_LEEWAY && r->nbf <= FZ_NOW + RG_TOKEN_LEEWAY);
    if (json_object_get(p, "iat") && json_object_get(p, "nbf")) FZ_ASSERT(r->nbf >= r->iat);
    if (room != NULL) FZ_ASSERT(r->room[0] != '\0');
}

/* What POST validate echoes without a DOM (r->echo) is jansson's compact
 * dump of the claim it stands for. */
static void check_echo(const rg_token_result *r, const json_t *payload)
{
    const json_t *claim = r->kind == RG_TOKEN_TWILIO ? json_object_get(payload, "grants")
                                                     : json_object_get(payload, "permissions");
    char *dump = json_dumps(claim, JSON_COMPACT);
    FZ_ASSERT(dump != NULL && strlen(dump) == r->echo_len &&
              memcmp(dump, r->echo, r->echo_len) == 0);
    free(dump);
}

/* The jti a valid token's result keeps (what a VideoSDK join without
 * participantId takes as its identity) is jansson's string, when it is a
 * string that fits, else "". */
static void check_jti(const rg_token_result *r, const json_t *payload)
{
    const json_t *jti = json_object_get(payload, "jti");
    size_t n = json_is_string(jti) ? json_string_length(jti) : 0;
    if (n == 0 || n > RG_IDENTITY_MAX || memchr(json_string_value(jti), 0, n) != NULL)
        FZ_ASSERT(r->jti[0] == '\0');
    else
        FZ_ASSERT(strlen(r->jti) == n && memcmp(r->jti, json_string_value(jti), n) == 0);
}

static void check(const char *tok, size_t len)
{
    rg_token_result r, fast;
    rg_tok_code code = rg_token_validate(fz_hmac(), tok, len, FZ_NOW, fz_lookup, NULL, &r);
    FZ_ASSERT(code == r.code);
    /* The DOM-free path (POST validate's) gives the same verdict and fields. */
    FZ_ASSERT(rg_token_check(fz_hmac(), tok, len, FZ_NOW, fz_lookup, NULL, &fast) == code);
    FZ_ASSERT(fast.payload == NULL && fast.kind == r.kind && fast.exp == r.exp &&
              fast.issued == r.issued && fast.permissions == r.permissions &&
              fast.roles == r.roles && strcmp(fast.identity, r.identity) == 0 &&
              strcmp(fast.room, r.room) == 0 && fast.has_video_grant == r.has_video_grant);
    if (code == RG_TOK_VALID) check_jti(&fast, r.payload);
    if (code == RG_TOK_VALID && fast.echo_len > 0) check_echo(&fast, r.payload);
    if (code == RG_TOK_VALID) {
        FZ_ASSERT(r.kind == RG_TOKEN_TWILIO || r.kind == RG_TOKEN_VIDEOSDK);
        FZ_ASSERT(strcmp(r.key_sid, FZ_SK) == 0 && strcmp(r.account_sid, FZ_AC) == 0);
        FZ_ASSERT(r.exp > 0 && r.exp + RG_TOKEN_LEEWAY >= FZ_NOW);
        FZ_ASSERT(r.payload != NULL);
        FZ_ASSERT(strlen(r.identity) <= RG_IDENTITY_MAX && strlen(r.room) <= RG_IDENTITY_MAX);
        check_valid(tok, len, &r);
    }
    FZ_ASSERT(rg_tok_message(code) != NULL);
    rg_token_result_clear(&r);
    FZ_ASSERT(r.payload == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t mode = fz_byte(&in);
    char *text = fz_strdup(in.p, in.n);
    unsigned mask;

    if ((mode & 1) == 0) {
        check(text, in.n);
    } else {
        const char *nl = memchr(text, '\n', in.n);
        size_t hl = nl ? (size_t)(nl - text) : in.n, tl;
        char *tok = forge(text, hl, nl ? nl + 1 : "", nl ? in.n - hl - 1 : 0,
                          (rg_alg)((mode >> 1) % 3), &tl);
        check(tok, tl);
        free(tok);
    }
    if (rg_perm_parse(text, &mask) == RG_OK) FZ_ASSERT(mask != 0 && mask < 8);
    if (rg_roles_parse(text, &mask) == RG_OK) FZ_ASSERT(mask != 0 && mask < 4);
    free(text);
    return 0;
}

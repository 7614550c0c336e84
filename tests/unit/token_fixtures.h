/* token_fixtures.h - shared by the token suites (test_hmac, test_mint,
 * test_validate): fixed keys and clock, a key lookup, a forger for hostile
 * tokens, and decoders.  Every helper is static and marked unused, so each
 * suite takes what it needs. */
#ifndef RG_TESTS_TOKEN_FIXTURES_H
#define RG_TESTS_TOKEN_FIXTURES_H


#include <stdio.h>
#include <stdlib.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/hmac.h"
#include "core/token.h"

#define NOW 1700000000LL
#define SK1 "SK00000000000000000000000000000001"
#define AC1 "AC00000000000000000000000000000001"
#define SK2 "SK00000000000000000000000000000002"
#define AC2 "AC00000000000000000000000000000002"
#define SEC1 "0123456789abcdef0123456789abcdef"
#define SEC2 "a different secret"
/* ---- fixtures -------------------------------------------------------------- */

static rg_hmac *H __attribute__((unused));

static __attribute__((unused)) int setup(void **state)
{
    (void)state;
    H = rg_hmac_new();
    return H == NULL;
}

static __attribute__((unused)) int teardown(void **state)
{
    (void)state;
    rg_hmac_free(H);
    return 0;
}

/* The key store: SK1 (AC1) and SK2 (AC2); ud, when set, names a deleted
 * key. */
static __attribute__((unused)) int lookup(void *ud, const char *sid, rg_key_view *out)
{
    static const char *const tab[2][3] = {{SK1, AC1, SEC1}, {SK2, AC2, SEC2}};
    for (int i = 0; i < 2; i++) {
        if (strcmp(sid, tab[i][0]) != 0 || (ud != NULL && strcmp(ud, sid) == 0)) continue;
        strcpy(out->account_sid, tab[i][1]);
        out->secret_len = strlen(tab[i][2]);
        memcpy(out->secret, tab[i][2], out->secret_len);
        return 0;
    }
    return -1;
}

/* Signs arbitrary header/payload JSON: the attacker's (or a foreign
 * library's) view of the format. */
static __attribute__((unused)) char *forge(const char *hdr, const char *payload, rg_alg alg, const char *secret)
{
    size_t hl = strlen(hdr), pl = strlen(payload);
    char *t = malloc(rg_b64url_len(hl) + rg_b64url_len(pl) + 100);
    assert_non_null(t);
    size_t n = rg_b64url_encode(t, (const uint8_t *)hdr, hl);
    t[n++] = '.';
    n += rg_b64url_encode(t + n, (const uint8_t *)payload, pl);
    uint8_t mac[RG_HMAC_MAX];
    size_t maclen;
    assert_int_equal(
        rg_hmac_compute(H, alg, (const uint8_t *)secret, strlen(secret), t, n, mac, &maclen),
        RG_OK);
    t[n++] = '.';
    rg_b64url_encode(t + n, mac, maclen);
    return t;
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* A Twilio payload with the given times (a negative value omits it). */
static __attribute__((unused)) char *twilio_payload(const char *iss, const char *sub, long long iat, long long nbf,
                            long long exp)
{
    char *p = malloc(512);
    assert_non_null(p);
    int n = sprintf(p, "{\"jti\":\"%s-1\",\"iss\":\"%s\",\"sub\":\"%s\"", iss, iss, sub);
    if (iat >= 0) n += sprintf(p + n, ",\"iat\":%lld", iat);
    if (nbf >= 0) n += sprintf(p + n, ",\"nbf\":%lld", nbf);
    if (exp >= 0) n += sprintf(p + n, ",\"exp\":%lld", exp);
    sprintf(p + n, ",\"grants\":{\"identity\":\"alice\",\"video\":{\"room\":\"r1\"}}}");
    return p;
}

/* Validates and returns the code, clearing the result. */
static __attribute__((unused)) rg_tok_code check(const char *tok, int64_t now)
{
    rg_token_result r;
    rg_tok_code c = rg_token_validate(H, tok, strlen(tok), now, lookup, NULL, &r);
    assert_int_equal(c, r.code);
    rg_token_result_clear(&r);
    return c;
}

/* Forges a token from header and payload JSON under SEC1, checks it. */
static __attribute__((unused)) rg_tok_code check_json(const char *hdr, const char *payload)
{
    char *t = forge(hdr, payload, RG_ALG_HS256, SEC1);
    rg_tok_code c = check(t, NOW);
    free(t);
    return c;
}

static __attribute__((unused)) rg_tok_code check_times(long long iat, long long nbf, long long exp)
{
    char *p = twilio_payload(SK1, AC1, iat, nbf, exp);
    rg_tok_code c = check_json(HS256, p);
    free(p);
    return c;
}

static __attribute__((unused)) size_t mint_twilio(char *out, const char *identity, const char *room, int64_t ttl)
{
    rg_twilio_claims c = {AC1, SK1, (const uint8_t *)SEC1, strlen(SEC1), identity, room, NOW, ttl};
    size_t n = 0;
    assert_int_equal(rg_token_mint_twilio(H, &c, out, 2048, &n), RG_OK);
    assert_int_equal(strlen(out), n);
    return n;
}

/* Decodes segment i (0 header, 1 payload) of tok into a NUL-terminated
 * malloc'd string. */
static __attribute__((unused)) char *segment(const char *tok, int i)
{
    const char *s = tok;
    for (int k = 0; k < i; k++)
        s = strchr(s, '.') + 1;
    size_t len = (size_t)(strchr(s, '.') - s), n;
    char *out = malloc(len + 4);
    assert_non_null(out);
    assert_int_equal(rg_b64url_decode((uint8_t *)out, len + 3, s, len, &n), RG_OK);
    out[n] = '\0';
    return out;
}

static __attribute__((unused)) json_t *payload_of(const char *tok)
{
    char *p = segment(tok, 1);
    json_t *j = json_loads(p, JSON_REJECT_DUPLICATES, NULL);
    free(p);
    assert_true(json_is_object(j));
    return j;
}

#endif

/* link.c - sign and verify media links (see link.h). */
#include "core/link.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/sid.h"

/* "RE...\n<exp>\n<nonce>" into buf; its length, or 0 when it does not fit. */
static size_t message(char *buf, size_t cap, const char *sid, int64_t exp, const char *nonce,
                      size_t nonce_len)
{
    int n = snprintf(buf, cap, "%s\n%lld\n%.*s", sid, (long long)exp, (int)nonce_len, nonce);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

int rg_link_sign(rg_hmac *h, const uint8_t key[RG_LINK_KEY_LEN], const char *sid, int64_t exp,
                 const char *nonce, char sig[RG_LINK_SIG_LEN + 1])
{
    char msg[128];
    uint8_t mac[RG_HMAC_MAX];
    size_t n = message(msg, sizeof msg, sid, exp, nonce, strlen(nonce)), maclen = 0;
    if (n == 0 ||
        rg_hmac_compute(h, RG_ALG_HS256, key, RG_LINK_KEY_LEN, msg, n, mac, &maclen) != RG_OK)
        return RG_ECRYPTO;
    rg_b64url_encode(sig, mac, maclen);
    return RG_OK;
}

static int is_b64url(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

static int parse_exp(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    if (n == 0 || n > 12 || (n > 1 && s[0] == '0')) return -1; /* one spelling per link */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

rg_link_status rg_link_verify(rg_hmac *h, const uint8_t key[RG_LINK_KEY_LEN], const char *sid,
                              const char *exp_s, size_t exp_len, const char *nonce,
                              size_t nonce_len, const char *sig, size_t sig_len, int64_t now,
                              int64_t *exp_out)
{
    char msg[128], want[RG_LINK_SIG_LEN + 1];
    uint8_t mac[RG_HMAC_MAX];
    size_t n, maclen = 0;
    int64_t exp;
    if (!exp_s || !nonce || !sig || sig_len != RG_LINK_SIG_LEN || nonce_len != RG_LINK_NONCE_LEN ||
        !is_b64url(nonce, nonce_len) || parse_exp(exp_s, exp_len, &exp) != 0)
        return RG_LINK_BAD;
    n = message(msg, sizeof msg, sid, exp, nonce, nonce_len);
    if (n == 0 ||
        rg_hmac_compute(h, RG_ALG_HS256, key, RG_LINK_KEY_LEN, msg, n, mac, &maclen) != RG_OK)
        return RG_LINK_BAD;
    rg_b64url_encode(want, mac, maclen);
    if (CRYPTO_memcmp(want, sig, RG_LINK_SIG_LEN) != 0) return RG_LINK_BAD;
    *exp_out = exp;
    return exp < now ? RG_LINK_EXPIRED : RG_LINK_OK;
}

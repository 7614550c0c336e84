/* turn/ice.c - coturn REST API credentials (see turn/ice.h). */
#include "core/turn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/b64.h"
#include "core/errors.h"

int rg_turn_credential(const char *secret, size_t secret_len, const char *identity, int64_t now,
                       int64_t ttl, rg_turn_cred *out)
{
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t idlen, maclen = 0;
    int n;
    if (secret == NULL || secret_len == 0 || identity == NULL || out == NULL) return RG_EINVAL;
    idlen = strlen(identity);
    if (idlen == 0 || idlen > RG_IDENTITY_MAX || now < 0 || ttl < 1 || ttl > RG_TURN_MAX_TTL)
        return RG_EINVAL;
    out->expires = now + ttl;
    n = snprintf(out->username, sizeof out->username, "%" PRId64 ":%s", out->expires, identity);
    if (n < 0 || (size_t)n >= sizeof out->username) return RG_EINVAL;
    /* Not on a hot path (one per join or REST call): the one-shot form with
     * its implicit fetch is simpler than a per-thread context. */
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, secret, secret_len,
                  (const unsigned char *)out->username, (size_t)n, mac, sizeof mac,
                  &maclen) == NULL ||
        maclen != 20) {
        OPENSSL_cleanse(mac, sizeof mac);
        return RG_ECRYPTO;
    }
    rg_b64_encode(out->password, mac, maclen);
    OPENSSL_cleanse(mac, sizeof mac);
    return RG_OK;
}

int rg_turn_secret_valid(const char *s, size_t len)
{
    if (s == NULL || len < RG_TURN_SECRET_MIN || len > RG_TURN_SECRET_MAX) return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] <= ' ' || s[i] > '~' || s[i] == ',' || s[i] == '#') return 0;
    return 1;
}

int rg_turn_uri_valid(const char *uri, int turn)
{
    static const char *const schemes[2][2] = {{"stun:", "stuns:"}, {"turn:", "turns:"}};
    size_t len, skip = 0;
    if (uri == NULL || (len = strlen(uri)) > RG_TURN_URI_MAX) return 0;
    for (int i = 0; i < 2 && skip == 0; i++) {
        size_t sl = strlen(schemes[turn != 0][i]);
        if (strncmp(uri, schemes[turn != 0][i], sl) == 0) skip = sl;
    }
    /* a host must follow; no "//" (RFC 7064 URIs have no authority part) */
    if (skip == 0 || len == skip || uri[skip] == '/' || uri[skip] == ':' || uri[skip] == '?')
        return 0;
    for (size_t i = skip; i < len; i++)
        if (uri[i] <= ' ' || uri[i] > '~' || uri[i] == '"' || uri[i] == '\\' || uri[i] == '<' ||
            uri[i] == '>')
            return 0;
    return 1;
}

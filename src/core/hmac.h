/* hmac.h - HMAC-SHA2 for JWT signatures.
 *
 * OpenSSL 3's one-shot HMAC() fetches the digest on every call, which costs
 * more than the hash itself for a 300-byte token.  An rg_hmac holds the
 * pre-fetched digests; create one per thread (it is not shared) and reuse it
 * for every sign/verify on that thread. */
#ifndef RG_CORE_HMAC_H
#define RG_CORE_HMAC_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RG_ALG_HS256 = 0, RG_ALG_HS384 = 1, RG_ALG_HS512 = 2 } rg_alg;

#define RG_HMAC_MAX 64 /* bytes of the largest MAC (SHA-512) */

typedef struct rg_hmac rg_hmac;

rg_hmac *rg_hmac_new(void);
void rg_hmac_free(rg_hmac *h);

/* MAC of msg under key; writes the MAC into out and its length (32/48/64)
 * into *outlen.  Returns RG_OK or RG_ECRYPTO. */
int rg_hmac_compute(rg_hmac *h, rg_alg alg, const uint8_t *key, size_t keylen, const void *msg,
                    size_t n, uint8_t out[RG_HMAC_MAX], size_t *outlen);

/* SHA-256 of the concatenation of two buffers, with the pre-fetched digest
 * (cache keys).  Returns RG_OK or RG_ECRYPTO. */
int rg_sha256_2(rg_hmac *h, const void *a, size_t alen, const void *b, size_t blen,
                uint8_t out[32]);

/* JWT names: "HS256" -> RG_ALG_HS256 ...; returns -1 for anything else
 * (including "none", "RS256", "hs256"). */
int rg_alg_from_name(const char *name, size_t len);
const char *rg_alg_name(rg_alg alg);

#endif

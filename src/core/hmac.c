/* hmac.c - HMAC-SHA2 (RFC 2104) over pre-fetched OpenSSL digests.
 *
 * Measured on the target (OpenSSL 3.0, SHA-NI, 400-byte message): HMAC()
 * one-shot with its implicit fetch ~1.9 us; an EVP_MAC "HMAC" context
 * re-keyed per call costs ~780 ns; EVP_MD_CTX inner/outer states built from
 * ipad/opad then copied ~750 ns; one EVP_MD_CTX re-initialised for the
 * inner then the outer hash ~665 ns; and, when the key is the same as on the
 * previous call, copying inner/outer states already keyed ~470 ns (EVP_MAC
 * with a NULL key re-init: ~550 ns).  So each digest slot remembers the last
 * key: a new key takes the direct ~665 ns path, a repeated one (minting and
 * validating with one key, the common case on a thread) gets primed states
 * and the ~470 ns path.  The remembered key lives only in this per-thread
 * object and is wiped on free. */
#include "core/hmac.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/errors.h"

#define MAX_BLOCK 128 /* SHA-384/512 block size */

typedef struct {
    EVP_MD *md;
    EVP_MD_CTX *ictx; /* state after absorbing K0 ^ ipad */
    EVP_MD_CTX *octx; /* state after absorbing K0 ^ opad */
    size_t block;
    bool keyed;             /* key[] holds the last key used */
    bool primed;            /* ictx/octx are built from key[] */
    size_t keylen;          /* valid when keyed */
    uint8_t key[MAX_BLOCK]; /* longer keys are not remembered (rare) */
} slot;

struct rg_hmac {
    slot s[3];
    EVP_MD_CTX *work;
};

static const char *const md_names[3] = {"SHA256", "SHA384", "SHA512"};
static const char *const alg_names[3] = {"HS256", "HS384", "HS512"};

rg_hmac *rg_hmac_new(void)
{
    rg_hmac *h = calloc(1, sizeof(*h));
    if (h == NULL) return NULL;
    h->work = EVP_MD_CTX_new();
    bool ok = h->work != NULL;
    for (int i = 0; i < 3 && ok; i++) {
        slot *s = &h->s[i];
        s->md = EVP_MD_fetch(NULL, md_names[i], NULL);
        s->ictx = EVP_MD_CTX_new();
        s->octx = EVP_MD_CTX_new();
        ok = s->md != NULL && s->ictx != NULL && s->octx != NULL;
        if (ok) s->block = (size_t)EVP_MD_get_block_size(s->md);
        ok = ok && s->block > 0 && s->block <= MAX_BLOCK;
    }
    if (!ok) {
        rg_hmac_free(h);
        return NULL;
    }
    return h;
}

void rg_hmac_free(rg_hmac *h)
{
    if (h == NULL) return;
    for (int i = 0; i < 3; i++) {
        EVP_MD_CTX_free(h->s[i].ictx);
        EVP_MD_CTX_free(h->s[i].octx);
        EVP_MD_free(h->s[i].md);
    }
    EVP_MD_CTX_free(h->work);
    OPENSSL_cleanse(h, sizeof(*h));
    free(h);
}

/* Absorbs K0 ^ pad into ctx (one block). */
static bool absorb_pad(const slot *s, EVP_MD_CTX *ctx, const uint8_t *k0, uint8_t pad)
{
    uint8_t blk[MAX_BLOCK];
    for (size_t i = 0; i < s->block; i++)
        blk[i] = k0[i] ^ pad;
    bool ok = EVP_DigestInit_ex2(ctx, s->md, NULL) && EVP_DigestUpdate(ctx, blk, s->block);
    OPENSSL_cleanse(blk, sizeof(blk));
    return ok;
}

/* RFC 2104: a key longer than the block is replaced by its hash; shorter
 * keys are zero-padded to the block. */
static bool derive_k0(const slot *s, const uint8_t *key, size_t keylen, uint8_t k0[MAX_BLOCK])
{
    memset(k0, 0, MAX_BLOCK);
    if (keylen > s->block) {
        unsigned int dl = 0;
        return EVP_Digest(key, keylen, k0, &dl, s->md, NULL) != 0;
    }
    if (keylen > 0) memcpy(k0, key, keylen);
    return true;
}

/* Builds ictx/octx for the remembered key. */
static bool prime(slot *s)
{
    uint8_t k0[MAX_BLOCK];
    bool ok = derive_k0(s, s->key, s->keylen, k0) && absorb_pad(s, s->ictx, k0, 0x36) &&
              absorb_pad(s, s->octx, k0, 0x5c);
    OPENSSL_cleanse(k0, sizeof(k0));
    s->primed = ok;
    return ok;
}

/* Same key as the remembered one?  Constant time in the key bytes. */
static bool same_key(const slot *s, const uint8_t *key, size_t keylen)
{
    return s->keyed && s->keylen == keylen &&
           (keylen == 0 || CRYPTO_memcmp(s->key, key, keylen) == 0);
}

static void remember(slot *s, const uint8_t *key, size_t keylen)
{
    s->primed = false;
    s->keyed = keylen <= sizeof(s->key);
    if (s->keyed) {
        if (keylen > 0) memcpy(s->key, key, keylen);
        s->keylen = keylen;
    }
}

/* HMAC from the primed states: two state copies, no key blocks. */
static bool mac_primed(rg_hmac *h, const slot *s, const void *msg, size_t n, uint8_t *inner,
                       uint8_t *out, unsigned int *olen)
{
    unsigned int ilen = 0;
    return EVP_MD_CTX_copy_ex(h->work, s->ictx) && EVP_DigestUpdate(h->work, msg, n) &&
           EVP_DigestFinal_ex(h->work, inner, &ilen) && EVP_MD_CTX_copy_ex(h->work, s->octx) &&
           EVP_DigestUpdate(h->work, inner, ilen) && EVP_DigestFinal_ex(h->work, out, olen);
}

/* HMAC straight from the key: cheaper than priming when the key is not
 * about to be reused (no state copies). */
static bool mac_direct(rg_hmac *h, const slot *s, const uint8_t *key, size_t keylen,
                       const void *msg, size_t n, uint8_t *inner, uint8_t *out, unsigned int *olen)
{
    uint8_t k0[MAX_BLOCK];
    unsigned int ilen = 0;
    bool ok = derive_k0(s, key, keylen, k0) && absorb_pad(s, h->work, k0, 0x36) &&
              EVP_DigestUpdate(h->work, msg, n) && EVP_DigestFinal_ex(h->work, inner, &ilen) &&
              absorb_pad(s, h->work, k0, 0x5c) && EVP_DigestUpdate(h->work, inner, ilen) &&
              EVP_DigestFinal_ex(h->work, out, olen);
    OPENSSL_cleanse(k0, sizeof(k0));
    return ok;
}

int rg_hmac_compute(rg_hmac *h, rg_alg alg, const uint8_t *key, size_t keylen, const void *msg,
                    size_t n, uint8_t out[RG_HMAC_MAX], size_t *outlen)
{
    if (h == NULL || (unsigned)alg > RG_ALG_HS512 || (key == NULL && keylen > 0)) return RG_ECRYPTO;
    slot *s = &h->s[alg];
    uint8_t inner[EVP_MAX_MD_SIZE];
    unsigned int olen = 0;
    bool ok;

    /* A key seen twice in a row gets primed states; a new key is used
     * directly and remembered. */
    if (same_key(s, key, keylen)) {
        ok = (s->primed || prime(s)) && mac_primed(h, s, msg, n, inner, out, &olen);
    } else {
        remember(s, key, keylen);
        ok = mac_direct(h, s, key, keylen, msg, n, inner, out, &olen);
    }
    OPENSSL_cleanse(inner, sizeof(inner));
    if (!ok || olen > RG_HMAC_MAX) return RG_ECRYPTO;
    *outlen = olen;
    return RG_OK;
}

int rg_alg_from_name(const char *name, size_t len)
{
    if (name == NULL || len != 5) return -1;
    for (int i = 0; i < 3; i++) {
        if (memcmp(name, alg_names[i], 5) == 0) return i;
    }
    return -1;
}

const char *rg_alg_name(rg_alg alg)
{
    return (unsigned)alg <= RG_ALG_HS512 ? alg_names[alg] : "unknown";
}

int rg_sha256_2(rg_hmac *h, const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    unsigned int n = 0;
    if (EVP_DigestInit_ex(h->work, h->s[RG_ALG_HS256].md, NULL) != 1 ||
        EVP_DigestUpdate(h->work, a, alen) != 1 || EVP_DigestUpdate(h->work, b, blen) != 1 ||
        EVP_DigestFinal_ex(h->work, out, &n) != 1 || n != 32)
        return RG_ECRYPTO;
    return RG_OK;
}

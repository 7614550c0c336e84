/* verdict.c - the direct-mapped cache of positive validation answers:
 * one slot per digest, hit only under the same generation and before the
 * token's exp plus the leeway, the digest compared in constant time
 * (verdict.h). */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/verdict.h"

typedef struct {
    uint8_t digest[32];
    uint64_t gen;
    int64_t exp;
    size_t len; /* 0: empty slot */
    char body[RG_VERDICT_MAX_BODY];
} slot;

struct rg_verdict_cache {
    size_t mask;
    slot *slots;
};

rg_verdict_cache *rg_verdict_cache_new(size_t slots)
{
    rg_verdict_cache *vc = calloc(1, sizeof *vc);
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    if (vc == NULL || (vc->slots = calloc(n, sizeof *vc->slots)) == NULL) {
        free(vc);
        return NULL;
    }
    vc->mask = n - 1;
    return vc;
}

void rg_verdict_cache_free(rg_verdict_cache *vc)
{
    if (vc == NULL) return;
    free(vc->slots);
    free(vc);
}

/* The digest is a SHA-256: its first bytes are already uniform. */
static slot *slot_of(rg_verdict_cache *vc, const uint8_t digest[32])
{
    uint64_t h;
    memcpy(&h, digest, sizeof h);
    return &vc->slots[h & vc->mask];
}

const char *rg_verdict_get(rg_verdict_cache *vc, const uint8_t digest[32], uint64_t gen,
                           int64_t now, int64_t leeway, size_t *len)
{
    slot *s = slot_of(vc, digest);
    if (s->len == 0 || s->gen != gen || now > s->exp + leeway ||
        CRYPTO_memcmp(s->digest, digest, 32) != 0)
        return NULL;
    *len = s->len;
    return s->body;
}

void rg_verdict_put(rg_verdict_cache *vc, const uint8_t digest[32], uint64_t gen, int64_t exp,
                    const char *body, size_t len)
{
    slot *s = slot_of(vc, digest);
    if (len == 0 || len > RG_VERDICT_MAX_BODY) return;
    memcpy(s->digest, digest, 32);
    s->gen = gen;
    s->exp = exp;
    s->len = len;
    memcpy(s->body, body, len);
}

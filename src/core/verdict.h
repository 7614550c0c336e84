/* verdict.h - a per-thread cache of positive validation answers.
 *
 * The url_provider flow asks for the same token again and again (every time
 * a recording is opened or seeked), and validating means parsing JSON and
 * computing a MAC.  A verdict is cached under SHA-256(account | token), with
 * the serialized answer, until the token's exp (plus leeway).  Only valid
 * tokens are cached.  Every entry carries the generation of the key and
 * revocation state it was computed under: deleting a key or revoking an
 * identity bumps the generation, and older entries stop matching at once.
 *
 * Direct-mapped and fixed-size, so memory is bounded and a lookup is one
 * probe.  Not thread-safe by design: one cache per event-loop thread. */
#ifndef RG_CORE_VERDICT_H
#define RG_CORE_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#define RG_VERDICT_MAX_BODY 2048 /* larger answers are not cached */

typedef struct rg_verdict_cache rg_verdict_cache;

/* slots: rounded up to a power of two. */
rg_verdict_cache *rg_verdict_cache_new(size_t slots);
void rg_verdict_cache_free(rg_verdict_cache *vc);

/* The cached answer for digest, if computed under generation gen and still
 * unexpired at now (exp + leeway >= now); NULL otherwise.  The pointer is
 * valid until the next put on this cache. */
const char *rg_verdict_get(rg_verdict_cache *vc, const uint8_t digest[32], uint64_t gen,
                           int64_t now, int64_t leeway, size_t *len);
/* Stores an answer (copied); bodies over RG_VERDICT_MAX_BODY are ignored. */
void rg_verdict_put(rg_verdict_cache *vc, const uint8_t digest[32], uint64_t gen, int64_t exp,
                    const char *body, size_t len);

#endif

/* rowcache.h - a bounded, thread-safe, in-memory cache of fixed-size rows
 * by string key, for hot read paths that must not wait on the store (the
 * VideoSDK room lookups, the consultation token route).
 *
 * Read-through use, without ever caching a stale row:
 *
 *     uint64_t gen = rg_rowcache_gen(c);          // before reading the store
 *     if (rg_rowcache_get(c, key, &row) != 0) {
 *         rc = rg_store_..._get(..., &row);
 *         if (rc == RG_OK) rg_rowcache_put(c, key, &row, gen);
 *     }
 *
 * Every change bumps the generation (rg_rowcache_del, rg_rowcache_clear), so
 * a row read from the store before a change is dropped instead of being
 * cached after it.  Writers in this process call rg_rowcache_del after they
 * commit; changes by other processes are caught by clearing the whole cache
 * when the change watcher says so (store/watch.h; the owner listens).
 *
 * The cache holds at most `capacity` rows; a put into a full cache clears it
 * first (simple, and bounded: the next lookups read through again).  Keys
 * are hashed with a random seed, so colliding keys cannot be precomputed. */
#ifndef RG_STORE_ROWCACHE_H
#define RG_STORE_ROWCACHE_H

#include <stddef.h>
#include <stdint.h>

#define RG_ROWCACHE_KEY_MAX 320 /* bytes of a key: an account SID, a separator, an id */

typedef struct rg_rowcache rg_rowcache;

/* seed: random bytes for the key hash (the caller draws them). */
int rg_rowcache_new(size_t row_size, size_t capacity, uint64_t seed, rg_rowcache **out);
void rg_rowcache_free(rg_rowcache *c);

/* Copies the row cached under key into out: 0, or -1 on a miss. */
int rg_rowcache_get(rg_rowcache *c, const char *key, void *out);

/* The generation to pass to rg_rowcache_put for a row about to be read. */
uint64_t rg_rowcache_gen(rg_rowcache *c);

/* Caches row under key (replacing any), unless the cache changed since gen
 * was read.  Keys longer than RG_ROWCACHE_KEY_MAX are not cached. */
void rg_rowcache_put(rg_rowcache *c, const char *key, const void *row, uint64_t gen);

/* Forgets key / everything; both bump the generation. */
void rg_rowcache_del(rg_rowcache *c, const char *key);
void rg_rowcache_clear(rg_rowcache *c);

/* "AC...\x1fid" into buf (RG_ROWCACHE_KEY_MAX + 1 bytes); -1 if too long. */
int rg_rowcache_key(char *buf, const char *account_sid, const char *id);

#endif

/* keycache.h - per-process cache of accounts and API key secrets.
 *
 * The cache serves the hot paths: a hit never touches the disk.  A miss
 * asks the store whether another process committed since the cache was
 * built (rg_store_change_mark, cheap); only then is the store asked for
 * that one SID, and a key or account found there is loaded at once, so a
 * key the CLI just created works on the next request.  A negative cache
 * (fixed size, per change mark) and a budget of RG_KEYCACHE_MISS_READS
 * store reads per second keep a flood of unknown SIDs from becoming a flood
 * of store reads.  It holds unsealed secrets in memory
 * (never written anywhere).  Writers in this process call
 * rg_keycache_reload() after a commit so a deleted key stops validating at
 * once on every thread; writes by other processes (the CLI) are picked up
 * when the change watcher (store/watch.h) calls rg_keycache_changed, which
 * reloads only when the mark moved past the cache's.  Lookups take a read
 * lock. */
#ifndef RG_STORE_KEYCACHE_H
#define RG_STORE_KEYCACHE_H

#include <stdint.h>

#include "core/token.h"
#include "crypto/seal.h"
#include "store/store.h"

typedef struct rg_keycache rg_keycache;

/* Loads every account and key.  The cache keeps st (borrowed, must outlive
 * the cache) and a copy of the master key. */
int rg_keycache_new(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN], rg_keycache **out);
void rg_keycache_free(rg_keycache *kc);

int rg_keycache_reload(rg_keycache *kc);
/* Moves after every reload that swapped in new contents.  A value read
 * before a computation that used the cache labels that computation: if it
 * no longer matches, a key may have been deleted since (see core/verdict.h). */
uint64_t rg_keycache_generation(rg_keycache *kc);
/* Reloads unless the cache was built at the store's current change mark. */
int rg_keycache_poll(rg_keycache *kc);
/* The watcher's listener (rg_watch_fn): reloads unless built at mark. */
void rg_keycache_changed(void *kc, int64_t mark);

/* Store reads a cache miss may cause per second (and burst). */
#define RG_KEYCACHE_MISS_READS 200

/* rg_key_lookup_fn-compatible: 0 and *out filled for a live key, else -1. */
int rg_keycache_lookup_key(void *kc, const char *key_sid, rg_key_view *out);

/* The key's type (RG_KEY_STANDARD / RG_KEY_MAIN), or -1 when it is not in
 * the cache.  A key's type never changes after creation. */
int rg_keycache_key_type(rg_keycache *kc, const char *key_sid);

/* How many misses read the store so far; and a test clock (monotonic ms)
 * for the miss budget.  For tests and statistics. */
uint64_t rg_keycache_store_reads(rg_keycache *kc);
void rg_keycache_set_clock(rg_keycache *kc, int64_t (*clock_ms)(void));

/* Checks AccountSid:AuthToken in constant time against the stored hash.
 * Returns 0 when valid, -1 otherwise. */
int rg_keycache_check_account(rg_keycache *kc, const char *account_sid, const char *auth_token,
                              size_t token_len);

/* Checks KeySid:Secret; on success writes the key's account into
 * account_out and returns 0. */
int rg_keycache_check_key(rg_keycache *kc, const char *key_sid, const char *secret,
                          size_t secret_len, char account_out[RG_SID_SIZE]);

/* The account's newest live key (secret included), for minting with the
 * account's own credentials.  0 / -1. */
int rg_keycache_newest_key(rg_keycache *kc, const char *account_sid, char key_sid_out[RG_SID_SIZE],
                           rg_key_view *out);

#endif

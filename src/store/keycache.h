/* keycache.h - per-process cache of accounts and API key secrets.
 *
 * The cache is authoritative for the hot paths: a lookup never touches the
 * disk, a miss means "no such key".  It holds unsealed secrets in memory
 * (never written anywhere).  Writers in this process call
 * rg_keycache_reload() after a commit so a deleted key stops validating at
 * once on every thread; writes by other processes (the CLI) are picked up by
 * rg_keycache_poll(), which the server calls every 100 ms and which reloads
 * only when SQLite's data_version changed.  Lookups take a read lock. */
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
int rg_keycache_poll(rg_keycache *kc); /* reloads if data_version moved */

/* rg_key_lookup_fn-compatible: 0 and *out filled for a live key, else -1. */
int rg_keycache_lookup_key(void *kc, const char *key_sid, rg_key_view *out);

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

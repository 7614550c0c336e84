/* hook/tokens.h - the dispatcher's cache of unsealed auth tokens.
 *
 * Signing an event (X-Twilio-Signature) needs the account's auth token,
 * sealed under the master key in the store; unsealing it (AES-256-GCM, a
 * fresh cipher context) for every delivery was a good part of building a
 * request.  The dispatcher's thread alone keeps the tokens it unsealed, in
 * memory only, never logged: an entry is used only for the very sealed
 * blob it was unsealed from, so a rotated token (a new blob, a new nonce)
 * misses and replaces it, and only for TTL (tokens.c), so a rotated
 * token's old value does not outlive the rotation by long even when the
 * account sends nothing.  Entries are wiped (OPENSSL_cleanse) when
 * replaced, expired or freed. */
#ifndef RG_HOOK_TOKENS_H
#define RG_HOOK_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "app/provision.h"
#include "crypto/seal.h"
#include "store/outbox.h"

typedef struct rg_hook_tokens rg_hook_tokens;

rg_hook_tokens *rg_hook_tokens_new(void);
void rg_hook_tokens_free(rg_hook_tokens *c);

/* The auth token of row's account into token (RG_AUTH_TOKEN_LEN bytes
 * at most, not terminated), its length in *len: from the cache, else
 * unsealed with master and kept.  now_ms: the clock, for the TTL.
 * RG_OK, or RG_ECRYPTO when the row carries no sealed token or it does
 * not unseal.  The caller wipes its copy. */
int rg_hook_token(rg_hook_tokens *c, const uint8_t master[RG_MASTER_KEY_LEN],
                  const rg_outbox_row *row, int64_t now_ms, char *token, size_t *len);

#endif

/* provision.h - creating accounts and API keys: fresh random SIDs and
 * secrets, the secret sealed under the master key, the row written.  Shared
 * by the REST handlers and the CLI so both mint credentials the same way. */
#ifndef RG_APP_PROVISION_H
#define RG_APP_PROVISION_H

#include "core/token.h"
#include "crypto/seal.h"
#include "store/store.h"

#define RG_AUTH_TOKEN_LEN 32 /* hex chars, as Twilio's auth tokens */
#define RG_KEY_SECRET_LEN 32 /* alphanumeric chars, as Twilio's key secrets */

/* Creates an account; writes its SID and the auth token (shown once).  The
 * token is stored as a hash (for authentication) and sealed under the
 * master key (for signing status callbacks, as Twilio signs with it). */
int rg_provision_account(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN], const char *name,
                         int64_t now, char sid[RG_SID_SIZE],
                         char auth_token[RG_AUTH_TOKEN_LEN + 1]);
/* Seals auth_token for account_sid: the blob rg_store_account_set_token
 * stores.  RG_OK or RG_ECRYPTO. */
int rg_provision_seal_token(const uint8_t master[RG_MASTER_KEY_LEN], const char *account_sid,
                            const char *auth_token, uint8_t *out, size_t cap, size_t *outlen);

/* Creates an API key of the given type for account; fills *row (sealed
 * secret included) and the clear secret (shown once). */
int rg_provision_key(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN], const char *account_sid,
                     const char *name, rg_key_type type, int64_t now, rg_key_row *row,
                     char secret[RG_KEY_SECRET_LEN + 1]);

#endif

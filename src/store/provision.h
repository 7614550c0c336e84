/* provision.h - creating accounts and API keys: fresh random SIDs and
 * secrets, the secret sealed under the master key, the row written.  Shared
 * by the REST handlers and the CLI so both mint credentials the same way. */
#ifndef RG_STORE_PROVISION_H
#define RG_STORE_PROVISION_H

#include "core/token.h"
#include "crypto/seal.h"
#include "store/store.h"

#define RG_AUTH_TOKEN_LEN 32 /* hex chars, as Twilio's auth tokens */
#define RG_KEY_SECRET_LEN 32 /* alphanumeric chars, as Twilio's key secrets */

/* Creates an account; writes its SID and the auth token (shown once, only
 * its hash is stored). */
int rg_provision_account(rg_store *st, const char *name, int64_t now, char sid[RG_SID_SIZE],
                         char auth_token[RG_AUTH_TOKEN_LEN + 1]);

/* Creates an API key for account; fills *row (sealed secret included) and
 * the clear secret (shown once). */
int rg_provision_key(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN],
                     const char *account_sid, const char *name, int64_t now, rg_key_row *row,
                     char secret[RG_KEY_SECRET_LEN + 1]);

/* Random bytes from the CSPRNG; RG_ECRYPTO if it fails. */
int rg_random(void *buf, size_t n);
/* A fresh random SID with the given prefix ("RM", "PA"...); RG_ECRYPTO. */
int rg_new_sid(char sid[RG_SID_SIZE], const char prefix[2]);

#endif

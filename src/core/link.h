/* link.h - signed media links: /media/{RE}?exp=...&nonce=...&sig=...
 *
 * sig = base64url(HMAC-SHA256(key, "RE...\n<exp>\n<nonce>")), where key is
 * the server's link key (derived from the master key) and nonce is 16
 * random bytes in base64url.  Pure: the time and the nonce are passed in. */
#ifndef RG_CORE_LINK_H
#define RG_CORE_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/hmac.h"

#define RG_LINK_KEY_LEN 32
#define RG_LINK_NONCE_LEN 22 /* base64url of 16 bytes */
#define RG_LINK_SIG_LEN 43   /* base64url of 32 bytes */

typedef enum { RG_LINK_OK = 0, RG_LINK_BAD = 1, RG_LINK_EXPIRED = 2 } rg_link_status;

/* Writes the signature (RG_LINK_SIG_LEN chars + NUL).  RG_OK/RG_ECRYPTO. */
int rg_link_sign(rg_hmac *h, const uint8_t key[RG_LINK_KEY_LEN], const char *sid, int64_t exp,
                 const char *nonce, char sig[RG_LINK_SIG_LEN + 1]);

/* Checks the query values of a link at time now.  The signature is
 * compared in constant time and checked before the expiry, so an expired
 * forged link is "bad", not "expired".  exp_s/nonce/sig are the raw query
 * values (lengths given). */
rg_link_status rg_link_verify(rg_hmac *h, const uint8_t key[RG_LINK_KEY_LEN], const char *sid,
                              const char *exp_s, size_t exp_len, const char *nonce,
                              size_t nonce_len, const char *sig, size_t sig_len, int64_t now,
                              int64_t *exp_out);

#endif

/* turn/ice.h - TURN REST API credentials, as coturn checks them with
 * `use-auth-secret` (draft-uberti-behave-turn-rest-00):
 *
 *   username = "<expiry unix seconds>:<identity>"
 *   password = base64(HMAC-SHA1(secret, username))
 *
 * coturn recomputes the password from the username with each of its
 * `static-auth-secret`s and refuses usernames whose expiry has passed, so
 * nothing is stored anywhere.  SHA-1 is what the protocol fixes (coturn and
 * every WebRTC TURN deployment); it is used here and nowhere else, never for
 * tokens.  Pure functions: time is a parameter. */
#ifndef RG_CORE_TURN_H
#define RG_CORE_TURN_H

#include <stddef.h>
#include <stdint.h>

#include "core/token.h"

#define RG_TURN_DEFAULT_TTL 3600
#define RG_TURN_MAX_TTL 86400
#define RG_TURN_SECRET_MIN 16 /* bytes; shorter shared secrets are refused */
#define RG_TURN_SECRET_MAX 256
#define RG_TURN_URI_MAX 255
#define RG_TURN_PASSWORD_LEN 28 /* base64 of the 20-byte HMAC-SHA1 */
#define RG_TURN_USERNAME_MAX (20 + 1 + RG_IDENTITY_MAX)

typedef struct {
    char username[RG_TURN_USERNAME_MAX + 1];
    char password[RG_TURN_PASSWORD_LEN + 1];
    int64_t expires; /* unix seconds: now + ttl */
} rg_turn_cred;

/* Fills *out for identity (1..RG_IDENTITY_MAX bytes) valid from now for ttl
 * seconds (1..RG_TURN_MAX_TTL), signed with secret.  RG_OK, RG_EINVAL on
 * bad arguments, RG_ECRYPTO when OpenSSL fails. */
int rg_turn_credential(const char *secret, size_t secret_len, const char *identity, int64_t now,
                       int64_t ttl, rg_turn_cred *out);

/* A shared secret we accept: RG_TURN_SECRET_MIN..MAX bytes of visible ASCII
 * other than ',' (the separator of ROOMGATE_TURN_SECRETS) and '#', so it can
 * be written as it is in turnserver.conf. */
int rg_turn_secret_valid(const char *s, size_t len);

/* A STUN or TURN URI (RFC 7064 / 7065) of the given kind: "stun:" or
 * "stuns:" when turn is 0, "turn:" or "turns:" when 1, then a host and
 * optional port/query of visible ASCII; at most RG_TURN_URI_MAX bytes.  A
 * light check that catches typos and injection, not a full parser. */
int rg_turn_uri_valid(const char *uri, int turn);

#endif

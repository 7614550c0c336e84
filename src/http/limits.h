/* limits.h - the HTTP rate limits (docs/security.md "Rate limits"):
 * failed Basic authentication per client address and per credential,
 * /sec_rec and /media per client address, token minting per signing key,
 * and the audit rows of refused anonymous playback requests (a few per
 * address and minute, the rest counted in one summary row).
 *
 * The client address is the TCP peer (IPv6 grouped by /64); headers such
 * as X-Forwarded-For are never trusted.  One set of tables for the whole
 * process behind one mutex: a lookup is a few dozen nanoseconds, far less
 * than the request it guards, and one table means a client cannot spread
 * its attempts over the loop threads. */
#ifndef RG_HTTP_LIMITS_H
#define RG_HTTP_LIMITS_H

#include "core/token.h"
#include "http/call.h"

/* Builds the tables from app->cfg.limits and registers the summary
 * writer (a poller).  After rg_playback_start: the summary rows go
 * through the audit connection.  RG_OK / RG_ENOMEM. */
int rg_limits_start(rg_app *app);
/* Writes the pending summary rows and frees the tables; before
 * rg_playback_stop. */
void rg_limits_stop(rg_app *app);

/* Before checking presented Basic credentials for user (an AC or SK
 * SID): 0 to go on, or -1 with 429/20429 and Retry-After answered.  An
 * address over its failure limit is refused for every credential; a
 * credential over its limit only from addresses that failed recently.
 * user NULL: counted per address only (the token form below). */
int rg_limit_auth_begin(rg_call *c, const char *user, size_t ulen);
/* The credentials presented for user were wrong: counts the failure. */
void rg_limit_auth_failed(rg_call *c, const char *user, size_t ulen);

/* The same for a token presented as the credential (Basic "token:" JWT
 * on validate, the VideoSDK REST routes): counted per address only, in
 * the table of failed Basic authentications.  Not for a token that is
 * the subject of a question asked with other credentials.  Only guesses
 * count (rg_limit_token_guess): a wrong signature or an unknown key. */
int rg_limit_token_begin(rg_call *c);
void rg_limit_token_failed(rg_call *c);
/* 1 when a validation result (an RG_TOK_* code) was a guess at a secret
 * or a key: the signature did not verify, or the key is unknown.  An
 * expired or revoked token was signed by the key (its owner's mistake, no
 * guess), and a malformed one never reached the HMAC. */
static inline int rg_limit_token_guess(int code)
{
    return code == RG_TOK_BAD_SIGNATURE || code == RG_TOK_BAD_ISSUER;
}

/* /sec_rec and /media: 0, or -1 with 429 answered (and counted in the
 * address's summary row). */
int rg_limit_playback(rg_call *c);
/* A token about to be signed with key_sid: 0, or -1 with 429 answered. */
int rg_limit_mint(rg_call *c, const char *key_sid);

/* A playback request refused before anyone was identified (no or a bad
 * token, a bad link): 1 when it gets its own audit row, 0 when it was
 * counted in this minute's summary row for its address instead. */
int rg_limit_anon_row(rg_call *c);

/* For the access of the summary writer (tests: the current counts). */
void rg_limits_flush(rg_app *app, int force);

#endif

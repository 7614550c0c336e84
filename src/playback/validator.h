/* validator.h - remote token validation for /sec_rec: POST {"token"} to an
 * IAM-style endpoint (Twilio's /v1/Accounts/{AC}/Tokens/validate, or
 * another roomgate's) with libh2o's HTTP/1 client on the request's own
 * loop, within one deadline for the whole exchange, and a bounded cache of
 * positive answers kept until the token's expiration.
 *
 * An answer vouches for one account: its account_sid (roomgate's answers
 * carry it), else the accounts configured with
 * --playback-validator-accounts; rg_validator_vouches() says whether it
 * may open a recording of a given account (docs/security.md). */
#ifndef RG_PLAYBACK_VALIDATOR_H
#define RG_PLAYBACK_VALIDATOR_H

#include "playback/playback.h"
#include "store/audit.h"

/* What the IAM answer says about the caller. */
typedef struct {
    int valid;
    int code;
    int64_t expiration; /* unix seconds */
    char identity[RG_IDENTITY_MAX + 1];
    char realm_user_id[RG_IDENTITY_MAX + 1];
    char roles[RG_AUDIT_ROLES_MAX + 1]; /* JSON array text */
    char worker_sid[64];
    char account_sid[RG_SID_SIZE]; /* "" when the answer names none */
} rg_iam_answer;

/* status: 0 answered (see a->valid), 502 validator failed or answered
 * garbage, 504 timed out.  Runs on the loop; c is NULL if the request is
 * gone (d must still be completed or freed by the callee's caller chain). */
typedef void (*rg_validator_cb)(rg_defer *d, int status, const rg_iam_answer *a);

/* Its lifecycle, for rg_playback_start: parses --playback-validator(-accounts),
 * makes the client TLS context and cache, and each loop's http client. */
extern const rg_pb_hooks rg_validator_hooks;

/* 1 when a valid answer may open recordings of account_sid: the answer's
 * own account_sid must be it, and when accounts are configured, it must be
 * one of them; an answer without account_sid needs the configuration. */
int rg_validator_vouches(const rg_playback *pb, const rg_iam_answer *a, const char *account_sid);

/* A cached positive answer for this token at time now: 1 and *a. */
int rg_validator_cached(rg_playback *pb, const char *token, size_t len, int64_t now,
                        rg_iam_answer *a);
/* Starts the request for c's Authorization header and token.  cb runs
 * later on the loop with d (whose abort is set meanwhile).  -1 when it
 * cannot start (cb is not called). */
int rg_validator_start(rg_call *c, rg_defer *d, const char *token, size_t len, rg_validator_cb cb);

#endif

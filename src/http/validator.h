/* validator.h - remote token validation for /sec_rec: POST {"token"} to an
 * IAM-style endpoint (Twilio's /v1/Accounts/{AC}/Tokens/validate, or
 * another roomgate's) with libh2o's HTTP/1 client on the request's own
 * loop, with a timeout, and a bounded cache of positive answers kept until
 * the token's expiration. */
#ifndef RG_HTTP_VALIDATOR_H
#define RG_HTTP_VALIDATOR_H

#include "http/playback.h"
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
} rg_iam_answer;

/* status: 0 answered (see a->valid), 502 validator failed or answered
 * garbage, 504 timed out.  Runs on the loop; c is NULL if the request is
 * gone (d must still be completed or freed by the callee's caller chain). */
typedef void (*rg_validator_cb)(rg_defer *d, int status, const rg_iam_answer *a);

int rg_validator_setup(rg_playback *pb);
void rg_validator_teardown(rg_playback *pb);
void rg_validator_thread_init(rg_playback *pb, rg_pb_thread *t);
void rg_validator_thread_dispose(rg_pb_thread *t);

/* A cached positive answer for this token at time now: 1 and *a. */
int rg_validator_cached(rg_playback *pb, const char *token, size_t len, int64_t now,
                        rg_iam_answer *a);
/* Starts the request for c's Authorization header and token.  cb runs
 * later on the loop with d (whose abort is set meanwhile).  -1 when it
 * cannot start (cb is not called). */
int rg_validator_start(rg_call *c, rg_defer *d, const char *token, size_t len, rg_validator_cb cb);

#endif

/* hook/request.h - one status callback request from an outbox row: Twilio's
 * parameters (the row's, plus SequenceNumber), form-encoded in the body of a
 * POST or in the query of a GET, and the X-Twilio-Signature over them. */
#ifndef RG_HOOK_REQUEST_H
#define RG_HOOK_REQUEST_H

#include "core/twsig.h"
#include "store/outbox.h"

typedef struct {
    char *url;  /* malloc'd: the target, with the query for GET */
    char *body; /* malloc'd: the form body for POST (JSON for LiveKit); NULL for GET */
    char signature[RG_TWSIG_SIZE];
    char *jwt; /* LiveKit's format: the Authorization token (malloc'd); else NULL */
} rg_hook_request;

/* Builds the request for row, signed with the account's auth token.
 * 0, or -1 with *why set (parameters that are not a flat JSON object of
 * strings and numbers, out of memory). */
int rg_hook_request_build(const rg_outbox_row *row, const char *token, size_t toklen,
                          rg_hook_request *out, const char **why);
void rg_hook_request_free(rg_hook_request *r);

/* The same event in LiveKit's webhook format: a JSON WebhookEvent
 * (room_started, room_finished, participant_joined, participant_left)
 * POSTed with an HS256 JWT from key_sid/secret (iss = the key, exp in
 * 10 minutes, sha256 = base64 SHA-256 of the body), as livekit-server-sdk's
 * WebhookReceiver checks.  now: unix seconds.  0; 1 when the event has no
 * LiveKit counterpart (recording-completed: nothing to send); -1 with
 * *why. */
int rg_hook_request_livekit(const rg_outbox_row *row, const char *secret, size_t secretlen,
                            int64_t now, rg_hook_request *out, const char **why);

#endif

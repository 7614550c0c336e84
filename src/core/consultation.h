/* consultation.h - the rules of 1:1 consultations (seed 001): who may get
 * a token for a consultation's room, and for how long.
 *
 * Pure: the clock and the configured margin are parameters.  The HTTP
 * shell (src/api/consultations.c) loads the row, asks these functions,
 * and only mints when rg_consult_admit() says so. */
#ifndef RG_CORE_CONSULTATION_H
#define RG_CORE_CONSULTATION_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sid.h"
#include "core/token.h"

#define RG_CONSULT_ID_MAX 256         /* bytes of a consultation id or a detail id */
#define RG_CONSULT_MAX_WINDOW 86400   /* ends_at - starts_at, seconds */
#define RG_CONSULT_DEFAULT_MARGIN 600 /* seconds before starts_at a token may be had */
#define RG_CONSULT_MAX_MARGIN 86400
#define RG_CONSULT_DEFAULT_TTL 900 /* seconds */

typedef enum { RG_CONSULT_SCHEDULED = 1, RG_CONSULT_STATUS_CANCELLED = 2 } rg_consult_status;

/* One consultation, as stored (src/store/consultations.h) and shown. */
typedef struct {
    char sid[RG_SID_SIZE]; /* CN... */
    char account_sid[RG_SID_SIZE];
    char consultation_id[RG_CONSULT_ID_MAX + 1];
    char detail_id[RG_CONSULT_ID_MAX + 1];
    char client_identity[RG_IDENTITY_MAX + 1];
    char provider_identity[RG_IDENTITY_MAX + 1];
    int64_t starts_at, ends_at;
    rg_consult_status status;
    int64_t date_created, date_updated;
} rg_consultation;

/* What the rules need to know about one consultation. */
typedef struct {
    const char *client_identity;
    const char *provider_identity;
    const char *detail_id;
    int64_t starts_at, ends_at; /* unix seconds */
    bool cancelled;
} rg_consult_terms;

/* Outcome of a token request.  The non-zero values are the error codes the
 * HTTP API answers with (roomgate's own, documented in docs/api.md). */
typedef enum {
    RG_CONSULT_ADMIT = 0,
    RG_CONSULT_NOT_PARTICIPANT = 53450, /* 403: neither the client nor the provider */
    RG_CONSULT_WRONG_DETAIL = 53451,    /* 403: detail id does not match */
    RG_CONSULT_TOO_EARLY = 53452,       /* 403: before starts_at - margin */
    RG_CONSULT_TOO_LATE = 53453,        /* 403: at or after ends_at */
    RG_CONSULT_CANCELLED = 53454,       /* 410: the consultation was cancelled */
} rg_consult_verdict;

/* The code answered when a consultation id is already taken (409). */
#define RG_CONSULT_EXISTS 53455

/* A consultation id or detail id: 1..RG_CONSULT_ID_MAX bytes of
 * [A-Za-z0-9] and . _ ~ : @ + = - (safe as a URL path segment, a room
 * name and a log field without escaping). */
bool rg_consult_id_valid(const char *s, size_t n);

/* Checks a new consultation: both ids well formed, identities 1..256 bytes
 * of text and different, starts_at < ends_at <= starts_at + 24 h.  Returns
 * NULL when acceptable, else a static message that names the parameter. */
const char *rg_consult_check_new(const char *consultation_id, const rg_consult_terms *t);

/* Decides a token request by identity with detail_id at now.  The window
 * is [starts_at - margin, ends_at).  On RG_CONSULT_ADMIT *ttl is
 * min(ttl_want, ends_at + margin - now), at least 1: a token never outlives
 * the consultation by more than the margin.  Checks in this order:
 * cancelled, identity, detail id, too early, too late.  The detail id is
 * compared in constant time (it is the caller's proof of the booking). */
rg_consult_verdict rg_consult_admit(const rg_consult_terms *t, const char *identity,
                                    const char *detail_id, int64_t now, int64_t margin,
                                    int64_t ttl_want, int64_t *ttl);

/* "client", "provider" or NULL: the role of identity in the consultation. */
const char *rg_consult_role(const rg_consult_terms *t, const char *identity);

/* The rules' view of a consultation (pointers into k). */
rg_consult_terms rg_consult_terms_of(const rg_consultation *k);

/* The consultation's JSON (REST answers and the CLI): sid, account_sid,
 * the six fields, status "scheduled"|"cancelled", room_name, date_created,
 * date_updated (whole-second ISO 8601, as Twilio's v1 APIs), and url when
 * base ("http://host:port") is given.  NULL on allocation failure. */
json_t *rg_consult_to_json(const rg_consultation *k, const char *base);

/* Static message for a verdict. */
const char *rg_consult_message(rg_consult_verdict v);

#endif

/* errors.h - the return codes, and the one convention for what an int
 * result means (src/http/ and src/api/ keep to it like the rest):
 *
 * 1. Work that can fail (everything in core/, crypto/ and store/; the
 *    start, parse and I/O functions elsewhere): 0 (RG_OK) on success,
 *    negative on failure: an RG_E* code where a caller acts on why (404
 *    for RG_ENOTFOUND, 409 for RG_EEXIST, ...), else -1.  Never a positive
 *    failure (no errno passed through).  Callers test != 0 / != RG_OK, and
 *    name a code only to handle that case.  Nothing here answers HTTP.
 * 2. A step of a request (takes an rg_call and may answer the client:
 *    reading parameters, authenticating, loading the resource a path
 *    names, a rate limit): 0 to go on; -1 when it has answered the error
 *    itself, and the caller then returns at once and answers nothing.
 *    Handlers (void) answer exactly once on every path.
 * 3. A question (is/has/_guess/_vouched/_row), or a fast path that may
 *    decline (params.c's flat JSON): 1 yes / handled, 0 no / not handled;
 *    answers nothing.
 *
 * Counts, lengths and indexes are >= 0, with -1 for "none". */
#ifndef RG_CORE_ERRORS_H
#define RG_CORE_ERRORS_H

enum {
    RG_OK = 0,
    RG_EINVAL = -1,    /* bad input from the caller */
    RG_ENOMEM = -2,    /* allocation failed */
    RG_ENOTFOUND = -3, /* no such row / entry */
    RG_EEXIST = -4,    /* unique constraint */
    RG_EIO = -5,       /* disk, database or socket failure */
    RG_ECRYPTO = -6,   /* OpenSSL failure or authentication tag mismatch */
    RG_ETOOBIG = -7,   /* output buffer too small or input over a limit */
    RG_EFULL = -8,     /* a room at capacity */
    RG_EGONE = -9,     /* completed, cancelled, disabled or deleted */
};

/* VideoSDK's error codes, as the VideoSDK-style routes (/v2/rooms, the
 * seed's aliases) and VideoSDK joins answer them. */
enum {
    RG_VSDK_INVALID_APIKEY = 4001,      /* unknown or deleted apikey */
    RG_VSDK_INVALID_TOKEN = 4002,       /* missing, malformed, expired, forged, not VideoSDK */
    RG_VSDK_INVALID_MEETING = 4003,     /* no such room for this account */
    RG_VSDK_INVALID_PERMISSIONS = 4008, /* role or room scope does not allow the call */
    RG_VSDK_MAX_PARTICIPANTS = 4009,
    RG_VSDK_ROOM_DISABLED = 4052, /* the room was deactivated */
};

#endif

/* errors.h - library-wide return codes.
 *
 * Every fallible function in roomgate returns one of these (0 on success,
 * negative on failure) so callers can propagate without translating.  The
 * HTTP shell maps them to Twilio/VideoSDK error JSON. */
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

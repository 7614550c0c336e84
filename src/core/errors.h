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

#endif

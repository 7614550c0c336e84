/* ratelimit.h - a token bucket with the time passed in.
 *
 * Pure: the caller gives the current time in milliseconds.  Levels are kept
 * in thousandths of a token, so a rate of r tokens per second refills r
 * units per millisecond with integer arithmetic only.  24 bytes: one per
 * signaling connection. */
#ifndef RG_CORE_RATELIMIT_H
#define RG_CORE_RATELIMIT_H

#include <stdint.h>

typedef struct {
    int64_t level;   /* thousandths of a token */
    int64_t last_ms; /* time of the last refill */
    uint32_t rate;   /* tokens per second; 0 = unlimited */
    uint32_t burst;  /* capacity in tokens (at least 1 when rate > 0) */
} rg_bucket;

/* A full bucket at now_ms. */
void rg_bucket_init(rg_bucket *b, uint32_t rate, uint32_t burst, int64_t now_ms);

/* Takes one token: 1 when there was one, 0 when the bucket is empty.  A
 * clock that goes backwards refills nothing. */
int rg_bucket_take(rg_bucket *b, int64_t now_ms);

#endif

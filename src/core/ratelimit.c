/* ratelimit.c - the token bucket: refill by the time passed (capped so a
 * long idle bucket cannot overflow), then take one token (ratelimit.h). */
#include "core/ratelimit.h"

#define UNIT 1000 /* thousandths of a token */

void rg_bucket_init(rg_bucket *b, uint32_t rate, uint32_t burst, int64_t now_ms)
{
    b->rate = rate;
    b->burst = burst > 0 ? burst : 1;
    b->level = (int64_t)b->burst * UNIT;
    b->last_ms = now_ms;
}

int rg_bucket_take(rg_bucket *b, int64_t now_ms)
{
    int64_t cap = (int64_t)b->burst * UNIT;
    if (b->rate == 0) return 1;
    if (now_ms > b->last_ms) {
        /* cap the elapsed time first: a long-idle bucket cannot overflow */
        int64_t dt = now_ms - b->last_ms;
        if (dt > cap) dt = cap;
        b->level += dt * (int64_t)b->rate;
        if (b->level > cap) b->level = cap;
        b->last_ms = now_ms;
    }
    if (b->level < UNIT) return 0;
    b->level -= UNIT;
    return 1;
}

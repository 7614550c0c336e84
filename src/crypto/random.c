/* random.c - randomness from OpenSSL's CSPRNG (random.h). */
#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <time.h>

#include "core/errors.h"

int rg_random(void *buf, size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? RG_OK : RG_ECRYPTO;
}

/* Bytes >= 248 are redrawn so no letter is favoured. */
int rg_random_alnum(char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;
    while (i < n) {
        uint8_t buf[64];
        if (rg_random(buf, sizeof buf) != RG_OK) return RG_ECRYPTO;
        for (size_t k = 0; k < sizeof buf && i < n; k++)
            if (buf[k] < 248) out[i++] = alphabet[buf[k] % 62];
        OPENSSL_cleanse(buf, sizeof buf);
    }
    out[n] = '\0';
    return RG_OK;
}

int rg_new_sid(char sid[RG_SID_SIZE], const char prefix[2])
{
    uint8_t rnd[16];
    if (rg_random(rnd, sizeof rnd) != RG_OK) return RG_ECRYPTO;
    rg_sid_format(sid, prefix, rnd);
    return RG_OK;
}

/* The fraction is the wall clock's within its second.  `now` is the
 * caller's (a loop's cached time, a row's date_created), read a moment
 * before: when the clock has passed into a later second, the SID is made
 * at the end of `now`'s, after every other SID of that second. */
static uint16_t second_fraction(int64_t now)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return 0;
    if ((int64_t)ts.tv_sec > now) return 0xffff;
    return (uint16_t)(((uint64_t)ts.tv_nsec << 16) / 1000000000u);
}

int rg_new_sid_at(char sid[RG_SID_SIZE], const char prefix[2], int64_t now)
{
    uint8_t rnd[RG_SID_AT_RANDOM];
    if (rg_random(rnd, sizeof rnd) != RG_OK) return RG_ECRYPTO;
    rg_sid_format_at(sid, prefix, now, second_fraction(now), rnd);
    return RG_OK;
}

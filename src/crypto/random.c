/* random.c - randomness from OpenSSL's CSPRNG (random.h). */
#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdint.h>

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

int rg_new_sid_at(char sid[RG_SID_SIZE], const char prefix[2], int64_t now)
{
    uint8_t rnd[12];
    if (rg_random(rnd, sizeof rnd) != RG_OK) return RG_ECRYPTO;
    rg_sid_format_at(sid, prefix, now, rnd);
    return RG_OK;
}

/* sid.c - Twilio-style SIDs ("AC" / "SK" + 32 lowercase hex). */
#include "core/sid.h"

static const char hexdigits[] = "0123456789abcdef";

void rg_hex_encode(char *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = hexdigits[src[i] >> 4];
        dst[2 * i + 1] = hexdigits[src[i] & 0x0f];
    }
    dst[2 * n] = '\0';
}

void rg_sid_format(char out[RG_SID_SIZE], const char prefix[2], const uint8_t rnd[16])
{
    out[0] = prefix[0];
    out[1] = prefix[1];
    rg_hex_encode(out + 2, rnd, 16);
}

void rg_sid_format_at(char out[RG_SID_SIZE], const char prefix[2], int64_t now, uint16_t frac,
                      const uint8_t rnd[RG_SID_AT_RANDOM])
{
    uint32_t t = (uint32_t)((uint64_t)now & 0xffffffffu);
    uint8_t be[6] = {(uint8_t)(t >> 24), (uint8_t)(t >> 16),   (uint8_t)(t >> 8),
                     (uint8_t)t,         (uint8_t)(frac >> 8), (uint8_t)frac};
    out[0] = prefix[0];
    out[1] = prefix[1];
    rg_hex_encode(out + 2, be, sizeof be);
    rg_hex_encode(out + 14, rnd, RG_SID_AT_RANDOM);
}

/* Only lowercase: SIDs are compared byte-wise everywhere (cache keys, SQL),
 * so accepting "ABC..." would create a second spelling of the same SID. */
static bool is_lower_hex(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

bool rg_sid_valid(const char *s, size_t len, const char prefix[2])
{
    if (s == NULL || len != RG_SID_LEN || s[0] != prefix[0] || s[1] != prefix[1]) return false;
    for (size_t i = 2; i < RG_SID_LEN; i++) {
        if (!is_lower_hex(s[i])) return false;
    }
    return true;
}

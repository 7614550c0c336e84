/* roomid.c - a VideoSDK room id from random bytes by rejection sampling
 * (every character equally likely), and the check of one (roomid.h). */
#include "core/roomid.h"

static const char alphabet[36] = "abcdefghijklmnopqrstuvwxyz0123456789";

/* 252 = 7 * 36: bytes below it map onto the alphabet 7 times each; bytes
 * 252..255 would favour the first four characters, so they are skipped. */
#define ACCEPT_BELOW 252

int rg_roomid_format(char out[RG_ROOMID_SIZE], const uint8_t *rnd, size_t n)
{
    size_t pos = 0;
    for (size_t i = 0; i < n && pos < RG_ROOMID_LEN; i++) {
        if (rnd[i] >= ACCEPT_BELOW) continue;
        if (pos == 4 || pos == 9) out[pos++] = '-';
        out[pos++] = alphabet[rnd[i] % 36];
    }
    if (pos < RG_ROOMID_LEN) return -1;
    out[RG_ROOMID_LEN] = '\0';
    return 0;
}

bool rg_roomid_valid(const char *s, size_t len)
{
    if (s == NULL || len != RG_ROOMID_LEN) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (i == 4 || i == 9) {
            if (ch != '-') return false;
        } else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
            return false;
        }
    }
    return true;
}

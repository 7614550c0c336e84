/* roomid.h - VideoSDK room ids: "xxxx-xxxx-xxxx" of [a-z0-9].
 *
 * Pure: the caller passes the random bytes (the shell draws them from the
 * CSPRNG).  Each character comes from one byte by rejection sampling, so all
 * 36 characters are exactly equally likely: 12 characters give 36^12 ~ 2^62
 * ids. */
#ifndef RG_CORE_ROOMID_H
#define RG_CORE_ROOMID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_ROOMID_LEN 14 /* "abcd-efgh-ijkl" */
#define RG_ROOMID_SIZE (RG_ROOMID_LEN + 1)
/* Random bytes to offer: 12 are needed, a byte is rejected with p = 4/256,
 * so 32 bytes fall short with p < 2^-120. */
#define RG_ROOMID_RAND 32

/* Writes a room id + NUL into out from the n bytes of rnd.  Returns 0, or
 * -1 when rnd held fewer than 12 acceptable bytes (out is then garbage);
 * the caller draws fresh bytes and calls again. */
int rg_roomid_format(char out[RG_ROOMID_SIZE], const uint8_t *rnd, size_t n);

/* True when s (len bytes) has the room id shape. */
bool rg_roomid_valid(const char *s, size_t len);

#endif

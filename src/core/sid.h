/* sid.h - Twilio-style identifiers: two uppercase letters + 32 lowercase hex.
 * Randomness comes from the caller (the shell uses RAND_bytes). */
#ifndef RG_CORE_SID_H
#define RG_CORE_SID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_SID_LEN 34
#define RG_SID_SIZE (RG_SID_LEN + 1)

/* Writes prefix (2 chars) + hex(rnd) + NUL into out. */
void rg_sid_format(char out[RG_SID_SIZE], const char prefix[2], const uint8_t rnd[16]);

/* The same, for the rows made by the thousand (rooms, participants):
 * 8 hex digits of `now` (unix seconds, modulo 2^32), 4 of `frac` (the
 * moment within that second, in 1/65536 s), then 20 of rnd (80 random
 * bits).  SIDs sort by the time they were made, so the indexes keyed by
 * them (a participant's SID, its room's SID) grow at their end instead of
 * dirtying a random page per row.  The fraction matters as much as the
 * second: at 4,000 joins a second, a second's SIDs with random bits
 * after it still spread over every leaf that second filled.  80 random
 * bits keep them unguessable and unique within a 15 us slot. */
#define RG_SID_AT_RANDOM 10
void rg_sid_format_at(char out[RG_SID_SIZE], const char prefix[2], int64_t now, uint16_t frac,
                      const uint8_t rnd[RG_SID_AT_RANDOM]);

/* True when s (len bytes, not necessarily NUL-terminated) is a well-formed
 * SID with the given 2-letter prefix. */
bool rg_sid_valid(const char *s, size_t len, const char prefix[2]);

/* Lowercase hex of n bytes into dst (2n + 1 bytes, NUL-terminated). */
void rg_hex_encode(char *dst, const uint8_t *src, size_t n);

#endif

/* swar.h - "SIMD within a register": byte tests over 8 bytes at a time.
 *
 * Strings in tokens are mostly plain ASCII, so checking them a word at a
 * time halves the cost of a mint's string handling.  Each test returns
 * 0x80 in every byte that matches, exactly: the additions never carry
 * across a byte boundary.  Also used by http/params.c for request bodies. */
#ifndef RG_CORE_SWAR_H
#define RG_CORE_SWAR_H

#include <stdint.h>
#include <string.h>

#define RG_SWAR_ONES 0x0101010101010101ULL
#define RG_SWAR_HIGH 0x8080808080808080ULL
#define RG_SWAR_LOW7 0x7f7f7f7f7f7f7f7fULL

/* Bytes equal to c. */
static inline uint64_t rg_swar_eq(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (RG_SWAR_ONES * c);
    return ~(((x & RG_SWAR_LOW7) + RG_SWAR_LOW7) | x) & RG_SWAR_HIGH;
}

/* ASCII bytes below c (c <= 0x80); bytes >= 0x80 never match. */
static inline uint64_t rg_swar_lt(uint64_t v, unsigned char c)
{
    return ~(((v & RG_SWAR_LOW7) + RG_SWAR_ONES * (0x80 - c)) | v) & RG_SWAR_HIGH;
}

/* Index (0-7) of the first byte, in memory order, flagged in a non-zero
 * result of the tests above. */
static inline unsigned rg_swar_first(uint64_t hits)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(hits) >> 3;
#else
    return (unsigned)__builtin_ctzll(hits) >> 3;
#endif
}

/* Eight bytes from an unaligned address. */
static inline uint64_t rg_swar_load(const char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

#endif

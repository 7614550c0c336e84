/* fnv.h - FNV-1a, the one string hash of the in-memory tables: 32-bit for
 * the chained ones (signaling rooms and connections, per-address counts,
 * the statement and file-key caches), 64-bit, optionally seeded, for the
 * open-addressed and set-associative ones (key cache, revocations, row
 * caches, rate tables), which each fold or mix the result as they need.
 * Not for anything an attacker can aim collisions at beyond a longer
 * probe: the tables are bounded by their own limits, and the ones fed by
 * client input take a per-process random seed. */
#ifndef RG_CORE_FNV_H
#define RG_CORE_FNV_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t rg_fnv1a(const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static inline uint32_t rg_fnv1a_str(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* 64-bit FNV-1a of n bytes, its offset basis xor seed (0: plain FNV-1a). */
static inline uint64_t rg_fnv1a64(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325u ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

#endif

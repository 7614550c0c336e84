/* fnv.h - FNV-1a, the one string hash of the in-memory tables (signaling
 * rooms and connections, per-address counts, the statement and file-key
 * caches).  Not for anything an attacker can aim collisions at beyond a
 * longer bucket chain: the tables are bounded by their own limits. */
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

#endif

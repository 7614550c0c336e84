/* addrcount.h - how many of something each client address holds now (open
 * HTTP connections: http/connlimit.c; signaling connections: signal/hub.c),
 * the one table both count in.  A chained hash table of FNV-1a buckets over
 * a 16-byte key; an entry exists only while its count is above zero, so
 * its size follows the addresses connected now, and a flood of addresses
 * lengthens chains but is bounded by the owner's own connection limits.
 * Pure: no lock (the owner serializes), a zeroed struct is an empty table. */
#ifndef RG_CORE_ADDRCOUNT_H
#define RG_CORE_ADDRCOUNT_H

#include <stdint.h>

#define RG_ADDRKEY_LEN 16
#define RG_ADDRCOUNT_BUCKETS 1024

typedef struct rg_addrcount_ent rg_addrcount_ent;
typedef struct {
    rg_addrcount_ent *b[RG_ADDRCOUNT_BUCKETS];
} rg_addrcount;

/* 0 with key's count raised by one; -1 when it is at limit already
 * (limit <= 0: none) or out of memory, the count as it was. */
int rg_addrcount_acquire(rg_addrcount *t, const uint8_t key[RG_ADDRKEY_LEN], int limit);
/* Gives one back; the entry goes at zero.  A key never acquired: nothing. */
void rg_addrcount_release(rg_addrcount *t, const uint8_t key[RG_ADDRKEY_LEN]);
/* Frees every entry (the table is empty and usable again). */
void rg_addrcount_clear(rg_addrcount *t);

#endif

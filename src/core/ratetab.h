/* ratetab.h - rate limits for many keys (client addresses, credentials,
 * API keys) in a fixed amount of memory.
 *
 * Each key has a GCRA cell (the "virtual scheduling" form of a token
 * bucket): one timestamp, the theoretical arrival time (TAT).  A table
 * allows `limit` events per `period_ms`, all of them at once at most
 * (burst = limit), and refills evenly.  Pure: time (ms) and the hash seed
 * are parameters; no locks (the caller serializes).
 *
 * Memory is fixed at init: a set-associative table of RG_RATE_WAYS entries
 * per set.  A new key takes an idle entry of its set (one whose cell is
 * fully recovered), else the entry that is closest to recovered.  So a
 * flood of fresh keys evicts fresh keys first and keys that are being
 * limited last: an attacker cannot wipe its own record by spraying other
 * keys unless it fills the set with keys more limited than its own. */
#ifndef RG_CORE_RATETAB_H
#define RG_CORE_RATETAB_H

#include <stddef.h>
#include <stdint.h>

#define RG_RATEKEY_LEN 40
#define RG_RATE_WAYS 8

/* What is limited: a kind byte and up to RG_RATEKEY_LEN - 1 bytes. */
typedef struct {
    uint8_t b[RG_RATEKEY_LEN];
} rg_ratekey;

/* A client address: IPv4 as is; IPv6 by its /64 (one customer's
 * allocation), an IPv4-mapped IPv6 address as the IPv4 one.  family is 4
 * or 6, addr 4 or 16 bytes in network order. */
void rg_ratekey_ip(rg_ratekey *k, int family, const uint8_t *addr);
/* Any other name (a SID): kind plus the first RG_RATEKEY_LEN - 2 bytes. */
void rg_ratekey_name(rg_ratekey *k, char kind, const char *s, size_t n);

typedef struct {
    uint8_t key[RG_RATEKEY_LEN];
    int64_t tat_us; /* theoretical arrival time; <= now: idle */
} rg_rate_ent;

typedef struct {
    rg_rate_ent *e;
    size_t nsets;         /* a power of two */
    int64_t interval_us;  /* period / limit */
    int64_t tolerance_us; /* interval * (limit - 1): the burst */
    uint64_t seed;
    uint32_t limit; /* 0: unlimited (nothing is stored) */
} rg_ratetab;

/* At least capacity entries (rounded up to whole sets); limit events per
 * period_ms.  RG_OK / RG_ENOMEM / RG_EINVAL. */
int rg_ratetab_init(rg_ratetab *t, size_t capacity, uint32_t limit, int64_t period_ms,
                    uint64_t seed);
void rg_ratetab_free(rg_ratetab *t);

/* Milliseconds until key may have one more event (0: now).  Changes
 * nothing. */
int64_t rg_ratetab_wait(const rg_ratetab *t, const rg_ratekey *k, int64_t now_ms);
/* Takes one event if allowed (returns 0), else returns the wait in ms and
 * records nothing. */
int64_t rg_ratetab_take(rg_ratetab *t, const rg_ratekey *k, int64_t now_ms);
/* Records one event whether allowed or not (a failure that happened).
 * The debt is capped at one burst: a key over its limit waits at most one
 * interval (period / limit) for its next event, so the sustained rate is
 * the limit, never less. */
void rg_ratetab_charge(rg_ratetab *t, const rg_ratekey *k, int64_t now_ms);
/* 1 when key has no event outstanding (idle, or never seen). */
int rg_ratetab_idle(const rg_ratetab *t, const rg_ratekey *k, int64_t now_ms);

#endif

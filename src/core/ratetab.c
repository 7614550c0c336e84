/* ratetab.c - the GCRA rate tables: keys made from an address (IPv6 by its
 * /64, IPv4-mapped as IPv4) or a name, a seeded FNV-1a to pick the set,
 * and wait, take, charge and idle on a key's entry (found, made, or the
 * most recovered one of its set recycled) (ratetab.h). */
#include "core/ratetab.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"

void rg_ratekey_ip(rg_ratekey *k, int family, const uint8_t *addr)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(k, 0, sizeof *k);
    if (family == 6 && memcmp(addr, mapped, sizeof mapped) == 0) {
        family = 4;
        addr += 12;
    }
    k->b[0] = family == 6 ? '6' : '4';
    memcpy(k->b + 1, addr, family == 6 ? 8 : 4);
}

void rg_ratekey_name(rg_ratekey *k, char kind, const char *s, size_t n)
{
    memset(k, 0, sizeof *k);
    k->b[0] = (uint8_t)kind;
    k->b[1] = (uint8_t)(n > 255 ? 255 : n);
    memcpy(k->b + 2, s, n < RG_RATEKEY_LEN - 2 ? n : RG_RATEKEY_LEN - 2);
}

/* FNV-1a over the key, started from the seed: the seed (random per
 * process) keeps the set of a key unpredictable from outside. */
static size_t set_of(const rg_ratetab *t, const rg_ratekey *k)
{
    uint64_t h = rg_fnv1a64(k->b, RG_RATEKEY_LEN, t->seed);
    h ^= h >> 29;
    return (size_t)(h & (t->nsets - 1));
}

int rg_ratetab_init(rg_ratetab *t, size_t capacity, uint32_t limit, int64_t period_ms,
                    uint64_t seed)
{
    memset(t, 0, sizeof *t);
    if (limit == 0) return RG_OK;
    if (period_ms <= 0 || capacity == 0 || capacity > ((size_t)1 << 24)) return RG_EINVAL;
    size_t sets = 1;
    while (sets * RG_RATE_WAYS < capacity)
        sets <<= 1;
    t->e = calloc(sets * RG_RATE_WAYS, sizeof *t->e);
    if (!t->e) return RG_ENOMEM;
    t->nsets = sets;
    t->limit = limit;
    t->interval_us = period_ms * 1000 / limit;
    if (t->interval_us < 1) t->interval_us = 1;
    t->tolerance_us = t->interval_us * (int64_t)(limit - 1);
    t->seed = seed;
    return RG_OK;
}

void rg_ratetab_free(rg_ratetab *t)
{
    free(t->e);
    memset(t, 0, sizeof *t);
}

static rg_rate_ent *find(const rg_ratetab *t, const rg_ratekey *k)
{
    rg_rate_ent *set = t->e + set_of(t, k) * RG_RATE_WAYS;
    for (int i = 0; i < RG_RATE_WAYS; i++)
        if (set[i].tat_us != 0 && memcmp(set[i].key, k->b, RG_RATEKEY_LEN) == 0) return &set[i];
    return NULL;
}

/* The entry for k, making one: an empty or idle entry of the set, else the
 * one with the earliest TAT (the most recovered). */
static rg_rate_ent *find_or_make(rg_ratetab *t, const rg_ratekey *k, int64_t now_us)
{
    rg_rate_ent *e = find(t, k);
    if (e) return e;
    rg_rate_ent *set = t->e + set_of(t, k) * RG_RATE_WAYS, *victim = &set[0];
    for (int i = 0; i < RG_RATE_WAYS; i++) {
        if (set[i].tat_us <= now_us) {
            victim = &set[i];
            break;
        }
        if (set[i].tat_us < victim->tat_us) victim = &set[i];
    }
    memcpy(victim->key, k->b, RG_RATEKEY_LEN);
    victim->tat_us = now_us;
    return victim;
}

/* The cell's TAT, never before now. */
static int64_t tat_of(const rg_rate_ent *e, int64_t now_us)
{
    return e && e->tat_us > now_us ? e->tat_us : now_us;
}

static int64_t wait_us(const rg_ratetab *t, int64_t tat, int64_t now_us)
{
    int64_t allowed_at = tat - t->tolerance_us;
    return allowed_at > now_us ? allowed_at - now_us : 0;
}

/* Microseconds up to whole milliseconds, so a wait is never reported as 0. */
static int64_t to_ms(int64_t us)
{
    return (us + 999) / 1000;
}

int64_t rg_ratetab_wait(const rg_ratetab *t, const rg_ratekey *k, int64_t now_ms)
{
    if (t->limit == 0) return 0;
    int64_t now_us = now_ms * 1000;
    return to_ms(wait_us(t, tat_of(find(t, k), now_us), now_us));
}

int64_t rg_ratetab_take(rg_ratetab *t, const rg_ratekey *k, int64_t now_ms)
{
    if (t->limit == 0) return 0;
    int64_t now_us = now_ms * 1000;
    int64_t w = wait_us(t, tat_of(find(t, k), now_us), now_us);
    if (w > 0) return to_ms(w);
    rg_rate_ent *e = find_or_make(t, k, now_us);
    e->tat_us = tat_of(e, now_us) + t->interval_us;
    return 0;
}

void rg_ratetab_charge(rg_ratetab *t, const rg_ratekey *k, int64_t now_ms)
{
    if (t->limit == 0) return;
    int64_t now_us = now_ms * 1000;
    rg_rate_ent *e = find_or_make(t, k, now_us);
    int64_t tat = tat_of(e, now_us) + t->interval_us;
    int64_t cap = now_us + t->tolerance_us + t->interval_us;
    e->tat_us = tat < cap ? tat : cap;
}

int rg_ratetab_idle(const rg_ratetab *t, const rg_ratekey *k, int64_t now_ms)
{
    if (t->limit == 0) return 1;
    const rg_rate_ent *e = find(t, k);
    return e == NULL || e->tat_us <= now_ms * 1000;
}

/* addrcount.c - the per-address count table: a chain per FNV-1a bucket,
 * entries made at the first acquire and freed at the last release
 * (addrcount.h). */
#include "core/addrcount.h"

#include <stdlib.h>
#include <string.h>

#include "core/fnv.h"

struct rg_addrcount_ent {
    uint8_t key[RG_ADDRKEY_LEN];
    int count;
    rg_addrcount_ent *next;
};

static rg_addrcount_ent **slot(rg_addrcount *t, const uint8_t key[RG_ADDRKEY_LEN])
{
    rg_addrcount_ent **p = &t->b[rg_fnv1a(key, RG_ADDRKEY_LEN) % RG_ADDRCOUNT_BUCKETS];
    while (*p != NULL && memcmp((*p)->key, key, RG_ADDRKEY_LEN) != 0)
        p = &(*p)->next;
    return p;
}

int rg_addrcount_acquire(rg_addrcount *t, const uint8_t key[RG_ADDRKEY_LEN], int limit)
{
    rg_addrcount_ent **p = slot(t, key);
    if (*p == NULL && (*p = calloc(1, sizeof **p)) != NULL) memcpy((*p)->key, key, RG_ADDRKEY_LEN);
    if (*p == NULL || (limit > 0 && (*p)->count >= limit)) return -1;
    (*p)->count++;
    return 0;
}

void rg_addrcount_release(rg_addrcount *t, const uint8_t key[RG_ADDRKEY_LEN])
{
    rg_addrcount_ent **p = slot(t, key), *e = *p;
    if (e != NULL && --e->count <= 0) {
        *p = e->next;
        free(e);
    }
}

void rg_addrcount_clear(rg_addrcount *t)
{
    for (size_t i = 0; i < RG_ADDRCOUNT_BUCKETS; i++)
        while (t->b[i] != NULL) {
            rg_addrcount_ent *e = t->b[i];
            t->b[i] = e->next;
            free(e);
        }
}

/* signal/joinrate.c - joins per identity and room (joinrate.h), a rate
 * table (core/ratetab.h) under a mutex shared by the loops.  The key is a
 * SHA-256 of account, room and identity: an identity of any length fits,
 * and nobody can pick an identity whose key is a victim's. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/ratetab.h"
#include "crypto/random.h"
#include "signal/joinrate.h"

/* Pairs tracked at once.  A pair's entry is free again once it recovered
 * its whole burst; a flood of fresh pairs evicts fresh ones first
 * (ratetab.h). */
#define JOINRATE_CAPACITY 16384

struct rg_joinrate {
    pthread_mutex_t lock;
    rg_ratetab tab;
};

rg_joinrate *rg_joinrate_new(int burst, int interval_ms)
{
    rg_joinrate *jr = calloc(1, sizeof *jr);
    uint64_t seed = 0;
    if (jr == NULL) return NULL;
    if (rg_random((uint8_t *)&seed, sizeof seed) != RG_OK ||
        rg_ratetab_init(&jr->tab, JOINRATE_CAPACITY, (uint32_t)(burst > 0 ? burst : 0),
                        (int64_t)burst * interval_ms, seed) != RG_OK) {
        free(jr);
        return NULL;
    }
    pthread_mutex_init(&jr->lock, NULL);
    return jr;
}

void rg_joinrate_free(rg_joinrate *jr)
{
    if (jr == NULL) return;
    rg_ratetab_free(&jr->tab);
    pthread_mutex_destroy(&jr->lock);
    free(jr);
}

/* The three strings with their NULs, hashed: RG_OK or RG_EIO. */
static int pair_key(rg_ratekey *k, const char *account, const char *room, const char *identity)
{
    uint8_t md[32];
    unsigned mdlen = 0;
    int ok = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(ctx, account, strlen(account) + 1) == 1 &&
        EVP_DigestUpdate(ctx, room, strlen(room) + 1) == 1 &&
        EVP_DigestUpdate(ctx, identity, strlen(identity) + 1) == 1 &&
        EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof md)
        ok = 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) return RG_EIO;
    rg_ratekey_name(k, 'J', (const char *)md, sizeof md);
    return RG_OK;
}

int rg_joinrate_take(rg_joinrate *jr, const char *account, const char *room, const char *identity,
                     int64_t now_ms)
{
    rg_ratekey k;
    int64_t wait;
    if (jr == NULL || jr->tab.limit == 0) return 0;
    /* a hash that fails limits nothing: the join is admitted as before */
    if (pair_key(&k, account, room, identity ? identity : "") != RG_OK) return 0;
    pthread_mutex_lock(&jr->lock);
    wait = rg_ratetab_take(&jr->tab, &k, now_ms);
    pthread_mutex_unlock(&jr->lock);
    return wait == 0 ? 0 : -1;
}

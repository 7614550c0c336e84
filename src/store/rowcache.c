/* rowcache.c - see rowcache.h.  Separate chaining over a power-of-two
 * bucket array; one malloc per entry (key and row inline); a readers-writer
 * lock, so lookups from every event loop proceed in parallel. */
#include "store/rowcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    size_t klen;
    char *key;          /* points into data */
    unsigned char *row; /* points into data */
    unsigned char data[];
} entry;

struct rg_rowcache {
    pthread_rwlock_t lock;
    size_t row_size, capacity, count, mask;
    uint64_t seed;
    _Atomic uint64_t gen;
    entry **buckets;
};

/* FNV-1a over the key, started from the seed, then a final mix so the
 * low bits (the bucket) depend on every byte. */
static uint64_t hash_key(uint64_t seed, const char *key, size_t n)
{
    uint64_t h = rg_fnv1a64(key, n, seed);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

int rg_rowcache_new(size_t row_size, size_t capacity, uint64_t seed, rg_rowcache **out)
{
    rg_rowcache *c;
    size_t nb = 16;
    *out = NULL;
    if (row_size == 0 || capacity == 0) return RG_EINVAL;
    while (nb < capacity)
        nb <<= 1;
    if ((c = calloc(1, sizeof *c)) == NULL) return RG_ENOMEM;
    if ((c->buckets = calloc(nb, sizeof *c->buckets)) == NULL) {
        free(c);
        return RG_ENOMEM;
    }
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c->buckets);
        free(c);
        return RG_ENOMEM;
    }
    c->row_size = row_size;
    c->capacity = capacity;
    c->mask = nb - 1;
    c->seed = seed;
    *out = c;
    return RG_OK;
}

/* Frees every entry; the caller holds the write lock. */
static void drop_all(rg_rowcache *c)
{
    for (size_t b = 0; b <= c->mask; b++) {
        for (entry *e = c->buckets[b], *next; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
        c->buckets[b] = NULL;
    }
    c->count = 0;
}

void rg_rowcache_free(rg_rowcache *c)
{
    if (c == NULL) return;
    drop_all(c);
    pthread_rwlock_destroy(&c->lock);
    free(c->buckets);
    free(c);
}

/* The entry for key and the link that points at it; the caller holds a lock. */
static entry **find(rg_rowcache *c, const char *key, size_t n, uint64_t h)
{
    entry **link = &c->buckets[h & c->mask];
    for (; *link != NULL; link = &(*link)->next)
        if ((*link)->hash == h && (*link)->klen == n && memcmp((*link)->key, key, n) == 0) break;
    return link;
}

int rg_rowcache_get(rg_rowcache *c, const char *key, void *out)
{
    size_t n = strnlen(key, RG_ROWCACHE_KEY_MAX + 1);
    uint64_t h = hash_key(c->seed, key, n);
    entry *e;
    pthread_rwlock_rdlock(&c->lock);
    e = *find(c, key, n, h);
    if (e != NULL) memcpy(out, e->row, c->row_size);
    pthread_rwlock_unlock(&c->lock);
    return e != NULL ? 0 : -1;
}

uint64_t rg_rowcache_gen(rg_rowcache *c)
{
    return atomic_load(&c->gen);
}

void rg_rowcache_put(rg_rowcache *c, const char *key, const void *row, uint64_t gen)
{
    size_t n = strnlen(key, RG_ROWCACHE_KEY_MAX + 1);
    uint64_t h = hash_key(c->seed, key, n);
    entry *e, **link;
    if (n > RG_ROWCACHE_KEY_MAX) return;
    if ((e = malloc(sizeof *e + n + 1 + c->row_size)) == NULL) return; /* a cache may forget */
    e->hash = h;
    e->klen = n;
    e->key = (char *)e->data;
    e->row = e->data + n + 1;
    memcpy(e->key, key, n);
    e->key[n] = '\0';
    memcpy(e->row, row, c->row_size);
    pthread_rwlock_wrlock(&c->lock);
    if (atomic_load(&c->gen) != gen) {
        pthread_rwlock_unlock(&c->lock);
        free(e);
        return;
    }
    link = find(c, key, n, h);
    if (*link != NULL) { /* replace in place */
        e->next = (*link)->next;
        free(*link);
        *link = e;
    } else {
        if (c->count >= c->capacity) {
            drop_all(c);
            link = &c->buckets[h & c->mask];
        }
        e->next = *link;
        *link = e;
        c->count++;
    }
    pthread_rwlock_unlock(&c->lock);
}

void rg_rowcache_del(rg_rowcache *c, const char *key)
{
    size_t n = strnlen(key, RG_ROWCACHE_KEY_MAX + 1);
    uint64_t h = hash_key(c->seed, key, n);
    entry **link, *e;
    pthread_rwlock_wrlock(&c->lock);
    atomic_fetch_add(&c->gen, 1);
    link = find(c, key, n, h);
    if ((e = *link) != NULL) {
        *link = e->next;
        free(e);
        c->count--;
    }
    pthread_rwlock_unlock(&c->lock);
}

void rg_rowcache_clear(rg_rowcache *c)
{
    pthread_rwlock_wrlock(&c->lock);
    atomic_fetch_add(&c->gen, 1);
    drop_all(c);
    pthread_rwlock_unlock(&c->lock);
}

int rg_rowcache_key(char *buf, const char *account_sid, const char *id)
{
    int n = snprintf(buf, RG_ROWCACHE_KEY_MAX + 1, "%s\x1f%s", account_sid, id);
    return n < 0 || n > RG_ROWCACHE_KEY_MAX ? -1 : 0;
}

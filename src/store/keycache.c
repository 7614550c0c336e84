/* keycache.c - see keycache.h.
 *
 * A cache generation (struct gen) is two open-addressing hash tables keyed
 * by SID: accounts and keys.  A generation is built off to the side, then
 * published by swapping one pointer under the write lock, and never modified
 * after that; lookups only read it under the read lock.  The old generation
 * is wiped (it holds unsealed secrets) and freed once the swap is done, which
 * is safe because no reader can still hold it after the write lock was
 * taken.  Reloads are serialized by their own mutex so that the slow part
 * (the database read and the unsealing) never blocks lookups. */
#include "store/keycache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/errors.h"
#include "core/fnv.h"
#include "core/ratelimit.h"

#define MIN_CAP 16
#define NONE ((size_t)-1)

/* Both entry types start with the SID: the table code relies on it. */
typedef struct {
    char sid[RG_SID_SIZE]; /* "" marks an empty slot */
    uint8_t token_hash[32];
    size_t newest; /* slot of the account's newest key in gen.keys, or NONE */
} acct_ent;

typedef struct {
    char sid[RG_SID_SIZE];
    char account_sid[RG_SID_SIZE];
    uint8_t secret[RG_SECRET_MAX]; /* zero-padded: compared at full width */
    size_t secret_len;
    int64_t date_created;
    int64_t seq;
    rg_key_type key_type;
} key_ent;

typedef struct {
    unsigned char *slots;
    size_t cap; /* a power of two, kept at least twice count */
    size_t count;
    size_t esize;
} table;

typedef struct gen {
    table accts, keys;
} gen;

/* The negative cache: SIDs the store was asked about and did not have, with
 * the change mark of that answer.  Direct-mapped and fixed-size, so a
 * flood of distinct unknown SIDs overwrites entries instead of growing. */
#define NEG_SLOTS 1024
typedef struct {
    char sid[RG_SID_SIZE];
    int64_t version;
} neg_ent;

struct rg_keycache {
    pthread_rwlock_t lock;     /* guards cur */
    pthread_mutex_t reload_mu; /* one reload at a time; guards version */
    pthread_mutex_t miss_mu;   /* guards neg, budget, store_reads */
    rg_store *st;
    uint8_t master[RG_MASTER_KEY_LEN];
    gen *cur;
    _Atomic int64_t version;     /* change mark seen by the load that built cur */
    _Atomic uint64_t generation; /* bumped after every swap of cur */
    neg_ent neg[NEG_SLOTS];
    rg_bucket budget;     /* store reads a miss may cause, per second */
    uint64_t store_reads; /* misses that read the store (tests, stats) */
    int64_t (*clock_ms)(void);
};

/* Compared against when the account or key does not exist, so a miss costs
 * the same as a hit.  No token hashes to this (or to all zeros). */
static const uint8_t DUMMY_HASH[32] = {
    0x5a, 0x3c, 0x96, 0x0f, 0xe1, 0x7b, 0x22, 0xd4, 0x88, 0x41, 0x6e, 0xb9, 0x13, 0xc7, 0x50, 0x2d,
    0xf6, 0x09, 0xa3, 0x64, 0x3e, 0x9d, 0x71, 0xcb, 0x05, 0x8a, 0xe4, 0x37, 0x6c, 0xb2, 0x1f, 0xd0};
static const uint8_t DUMMY_SECRET[RG_SECRET_MAX];

/* ---- hash table ---- */

/* FNV-1a, folded.  SIDs are random, and only the server creates them, so nobody can
 * pick SIDs that collide inside the table. */
static size_t hash_sid(const char *sid, size_t n)
{
    uint64_t h = rg_fnv1a64(sid, n, 0);
    return (size_t)(h ^ (h >> 32));
}

static unsigned char *slot(const table *t, size_t i)
{
    return t->slots + i * t->esize;
}

/* The slot holding sid, or else the empty slot where it would go.  The load
 * factor stays at most 1/2, so probing always reaches an empty slot. */
static size_t probe(const table *t, const char *sid, size_t n)
{
    size_t mask = t->cap - 1;
    for (size_t i = hash_sid(sid, n) & mask;; i = (i + 1) & mask) {
        const char *s = (const char *)slot(t, i);
        if (s[0] == '\0' || (memcmp(s, sid, n) == 0 && s[n] == '\0')) return i;
    }
}

/* The entry for sid, or NULL.  sid may be any caller string: it is read up
 * to RG_SID_SIZE bytes only. */
static const void *table_find(const table *t, const char *sid)
{
    if (!sid || t->cap == 0) return NULL;
    size_t n = strnlen(sid, RG_SID_SIZE);
    if (n == 0 || n == RG_SID_SIZE) return NULL;
    const unsigned char *e = slot(t, probe(t, sid, n));
    return e[0] == '\0' ? NULL : e;
}

static void put_nogrow(table *t, const void *ent)
{
    const char *sid = ent;
    unsigned char *s = slot(t, probe(t, sid, strlen(sid)));
    if (s[0] == '\0') t->count++;
    memcpy(s, ent, t->esize);
}

/* Entries may hold secrets: wipe before freeing. */
static void table_wipe(table *t)
{
    if (t->slots) {
        OPENSSL_cleanse(t->slots, t->cap * t->esize);
        free(t->slots);
    }
    t->slots = NULL;
    t->cap = t->count = 0;
}

static int grow(table *t)
{
    table n = {.cap = t->cap ? t->cap * 2 : MIN_CAP, .esize = t->esize};
    n.slots = calloc(n.cap, n.esize);
    if (!n.slots) return RG_ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (slot(t, i)[0] != '\0') put_nogrow(&n, slot(t, i));
    table_wipe(t);
    *t = n;
    return RG_OK;
}

/* Inserts (or replaces) an entry whose leading SID is non-empty. */
static int table_put(table *t, const void *ent)
{
    if ((t->count + 1) * 2 > t->cap && grow(t) != RG_OK) return RG_ENOMEM;
    put_nogrow(t, ent);
    return RG_OK;
}

/* ---- generations ---- */

static void gen_free(gen *g)
{
    if (!g) return;
    table_wipe(&g->accts);
    table_wipe(&g->keys);
    free(g);
}

typedef struct {
    gen *g;
    const uint8_t *master;
} load_ctx;

static int load_account(void *ud, const rg_account *a)
{
    load_ctx *ctx = ud;
    acct_ent e = {.newest = NONE};
    if (a->sid[0] == '\0') return RG_OK;
    memcpy(e.sid, a->sid, sizeof e.sid);
    memcpy(e.token_hash, a->token_hash, sizeof e.token_hash);
    return table_put(&ctx->g->accts, &e);
}

/* The secret was sealed with the key SID as AAD (see app/provision.c), so a
 * blob moved to another row does not open.  A key that does not open is
 * left out (it cannot authenticate anything) rather than failing the load:
 * one bad row must not lock every account out. */
static int load_key(void *ud, const rg_key_row *k)
{
    load_ctx *ctx = ud;
    if (k->sid[0] == '\0') return RG_OK;
    key_ent e;
    memset(&e, 0, sizeof e);
    memcpy(e.sid, k->sid, sizeof e.sid);
    memcpy(e.account_sid, k->account_sid, sizeof e.account_sid);
    e.date_created = k->date_created;
    e.seq = k->seq;
    e.key_type = k->key_type;
    int rc = rg_unseal(ctx->master, k->sid, strlen(k->sid), k->sealed, k->sealed_len, e.secret,
                       sizeof e.secret, &e.secret_len);
    if (rc == RG_OK && e.secret_len > 0) {
        rc = table_put(&ctx->g->keys, &e);
    } else {
        fprintf(stderr,
                "roomgate: keycache: key %s: secret does not unseal (wrong master key?); "
                "key skipped\n",
                k->sid);
        rc = RG_OK;
    }
    OPENSSL_cleanse(&e, sizeof e);
    return rc;
}

/* Same order as the store's listing: date_created, then insertion. */
static int newer(const key_ent *a, const key_ent *b)
{
    if (a->date_created != b->date_created) return a->date_created > b->date_created;
    return a->seq > b->seq;
}

/* Points every account at its newest key, so newest_key is one probe. */
static void link_newest(gen *g)
{
    for (size_t i = 0; i < g->keys.cap; i++) {
        const key_ent *k = (const key_ent *)slot(&g->keys, i);
        if (k->sid[0] == '\0') continue;
        acct_ent *a = (acct_ent *)table_find(&g->accts, k->account_sid);
        if (a && (a->newest == NONE || newer(k, (const key_ent *)slot(&g->keys, a->newest))))
            a->newest = i;
    }
}

static int gen_build(rg_keycache *kc, gen **out)
{
    gen *g = calloc(1, sizeof *g);
    if (!g) return RG_ENOMEM;
    g->accts.esize = sizeof(acct_ent);
    g->keys.esize = sizeof(key_ent);
    load_ctx ctx = {g, kc->master};
    int rc = rg_store_account_each(kc->st, load_account, &ctx);
    if (rc == RG_OK) rc = rg_store_key_each(kc->st, load_key, &ctx);
    if (rc != RG_OK) {
        gen_free(g);
        return rc;
    }
    link_newest(g);
    *out = g;
    return RG_OK;
}

/* ---- reload ---- */

/* The version is read before the load: a commit landing during the load
 * then shows up as a changed version at the next poll (one extra reload)
 * instead of being missed. */
static int reload_locked(rg_keycache *kc)
{
    int64_t v = rg_store_change_mark(kc->st);
    if (v < 0) return RG_EIO;
    gen *g = NULL;
    int rc = gen_build(kc, &g);
    if (rc != RG_OK) return rc; /* keep serving the previous generation */
    pthread_rwlock_wrlock(&kc->lock);
    gen *old = kc->cur;
    kc->cur = g;
    pthread_rwlock_unlock(&kc->lock);
    atomic_fetch_add_explicit(&kc->generation, 1, memory_order_release);
    atomic_store(&kc->version, v);
    gen_free(old);
    return RG_OK;
}

int rg_keycache_reload(rg_keycache *kc)
{
    pthread_mutex_lock(&kc->reload_mu);
    int rc = reload_locked(kc);
    pthread_mutex_unlock(&kc->reload_mu);
    return rc;
}

uint64_t rg_keycache_generation(rg_keycache *kc)
{
    return atomic_load_explicit(&kc->generation, memory_order_acquire);
}

/* Reloads unless the generation in place was built at mark already (a
 * miss may have reloaded since the mark was read). */
static int reload_unless_at(rg_keycache *kc, int64_t mark)
{
    pthread_mutex_lock(&kc->reload_mu);
    int rc = mark == atomic_load(&kc->version) ? RG_OK : reload_locked(kc);
    pthread_mutex_unlock(&kc->reload_mu);
    return rc;
}

int rg_keycache_poll(rg_keycache *kc)
{
    int64_t v = rg_store_change_mark(kc->st);
    return v < 0 ? RG_EIO : reload_unless_at(kc, v);
}

/* A failed reload keeps the previous generation; the next commit, or a
 * miss, tries again. */
void rg_keycache_changed(void *kc, int64_t mark)
{
    reload_unless_at(kc, mark);
}

/* ---- life cycle ---- */

/* Writer preference: with glibc's default a steady stream of lookups could
 * hold off the swap that makes a deleted key stop working. */
static int init_locks(rg_keycache *kc)
{
    pthread_rwlockattr_t attr;
    if (pthread_rwlockattr_init(&attr) != 0) return RG_ENOMEM;
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&kc->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0) return RG_ENOMEM;
    if (pthread_mutex_init(&kc->reload_mu, NULL) != 0) {
        pthread_rwlock_destroy(&kc->lock);
        return RG_ENOMEM;
    }
    if (pthread_mutex_init(&kc->miss_mu, NULL) != 0) {
        pthread_mutex_destroy(&kc->reload_mu);
        pthread_rwlock_destroy(&kc->lock);
        return RG_ENOMEM;
    }
    return RG_OK;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rg_keycache_new(rg_store *st, const uint8_t master[RG_MASTER_KEY_LEN], rg_keycache **out)
{
    *out = NULL;
    rg_keycache *kc = calloc(1, sizeof *kc);
    if (!kc) return RG_ENOMEM;
    if (init_locks(kc) != RG_OK) {
        free(kc);
        return RG_ENOMEM;
    }
    kc->st = st;
    kc->version = -1;
    kc->clock_ms = monotonic_ms;
    rg_bucket_init(&kc->budget, RG_KEYCACHE_MISS_READS, RG_KEYCACHE_MISS_READS, monotonic_ms());
    memcpy(kc->master, master, RG_MASTER_KEY_LEN);
    int rc = rg_keycache_reload(kc);
    if (rc != RG_OK) {
        rg_keycache_free(kc);
        return rc;
    }
    *out = kc;
    return RG_OK;
}

void rg_keycache_free(rg_keycache *kc)
{
    if (!kc) return;
    gen_free(kc->cur);
    pthread_mutex_destroy(&kc->miss_mu);
    pthread_mutex_destroy(&kc->reload_mu);
    pthread_rwlock_destroy(&kc->lock);
    OPENSSL_cleanse(kc->master, sizeof kc->master);
    free(kc);
}

/* ---- misses ---- */

static neg_ent *neg_slot(rg_keycache *kc, const char *sid, size_t n)
{
    return &kc->neg[hash_sid(sid, n) & (NEG_SLOTS - 1)];
}

/* Whether the store may know sid although the cache does not: another
 * process (the CLI) committed since the cache was built, and the store has
 * not already said no to this SID at the current change mark.  Bounded:
 * with nothing committed elsewhere no miss reads anything but the change
 * mark; otherwise each distinct SID is read at most once per commit, and
 * all misses together at most RG_KEYCACHE_MISS_READS times a second (past
 * that a miss is answered from the cache, as before, and the watcher
 * catches up).  Returns 1 when the caller should look again: the cache
 * was reloaded with sid in it, or was swapped since the caller's look
 * (seen, its generation then): the watcher may have loaded sid between
 * that look and the mark read here, and the mark then matches the cache's
 * although the caller looked at the generation before. */
static int miss_recheck(rg_keycache *kc, const char *sid, int is_key, uint64_t seen)
{
    size_t n = sid ? strnlen(sid, RG_SID_SIZE) : 0;
    if (n != RG_SID_LEN) return 0;
    int64_t v = rg_store_change_mark(kc->st);
    if (v >= 0 && v == atomic_load(&kc->version)) return rg_keycache_generation(kc) != seen;
    if (v < 0) return 0;
    pthread_mutex_lock(&kc->miss_mu);
    neg_ent *e = neg_slot(kc, sid, n);
    int known_absent = e->version == v && memcmp(e->sid, sid, n) == 0;
    int may_read = !known_absent && rg_bucket_take(&kc->budget, kc->clock_ms());
    if (may_read) kc->store_reads++;
    pthread_mutex_unlock(&kc->miss_mu);
    if (!may_read) return 0;
    rg_key_row k;
    rg_account a;
    int rc = is_key ? rg_store_key_get(kc->st, sid, &k) : rg_store_account_get(kc->st, sid, &a);
    if (is_key) OPENSSL_cleanse(&k, sizeof k);
    if (rc == RG_ENOTFOUND) {
        pthread_mutex_lock(&kc->miss_mu);
        memcpy(e->sid, sid, n);
        e->sid[n] = '\0';
        e->version = v;
        pthread_mutex_unlock(&kc->miss_mu);
        return 0;
    }
    /* It exists: a poll reloads (the mark moved), once for every thread
     * that raced here.  The mark is read again: the row may be newer than
     * v, and a reload at v would not hold it. */
    return rc == RG_OK && rg_keycache_poll(kc) == RG_OK;
}

uint64_t rg_keycache_store_reads(rg_keycache *kc)
{
    pthread_mutex_lock(&kc->miss_mu);
    uint64_t n = kc->store_reads;
    pthread_mutex_unlock(&kc->miss_mu);
    return n;
}

void rg_keycache_set_clock(rg_keycache *kc, int64_t (*clock_ms)(void))
{
    pthread_mutex_lock(&kc->miss_mu);
    kc->clock_ms = clock_ms;
    rg_bucket_init(&kc->budget, RG_KEYCACHE_MISS_READS, RG_KEYCACHE_MISS_READS, clock_ms());
    pthread_mutex_unlock(&kc->miss_mu);
}

/* ---- lookups ---- */

static void fill_view(const key_ent *k, rg_key_view *out)
{
    memset(out, 0, sizeof *out);
    memcpy(out->account_sid, k->account_sid, sizeof out->account_sid);
    memcpy(out->secret, k->secret, k->secret_len);
    out->secret_len = k->secret_len;
}

static int lookup_key_once(rg_keycache *kc, const char *key_sid, rg_key_view *out)
{
    if (pthread_rwlock_rdlock(&kc->lock) != 0) return -1;
    const key_ent *k = table_find(&kc->cur->keys, key_sid);
    if (k) fill_view(k, out);
    pthread_rwlock_unlock(&kc->lock);
    return k ? 0 : -1;
}

int rg_keycache_lookup_key(void *ud, const char *key_sid, rg_key_view *out)
{
    rg_keycache *kc = ud;
    uint64_t seen = rg_keycache_generation(kc);
    if (lookup_key_once(kc, key_sid, out) == 0) return 0;
    return miss_recheck(kc, key_sid, 1, seen) ? lookup_key_once(kc, key_sid, out) : -1;
}

int rg_keycache_key_type(rg_keycache *kc, const char *key_sid)
{
    if (pthread_rwlock_rdlock(&kc->lock) != 0) return -1;
    const key_ent *k = table_find(&kc->cur->keys, key_sid);
    int t = k ? (int)k->key_type : -1;
    pthread_rwlock_unlock(&kc->lock);
    return t;
}

/* Non-zero when all 32 bytes are zero, without branching on them. */
static int all_zero(const uint8_t h[32])
{
    uint8_t acc = 0;
    for (size_t i = 0; i < 32; i++)
        acc |= h[i];
    return acc == 0;
}

static int check_account_once(rg_keycache *kc, const char *account_sid, const char *auth_token,
                              size_t token_len, int *found_out)
{
    uint8_t h[32];
    /* Hash first, outside the lock: the cost is paid for unknown accounts
     * too, so response time does not tell whether an account exists. */
    rg_token_hash(auth_token ? auth_token : "", token_len, h);
    int found = 0, eq = 0;
    if (pthread_rwlock_rdlock(&kc->lock) == 0) {
        const acct_ent *a = table_find(&kc->cur->accts, account_sid);
        found = a != NULL;
        eq = CRYPTO_memcmp(h, a ? a->token_hash : DUMMY_HASH, sizeof h) == 0;
        pthread_rwlock_unlock(&kc->lock);
    }
    /* An all-zero hash means rg_token_hash failed: fail closed. */
    int ok = found & eq & !all_zero(h);
    OPENSSL_cleanse(h, sizeof h);
    *found_out = found;
    return ok ? 0 : -1;
}

/* A miss consults the store (miss_recheck) before answering no, so an
 * account created by the CLI a moment ago works at once. */
int rg_keycache_check_account(rg_keycache *kc, const char *account_sid, const char *auth_token,
                              size_t token_len)
{
    int found = 0;
    uint64_t seen = rg_keycache_generation(kc);
    if (!auth_token && token_len > 0) return -1;
    if (check_account_once(kc, account_sid, auth_token, token_len, &found) == 0) return 0;
    if (found || !miss_recheck(kc, account_sid, 0, seen)) return -1;
    return check_account_once(kc, account_sid, auth_token, token_len, &found);
}

static int check_key_once(rg_keycache *kc, const char *key_sid, const char *secret,
                          size_t secret_len, char account_out[RG_SID_SIZE], int *found_out)
{
    /* Compare fixed-width, zero-padded buffers, and the lengths separately:
     * the time taken depends on neither the stored secret nor where the
     * first differing byte is. */
    uint8_t given[RG_SECRET_MAX] = {0};
    if (secret_len > 0)
        memcpy(given, secret, secret_len < sizeof given ? secret_len : sizeof given);
    int ok = 0;
    if (pthread_rwlock_rdlock(&kc->lock) == 0) {
        const key_ent *k = table_find(&kc->cur->keys, key_sid);
        int eq = CRYPTO_memcmp(given, k ? k->secret : DUMMY_SECRET, sizeof given) == 0;
        ok = (k != NULL) & eq & (secret_len == (k ? k->secret_len : 0));
        if (ok) memcpy(account_out, k->account_sid, RG_SID_SIZE);
        *found_out = k != NULL;
        pthread_rwlock_unlock(&kc->lock);
    }
    OPENSSL_cleanse(given, sizeof given);
    return ok ? 0 : -1;
}

int rg_keycache_check_key(rg_keycache *kc, const char *key_sid, const char *secret,
                          size_t secret_len, char account_out[RG_SID_SIZE])
{
    int found = 0;
    uint64_t seen = rg_keycache_generation(kc);
    if (!secret && secret_len > 0) return -1;
    if (check_key_once(kc, key_sid, secret, secret_len, account_out, &found) == 0) return 0;
    if (found || !miss_recheck(kc, key_sid, 1, seen)) return -1;
    return check_key_once(kc, key_sid, secret, secret_len, account_out, &found);
}

int rg_keycache_newest_key(rg_keycache *kc, const char *account_sid, char key_sid_out[RG_SID_SIZE],
                           rg_key_view *out)
{
    if (pthread_rwlock_rdlock(&kc->lock) != 0) return -1;
    const gen *g = kc->cur;
    const acct_ent *a = table_find(&g->accts, account_sid);
    const key_ent *k = a && a->newest != NONE ? (const key_ent *)slot(&g->keys, a->newest) : NULL;
    if (k) {
        memcpy(key_sid_out, k->sid, RG_SID_SIZE);
        fill_view(k, out);
    }
    pthread_rwlock_unlock(&kc->lock);
    return k ? 0 : -1;
}

/* revcache.c - see revcache.h.
 *
 * One open-addressing table of (account, room, identity) -> cut-off time.
 * Each revocation is entered twice, under the room's SID and under its
 * unique name, because a token may name the room either way.  Keys are
 * length-prefixed byte strings, so no choice of room name or identity can
 * make two different triples collide into one key.
 *
 * A reload builds a new table off to the side and swaps it in under the
 * write lock; add inserts into the live table under the write lock;
 * lookups hold the read lock.  `count` lets an empty set answer without
 * taking the lock at all. */
#include "store/revcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"
#include "core/sigadmit.h"

#define MIN_CAP 16
/* account SID, 2-byte room length, room, identity */
#define KEY_MAX (RG_SID_LEN + 2 + 2 * RG_IDENTITY_MAX)

typedef struct {
    int64_t before;
    size_t klen;
    unsigned char key[];
} entry;

typedef struct {
    entry **slots;
    size_t cap; /* a power of two, kept at least twice count */
    size_t count;
} table;

struct rg_revcache {
    pthread_rwlock_t lock;     /* guards cur */
    pthread_mutex_t reload_mu; /* one reload at a time; guards version */
    rg_store *st;
    table cur;
    atomic_size_t count;         /* cur.count, readable without the lock */
    _Atomic uint64_t generation; /* bumped after every change of cur */
    int64_t version;
};

/* Builds the key; 0 when a part is missing or too long. */
static size_t make_key(unsigned char out[KEY_MAX], const char *account, const char *room,
                       const char *identity)
{
    size_t a = account ? strnlen(account, RG_SID_LEN + 1) : 0;
    size_t r = room ? strnlen(room, RG_IDENTITY_MAX + 1) : 0;
    size_t i = identity ? strnlen(identity, RG_IDENTITY_MAX + 1) : 0;
    if (a != RG_SID_LEN || r == 0 || r > RG_IDENTITY_MAX || i == 0 || i > RG_IDENTITY_MAX) return 0;
    memcpy(out, account, a);
    out[a] = (unsigned char)(r >> 8);
    out[a + 1] = (unsigned char)r;
    memcpy(out + a + 2, room, r);
    memcpy(out + a + 2 + r, identity, i);
    return a + 2 + r + i;
}

/* FNV-1a, folded.  Only account owners create entries (by kicking in their own
 * rooms), so there is nobody to mount a collision attack against. */
static size_t hash_key(const unsigned char *k, size_t n)
{
    uint64_t h = rg_fnv1a64(k, n, 0);
    return (size_t)(h ^ (h >> 32));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const table *t, const unsigned char *key, size_t n)
{
    size_t mask = t->cap - 1;
    for (size_t i = hash_key(key, n) & mask;; i = (i + 1) & mask) {
        const entry *e = t->slots[i];
        if (!e || (e->klen == n && memcmp(e->key, key, n) == 0)) return i;
    }
}

static void table_clear(table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slots[i]);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static int grow(table *t)
{
    table n = {.cap = t->cap ? t->cap * 2 : MIN_CAP, .count = t->count};
    if (!(n.slots = calloc(n.cap, sizeof *n.slots))) return RG_ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i]) n.slots[probe(&n, t->slots[i]->key, t->slots[i]->klen)] = t->slots[i];
    free(t->slots);
    *t = n;
    return RG_OK;
}

/* Inserts key or moves its cut-off forward. */
static int put(table *t, const unsigned char *key, size_t n, int64_t before)
{
    if ((t->count + 1) * 2 > t->cap && grow(t) != RG_OK) return RG_ENOMEM;
    size_t i = probe(t, key, n);
    if (t->slots[i]) {
        if (before > t->slots[i]->before) t->slots[i]->before = before;
        return RG_OK;
    }
    entry *e = malloc(sizeof *e + n);
    if (!e) return RG_ENOMEM;
    e->before = before;
    e->klen = n;
    memcpy(e->key, key, n);
    t->slots[i] = e;
    t->count++;
    return RG_OK;
}

/* Both spellings of the room: its SID and its unique name. */
static int put_revocation(void *ud, const rg_revocation *r)
{
    table *t = ud;
    unsigned char key[KEY_MAX];
    size_t n = make_key(key, r->account_sid, r->room_sid, r->identity);
    int rc = n ? put(t, key, n, r->before) : RG_OK;
    if (rc == RG_OK && strcmp(r->room_name, r->room_sid) != 0 &&
        (n = make_key(key, r->account_sid, r->room_name, r->identity)) != 0)
        rc = put(t, key, n, r->before);
    return rc;
}

/* The version is read before the load, as in the key cache: a commit that
 * lands during the load shows up at the next poll instead of being missed. */
static int reload_locked(rg_revcache *c)
{
    int64_t v = rg_store_change_mark(c->st);
    table t = {0};
    if (v < 0) return RG_EIO;
    int rc = rg_store_revocation_each(c->st, put_revocation, &t);
    if (rc != RG_OK) {
        table_clear(&t);
        return rc; /* keep serving the previous set */
    }
    pthread_rwlock_wrlock(&c->lock);
    table old = c->cur;
    c->cur = t;
    atomic_store(&c->count, t.count);
    pthread_rwlock_unlock(&c->lock);
    atomic_fetch_add(&c->generation, 1);
    c->version = v;
    table_clear(&old);
    return RG_OK;
}

int rg_revcache_reload(rg_revcache *c)
{
    pthread_mutex_lock(&c->reload_mu);
    int rc = reload_locked(c);
    pthread_mutex_unlock(&c->reload_mu);
    return rc;
}

static int reload_unless_at(rg_revcache *c, int64_t mark)
{
    pthread_mutex_lock(&c->reload_mu);
    int rc = mark == c->version ? RG_OK : reload_locked(c);
    pthread_mutex_unlock(&c->reload_mu);
    return rc;
}

int rg_revcache_poll(rg_revcache *c)
{
    int64_t v = rg_store_change_mark(c->st);
    return v < 0 ? RG_EIO : reload_unless_at(c, v);
}

/* A failed reload keeps the previous set; the next commit tries again. */
void rg_revcache_changed(void *c, int64_t mark)
{
    reload_unless_at(c, mark);
}

int rg_revcache_add(rg_revcache *c, const rg_revocation *r)
{
    pthread_rwlock_wrlock(&c->lock);
    int rc = put_revocation(&c->cur, r);
    atomic_store(&c->count, c->cur.count);
    pthread_rwlock_unlock(&c->lock);
    atomic_fetch_add(&c->generation, 1);
    return rc;
}

uint64_t rg_revcache_generation(rg_revcache *c)
{
    return atomic_load(&c->generation);
}

int rg_revcache_revoked(rg_revcache *c, const char *account_sid, const char *room,
                        const char *identity, int64_t issued)
{
    unsigned char key[KEY_MAX];
    size_t n;
    int revoked = 0;
    if (atomic_load(&c->count) == 0) return 0;
    if ((n = make_key(key, account_sid, room, identity)) == 0) return 0;
    if (pthread_rwlock_rdlock(&c->lock) != 0) return 0;
    if (c->cur.cap > 0) {
        const entry *e = c->cur.slots[probe(&c->cur, key, n)];
        revoked = e && issued <= e->before;
    }
    pthread_rwlock_unlock(&c->lock);
    return revoked;
}

int rg_revcache_token_revoked(rg_revcache *rc, rg_hotcache *hot, rg_store *st,
                              const rg_token_result *r, const char *room)
{
    const char *identity = rg_token_identity(r);
    rg_meeting m;
    if (rc == NULL || atomic_load(&rc->count) == 0 || identity == NULL) return 0;
    if (room == NULL) room = r->room;
    if (room[0] == '\0') return 0;
    if (rg_revcache_revoked(rc, r->account_sid, room, identity, r->issued)) return 1;
    return r->kind == RG_TOKEN_VIDEOSDK && hot != NULL && !rg_roomid_valid(room, strlen(room)) &&
           rg_hot_meeting_get(hot, st, r->account_sid, room, &m) == RG_OK &&
           strcmp(m.room_id, room) != 0 &&
           rg_revcache_revoked(rc, r->account_sid, m.room_id, identity, r->issued);
}

int rg_revcache_new(rg_store *st, rg_revcache **out)
{
    *out = NULL;
    rg_revcache *c = calloc(1, sizeof *c);
    if (!c) return RG_ENOMEM;
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        return RG_ENOMEM;
    }
    if (pthread_mutex_init(&c->reload_mu, NULL) != 0) {
        pthread_rwlock_destroy(&c->lock);
        free(c);
        return RG_ENOMEM;
    }
    c->st = st;
    c->version = -1;
    atomic_init(&c->count, 0);
    int rc = rg_revcache_reload(c);
    if (rc != RG_OK) {
        rg_revcache_free(c);
        return rc;
    }
    *out = c;
    return RG_OK;
}

void rg_revcache_free(rg_revcache *c)
{
    if (!c) return;
    table_clear(&c->cur);
    pthread_mutex_destroy(&c->reload_mu);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

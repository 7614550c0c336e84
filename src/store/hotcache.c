/* hotcache.c - the read-through row caches of VideoSDK rooms and
 * consultations for the hot routes, each entry forgotten by the write that
 * changed it and all cleared when the change watcher fires, and the
 * "recently checked" marks of rooms (hotcache.h). */
#include "store/hotcache.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "crypto/random.h"
#include "store/rowcache.h"
#include "store/watch.h"

struct rg_hotcache {
    rg_rowcache *meetings;      /* (account, roomId | customRoomId) -> rg_meeting */
    rg_rowcache *consultations; /* (account, consultation_id | CN sid) -> rg_consultation */
    rg_rowcache *rooms;         /* (account, room name) -> when its go room was checked */
    int account_answers;        /* rg_hot_answer_accounts */
};

/* Another process committed (the change watcher says so): anything cached
 * may be stale. */
static void changed(void *ud, int64_t mark)
{
    struct rg_hotcache *h = ud;
    (void)mark;
    rg_rowcache_clear(h->meetings);
    rg_rowcache_clear(h->consultations);
    rg_rowcache_clear(h->rooms);
}

int rg_hot_new(rg_watch *changes, rg_hotcache **out)
{
    struct rg_hotcache *h = calloc(1, sizeof *h);
    uint64_t seed[3];
    int rc;
    *out = NULL;
    if (h == NULL) return RG_ENOMEM;
    rc = rg_random(seed, sizeof seed);
    if (rc == RG_OK)
        rc = rg_rowcache_new(sizeof(rg_meeting), RG_HOTCACHE_ROWS, seed[0], &h->meetings);
    if (rc == RG_OK)
        rc = rg_rowcache_new(sizeof(rg_consultation), RG_HOTCACHE_ROWS, seed[1], &h->consultations);
    if (rc == RG_OK) rc = rg_rowcache_new(sizeof(int64_t), RG_HOTCACHE_ROWS, seed[2], &h->rooms);
    if (rc == RG_OK) rc = rg_watch_listen(changes, changed, h);
    if (rc != RG_OK) {
        rg_hot_free(h);
        h = NULL;
    }
    *out = h;
    return rc;
}

void rg_hot_answer_accounts(rg_hotcache *h)
{
    if (h) h->account_answers = 1;
}

void rg_hot_free(rg_hotcache *h)
{
    if (h == NULL) return;
    rg_rowcache_free(h->meetings);
    rg_rowcache_free(h->consultations);
    rg_rowcache_free(h->rooms);
    free(h);
}

/* A store read by (account, key) into a row of the cache's type. */
typedef int (*fetch_fn)(rg_store *st, const char *account_sid, const char *key, void *out);

static int fetch_meeting(rg_store *st, const char *account_sid, const char *key, void *out)
{
    return rg_store_meeting_get(st, account_sid, key, out);
}

static int fetch_consultation(rg_store *st, const char *account_sid, const char *key, void *out)
{
    return rg_store_consultation_get(st, account_sid, key, out);
}

/* A read through a cache: on a miss, the key and the generation a "not
 * found" may be cached under. */
typedef struct {
    char ck[RG_ROWCACHE_KEY_MAX + 1]; /* "" when the pair is not cached */
    uint64_t gen;
    int hit;
} lookup;

/* Reads (account_sid, key) through c (NULL: no cache): l->hit = 1 and the
 * cached row, else the store's answer, cached when found under the
 * generation read before the store was (a forget in between wins). */
static int through(rg_rowcache *c, rg_store *st, const char *account_sid, const char *key,
                   fetch_fn fetch, void *out, lookup *l)
{
    l->hit = 0;
    l->gen = 0;
    if (c == NULL || rg_rowcache_key(l->ck, account_sid, key) != 0) {
        l->ck[0] = '\0';
        return fetch(st, account_sid, key, out);
    }
    if (rg_rowcache_get(c, l->ck, out) == 0) {
        l->hit = 1;
        return RG_OK;
    }
    l->gen = rg_rowcache_gen(c);
    int rc = fetch(st, account_sid, key, out);
    if (rc == RG_OK) rg_rowcache_put(c, l->ck, out, l->gen);
    return rc;
}

/* The account-wide answer, cached under a key no room id or customRoomId
 * can be (those never hold a control character), as a row whose
 * `disabled` says whether the account has any VideoSDK room: most
 * accounts have none, and then a Twilio join to a new room name (asked
 * whether the name is a deactivated VideoSDK room's) costs no store read.
 * Forgotten with any meeting the app creates; cleared by the watcher. */
static const char ANY_KEY[] = "\001any";

/* 1 when the account has no VideoSDK room at all; 0 when it has one or
 * the store cannot tell (the caller then asks by key, as before). */
static int account_has_none(rg_hotcache *h, rg_store *st, const char *account_sid)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    rg_meeting marker;
    int any = 1;
    if (h == NULL || !h->account_answers || rg_rowcache_key(ck, account_sid, ANY_KEY) != 0)
        return 0;
    if (rg_rowcache_get(h->meetings, ck, &marker) == 0) return !marker.disabled;
    uint64_t gen = rg_rowcache_gen(h->meetings);
    if (rg_store_meeting_any(st, account_sid, &any) != RG_OK) return 0;
    memset(&marker, 0, sizeof marker);
    marker.disabled = any;
    rg_rowcache_put(h->meetings, ck, &marker, gen); /* dropped if forgotten since gen */
    return !any;
}

int rg_hot_meeting_get(rg_hotcache *h, rg_store *st, const char *account_sid, const char *key,
                       rg_meeting *out)
{
    lookup l;
    if (account_has_none(h, st, account_sid)) {
        memset(out, 0, sizeof *out);
        return RG_ENOTFOUND;
    }
    int rc = through(h ? h->meetings : NULL, st, account_sid, key, fetch_meeting, out, &l);
    if (l.hit) return out->room_id[0] ? RG_OK : RG_ENOTFOUND; /* no room id: cached "none" */
    if (rc == RG_ENOTFOUND && l.ck[0]) {
        /* "no such VideoSDK room" is cached too, as a row with no room id:
         * every Twilio join asks it of its room's name (is it a
         * deactivated VideoSDK room's?), and most names are none.  A
         * meeting created here forgets both its keys after its commit
         * (rg_hot_meeting_forget), one made by another process clears
         * the cache (the watcher), and either bumps the generation, so a
         * miss read before the create is never cached after it. */
        rg_meeting none;
        memset(&none, 0, sizeof none);
        rg_rowcache_put(h->meetings, l.ck, &none, l.gen);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

int rg_hot_consultation_get(rg_hotcache *h, rg_store *st, const char *account_sid, const char *id,
                            rg_consultation *out)
{
    lookup l;
    return through(h ? h->consultations : NULL, st, account_sid, id, fetch_consultation, out, &l);
}

static void forget(rg_rowcache *c, const char *account_sid, const char *id)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    if (id[0] != '\0' && rg_rowcache_key(ck, account_sid, id) == 0) rg_rowcache_del(c, ck);
}

void rg_hot_meeting_forget(rg_hotcache *h, const rg_meeting *m)
{
    if (h == NULL) return;
    forget(h->meetings, m->account_sid, m->room_id);
    forget(h->meetings, m->account_sid, m->custom_room_id);
    forget(h->meetings, m->account_sid, ANY_KEY);
}

void rg_hot_consultation_forget(rg_hotcache *h, const rg_consultation *k)
{
    if (h == NULL) return;
    forget(h->consultations, k->account_sid, k->consultation_id);
    forget(h->consultations, k->account_sid, k->sid);
}

int rg_hot_room_fresh(rg_hotcache *h, const char *account_sid, const char *name, int64_t now)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    int64_t checked;
    if (h == NULL || rg_rowcache_key(ck, account_sid, name) != 0 ||
        rg_rowcache_get(h->rooms, ck, &checked) != 0)
        return 0;
    return now >= checked && now - checked < RG_HOT_ROOM_RECHECK;
}

uint64_t rg_hot_room_gen(rg_hotcache *h)
{
    return h != NULL ? rg_rowcache_gen(h->rooms) : 0;
}

void rg_hot_room_checked(rg_hotcache *h, const char *account_sid, const char *name, int64_t now,
                         uint64_t gen)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    if (h != NULL && rg_rowcache_key(ck, account_sid, name) == 0)
        rg_rowcache_put(h->rooms, ck, &now, gen);
}

void rg_hot_room_forget(rg_hotcache *h, const char *account_sid, const char *name)
{
    if (h != NULL) forget(h->rooms, account_sid, name);
}

/* hotcache.c - see hotcache.h. */
#include "http/hotcache.h"

#include <stdlib.h>

#include "core/errors.h"
#include "store/provision.h"
#include "store/rowcache.h"

struct rg_hotcache {
    rg_store *st;
    rg_rowcache *meetings;      /* (account, roomId | customRoomId) -> rg_meeting */
    rg_rowcache *consultations; /* (account, consultation_id | CN sid) -> rg_consultation */
    rg_rowcache *rooms;         /* (account, room name) -> when its go room was checked */
    int64_t version;            /* data_version when last checked */
};

/* Another process committed: anything cached may be stale. */
static void poll(void *ud, int64_t now)
{
    struct rg_hotcache *h = ud;
    int64_t v = rg_store_data_version(h->st);
    (void)now;
    if (v < 0 || v == h->version) return;
    rg_rowcache_clear(h->meetings);
    rg_rowcache_clear(h->consultations);
    rg_rowcache_clear(h->rooms);
    h->version = v;
}

int rg_hot_start(rg_app *app)
{
    struct rg_hotcache *h = calloc(1, sizeof *h);
    uint64_t seed[3];
    int rc;
    if (h == NULL) return RG_ENOMEM;
    h->st = app->store;
    h->version = rg_store_data_version(app->store);
    rc = rg_random(seed, sizeof seed);
    if (rc == RG_OK)
        rc = rg_rowcache_new(sizeof(rg_meeting), RG_HOTCACHE_ROWS, seed[0], &h->meetings);
    if (rc == RG_OK)
        rc = rg_rowcache_new(sizeof(rg_consultation), RG_HOTCACHE_ROWS, seed[1], &h->consultations);
    if (rc == RG_OK) rc = rg_rowcache_new(sizeof(int64_t), RG_HOTCACHE_ROWS, seed[2], &h->rooms);
    if (rc == RG_OK && rg_app_add_poller(app, poll, h, 0) != 0) rc = RG_ENOMEM;
    app->hot = h;
    if (rc != RG_OK) rg_hot_stop(app);
    return rc;
}

void rg_hot_stop(rg_app *app)
{
    struct rg_hotcache *h = app->hot;
    if (h == NULL) return;
    rg_rowcache_free(h->meetings);
    rg_rowcache_free(h->consultations);
    rg_rowcache_free(h->rooms);
    free(h);
    app->hot = NULL;
}

int rg_hot_meeting_get(rg_app *app, const char *account_sid, const char *key, rg_meeting *out)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    uint64_t gen;
    int rc;
    if (app->hot == NULL || rg_rowcache_key(ck, account_sid, key) != 0)
        return rg_store_meeting_get(app->store, account_sid, key, out);
    if (rg_rowcache_get(app->hot->meetings, ck, out) == 0) return RG_OK;
    gen = rg_rowcache_gen(app->hot->meetings);
    rc = rg_store_meeting_get(app->store, account_sid, key, out);
    if (rc == RG_OK) rg_rowcache_put(app->hot->meetings, ck, out, gen);
    return rc;
}

int rg_hot_consultation_get(rg_app *app, const char *account_sid, const char *id,
                            rg_consultation *out)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    uint64_t gen;
    int rc;
    if (app->hot == NULL || rg_rowcache_key(ck, account_sid, id) != 0)
        return rg_store_consultation_get(app->store, account_sid, id, out);
    if (rg_rowcache_get(app->hot->consultations, ck, out) == 0) return RG_OK;
    gen = rg_rowcache_gen(app->hot->consultations);
    rc = rg_store_consultation_get(app->store, account_sid, id, out);
    if (rc == RG_OK) rg_rowcache_put(app->hot->consultations, ck, out, gen);
    return rc;
}

static void forget(rg_rowcache *c, const char *account_sid, const char *id)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    if (id[0] != '\0' && rg_rowcache_key(ck, account_sid, id) == 0) rg_rowcache_del(c, ck);
}

void rg_hot_meeting_forget(rg_app *app, const rg_meeting *m)
{
    if (app->hot == NULL) return;
    forget(app->hot->meetings, m->account_sid, m->room_id);
    forget(app->hot->meetings, m->account_sid, m->custom_room_id);
}

void rg_hot_consultation_forget(rg_app *app, const rg_consultation *k)
{
    if (app->hot == NULL) return;
    forget(app->hot->consultations, k->account_sid, k->consultation_id);
    forget(app->hot->consultations, k->account_sid, k->sid);
}

int rg_hot_room_fresh(rg_app *app, const char *account_sid, const char *name, int64_t now)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    int64_t checked;
    if (app->hot == NULL || rg_rowcache_key(ck, account_sid, name) != 0 ||
        rg_rowcache_get(app->hot->rooms, ck, &checked) != 0)
        return 0;
    return now >= checked && now - checked < RG_HOT_ROOM_RECHECK;
}

uint64_t rg_hot_room_gen(rg_app *app)
{
    return app->hot != NULL ? rg_rowcache_gen(app->hot->rooms) : 0;
}

void rg_hot_room_checked(rg_app *app, const char *account_sid, const char *name, int64_t now,
                         uint64_t gen)
{
    char ck[RG_ROWCACHE_KEY_MAX + 1];
    if (app->hot != NULL && rg_rowcache_key(ck, account_sid, name) == 0)
        rg_rowcache_put(app->hot->rooms, ck, &now, gen);
}

void rg_hot_room_forget(rg_app *app, const char *account_sid, const char *name)
{
    if (app->hot != NULL) forget(app->hot->rooms, account_sid, name);
}

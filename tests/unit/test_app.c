/* test_app.c - the write actions of src/app/ over a real store: each one
 * commits, and clears what this process caches (keys, the hot cache,
 * revocations) at once, without waiting for a poll. */
#include "store_fixture.h"

#include "app/consultations.h"
#include "app/keys.h"
#include "app/meetings.h"
#include "app/rooms.h"
#include "crypto/random.h"
#include "store/hotcache.h"

#define NOW 1800000000

/* The store fixture's store, and an rg_app over it with the caches that
 * `serve` has (no signaling: the actions skip it). */
typedef struct {
    void *store; /* store_fixture.h's fixture */
    rg_app app;
    char account[RG_SID_SIZE];
} app_fixture;

static int app_teardown(void **state);

static int app_setup(void **state)
{
    app_fixture *f = calloc(1, sizeof *f);
    char token[RG_AUTH_TOKEN_LEN + 1];
    if (!f || setup(&f->store) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    f->app.store = ((fixture *)f->store)->st;
    for (size_t i = 0; i < sizeof f->app.master; i++)
        f->app.master[i] = (uint8_t)(0x40 + i);
    if (rg_provision_account(f->app.store, f->app.master, "t", NOW, f->account, token) != RG_OK ||
        rg_keycache_new(f->app.store, f->app.master, &f->app.keys) != RG_OK ||
        rg_revcache_new(f->app.store, &f->app.revocations) != RG_OK ||
        rg_hot_new(f->app.changes, &f->app.hot) != RG_OK) {
        app_teardown(state);
        return -1;
    }
    rg_hot_answer_accounts(f->app.hot); /* one process on its SQLite store, as serve */
    return 0;
}

static int app_teardown(void **state)
{
    app_fixture *f = *state;
    void *store = f->store;
    rg_hot_free(f->app.hot);
    f->app.hot = NULL;
    rg_revcache_free(f->app.revocations);
    rg_keycache_free(f->app.keys);
    free(f);
    return teardown(&store);
}

/* A deleted key stops validating in this process at once. */
static void test_key_create_rename_delete(void **state)
{
    app_fixture *f = *state;
    rg_key_row row, got;
    rg_key_view v;
    char secret[RG_KEY_SECRET_LEN + 1];
    assert_int_equal(rg_app_key_create(&f->app, f->account, "one", RG_KEY_MAIN, NOW, &row, secret),
                     RG_OK);
    assert_int_equal(strlen(secret), RG_KEY_SECRET_LEN);
    assert_string_equal(row.account_sid, f->account);
    assert_int_equal(rg_keycache_key_type(f->app.keys, row.sid), RG_KEY_MAIN);

    assert_int_equal(rg_app_key_rename(&f->app, row.sid, "two", NOW + 1, &got), RG_OK);
    assert_string_equal(got.friendly_name, "two");
    assert_int_equal(got.date_updated, NOW + 1);

    assert_int_equal(rg_keycache_lookup_key(f->app.keys, row.sid, &v), 0);
    assert_int_equal(rg_app_key_delete(&f->app, &got, NOW + 2), RG_OK);
    assert_int_not_equal(rg_keycache_lookup_key(f->app.keys, row.sid, &v), 0);
    assert_int_equal(rg_store_key_get(f->app.store, row.sid, &got), RG_ENOTFOUND);
    assert_int_equal(rg_app_key_delete(&f->app, &row, NOW + 3), RG_ENOTFOUND);
}

/* A customRoomId finds its room again; deactivation is seen through the
 * hot cache at once and completes the signaling room named after it. */
static void test_meeting_create_deactivate(void **state)
{
    app_fixture *f = *state;
    const char *key = "SK0123456789abcdef0123456789abcdef";
    rg_meeting m, again, hot;
    rg_room room;
    int created;
    assert_int_equal(rg_app_meeting_create(&f->app, f->account, key, "weekly", NOW, &m), RG_OK);
    assert_string_equal(m.custom_room_id, "weekly");
    assert_int_equal(rg_app_meeting_create(&f->app, f->account, key, "weekly", NOW, &again), RG_OK);
    assert_string_equal(again.room_id, m.room_id);
    assert_int_equal(rg_store_room_get_or_create(f->app.store, f->account, m.room_id, RG_ROOM_GROUP,
                                                 10, NOW, &room, &created),
                     RG_OK);

    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "weekly", &hot),
                     RG_OK);
    assert_int_equal(hot.disabled, 0); /* now cached */
    assert_int_equal(rg_app_meeting_deactivate(&f->app, f->account, "weekly", NOW + 5, &m), RG_OK);
    assert_int_equal(m.disabled, 1);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "weekly", &hot),
                     RG_OK);
    assert_int_equal(hot.disabled, 1);
    assert_int_equal(rg_store_room_get(f->app.store, f->account, room.sid, &room), RG_OK);
    assert_int_equal(room.status, RG_ROOM_COMPLETED);
    assert_int_equal(rg_app_meeting_deactivate(&f->app, f->account, "nope", NOW, &m), RG_ENOTFOUND);
}

/* A meeting written straight to the store, behind the app's back (no
 * forget; no watcher in this fixture), with customRoomId custom. */
static void insert_behind(app_fixture *f, const char *key, const char *custom, rg_meeting *m)
{
    int created;
    memset(m, 0, sizeof *m);
    memcpy(m->account_sid, f->account, RG_SID_SIZE);
    memcpy(m->api_key, key, RG_SID_SIZE);
    strcpy(m->id, "0123456789abcdef01234567");
    strcpy(m->room_id, "abcd-efgh-ijkl");
    snprintf(m->custom_room_id, sizeof m->custom_room_id, "%s", custom);
    m->date_created = m->date_updated = NOW;
    assert_int_equal(rg_store_meeting_create(f->app.store, m, &created), RG_OK);
}

/* "No such VideoSDK room" is cached (every Twilio join asks it of its
 * room's name) until a meeting with that key is created through the app,
 * which forgets it. */
static void test_meeting_miss_cached(void **state)
{
    app_fixture *f = *state;
    const char *key = "SK0123456789abcdef0123456789abcdef";
    rg_meeting m, hot, direct;
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "later", &hot),
                     RG_ENOTFOUND);
    assert_int_equal(rg_app_meeting_create(&f->app, f->account, key, "later", NOW, &m), RG_OK);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "later", &hot),
                     RG_OK); /* forgotten by the create */
    assert_string_equal(hot.room_id, m.room_id);
    /* the miss is served from memory: a row written behind the app's
     * back (no forget, no watcher in this fixture) is not seen */
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "behind", &hot),
                     RG_ENOTFOUND);
    insert_behind(f, key, "behind", &direct);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "behind", &hot),
                     RG_ENOTFOUND);
    rg_hot_meeting_forget(f->app.hot, &direct);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "behind", &hot),
                     RG_OK);
}

/* An account with no VideoSDK room at all answers "none" for every key
 * from memory, a name never asked before included (a Twilio join to a new
 * room asks it); its first meeting created through the app is seen at
 * once, and the account then asks by key again. */
static void test_meeting_none_for_account(void **state)
{
    app_fixture *f = *state;
    const char *key = "SK0123456789abcdef0123456789abcdef";
    rg_meeting m, hot, direct;
    int any = -1;
    assert_int_equal(rg_store_meeting_any(f->app.store, f->account, &any), RG_OK);
    assert_int_equal(any, 0);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "first", &hot),
                     RG_ENOTFOUND);
    /* a meeting written behind the app's back: every key, "never-asked"
     * included, is still "none" from the account's cached answer */
    insert_behind(f, key, "never-asked", &direct);
    assert_int_equal(rg_store_meeting_any(f->app.store, f->account, &any), RG_OK);
    assert_int_equal(any, 1);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "never-asked", &hot),
                     RG_ENOTFOUND);
    /* a cache without the account answers (a PostgreSQL node) reads a key
     * never asked before from the store */
    rg_hotcache *shared = NULL;
    assert_int_equal(rg_hot_new(NULL, &shared), RG_OK);
    assert_int_equal(rg_hot_meeting_get(shared, f->app.store, f->account, "never-asked", &hot),
                     RG_OK);
    rg_hot_free(shared);
    /* one created through the app forgets the account's answer: both are
     * seen, and so is a key asked for the first time */
    assert_int_equal(rg_app_meeting_create(&f->app, f->account, key, "second", NOW, &m), RG_OK);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "second", &hot),
                     RG_OK);
    assert_string_equal(hot.room_id, m.room_id);
    assert_int_equal(rg_hot_meeting_get(f->app.hot, f->app.store, f->account, "never-asked", &hot),
                     RG_OK);
    assert_string_equal(hot.room_id, "abcd-efgh-ijkl");
    /* another account's answer is its own */
    assert_int_equal(rg_store_meeting_any(f->app.store, "AC00000000000000000000000000000000", &any),
                     RG_OK);
    assert_int_equal(any, 0);
}

static void new_consultation(app_fixture *f, const char *id, rg_consultation *k)
{
    memset(k, 0, sizeof *k);
    memcpy(k->account_sid, f->account, RG_SID_SIZE);
    strcpy(k->consultation_id, id);
    strcpy(k->detail_id, "d1");
    strcpy(k->client_identity, "client");
    strcpy(k->provider_identity, "provider");
    k->starts_at = NOW;
    k->ends_at = NOW + 1800;
}

/* Cancelling is seen through the hot cache at once, ends the room and
 * revokes the tokens minted before it in this process's set. */
static void test_consultation_create_room_cancel(void **state)
{
    app_fixture *f = *state;
    rg_consultation k, hot;
    rg_room room;
    new_consultation(f, "c-1", &k);
    assert_int_equal(rg_app_consultation_create(&f->app, &k, NOW), RG_OK);
    assert_memory_equal(k.sid, "CN", 2);
    assert_int_equal(k.status, RG_CONSULT_SCHEDULED);
    new_consultation(f, "c-1", &hot);
    assert_int_equal(rg_app_consultation_create(&f->app, &hot, NOW), RG_EEXIST);

    assert_int_equal(rg_app_consultation_room(&f->app, &k, NOW), RG_OK);
    assert_int_equal(rg_store_room_get(f->app.store, f->account, "c-1", &room), RG_OK);
    assert_int_equal(room.type, RG_ROOM_GO);
    assert_int_equal(room.max_participants, 2);

    assert_int_equal(rg_hot_consultation_get(f->app.hot, f->app.store, f->account, "c-1", &hot),
                     RG_OK);
    assert_int_equal(rg_revcache_revoked(f->app.revocations, f->account, "c-1", "client", NOW), 0);
    assert_int_equal(rg_app_consultation_cancel(&f->app, f->account, k.sid, NOW + 10, &k), RG_OK);
    assert_int_equal(k.status, RG_CONSULT_STATUS_CANCELLED);
    assert_int_equal(rg_hot_consultation_get(f->app.hot, f->app.store, f->account, "c-1", &hot),
                     RG_OK);
    assert_int_equal(hot.status, RG_CONSULT_STATUS_CANCELLED);
    assert_int_equal(rg_revcache_revoked(f->app.revocations, f->account, "c-1", "client", NOW), 1);
    assert_int_equal(rg_store_room_get(f->app.store, f->account, room.sid, &room), RG_OK);
    assert_int_equal(room.status, RG_ROOM_COMPLETED);
}

/* The copy a node had cached before another node cancelled: no room is
 * made for it (the cancel's completed room stays the newest of its name)
 * and the caller hears RG_EGONE, whatever the copy says. */
static void test_consultation_room_after_cancel_elsewhere(void **state)
{
    app_fixture *f = *state;
    rg_consultation k, stale, out;
    rg_room room;
    new_consultation(f, "c-3", &k);
    assert_int_equal(rg_app_consultation_create(&f->app, &k, NOW), RG_OK);
    /* this node's copy, read before the cancel: a tick behind after it */
    assert_int_equal(rg_hot_consultation_get(f->app.hot, f->app.store, f->account, "c-3", &stale),
                     RG_OK);
    /* as another node cancels: through the store, not this app's caches */
    assert_int_equal(rg_store_consultation_cancel(f->app.store, f->account, "c-3", NOW + 5, &out),
                     RG_OK);
    assert_int_equal(rg_hot_consultation_get(f->app.hot, f->app.store, f->account, "c-3", &out),
                     RG_OK);
    assert_int_equal(out.status, RG_CONSULT_SCHEDULED);
    assert_int_equal(rg_app_consultation_room(&f->app, &stale, NOW + 6), RG_EGONE);
    assert_int_equal(rg_store_room_get(f->app.store, f->account, "c-3", &room), RG_ENOTFOUND);
    /* what it learnt replaces the node's copy: its reads agree at once */
    assert_int_equal(rg_hot_consultation_get(f->app.hot, f->app.store, f->account, "c-3", &out),
                     RG_OK);
    assert_int_equal(out.status, RG_CONSULT_STATUS_CANCELLED);
}

/* A room of another type under the consultation's name is refused. */
static void test_consultation_room_squatted(void **state)
{
    app_fixture *f = *state;
    rg_consultation k;
    rg_room room;
    int created;
    new_consultation(f, "c-2", &k);
    assert_int_equal(rg_app_consultation_create(&f->app, &k, NOW), RG_OK);
    assert_int_equal(rg_store_room_get_or_create(f->app.store, f->account, "c-2", RG_ROOM_GROUP, 10,
                                                 NOW, &room, &created),
                     RG_OK);
    assert_int_equal(rg_app_consultation_room(&f->app, &k, NOW), RG_EEXIST);
}

/* Create, join, leave, complete: each reads back what it committed. */
static void test_room_lifecycle(void **state)
{
    app_fixture *f = *state;
    rg_room r, same;
    rg_participant p;
    memset(&r, 0, sizeof r);
    memcpy(r.account_sid, f->account, RG_SID_SIZE);
    strcpy(r.unique_name, "daily");
    r.type = RG_ROOM_GROUP;
    r.max_participants = 1;
    r.empty_room_timeout = r.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r.date_created = NOW;
    assert_int_equal(rg_app_room_create(&f->app, &r), RG_OK);
    assert_memory_equal(r.sid, "RM", 2);
    same = r;
    same.sid[0] = '\0';
    assert_int_equal(rg_app_room_create(&f->app, &same), RG_EEXIST);
    assert_int_equal(rg_app_room_open(&f->app, f->account, "daily", RG_ROOM_GROUP, 10, NOW, &same),
                     RG_OK);
    assert_string_equal(same.sid, r.sid); /* the open room, not a new one */

    assert_int_equal(rg_app_participant_join(&f->app, r.sid, "ann", NOW, &p), RG_OK);
    assert_int_equal(p.connected, 1);
    assert_int_equal(rg_app_participant_join(&f->app, r.sid, "bob", NOW, &p), RG_EFULL);
    assert_int_equal(rg_app_participant_join(&f->app, r.sid, "ann", NOW + 1, &p), RG_OK);
    assert_int_equal(rg_app_participant_leave(&f->app, p.sid, NOW + 2), RG_OK);
    assert_int_equal(rg_store_participant_get(f->app.store, r.sid, p.sid, &p), RG_OK);
    assert_int_equal(p.connected, 0);

    assert_int_equal(rg_app_room_complete(&f->app, &r, NOW + 3), RG_OK);
    assert_int_equal(r.status, RG_ROOM_COMPLETED);
    assert_int_equal(r.end_time, NOW + 3);
    assert_int_equal(rg_app_room_complete(&f->app, &r, NOW + 4), RG_OK); /* changes nothing */
    assert_int_equal(r.end_time, NOW + 3);
    assert_int_equal(rg_app_participant_join(&f->app, r.sid, "ann", NOW + 5, &p), RG_EGONE);
}

/* A kick disconnects, and revokes the identity's older tokens for the
 * room in this process's set at once. */
static void test_room_seat_and_kick(void **state)
{
    app_fixture *f = *state;
    rg_room r;
    rg_participant p;
    char sids[2][RG_SID_SIZE];
    rg_seat seats[2];
    assert_int_equal(rg_app_room_open(&f->app, f->account, "ad-hoc", RG_ROOM_GROUP, 2, NOW, &r),
                     RG_OK);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rg_new_sid(sids[i], "PA"), RG_OK);
        seats[i] = (rg_seat){r.sid, i ? "bob" : "ann", sids[i], NOW, -1, NULL, 0};
    }
    rg_app_participants_seat(&f->app, seats, 2);
    assert_int_equal(seats[0].rc, RG_OK);
    assert_int_equal(seats[1].rc, RG_OK);

    assert_int_equal(rg_revcache_revoked(f->app.revocations, f->account, r.sid, "bob", NOW), 0);
    assert_int_equal(rg_rooms_kick(&f->app, &r, "bob", NOW + 1, &p), RG_OK);
    assert_string_equal(p.sid, sids[1]);
    assert_int_equal(p.connected, 0);
    assert_int_equal(rg_revcache_revoked(f->app.revocations, f->account, r.sid, "bob", NOW), 1);
    assert_int_equal(rg_rooms_kick(&f->app, &r, "carl", NOW + 1, &p), RG_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_create_rename_delete, app_setup, app_teardown),
        cmocka_unit_test_setup_teardown(test_meeting_miss_cached, app_setup, app_teardown),
        cmocka_unit_test_setup_teardown(test_meeting_none_for_account, app_setup, app_teardown),
        cmocka_unit_test_setup_teardown(test_meeting_create_deactivate, app_setup, app_teardown),
        cmocka_unit_test_setup_teardown(test_consultation_create_room_cancel, app_setup,
                                        app_teardown),
        cmocka_unit_test_setup_teardown(test_consultation_room_squatted, app_setup, app_teardown),
        cmocka_unit_test_setup_teardown(test_consultation_room_after_cancel_elsewhere, app_setup,
                                        app_teardown),
        cmocka_unit_test_setup_teardown(test_room_lifecycle, app_setup, app_teardown),
        cmocka_unit_test_setup_teardown(test_room_seat_and_kick, app_setup, app_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_meetings.c - the store of VideoSDK rooms (meetings.c) and of
 * consultations (consultations.c): scoping, customRoomId reuse, id
 * collisions, paging, disable, cancel, closing a cancelled consultation's
 * room. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/errors.h"
#include "store/consultations.h"
#include "store/meetings.h"
#include "store/rooms.h"

#define AC1 "AC00000000000000000000000000000001"
#define AC2 "AC00000000000000000000000000000002"
#define SK1 "SK00000000000000000000000000000001"

typedef struct {
    char dir[64], path[96];
    rg_store *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    rg_account a;
    if (!f) return -1;
    strcpy(f->dir, "/tmp/rg_meet_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/roomgate.db", f->dir);
    if (rg_store_open(f->path, &f->st) != RG_OK) return -1;
    memset(&a, 0, sizeof a);
    strcpy(a.friendly_name, "t");
    strcpy(a.sid, AC1);
    if (rg_store_account_insert(f->st, &a) != RG_OK) return -1;
    strcpy(a.sid, AC2);
    if (rg_store_account_insert(f->st, &a) != RG_OK) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rg_store_close(f->st);
    rg_test_remove_db(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static rg_meeting meeting(const char *account, const char *room_id, const char *custom, int64_t t)
{
    rg_meeting m;
    memset(&m, 0, sizeof m);
    strcpy(m.room_id, room_id);
    snprintf(m.id, sizeof m.id, "%024x", (unsigned)t);
    strcpy(m.account_sid, account);
    strcpy(m.custom_room_id, custom);
    strcpy(m.api_key, SK1);
    m.date_created = m.date_updated = t;
    return m;
}

static void test_meeting_create_get(void **state)
{
    fixture *f = *state;
    rg_meeting m = meeting(AC1, "aaaa-bbbb-cccc", "", 100), out;
    int created = -1;
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(created, 1);
    assert_int_equal(rg_store_meeting_get(f->st, AC1, "aaaa-bbbb-cccc", &out), RG_OK);
    assert_string_equal(out.room_id, "aaaa-bbbb-cccc");
    assert_string_equal(out.custom_room_id, "");
    assert_string_equal(out.api_key, SK1);
    assert_int_equal(out.disabled, 0);
    assert_int_equal(out.date_created, 100);
    /* another account: not found */
    assert_int_equal(rg_store_meeting_get(f->st, AC2, "aaaa-bbbb-cccc", &out), RG_ENOTFOUND);
    assert_int_equal(rg_store_meeting_get(f->st, AC1, "nope", &out), RG_ENOTFOUND);
    /* the same room id again (a collision): RG_EEXIST, even in another account */
    m = meeting(AC2, "aaaa-bbbb-cccc", "", 101);
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_EEXIST);
    assert_int_equal(created, 0);
    /* unknown account */
    m = meeting("AC00000000000000000000000000000009", "zzzz-bbbb-cccc", "", 1);
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_ENOTFOUND);
}

static void test_meeting_custom(void **state)
{
    fixture *f = *state;
    rg_meeting m = meeting(AC1, "aaaa-0000-0001", "consult", 100), out;
    int created;
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(created, 1);
    /* reuse: the existing room comes back, not the new ids */
    m = meeting(AC1, "aaaa-0000-0002", "consult", 200);
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(created, 0);
    assert_string_equal(m.room_id, "aaaa-0000-0001");
    assert_int_equal(m.date_created, 100);
    /* another account has its own */
    m = meeting(AC2, "aaaa-0000-0003", "consult", 300);
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(created, 1);
    assert_int_equal(rg_store_meeting_get(f->st, AC1, "consult", &out), RG_OK);
    assert_string_equal(out.room_id, "aaaa-0000-0001");
    assert_int_equal(rg_store_meeting_get(f->st, AC2, "consult", &out), RG_OK);
    assert_string_equal(out.room_id, "aaaa-0000-0003");
    /* a customRoomId spelled like another room's id: the id wins */
    m = meeting(AC1, "aaaa-0000-0004", "aaaa-0000-0001", 400);
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(rg_store_meeting_get(f->st, AC1, "aaaa-0000-0001", &out), RG_OK);
    assert_string_equal(out.custom_room_id, "consult");
}

static void test_meeting_list(void **state)
{
    fixture *f = *state;
    rg_meeting m, rows[3];
    char id[RG_ROOMID_SIZE];
    size_t count;
    int64_t total;
    int created, any = -1;
    assert_int_equal(rg_store_meeting_list(f->st, AC1, 0, 3, rows, &count, &total), RG_OK);
    assert_int_equal(count, 0);
    assert_int_equal(total, 0);
    assert_int_equal(rg_store_meeting_any(f->st, AC1, &any), RG_OK);
    assert_int_equal(any, 0);
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "list-0000-000%c", (char)('0' + i));
        m = meeting(AC1, id, "", 1000); /* same second: insertion order decides */
        snprintf(m.id, sizeof m.id, "%024d", i);
        assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    }
    assert_int_equal(rg_store_meeting_any(f->st, AC1, &any), RG_OK);
    assert_int_equal(any, 1);
    assert_int_equal(rg_store_meeting_any(f->st, AC2, &any), RG_OK);
    assert_int_equal(any, 0); /* the other account's are not its own */
    m = meeting(AC2, "list-9999-9999", "", 1000);
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(rg_store_meeting_any(f->st, AC2, &any), RG_OK);
    assert_int_equal(any, 1);
    assert_int_equal(rg_store_meeting_list(f->st, AC1, 0, 3, rows, &count, &total), RG_OK);
    assert_int_equal(count, 3);
    assert_int_equal(total, 5);
    assert_string_equal(rows[0].room_id, "list-0000-0004");
    assert_string_equal(rows[2].room_id, "list-0000-0002");
    assert_int_equal(rg_store_meeting_list(f->st, AC1, 3, 3, rows, &count, &total), RG_OK);
    assert_int_equal(count, 2);
    assert_string_equal(rows[1].room_id, "list-0000-0000");
    assert_int_equal(rg_store_meeting_list(f->st, AC1, 9, 3, rows, &count, &total), RG_OK);
    assert_int_equal(count, 0);
    assert_int_equal(total, 5);
}

static void test_meeting_disable(void **state)
{
    fixture *f = *state;
    rg_meeting m = meeting(AC1, "dddd-0000-0001", "to-off", 100), out;
    int created;
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(rg_store_meeting_disable(f->st, AC2, "to-off", 200, &out), RG_ENOTFOUND);
    assert_int_equal(rg_store_meeting_disable(f->st, AC1, "to-off", 200, &out), RG_OK);
    assert_int_equal(out.disabled, 1);
    assert_int_equal(out.date_updated, 200);
    assert_int_equal(rg_store_meeting_disable(f->st, AC1, "dddd-0000-0001", 300, &out), RG_OK);
    assert_int_equal(out.date_updated, 200); /* idempotent */
    assert_int_equal(rg_store_meeting_get(f->st, AC1, "dddd-0000-0001", &out), RG_OK);
    assert_int_equal(out.disabled, 1);
    assert_int_equal(rg_store_meeting_disable(f->st, AC1, "nope", 300, &out), RG_ENOTFOUND);
}

/* No room opens under a deactivated meeting's room id (a join that read
 * the meeting just before the deactivation committed), in its account;
 * an existing in-progress room and other names are unaffected. */
static void test_no_room_for_disabled_meeting(void **state)
{
    fixture *f = *state;
    rg_meeting m = meeting(AC1, "eeee-0000-0001", "", 100), out;
    rg_room r;
    int created;
    assert_int_equal(rg_store_meeting_create(f->st, &m, &created), RG_OK);
    assert_int_equal(rg_store_room_open_for_join(f->st, AC1, "eeee-0000-0001", RG_ROOM_GROUP, 50,
                                                 110, &r, &created),
                     RG_OK);
    assert_int_equal(created, 1);
    assert_int_equal(rg_store_meeting_disable(f->st, AC1, "eeee-0000-0001", 120, &out), RG_OK);
    /* the in-progress room is still found (the REST deactivation completes it) */
    assert_int_equal(rg_store_room_open_for_join(f->st, AC1, "eeee-0000-0001", RG_ROOM_GROUP, 50,
                                                 130, &r, &created),
                     RG_OK);
    assert_int_equal(created, 0);
    assert_int_equal(rg_store_room_complete(f->st, AC1, r.sid, 140), RG_OK);
    assert_int_equal(rg_store_room_open_for_join(f->st, AC1, "eeee-0000-0001", RG_ROOM_GROUP, 50,
                                                 150, &r, &created),
                     RG_EGONE);
    assert_int_equal(rg_store_room_get_or_create(f->st, AC1, "eeee-0000-0001", RG_ROOM_GROUP, 50,
                                                 150, &r, &created),
                     RG_EGONE);
    /* another account may use the name for a room of its own */
    assert_int_equal(rg_store_room_open_for_join(f->st, AC2, "eeee-0000-0001", RG_ROOM_GROUP, 50,
                                                 160, &r, &created),
                     RG_OK);
    assert_int_equal(created, 1);
}

static rg_consultation consultation(const char *account, const char *sid, const char *id)
{
    rg_consultation k;
    memset(&k, 0, sizeof k);
    strcpy(k.sid, sid);
    strcpy(k.account_sid, account);
    strcpy(k.consultation_id, id);
    strcpy(k.detail_id, "detail");
    strcpy(k.client_identity, "client");
    strcpy(k.provider_identity, "provider");
    k.starts_at = 1000;
    k.ends_at = 4600;
    k.status = RG_CONSULT_SCHEDULED;
    k.date_created = k.date_updated = 900;
    return k;
}

#define CN1 "CN00000000000000000000000000000001"
#define CN2 "CN00000000000000000000000000000002"
#define CN3 "CN00000000000000000000000000000003"

static void test_consultations(void **state)
{
    fixture *f = *state;
    rg_consultation k = consultation(AC1, CN1, "c-1"), out;
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_OK);
    k = consultation(AC1, CN2, "c-1");
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_EEXIST);
    k = consultation(AC2, CN3, "c-1");
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_OK);
    assert_int_equal(rg_store_consultation_get(f->st, AC1, "c-1", &out), RG_OK);
    assert_string_equal(out.sid, CN1);
    assert_string_equal(out.detail_id, "detail");
    assert_int_equal(out.starts_at, 1000);
    assert_int_equal(out.ends_at, 4600);
    assert_int_equal(out.status, RG_CONSULT_SCHEDULED);
    assert_int_equal(rg_store_consultation_get(f->st, AC1, CN1, &out), RG_OK);
    assert_string_equal(out.consultation_id, "c-1");
    assert_int_equal(rg_store_consultation_get(f->st, AC1, CN3, &out), RG_ENOTFOUND);
    assert_int_equal(rg_store_consultation_get(f->st, AC2, "c-1", &out), RG_OK);
    assert_string_equal(out.sid, CN3);
    assert_int_equal(rg_store_consultation_cancel(f->st, AC1, "c-1", 2000, &out), RG_OK);
    assert_int_equal(out.status, RG_CONSULT_STATUS_CANCELLED);
    assert_int_equal(out.date_updated, 2000);
    assert_int_equal(rg_store_consultation_cancel(f->st, AC1, CN1, 3000, &out), RG_OK);
    assert_int_equal(out.date_updated, 2000);
    assert_int_equal(rg_store_consultation_get(f->st, AC2, "c-1", &out), RG_OK);
    assert_int_equal(out.status, RG_CONSULT_SCHEDULED);
    assert_int_equal(rg_store_consultation_cancel(f->st, AC1, "nope", 3000, &out), RG_ENOTFOUND);
    k = consultation("AC00000000000000000000000000000009", CN2, "c-9");
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_ENOTFOUND);
}

/* Closing: nothing to do without a room; else the room completes and both
 * identities' tokens for it are revoked up to now. */
static void test_close_room(void **state)
{
    fixture *f = *state;
    rg_consultation k = consultation(AC1, CN1, "c-room");
    rg_revocation rev[2];
    rg_room room;
    int n = -1, created;
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_OK);
    assert_int_equal(rg_store_consultation_close_room(f->st, &k, 2000, rev, &n), RG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(
        rg_store_room_get_or_create(f->st, AC1, "c-room", RG_ROOM_GO, 2, 1500, &room, &created),
        RG_OK);
    assert_int_equal(rg_store_consultation_close_room(f->st, &k, 2000, rev, &n), RG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rev[0].identity, "client");
    assert_string_equal(rev[1].identity, "provider");
    assert_string_equal(rev[0].room_sid, room.sid);
    assert_string_equal(rev[0].room_name, "c-room");
    assert_int_equal(rev[1].before, 2000);
    assert_int_equal(rg_store_room_get(f->st, AC1, room.sid, &room), RG_OK);
    assert_int_equal(room.status, RG_ROOM_COMPLETED);
    assert_int_equal(rg_store_revoked(f->st, AC1, "c-room", "client", 2000), 1);
    assert_int_equal(rg_store_revoked(f->st, AC1, "c-room", "provider", 1999), 1);
    assert_int_equal(rg_store_revoked(f->st, AC1, "c-room", "provider", 2001), 0);
    assert_int_equal(rg_store_revoked(f->st, AC1, "c-room", "stranger", 1000), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_meeting_create_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_custom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meeting_disable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_room_for_disabled_meeting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consultations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_room, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

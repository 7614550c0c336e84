/* test_outbox.c - the outbox's dispatcher side (store/outbox.h) and the
 * account settings status callbacks need, on every back end (one source:
 * built against SQLite as build/tests/test_outbox and against PostgreSQL
 * as build/tests/pg/test_outbox).  Events are put in by the test back
 * end (backend.h rg_tb_outbox_add) as the emitters would, so these tests
 * need no room: the head of each room's queue only, due ones only, oldest
 * first; acknowledgements, retries, in-flight events passed over; fair
 * shares between accounts; giving up leaves an audit row.  And the events
 * a room's changes record (the same events, order, numbers and
 * parameters on both back ends), and the recordings' rows. */
#include "store_fixture.h"

#include <jansson.h>

#include "backend.h"
#include "hook/params.h"
#include "store/audit.h"
#include "store/outbox.h"
#include "store/recordings.h"
#include "store/rooms.h"

#define RM1 "RM00000000000000000000000000000001"
#define RM2 "RM00000000000000000000000000000002"
#define RM3 "RM00000000000000000000000000000003"
#define RM4 "RM00000000000000000000000000000004"

static char acs[3][RG_SID_SIZE];

static void accounts(rg_store *st)
{
    for (unsigned i = 1; i <= 2; i++) {
        add_account(st, i);
        make_sid(acs[i], "AC", i);
    }
}

static void add_event(rg_store *st, const char *ev, int a, const char *room, int64_t created,
                      int64_t next_ms)
{
    assert_int_equal(rg_tb_outbox_add(st, ev, acs[a], room, created, next_ms), 0);
}

static size_t heads(rg_store *st, int64_t now, const rg_outbox_busy *busy, size_t nbusy,
                    size_t share, rg_outbox_row *out, size_t limit, size_t *fair)
{
    size_t count = 99, f = 99;
    assert_int_equal(rg_outbox_heads(st, now, busy, nbusy, share, out, limit, &count, &f), RG_OK);
    if (fair) *fair = f;
    return count;
}

static void test_account_callback(void **state)
{
    fixture *f = *state;
    rg_account_callback cb, got;
    rg_account a;
    accounts(f->st);
    assert_int_equal(rg_store_account_get_callback(f->st, acs[1], &got), RG_OK);
    assert_string_equal(got.url, "");
    assert_false(got.get);
    assert_false(got.livekit);
    memset(&cb, 0, sizeof cb);
    strcpy(cb.url, "https://example.com/hook?x=1");
    cb.get = 1;
    cb.livekit = 1;
    make_sid(cb.key_sid, "SK", 7);
    assert_int_equal(rg_store_account_set_callback(f->st, acs[1], &cb), RG_OK);
    assert_int_equal(rg_store_account_get_callback(f->st, acs[1], &got), RG_OK);
    assert_string_equal(got.url, cb.url);
    assert_true(got.get);
    assert_true(got.livekit);
    assert_string_equal(got.key_sid, cb.key_sid);
    assert_int_equal(rg_store_account_get_callback(f->st, acs[2], &got), RG_OK);
    assert_string_equal(got.url, ""); /* the other account's is its own */
    assert_int_equal(rg_store_account_set_callback(f->st,
                                                   "AC"
                                                   "0000",
                                                   &cb),
                     RG_ENOTFOUND);
    assert_int_equal(rg_store_account_get_callback(f->st,
                                                   "AC"
                                                   "0000",
                                                   &got),
                     RG_ENOTFOUND);
    memset(cb.url, 'u', sizeof cb.url); /* unterminated: longer than RG_OUTBOX_URL_MAX */
    assert_int_equal(rg_store_account_set_callback(f->st, acs[1], &cb), RG_EINVAL);

    uint8_t hash[32], sealed[60];
    memset(hash, 0xee, sizeof hash);
    memset(sealed, 0x5a, sizeof sealed);
    assert_int_equal(rg_store_account_set_token(f->st, acs[2], hash, sealed, sizeof sealed), RG_OK);
    assert_int_equal(rg_store_account_get(f->st, acs[2], &a), RG_OK);
    assert_memory_equal(a.token_hash, hash, sizeof hash);
    assert_int_equal(rg_store_account_set_token(f->st,
                                                "AC"
                                                "0000",
                                                hash, sealed, 10),
                     RG_ENOTFOUND);
}

/* A room's events go one at a time, in order; a rescheduled head holds its
 * room's queue back until it is due; other rooms go on. */
static void test_heads_order_ack_retry(void **state)
{
    fixture *f = *state;
    rg_outbox_row out[8];
    int64_t depth, oldest;
    accounts(f->st);
    add_event(f->st, "EV01", 1, RM1, 100, 0);
    add_event(f->st, "EV02", 1, RM1, 101, 0);
    add_event(f->st, "EV03", 1, RM2, 102, 5000); /* not due before 5000 */
    add_event(f->st, "EV04", 2, RM3, 99, 0);
    assert_int_equal(heads(f->st, 1000, NULL, 0, 8, out, 8, NULL), 2);
    assert_string_equal(out[0].event_id, "EV01");
    assert_string_equal(out[0].account_sid, acs[1]);
    assert_string_equal(out[0].room_sid, RM1);
    assert_string_equal(out[0].event, "test-event");
    assert_string_equal(out[0].url, "http://receiver.test/");
    assert_string_equal(out[0].params, "{}");
    assert_int_equal(out[0].created, 100);
    assert_int_equal(out[0].attempts, 0);
    assert_false(out[0].get);
    assert_string_equal(out[1].event_id, "EV04");
    int64_t ev1 = out[0].id, ev4 = out[1].id;
    assert_int_equal(rg_outbox_depth(f->st, &depth, &oldest), RG_OK);
    assert_int_equal(depth, 4);
    assert_int_equal(oldest, 99);

    /* in flight: passed over, and its room's next event waits behind it */
    rg_outbox_busy busy = {ev1, ""};
    memcpy(busy.account_sid, acs[1], RG_SID_SIZE);
    assert_int_equal(heads(f->st, 1000, &busy, 1, 8, out, 8, NULL), 1);
    assert_string_equal(out[0].event_id, "EV04");

    assert_int_equal(rg_outbox_retry(f->st, ev1, 1, 2000), RG_OK);
    assert_int_equal(heads(f->st, 1000, NULL, 0, 8, out, 8, NULL), 1);
    assert_string_equal(out[0].event_id, "EV04");
    assert_int_equal(heads(f->st, 2000, NULL, 0, 8, out, 8, NULL), 2);
    assert_string_equal(out[0].event_id, "EV01");
    assert_int_equal(out[0].attempts, 1);
    assert_int_equal(out[0].next_ms, 2000);

    assert_int_equal(rg_outbox_ack(f->st, ev1), RG_OK);
    assert_int_equal(rg_outbox_ack(f->st, ev1), RG_OK); /* again: still fine */
    assert_int_equal(heads(f->st, 6000, NULL, 0, 8, out, 8, NULL), 3);
    assert_string_equal(out[0].event_id, "EV02");
    assert_string_equal(out[1].event_id, "EV03");
    assert_string_equal(out[2].event_id, "EV04");
    int64_t ids[3] = {out[0].id, out[1].id, ev4};
    assert_int_equal(rg_outbox_ack_many(f->st, ids, 3), RG_OK);
    assert_int_equal(rg_outbox_depth(f->st, &depth, &oldest), RG_OK);
    assert_int_equal(depth, 0);
    assert_int_equal(oldest, 0);
    assert_int_equal(heads(f->st, 6000, NULL, 0, 8, out, 8, NULL), 0);
}

/* Account 1 has three rooms waiting, account 2 one; with a share of one
 * event each and three free slots, account 2's comes before account 1's
 * second, and account 1's third waits. */
static void test_heads_fair(void **state)
{
    fixture *f = *state;
    rg_outbox_row out[3];
    size_t fair;
    accounts(f->st);
    add_event(f->st, "EV11", 1, RM1, 1, 0);
    add_event(f->st, "EV12", 1, RM2, 2, 0);
    add_event(f->st, "EV13", 1, RM3, 3, 0);
    add_event(f->st, "EV21", 2, RM4, 4, 0);
    assert_int_equal(heads(f->st, 10, NULL, 0, 1, out, 3, &fair), 3);
    assert_int_equal(fair, 2);
    assert_string_equal(out[0].event_id, "EV11");
    assert_string_equal(out[1].event_id, "EV21");
    assert_string_equal(out[2].event_id, "EV12");
    /* with account 1's first in flight, its others are over its share */
    rg_outbox_busy busy = {out[0].id, ""};
    memcpy(busy.account_sid, acs[1], RG_SID_SIZE);
    assert_int_equal(heads(f->st, 10, &busy, 1, 1, out, 2, &fair), 2);
    assert_int_equal(fair, 1);
    assert_string_equal(out[0].event_id, "EV21");
    assert_string_equal(out[1].event_id, "EV12");
}

static void test_give_up(void **state)
{
    fixture *f = *state;
    static const uint8_t key[32] = {3};
    char head[128];
    rg_outbox_row out[1];
    int64_t depth, oldest;
    rg_audit_row rows[2];
    size_t n;
    int more;
    accounts(f->st);
    snprintf(head, sizeof head, "%s/audit.head", f->dir);
    assert_int_equal(rg_store_audit_anchor(f->st, key, head), RG_OK);
    add_event(f->st, "EV31", 2, RM1, 1, 0);
    assert_int_equal(heads(f->st, 10, NULL, 0, 8, out, 1, NULL), 1);
    assert_int_equal(rg_outbox_give_up(f->st, &out[0], "HTTP 410", 5000), RG_OK);
    assert_int_equal(rg_outbox_depth(f->st, &depth, &oldest), RG_OK);
    assert_int_equal(depth, 0);
    /* the audit row has no recording: read it through the whole log */
    assert_int_equal(rg_store_audit_list(f->st, "", 0, 2, rows, &n, &more), RG_OK);
    assert_int_equal(n, 0);
    rg_audit_verdict v;
    assert_int_equal(rg_store_audit_verify(f->st, &v), RG_OK);
    assert_true(v.ok);
    assert_int_equal(v.rows, 1);
    unlink(head);
    snprintf(head, sizeof head, "%s/audit.head.lock", f->dir);
    unlink(head);
}

/* The next event (a room's queue is delivered in order), acknowledged;
 * its parameter `name` must be `want` (a string, or a number's decimal). */
static void next_event(rg_store *st, const char *event, int64_t seq, json_t **params)
{
    rg_outbox_row out[1];
    assert_int_equal(heads(st, INT64_MAX / 2, NULL, 0, 8, out, 1, NULL), 1);
    assert_string_equal(out[0].event, event);
    assert_int_equal(out[0].seq, seq);
    assert_string_equal(out[0].url, "https://receiver.example/cb");
    assert_true(strncmp(out[0].event_id, "EV", 2) == 0 && strlen(out[0].event_id) == 34);
    *params = rg_hook_params(&out[0]); /* as the dispatcher reads them */
    assert_non_null(*params);
    assert_string_equal(json_string_value(json_object_get(*params, "StatusCallbackEvent")), event);
    assert_int_equal(rg_outbox_ack(st, out[0].id), RG_OK);
}

static void param_is(json_t *p, const char *name, const char *want)
{
    json_t *v = json_object_get(p, name);
    char num[32];
    assert_non_null(v);
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        assert_string_equal(num, want);
    } else {
        assert_string_equal(json_string_value(v), want);
    }
}

/* The events a room's life records, in the change's transaction, to the
 * account's default callback, with Twilio's parameters: created,
 * connected, a track, the track removed before the disconnect, ended, and
 * a recording of the room. */
static void test_events_recorded(void **state)
{
    fixture *f = *state;
    rg_account_callback cb;
    rg_room r;
    rg_participant p;
    json_t *j;
    char pa[RG_SID_SIZE];
    accounts(f->st);
    memset(&cb, 0, sizeof cb);
    strcpy(cb.url, "https://receiver.example/cb");
    assert_int_equal(rg_store_account_set_callback(f->st, acs[1], &cb), RG_OK);
    memset(&r, 0, sizeof r);
    strcpy(r.account_sid, acs[1]);
    strcpy(r.unique_name, "ev-room");
    r.type = RG_ROOM_GROUP;
    r.max_participants = 10;
    r.empty_room_timeout = r.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r.date_created = 1700000000;
    assert_int_equal(rg_store_room_create(f->st, &r), RG_OK);
    make_sid(pa, "PA", 1);
    assert_int_equal(rg_store_participant_join(f->st, r.sid, "alice", pa, 1700000010, &p), RG_OK);
    rg_track_event ev = {RG_TRACK_ADDED, "MT00000000000000000000000000000001", "audio", "mic"};
    assert_int_equal(rg_store_track_events(f->st, pa, &ev, 1, 1700000011), RG_OK);
    assert_int_equal(rg_store_participant_leave(f->st, pa, 1700000040), RG_OK);
    assert_int_equal(rg_store_room_complete(f->st, acs[1], r.sid, 1700000100), RG_OK);
    rg_recording rec;
    memset(&rec, 0, sizeof rec);
    make_sid(rec.sid, "RE", 1);
    strcpy(rec.account_sid, acs[1]);
    rec.size = 1234;
    strcpy(rec.content_type, "video/webm");
    rec.duration = 42;
    strcpy(rec.room_sid, r.sid);
    strcpy(rec.allowed_identities, "[]");
    strcpy(rec.allowed_roles, "[]");
    strcpy(rec.source, "upload");
    rec.date_created = 1700000200;
    assert_int_equal(rg_store_recording_insert(f->st, &rec), RG_OK);

    next_event(f->st, "room-created", 0, &j);
    param_is(j, "AccountSid", acs[1]);
    param_is(j, "RoomName", "ev-room");
    param_is(j, "RoomSid", r.sid);
    param_is(j, "RoomStatus", "in-progress");
    param_is(j, "RoomType", "group");
    param_is(j, "Timestamp", "2023-11-14T22:13:20.000Z");
    json_decref(j);
    next_event(f->st, "participant-connected", 1, &j);
    param_is(j, "ParticipantSid", pa);
    param_is(j, "ParticipantStatus", "connected");
    param_is(j, "ParticipantIdentity", "alice");
    json_decref(j);
    next_event(f->st, "track-added", 2, &j);
    param_is(j, "TrackSid", ev.sid);
    param_is(j, "TrackKind", "audio");
    param_is(j, "TrackName", "mic");
    json_decref(j);
    next_event(f->st, "track-removed", 3, &j);
    param_is(j, "TrackSid", ev.sid);
    param_is(j, "TrackName", "mic");
    json_decref(j);
    next_event(f->st, "participant-disconnected", 4, &j);
    param_is(j, "ParticipantStatus", "disconnected");
    param_is(j, "ParticipantDuration", "30");
    json_decref(j);
    next_event(f->st, "room-ended", 5, &j);
    param_is(j, "RoomStatus", "completed");
    param_is(j, "RoomDuration", "100");
    json_decref(j);
    next_event(f->st, "recording-completed", 6, &j);
    param_is(j, "RecordingSid", rec.sid);
    param_is(j, "RoomName", "ev-room");
    param_is(j, "Size", "1234");
    param_is(j, "Duration", "42");
    param_is(j, "Container", "webm");
    param_is(j, "Type", "video");
    json_decref(j);
    int64_t depth, oldest;
    assert_int_equal(rg_outbox_depth(f->st, &depth, &oldest), RG_OK);
    assert_int_equal(depth, 0);
}

/* A group room of account acs[account], ten seats, created. */
static void group_room(rg_store *st, rg_room *r, int account, const char *name)
{
    memset(r, 0, sizeof *r);
    strcpy(r->account_sid, acs[account]);
    strcpy(r->unique_name, name);
    r->type = RG_ROOM_GROUP;
    r->max_participants = 10;
    r->empty_room_timeout = r->unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r->date_created = 1700000000;
    assert_int_equal(rg_store_room_create(st, r), RG_OK);
}

/* Two rooms, two participants each, two tracks each.  Every room's
 * SequenceNumber runs 0, 1, 2... without a gap, in the order its events
 * were recorded, also when one statement records several events of
 * several rooms: the server-start disconnect of everyone (SQLite: both
 * rooms' track-removed, then their participant-disconnected,
 * interleaved), then one room's completion. */
static void test_events_numbered(void **state)
{
    /* room a: bob leaves first (one participant's statement), then
     * alice; room b: both at once */
    static const char *const want_a[] = {"room-created",
                                         "participant-connected",
                                         "participant-connected",
                                         "track-added",
                                         "track-added",
                                         "track-added",
                                         "track-added",
                                         "track-removed",
                                         "track-removed",
                                         "participant-disconnected",
                                         "track-removed",
                                         "track-removed",
                                         "participant-disconnected",
                                         "room-ended"};
    static const char *const want_b[] = {"room-created",
                                         "participant-connected",
                                         "participant-connected",
                                         "track-added",
                                         "track-added",
                                         "track-added",
                                         "track-added",
                                         "track-removed",
                                         "track-removed",
                                         "track-removed",
                                         "track-removed",
                                         "participant-disconnected",
                                         "participant-disconnected",
                                         "room-ended"};
    fixture *f = *state;
    rg_account_callback cb;
    rg_room r[2];
    rg_participant p;
    char pa[4][RG_SID_SIZE];
    accounts(f->st);
    memset(&cb, 0, sizeof cb);
    strcpy(cb.url, "https://receiver.example/cb");
    assert_int_equal(rg_store_account_set_callback(f->st, acs[1], &cb), RG_OK);
    group_room(f->st, &r[0], 1, "numbered-a");
    group_room(f->st, &r[1], 1, "numbered-b");
    for (unsigned i = 0; i < 4; i++) { /* a, b, a, b */
        make_sid(pa[i], "PA", 10 + i);
        assert_int_equal(rg_store_participant_join(f->st, r[i % 2].sid, i < 2 ? "alice" : "bob",
                                                   pa[i], 1700000010, &p),
                         RG_OK);
    }
    for (unsigned i = 0; i < 4; i++) {
        char mt[2][RG_SID_SIZE];
        make_sid(mt[0], "MT", 20 + 2 * i);
        make_sid(mt[1], "MT", 21 + 2 * i);
        rg_track_event ev[2] = {{RG_TRACK_ADDED, mt[0], "audio", "mic"},
                                {RG_TRACK_ADDED, mt[1], "video", "cam"}};
        assert_int_equal(rg_store_track_events(f->st, pa[i], ev, 2, 1700000011), RG_OK);
    }
    assert_int_equal(rg_store_participant_leave(f->st, pa[2], 1700000040), RG_OK);
    int changed = 0;
    assert_int_equal(rg_store_participant_disconnect_all(f->st, 1700000050, &changed), RG_OK);
    /* PostgreSQL frees only the seats of sessions that are gone, none
     * here: there room b is completed too */
    assert_true(changed == 3 || changed == 0);
    assert_int_equal(rg_store_room_complete(f->st, acs[1], r[0].sid, 1700000100), RG_OK);
    if (changed == 0)
        assert_int_equal(rg_store_room_complete(f->st, acs[1], r[1].sid, 1700000100), RG_OK);
    /* the rooms' queues, head by head: each room's next event after its
     * head is acknowledged */
    int64_t next[2] = {0, 0};
    for (;;) {
        rg_outbox_row out[2];
        size_t n = heads(f->st, INT64_MAX / 2, NULL, 0, 8, out, 2, NULL);
        if (n == 0) break;
        for (size_t k = 0; k < n; k++) {
            int room = strcmp(out[k].room_sid, r[0].sid) == 0 ? 0 : 1;
            assert_string_equal(out[k].room_sid, r[room].sid);
            assert_int_equal(out[k].seq, next[room]);
            assert_true(next[room] < 14);
            assert_string_equal(out[k].event, (room ? want_b : want_a)[next[room]]);
            next[room]++;
            assert_int_equal(rg_outbox_ack(f->st, out[k].id), RG_OK);
        }
    }
    assert_int_equal(next[0], 14);                /* room a: everything, ended */
    assert_int_equal(next[1], changed ? 13 : 14); /* room b: still in progress (SQLite) */
}

/* A join batch's events (SQLite records its participant-connected at the
 * batch's end, in one statement): per room in the order of the changes,
 * numbered without a gap, each at its seat's time, also when a seat
 * replaces a connection the same batch made, in a room the batch opened,
 * and around a refused seat. */
typedef struct {
    const char *event, *participant, *timestamp;
} want_event;

static void test_batch_events(void **state)
{
    fixture *f = *state;
    rg_account_callback cb;
    rg_room a, b;
    char pa[5][RG_SID_SIZE];
    accounts(f->st);
    memset(&cb, 0, sizeof cb);
    strcpy(cb.url, "https://receiver.example/cb");
    assert_int_equal(rg_store_account_set_callback(f->st, acs[1], &cb), RG_OK);
    group_room(f->st, &a, 1, "batch-a");
    memset(&b, 0, sizeof b); /* opened by the batch */
    strcpy(b.account_sid, acs[1]);
    strcpy(b.unique_name, "batch-b");
    make_sid(b.sid, "RM", 77);
    b.status = RG_ROOM_IN_PROGRESS;
    b.type = RG_ROOM_GROUP;
    b.max_participants = 10;
    b.empty_room_timeout = b.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    b.date_created = 1700000020;
    for (unsigned i = 0; i < 5; i++)
        make_sid(pa[i], "PA", 50 + i);
    rg_seat seats[] = {
        {a.sid, "alice", pa[0], 1700000021, -1, NULL, 0},
        {a.sid, "bob", pa[1], 1700000022, -1, NULL, 0},
        {b.sid, "dave", pa[2], 1700000023, -1, &b, 0},
        {"RM0000000000000000000000000000dead", "erin", pa[4], 1700000023, -1, NULL, 0},
        {a.sid, "alice", pa[3], 1700000024, -1, NULL, 0}, /* replaces pa[0] */
    };
    rg_store_participant_join_batch(f->st, seats, 5);
    assert_int_equal(seats[3].rc, RG_ENOTFOUND);
    for (unsigned i = 0; i < 5; i++)
        if (i != 3) assert_int_equal(seats[i].rc, RG_OK);
    const want_event want_a[] = {
        {"room-created", NULL, "2023-11-14T22:13:20.000Z"},
        {"participant-connected", pa[0], "2023-11-14T22:13:41.000Z"},
        {"participant-connected", pa[1], "2023-11-14T22:13:42.000Z"},
        {"participant-disconnected", pa[0], "2023-11-14T22:13:44.000Z"},
        {"participant-connected", pa[3], "2023-11-14T22:13:44.000Z"},
    };
    const want_event want_b[] = {
        {"room-created", NULL, "2023-11-14T22:13:40.000Z"},
        {"participant-connected", pa[2], "2023-11-14T22:13:43.000Z"},
    };
    size_t next[2] = {0, 0};
    for (;;) {
        rg_outbox_row out[2];
        size_t n = heads(f->st, INT64_MAX / 2, NULL, 0, 8, out, 2, NULL);
        if (n == 0) break;
        for (size_t k = 0; k < n; k++) {
            int room = strcmp(out[k].room_sid, a.sid) == 0 ? 0 : 1;
            const want_event *w = room ? &want_b[next[room]] : &want_a[next[room]];
            assert_true(next[room] < (room ? 2u : 5u));
            assert_string_equal(out[k].event, w->event);
            assert_int_equal(out[k].seq, (int64_t)next[room]);
            json_t *j = rg_hook_params(&out[k]);
            assert_non_null(j);
            param_is(j, "Timestamp", w->timestamp);
            param_is(j, "RoomName", room ? "batch-b" : "batch-a");
            if (w->participant) param_is(j, "ParticipantSid", w->participant);
            json_decref(j);
            next[room]++;
            assert_int_equal(rg_outbox_ack(f->st, out[k].id), RG_OK);
        }
    }
    assert_int_equal(next[0], 5);
    assert_int_equal(next[1], 2);
}

static void drain(rg_store *st)
{
    rg_outbox_row out[4];
    size_t n;
    while ((n = heads(st, INT64_MAX / 2, NULL, 0, 8, out, 4, NULL)) > 0)
        for (size_t k = 0; k < n; k++)
            assert_int_equal(rg_outbox_ack(st, out[k].id), RG_OK);
}

/* A leave batch records each leave's events as a leave alone does, in
 * the batch's order (a participant's tracks' track-removed before its
 * participant-disconnected), none for a room without a callback (whose
 * participant still leaves), and a participant that does not exist
 * changes nothing. */
static void test_leave_batch_events(void **state)
{
    fixture *f = *state;
    rg_account_callback cb;
    rg_room a, q;
    rg_participant p;
    char pa[5][RG_SID_SIZE];
    json_t *j;
    accounts(f->st);
    memset(&cb, 0, sizeof cb);
    strcpy(cb.url, "https://receiver.example/cb");
    assert_int_equal(rg_store_account_set_callback(f->st, acs[1], &cb), RG_OK);
    group_room(f->st, &a, 1, "leaves-a");
    group_room(f->st, &q, 2, "leaves-quiet");
    const char *who[] = {"alice", "bob", "carol"};
    for (unsigned i = 0; i < 5; i++)
        make_sid(pa[i], "PA", 60 + i);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(rg_store_participant_join(f->st, i < 2 ? a.sid : q.sid, who[i], pa[i],
                                                   1700000010 + i, &p),
                         RG_OK);
    rg_track_event ev = {RG_TRACK_ADDED, "MT00000000000000000000000000000061", "video", "cam"};
    assert_int_equal(rg_store_track_events(f->st, pa[1], &ev, 1, 1700000020), RG_OK);
    drain(f->st);

    rg_leave leaves[] = {
        {pa[1], 1700000030, -1},
        {pa[0], 1700000031, -1},
        {pa[2], 1700000032, -1},
        {pa[4], 1700000033, -1}, /* never joined */
    };
    rg_store_participant_leave_batch(f->st, leaves, 4);
    assert_int_equal(leaves[0].rc, RG_OK);
    assert_int_equal(leaves[1].rc, RG_OK);
    assert_int_equal(leaves[2].rc, RG_OK);
    assert_int_equal(leaves[3].rc, RG_ENOTFOUND);
    next_event(f->st, "track-removed", 4, &j);
    param_is(j, "ParticipantSid", pa[1]);
    param_is(j, "TrackSid", ev.sid);
    json_decref(j);
    next_event(f->st, "participant-disconnected", 5, &j);
    param_is(j, "ParticipantSid", pa[1]);
    param_is(j, "ParticipantDuration", "19");
    json_decref(j);
    next_event(f->st, "participant-disconnected", 6, &j);
    param_is(j, "ParticipantSid", pa[0]);
    json_decref(j);
    rg_outbox_row out[1];
    assert_int_equal(heads(f->st, INT64_MAX / 2, NULL, 0, 8, out, 1, NULL), 0);
    assert_int_equal(rg_store_participant_get(f->st, q.sid, pa[2], &p), RG_OK);
    assert_false(p.connected);
    assert_int_equal(p.end_time, 1700000032);
}

/* Recordings: rows, newest first, tombstones kept but not listed; a
 * recording with no room and no callback records no event. */
static void test_recordings(void **state)
{
    fixture *f = *state;
    rg_recording rec, got, list[3];
    size_t n;
    int more;
    int64_t depth, oldest;
    accounts(f->st);
    memset(&rec, 0, sizeof rec);
    strcpy(rec.account_sid, acs[1]);
    strcpy(rec.content_type, "audio/ogg");
    strcpy(rec.allowed_identities, "[\"alice\"]");
    strcpy(rec.allowed_roles, "[]");
    strcpy(rec.source, "import");
    rec.duration = -1;
    memset(rec.key_id, 0x11, sizeof rec.key_id);
    for (unsigned i = 1; i <= 3; i++) {
        make_sid(rec.sid, "RE", i);
        rec.size = i;
        rec.date_created = 500; /* one second: insertion order breaks the tie */
        assert_int_equal(rg_store_recording_insert(f->st, &rec), RG_OK);
    }
    assert_int_equal(rg_store_recording_insert(f->st, &rec), RG_EEXIST);
    assert_int_equal(rg_store_recording_get(f->st, rec.sid, &got), RG_OK);
    assert_int_equal(got.duration, -1);
    assert_string_equal(got.room_sid, "");
    assert_string_equal(got.consultation_id, "");
    assert_string_equal(got.allowed_identities, "[\"alice\"]");
    assert_memory_equal(got.key_id, rec.key_id, sizeof rec.key_id);
    assert_int_equal(got.date_deleted, 0);
    assert_int_equal(rg_store_recording_list(f->st, acs[1], 0, 2, list, &n, &more), RG_OK);
    assert_int_equal(n, 2);
    assert_true(more);
    assert_int_equal(list[0].size, 3);
    assert_int_equal(list[1].size, 2);
    make_sid(rec.sid, "RE", 2);
    assert_int_equal(rg_store_recording_mark_deleted(f->st, rec.sid, 900), RG_OK);
    assert_int_equal(rg_store_recording_mark_deleted(f->st, rec.sid, 901), RG_ENOTFOUND);
    assert_int_equal(rg_store_recording_get(f->st, rec.sid, &got), RG_OK);
    assert_int_equal(got.date_deleted, 900);
    assert_int_equal(rg_store_recording_list(f->st, acs[1], 0, 3, list, &n, &more), RG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].size, 1);
    assert_int_equal(rg_store_recording_list(f->st, acs[2], 0, 3, list, &n, &more), RG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(rg_outbox_depth(f->st, &depth, &oldest), RG_OK);
    assert_int_equal(depth, 0);
    make_sid(rec.sid, "RE", 9);
    strcpy(rec.account_sid, "AC00000000000000000000000000000099");
    assert_int_equal(rg_store_recording_insert(f->st, &rec), RG_ENOTFOUND);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_account_callback), T(test_heads_order_ack_retry), T(test_heads_fair),
        T(test_give_up),          T(test_events_recorded),       T(test_events_numbered),
        T(test_batch_events),     T(test_leave_batch_events),    T(test_recordings),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

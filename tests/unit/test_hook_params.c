/* test_hook_params.c - an outbox row's parameters at delivery
 * (hook/params.h): a row queued before the compact rows (the whole JSON
 * object of Twilio's parameters, as SQLite's json_object and PostgreSQL's
 * json_build_object wrote it) and the compact row of the same event give
 * the same request, byte for byte: Twilio's form body or GET query and its
 * signature, and LiveKit's JSON body.  So events queued by an older server
 * are delivered after an upgrade as they would have been. */
#include "unit.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "hook/params.h"
#include "hook/request.h"

#define AC "AC0123456789abcdef0123456789abcdef"
#define RM "RM0123456789abcdef0123456789abcdef"
#define PA "PA0123456789abcdef0123456789abcdef"
#define MT "MT0123456789abcdef0123456789abcdef"
#define TOKEN "0123456789abcdef0123456789abcdef"
#define COMMON                                                                                     \
    "\"AccountSid\":\"" AC "\",\"RoomSid\":\"" RM "\",\"Timestamp\":\"2023-11-14T22:13:20.000Z\""

typedef struct {
    const char *event;
    const char *legacy;  /* params as recorded before: the object */
    const char *compact; /* params as recorded now: the values */
} pair;

static const pair PAIRS[] = {
    {"room-created",
     "{" COMMON ",\"RoomName\":\"r\\u00e9union & co\",\"RoomStatus\":\"in-progress\","
     "\"RoomType\":\"group\",\"StatusCallbackEvent\":\"room-created\"}",
     "[\"r\\u00e9union & co\",1,3]"},
    {"room-ended",
     "{" COMMON ",\"RoomName\":\"n\",\"RoomStatus\":\"completed\",\"RoomType\":\"go\","
     "\"StatusCallbackEvent\":\"room-ended\",\"RoomDuration\":100}",
     "[\"n\",2,1,100]"},
    /* PostgreSQL's json_build_object: spaces around the colons */
    {"participant-connected",
     "{\"AccountSid\" : \"" AC "\", \"RoomName\" : \"n\", \"RoomSid\" : \"" RM "\", "
     "\"RoomStatus\" : \"in-progress\", \"RoomType\" : \"peer-to-peer\", "
     "\"StatusCallbackEvent\" : \"participant-connected\", "
     "\"Timestamp\" : \"2023-11-14T22:13:20.000Z\", \"ParticipantSid\" : \"" PA "\", "
     "\"ParticipantStatus\" : \"connected\", \"ParticipantIdentity\" : \"al=ice+1\"}",
     "[\"n\",1,2,\"" PA "\",\"al=ice+1\"]"},
    {"participant-disconnected",
     "{" COMMON ",\"RoomName\":\"n\",\"RoomStatus\":\"in-progress\",\"RoomType\":\"group\","
     "\"StatusCallbackEvent\":\"participant-disconnected\",\"ParticipantSid\":\"" PA "\","
     "\"ParticipantStatus\":\"disconnected\",\"ParticipantIdentity\":\"bob\","
     "\"ParticipantDuration\":30}",
     "[\"n\",1,3,\"" PA "\",\"bob\",30]"},
    {"track-added",
     "{" COMMON ",\"RoomName\":\"n\",\"RoomStatus\":\"in-progress\",\"RoomType\":\"group\","
     "\"StatusCallbackEvent\":\"track-added\",\"ParticipantSid\":\"" PA "\","
     "\"ParticipantStatus\":\"connected\",\"ParticipantIdentity\":\"bob\","
     "\"TrackSid\":\"" MT "\",\"TrackKind\":\"video\",\"TrackName\":\"cam\"}",
     "[\"n\",1,3,\"" PA "\",\"bob\",\"" MT "\",\"video\",\"cam\"]"},
    {"track-disabled",
     "{" COMMON ",\"RoomName\":\"n\",\"RoomStatus\":\"in-progress\",\"RoomType\":\"group\","
     "\"StatusCallbackEvent\":\"track-disabled\",\"ParticipantSid\":\"" PA "\","
     "\"ParticipantStatus\":\"connected\",\"ParticipantIdentity\":\"bob\","
     "\"TrackSid\":\"" MT "\",\"TrackKind\":\"audio\",\"TrackName\":\"mic\"}",
     "[\"n\",1,3,\"" PA "\",\"bob\",\"" MT "\",\"audio\",\"mic\"]"},
};

static void row_of(rg_outbox_row *r, const char *event, const char *params, int get, int livekit)
{
    memset(r, 0, sizeof *r);
    r->id = 7;
    strcpy(r->event_id, "EV655400000123456789abcdef01234567");
    strcpy(r->account_sid, AC);
    strcpy(r->room_sid, RM);
    snprintf(r->event, sizeof r->event, "%s", event);
    strcpy(r->url, get ? "https://app.example/cb?x=1" : "https://app.example/cb");
    r->get = get;
    r->livekit = livekit;
    strcpy(r->key_sid, livekit ? "SK0123456789abcdef0123456789abcdef" : "");
    snprintf(r->params, sizeof r->params, "%s", params);
    r->seq = 4;
    r->created = 1700000000;
}

static void same_request(const rg_hook_request *a, const rg_hook_request *b)
{
    assert_string_equal(a->url, b->url);
    if (a->body || b->body) {
        assert_non_null(a->body);
        assert_non_null(b->body);
        assert_string_equal(a->body, b->body);
    }
    assert_string_equal(a->signature, b->signature);
}

/* Twilio's format, POST and GET: the same URL, body and signature. */
static void test_twilio_same(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof PAIRS / sizeof PAIRS[0]; i++)
        for (int get = 0; get <= 1; get++) {
            rg_outbox_row old, now;
            rg_hook_request a, b;
            const char *why = NULL;
            row_of(&old, PAIRS[i].event, PAIRS[i].legacy, get, 0);
            row_of(&now, PAIRS[i].event, PAIRS[i].compact, get, 0);
            assert_int_equal(rg_hook_request_build(&old, TOKEN, 32, &a, &why), 0);
            assert_int_equal(rg_hook_request_build(&now, TOKEN, 32, &b, &why), 0);
            same_request(&a, &b);
            assert_non_null(strstr(get ? a.url : a.body, "SequenceNumber=4"));
            rg_hook_request_free(&a);
            rg_hook_request_free(&b);
        }
}

/* LiveKit's format: the same JSON body (the JWT's times are now's). */
static void test_livekit_same(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof PAIRS / sizeof PAIRS[0]; i++) {
        rg_outbox_row old, now;
        rg_hook_request a, b;
        const char *why = NULL;
        row_of(&old, PAIRS[i].event, PAIRS[i].legacy, 0, 1);
        row_of(&now, PAIRS[i].event, PAIRS[i].compact, 0, 1);
        int want = strcmp(PAIRS[i].event, "track-disabled") == 0 ? 1 : 0;
        assert_int_equal(rg_hook_request_livekit(&old, "secret", 6, 1700000001, &a, &why), want);
        assert_int_equal(rg_hook_request_livekit(&now, "secret", 6, 1700000001, &b, &why), want);
        if (want == 0) {
            assert_string_equal(a.body, b.body);
            assert_string_equal(a.jwt, b.jwt);
        }
        rg_hook_request_free(&a);
        rg_hook_request_free(&b);
    }
}

/* The parameters named, one by one (hook/params.c's layouts), and compact
 * rows that do not fit their event refused as an unreadable object was. */
static void test_compact_named(void **state)
{
    (void)state;
    rg_outbox_row r;
    row_of(&r, "participant-disconnected", PAIRS[3].compact, 0, 0);
    json_t *p = rg_hook_params(&r), *want = json_loads(PAIRS[3].legacy, 0, NULL);
    assert_non_null(p);
    assert_true(json_equal(p, want));
    json_decref(p);
    json_decref(want);
    static const char *const bad[][2] = {
        {"participant-disconnected", "[\"n\",1,3,\"" PA "\",\"bob\"]"}, /* one short */
        {"room-created", "[\"n\",1,3,4]"},                              /* one over */
        {"recording-completed", "[\"n\",1,3]"},                         /* no layout */
        {"room-created", "[\"n\",1,3"},                                 /* not JSON */
        {"room-created", "\"n\""},                                      /* neither form */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rg_hook_request out;
        const char *why = NULL;
        row_of(&r, bad[i][0], bad[i][1], 0, 0);
        assert_null(rg_hook_params(&r));
        assert_int_equal(rg_hook_request_build(&r, TOKEN, 32, &out, &why), -1);
        assert_non_null(why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twilio_same),
        cmocka_unit_test(test_livekit_same),
        cmocka_unit_test(test_compact_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

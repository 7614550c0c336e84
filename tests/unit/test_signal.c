/* test_signal.c - the signaling protocol's pure parts: message checks
 * (core/signal_msg.h), admission, states and seat refusals
 * (core/sigadmit.h), room types and capacities (core/roomtype.h), the
 * token bucket (core/ratelimit.h). */
#include "unit.h"

#include <stdlib.h>

#include "core/errors.h"
#include "core/ratelimit.h"
#include "core/roomtype.h"
#include "core/sigadmit.h"
#include "core/signal_msg.h"

#define PA "PA0123456789abcdef0123456789abcdef"

static int parses(const char *s)
{
    rg_sig_msg m;
    const char *why = NULL;
    int rc = rg_sig_parse(s, strlen(s), &m, &why);
    if (rc == RG_OK)
        rg_sig_msg_clear(&m);
    else
        assert_non_null(why);
    return rc == RG_OK;
}

static void test_parse_valid(void **state)
{
    rg_sig_msg m;
    const char *why;
    const char *join = "{\"type\":\"join\",\"token\":\"a.b.c\",\"room\":\"r1\"}";
    (void)state;
    assert_int_equal(rg_sig_parse(join, strlen(join), &m, &why), RG_OK);
    assert_int_equal(m.type, RG_SIG_JOIN);
    assert_string_equal(m.token, "a.b.c");
    assert_int_equal(m.token_len, 5);
    assert_string_equal(m.room, "r1");
    rg_sig_msg_clear(&m);
    const char *sig =
        "{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"sdp\":\"x\"},\"extra\":1}";
    assert_int_equal(rg_sig_parse(sig, strlen(sig), &m, &why), RG_OK);
    assert_int_equal(m.type, RG_SIG_SIGNAL);
    assert_string_equal(m.target, PA);
    assert_true(json_is_object(m.data) || m.data_raw != NULL);
    rg_sig_msg_clear(&m);
    const char *er =
        "{\"type\":\"entry_response\",\"participant\":\"" PA "\",\"decision\":\"denied\"}";
    assert_int_equal(rg_sig_parse(er, strlen(er), &m, &why), RG_OK);
    assert_int_equal(m.allowed, 0);
    rg_sig_msg_clear(&m);
    const char *mu = "{\"type\":\"mute\",\"participant\":\"" PA "\",\"kind\":\"video\"}";
    assert_int_equal(rg_sig_parse(mu, strlen(mu), &m, &why), RG_OK);
    assert_int_equal(m.kind, RG_SIG_VIDEO);
    rg_sig_msg_clear(&m);
    assert_true(parses("{\"type\":\"join\",\"token\":\"t\"}"));
    assert_true(parses("{\"type\":\"kick\",\"participant\":\"" PA "\"}"));
}

static void test_parse_invalid(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "{",
        "null",
        "[]",
        "\"join\"",
        "{}",
        "{\"type\":1}",
        "{\"type\":\"JOIN\",\"token\":\"t\"}",
        "{\"type\":\"join\"}",
        "{\"type\":\"join\",\"token\":\"\"}",
        "{\"type\":\"join\",\"token\":5}",
        "{\"type\":\"join\",\"token\":\"t\",\"room\":\"\"}",
        "{\"type\":\"join\",\"token\":\"t\",\"room\":\"a\\nb\"}",
        "{\"type\":\"join\",\"token\":\"t\",\"token\":\"u\"}",
        "{\"type\":\"signal\",\"to\":\"PA12\",\"data\":{}}",
        "{\"type\":\"signal\",\"to\":\"" PA "\"}",
        "{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":[]}",
        "{\"type\":\"signal\",\"to\":\"RM0123456789abcdef0123456789abcdef\",\"data\":{}}",
        "{\"type\":\"entry_response\",\"participant\":\"" PA "\",\"decision\":\"yes\"}",
        "{\"type\":\"mute\",\"participant\":\"" PA "\",\"kind\":\"screen\"}",
        "{\"type\":\"kick\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parses(bad[i])) fail_msg("accepted: %s", bad[i]);
    }
    /* a room name at the limit passes, one byte over does not */
    char buf[600];
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"token\":\"t\",\"room\":\"%0256d\"}", 0);
    assert_true(parses(buf));
    snprintf(buf, sizeof buf, "{\"type\":\"join\",\"token\":\"t\",\"room\":\"%0257d\"}", 0);
    assert_false(parses(buf));
}

static void test_builders(void **state)
{
    (void)state;
    char *e = rg_sig_error_json(53105, "full \"room\"");
    assert_string_equal(e, "{\"type\":\"error\",\"code\":53105,\"message\":\"full \\\"room\\\"\"}");
    free(e);
    char *p = rg_sig_peer_json("participant_left", PA, "al\"ice");
    assert_string_equal(p, "{\"type\":\"participant_left\",\"participant\":{\"sid\":\"" PA
                           "\",\"identity\":\"al\\\"ice\"}}");
    free(p);
}

static rg_token_result result(rg_token_kind kind)
{
    rg_token_result r;
    memset(&r, 0, sizeof r);
    r.code = RG_TOK_VALID;
    r.kind = kind;
    r.roles = RG_ROLE_CRAWLER | RG_ROLE_RTC;
    return r;
}

static void test_admit_twilio(void **state)
{
    rg_admission a;
    rg_token_result r = result(RG_TOKEN_TWILIO);
    (void)state;
    strcpy(r.identity, "alice");
    rg_sig_admit(&r, "r1", &a);
    assert_int_equal(a.kind, RG_ADMIT_REFUSE); /* no video grant */
    assert_int_equal(a.code, RG_TOK_BAD_GRANTS);
    r.has_video_grant = 1;
    rg_sig_admit(&r, "r1", &a);
    assert_int_equal(a.kind, RG_ADMIT_DIRECT);
    assert_string_equal(a.room, "r1");
    assert_string_equal(a.identity, "alice");
    assert_int_equal(a.perms, RG_PERM_ALLOW_JOIN); /* never allow_mod */
    rg_sig_admit(&r, NULL, &a);                    /* no room anywhere */
    assert_int_equal(a.code, RG_SIG_E_INVALID_MESSAGE);
    strcpy(r.room, "grant-room");
    rg_sig_admit(&r, NULL, &a);
    assert_string_equal(a.room, "grant-room");
    assert_string_equal(a.token_room, "grant-room");
    r.code = RG_TOK_EXPIRED;
    rg_sig_admit(&r, NULL, &a);
    assert_int_equal(a.kind, RG_ADMIT_REFUSE);
    assert_int_equal(a.code, RG_TOK_EXPIRED);
    rg_token_result_clear(&r);
}

static void test_admit_videosdk(void **state)
{
    rg_admission a;
    rg_token_result r = result(RG_TOKEN_VIDEOSDK);
    (void)state;
    r.permissions = RG_PERM_ALLOW_JOIN | RG_PERM_ALLOW_MOD;
    rg_sig_admit(&r, "abcd-efgh-ijkl", &a);
    assert_int_equal(a.code, RG_VSDK_INVALID_TOKEN); /* neither participantId nor jti */
    strcpy(r.jti, "8c2f-uuid");
    rg_sig_admit(&r, "abcd-efgh-ijkl", &a);
    assert_int_equal(a.kind, RG_ADMIT_DIRECT);
    assert_string_equal(a.identity, "8c2f-uuid");
    assert_int_equal(a.perms, RG_PERM_ALLOW_JOIN | RG_PERM_ALLOW_MOD);
    strcpy(r.identity, "p1");
    rg_sig_admit(&r, "abcd-efgh-ijkl", &a);
    assert_string_equal(a.identity, "p1");
    r.permissions = RG_PERM_ASK_JOIN;
    rg_sig_admit(&r, "abcd-efgh-ijkl", &a);
    assert_int_equal(a.kind, RG_ADMIT_LOBBY);
    r.permissions = RG_PERM_ALLOW_MOD;
    rg_sig_admit(&r, "abcd-efgh-ijkl", &a);
    assert_int_equal(a.code, RG_VSDK_INVALID_PERMISSIONS);
    r.permissions = RG_PERM_ALLOW_JOIN;
    r.roles = RG_ROLE_CRAWLER;
    rg_sig_admit(&r, "abcd-efgh-ijkl", &a);
    assert_int_equal(a.code, RG_VSDK_INVALID_PERMISSIONS);
    rg_token_result_clear(&r);
}

static void test_room_matches(void **state)
{
    (void)state;
    assert_true(rg_sig_room_matches("", "RM1", "name"));
    assert_true(rg_sig_room_matches("RM1", "RM1", "name"));
    assert_true(rg_sig_room_matches("name", "RM1", "name"));
    assert_false(rg_sig_room_matches("other", "RM1", "name"));
}

static void test_states(void **state)
{
    const char *why;
    int fatal;
    (void)state;
    assert_int_equal(rg_sig_allowed(RG_SIGST_NEW, RG_SIG_JOIN, &why, &fatal), RG_OK);
    assert_int_equal(rg_sig_allowed(RG_SIGST_NEW, RG_SIG_SIGNAL, &why, &fatal), RG_EINVAL);
    assert_true(fatal);
    assert_int_equal(rg_sig_allowed(RG_SIGST_LOBBY, RG_SIG_SIGNAL, &why, &fatal), RG_EINVAL);
    assert_false(fatal);
    assert_int_equal(rg_sig_allowed(RG_SIGST_LOBBY, RG_SIG_JOIN, &why, &fatal), RG_EINVAL);
    assert_int_equal(rg_sig_allowed(RG_SIGST_JOINED, RG_SIG_JOIN, &why, &fatal), RG_EINVAL);
    assert_false(fatal);
    for (int t = RG_SIG_SIGNAL; t <= RG_SIG_KICK; t++)
        assert_int_equal(rg_sig_allowed(RG_SIGST_JOINED, (rg_sig_type)t, &why, &fatal), RG_OK);
    assert_true(rg_sig_permitted(0, RG_SIG_SIGNAL));
    assert_false(rg_sig_permitted(RG_PERM_ASK_JOIN, RG_SIG_ENTRY_RESPONSE));
    assert_true(rg_sig_permitted(RG_PERM_ALLOW_JOIN, RG_SIG_ENTRY_RESPONSE));
    assert_false(rg_sig_permitted(RG_PERM_ALLOW_JOIN, RG_SIG_MUTE));
    assert_false(rg_sig_permitted(RG_PERM_ALLOW_JOIN, RG_SIG_KICK));
    assert_true(rg_sig_permitted(RG_PERM_ALLOW_MOD, RG_SIG_KICK));
}

static void test_bucket(void **state)
{
    rg_bucket b;
    int n = 0;
    (void)state;
    rg_bucket_init(&b, 50, 50, 1000);
    while (rg_bucket_take(&b, 1000))
        n++;
    assert_int_equal(n, 50);                /* the burst */
    assert_false(rg_bucket_take(&b, 1010)); /* 10 ms = half a token */
    assert_true(rg_bucket_take(&b, 1020));  /* 20 ms = one token */
    assert_false(rg_bucket_take(&b, 1020));
    assert_false(rg_bucket_take(&b, 500)); /* the clock going back refills nothing */
    n = 0;
    while (rg_bucket_take(&b, 1000000))
        n++;
    assert_int_equal(n, 50);     /* a long idle refills to the burst, no more */
    rg_bucket_init(&b, 0, 0, 0); /* rate 0: unlimited */
    for (int i = 0; i < 1000; i++)
        assert_true(rg_bucket_take(&b, 0));
    /* 50/s sustained: one per 20 ms forever */
    rg_bucket_init(&b, 50, 1, 0);
    for (int64_t t = 0; t < 10000; t += 20)
        assert_true(rg_bucket_take(&b, t));
}

/* A refused seat's code depends on the token's kind only when the room
 * is full (VideoSDK's 4009 against Twilio's 53105). */
static void test_seat_refusal(void **state)
{
    int code = 0;
    const char *msg = NULL;
    (void)state;
    rg_sig_seat_refusal(RG_EFULL, RG_TOKEN_TWILIO, &code, &msg);
    assert_int_equal(code, RG_SIG_E_ROOM_FULL);
    assert_string_equal(msg, "The room is full");
    rg_sig_seat_refusal(RG_EFULL, RG_TOKEN_VIDEOSDK, &code, &msg);
    assert_int_equal(code, RG_VSDK_MAX_PARTICIPANTS);
    rg_sig_seat_refusal(RG_EGONE, RG_TOKEN_VIDEOSDK, &code, &msg);
    assert_int_equal(code, RG_SIG_E_ROOM_COMPLETED);
    assert_string_equal(msg, "The room has been completed");
    rg_sig_seat_refusal(RG_ENOTFOUND, RG_TOKEN_TWILIO, &code, &msg);
    assert_int_equal(code, RG_SIG_E_ROOM_NOT_FOUND);
    rg_sig_seat_refusal(RG_EIO, RG_TOKEN_TWILIO, &code, &msg);
    assert_int_equal(code, RG_SIG_E_SERVER);
    assert_string_equal(msg, "Could not join the room; try again");
}

/* Twilio's names and default capacities; unknown types read as group. */
static void test_room_types(void **state)
{
    rg_room_type t = RG_ROOM_GROUP;
    (void)state;
    assert_string_equal(rg_room_type_name(RG_ROOM_GO), "go");
    assert_string_equal(rg_room_type_name(RG_ROOM_PEER_TO_PEER), "peer-to-peer");
    assert_string_equal(rg_room_type_name((rg_room_type)9), "group");
    assert_int_equal(rg_room_type_parse("go", &t), 0);
    assert_int_equal(t, RG_ROOM_GO);
    assert_int_equal(rg_room_type_parse("peer-to-peer", &t), 0);
    assert_int_equal(t, RG_ROOM_PEER_TO_PEER);
    assert_int_equal(rg_room_type_parse("Group", &t), -1);
    assert_int_equal(rg_room_type_parse(NULL, &t), -1);
    assert_int_equal(t, RG_ROOM_PEER_TO_PEER); /* untouched by a refusal */
    assert_int_equal(rg_room_type_default_max(RG_ROOM_GO), 2);
    assert_int_equal(rg_room_type_default_max(RG_ROOM_PEER_TO_PEER), 10);
    assert_int_equal(rg_room_type_default_max(RG_ROOM_GROUP), RG_ROOM_MAX_PARTICIPANTS);
}

/* rg_sig_dump takes its value, and passes a builder's NULL on. */
/* The relayed frame, from either parsing path: byte for byte what
 * jansson writes for {"type":"signal","from":..,"data":..}. */
static void relays_as_jansson(const char *frame, int fast)
{
    rg_sig_msg m;
    const char *why = NULL;
    json_t *in = json_loads(frame, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(in);
    char *want = rg_sig_dump(json_pack("{s:s, s:s, s:O}", "type", "signal", "from", PA, "data",
                                       json_object_get(in, "data")));
    assert_int_equal(rg_sig_parse(frame, strlen(frame), &m, &why), RG_OK);
    assert_int_equal(m.type, RG_SIG_SIGNAL);
    assert_string_equal(m.target, json_string_value(json_object_get(in, "to")));
    assert_int_equal(m.data_raw != NULL, fast);
    assert_int_equal(m.data == NULL, fast);
    char *got = rg_sig_relay_json(&m, PA);
    assert_string_equal(got, want);
    free(got);
    free(want);
    rg_sig_msg_clear(&m);
    json_decref(in);
}

static void test_relay_paths(void **state)
{
    (void)state;
    /* spliced: the data's text is already jansson's compact form */
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"candidate\":"
                      "\"candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host\",\"sdpMid\":\"0\","
                      "\"sdpMLineIndex\":0,\"n\":[1,true,null,{\"x\":\"\\u00e9\"}]}}",
                      0); /* an escape inside: jansson's path */
    relays_as_jansson("{\"data\":{\"candidate\":\"c\",\"sdpMLineIndex\":0,\"a\":[1,true,null]},"
                      "\"to\":\"" PA "\",\"type\":\"signal\",\"extra\":{\"y\":1}}",
                      1);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{}}", 1);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"x\":\"é\"}}", 1);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"\\u00e9\":\"é\"}}", 0);
    /* not jansson's text: whitespace, an escape (an SDP's \r\n), a real,
     * -0, an escaped type or target: jansson's path, the same answer */
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\": {\"a\" : 1}}", 0);
    relays_as_jansson("{ \"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"a\":1} }", 1);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"sdp\":\"v=0\\r\\n\"}}",
                      0);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"a\":1.5}}", 0);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"a\":-0}}", 0);
    relays_as_jansson("{\"type\":\"sign\\u0061l\",\"to\":\"" PA "\",\"data\":{\"a\":1}}", 1);
    relays_as_jansson("{\"type\":\"signal\",\"to\":\"PA\\u0030123456789abcdef0123456789abcdef\","
                      "\"data\":{\"a\":1}}",
                      0);
    /* refused either way: duplicates (at any depth), a bad target, data
     * not an object, a NUL, trailing text */
    assert_false(parses("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"a\":1,\"a\":2}}"));
    assert_false(parses("{\"type\":\"signal\",\"to\":\"" PA "\",\"to\":\"" PA "\",\"data\":{}}"));
    assert_false(parses("{\"type\":\"signal\",\"to\":\"PA0123\",\"data\":{}}"));
    assert_false(parses("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":[1]}"));
    assert_false(parses("{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{}} x"));
    assert_false(parses("{\"type\":\"signal\",\"to\":\"" PA "\"}"));
    const char nul[] = "{\"type\":\"signal\",\"to\":\"" PA "\",\"data\":{\"a\":\"\0\"}}";
    rg_sig_msg m;
    const char *why = NULL;
    assert_int_equal(rg_sig_parse(nul, sizeof nul - 1, &m, &why), RG_EINVAL);
}

static void test_dump(void **state)
{
    char *s = rg_sig_dump(json_pack("{s:s, s:i}", "type", "x", "n", 1));
    (void)state;
    assert_string_equal(s, "{\"type\":\"x\",\"n\":1}");
    free(s);
    assert_null(rg_sig_dump(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),    cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_builders),       cmocka_unit_test(test_admit_twilio),
        cmocka_unit_test(test_admit_videosdk), cmocka_unit_test(test_room_matches),
        cmocka_unit_test(test_states),         cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_seat_refusal),   cmocka_unit_test(test_room_types),
        cmocka_unit_test(test_dump),           cmocka_unit_test(test_relay_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

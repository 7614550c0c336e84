/* test_twmsg.c - Twilio's signaling messages (core/twmsg.h): the envelope
 * and the room messages a client may send, table by table, and what the
 * server builds from a participant's tracks. */
#include "unit.h"

#include <stdlib.h>

#include "core/errors.h"
#include "core/track.h"
#include "core/twmsg.h"

static int env_ok(const char *s)
{
    rg_tw_env e;
    const char *why = NULL;
    int rc = rg_tw_env_parse(s, strlen(s), &e, &why);
    if (rc == RG_OK)
        rg_tw_env_clear(&e);
    else
        assert_non_null(why);
    return rc == RG_OK;
}

/* The room message s (a JSON object) parses; its type in *type. */
static int msg_ok(const char *s, rg_tw_type *type)
{
    json_t *v = json_loads(s, 0, NULL);
    rg_tw_msg m;
    const char *why = NULL;
    int rc;
    assert_non_null(v);
    rc = rg_tw_msg_parse(v, &m, &why);
    if (rc == RG_OK && type) *type = m.type;
    if (rc != RG_OK) assert_non_null(why);
    json_decref(v);
    return rc == RG_OK;
}

static void test_envelope(void **state)
{
    (void)state;
    rg_tw_env e;
    const char *why;
    const char *hello = "{\"type\":\"hello\",\"id\":\"x\",\"timeout\":5000,\"version\":2,"
                        "\"body\":{\"type\":\"ice\",\"token\":\"t\"}}";
    assert_int_equal(rg_tw_env_parse(hello, strlen(hello), &e, &why), RG_OK);
    assert_int_equal(e.type, RG_TW_HELLO);
    assert_string_equal(json_string_value(json_object_get(e.body, "type")), "ice");
    rg_tw_env_clear(&e);
    assert_true(env_ok("{\"type\":\"hello\",\"version\":2}"));
    assert_true(env_ok("{\"type\":\"heartbeat\"}"));
    assert_true(env_ok("{\"type\":\"bye\"}"));
    assert_true(env_ok("{\"type\":\"msg\",\"body\":{\"type\":\"update\"}}"));
    /* not an envelope */
    assert_false(env_ok("{\"type\":\"hello\",\"version\":1}")); /* version 1 is not spoken */
    assert_false(env_ok("{\"type\":\"hello\"}"));               /* version missing */
    assert_false(env_ok("{\"type\":\"hello\",\"version\":2,\"timeout\":\"x\"}"));
    assert_false(env_ok("{\"type\":\"msg\"}"));              /* no body */
    assert_false(env_ok("{\"type\":\"msg\",\"body\":[1]}")); /* body not an object */
    assert_false(env_ok("{\"type\":\"welcome\"}"));          /* the server's */
    assert_false(env_ok("{\"type\":\"nope\"}"));
    assert_false(env_ok("[1,2]"));
    assert_false(env_ok("{\"type\":\"bye\",\"type\":\"msg\"}")); /* duplicate keys */
    assert_false(env_ok("{\"type\":"));
    assert_false(env_ok(""));
}

static void test_room_messages(void **state)
{
    (void)state;
    rg_tw_type t = 0;
    assert_true(
        msg_ok("{\"type\":\"ice\",\"version\":1,\"edge\":\"roaming\",\"token\":\"abc\"}", &t));
    assert_int_equal(t, RG_TW_ICE);
    assert_true(msg_ok(
        "{\"type\":\"connect\",\"version\":2,\"name\":\"r\",\"token\":\"abc\","
        "\"participant\":{\"revision\":1,\"tracks\":[{\"id\":\"a1\",\"kind\":\"audio\","
        "\"name\":\"a1\",\"enabled\":true,\"priority\":\"standard\"}]},"
        "\"peer_connections\":[{\"id\":\"pc1\",\"description\":{\"type\":\"offer\",\"revision\":1,"
        "\"sdp\":\"v=0\"}}],\"ice_servers\":\"acquire\",\"format\":\"unified\"}",
        &t));
    assert_int_equal(t, RG_TW_CONNECT);
    assert_true(msg_ok("{\"type\":\"update\",\"session\":\"s\",\"peer_connections\":[{\"id\":\"p\","
                       "\"ice\":{\"candidates\":[],\"revision\":2,\"ufrag\":\"u\"}}]}",
                       &t));
    assert_int_equal(t, RG_TW_UPDATE);
    assert_true(msg_ok("{\"type\":\"sync\",\"token\":\"abc\",\"session\":\"s\"}", &t));
    assert_int_equal(t, RG_TW_SYNC);
    assert_true(msg_ok("{\"type\":\"disconnect\"}", &t));
    assert_int_equal(t, RG_TW_DISCONNECT);
    /* each field's shape is checked */
    assert_false(msg_ok("{\"type\":\"ice\"}", NULL));                /* token missing */
    assert_false(msg_ok("{\"type\":\"ice\",\"token\":\"\"}", NULL)); /* empty token */
    assert_false(msg_ok("{\"type\":\"connect\",\"token\":\"t\",\"name\":7}", NULL));
    assert_false(msg_ok("{\"type\":\"connect\",\"token\":\"t\",\"name\":\"a\\u0001b\"}", NULL));
    assert_false(
        msg_ok("{\"type\":\"update\",\"participant\":{\"revision\":-1,\"tracks\":[]}}", NULL));
    assert_false(msg_ok("{\"type\":\"update\",\"participant\":{\"revision\":1}}", NULL));
    assert_false(msg_ok("{\"type\":\"update\",\"participant\":{\"revision\":1,\"tracks\":[{\"id\":"
                        "\"a\",\"kind\":\"smell\",\"enabled\":true}]}}",
                        NULL));
    assert_false(msg_ok("{\"type\":\"update\",\"participant\":{\"revision\":1,\"tracks\":[{\"id\":"
                        "\"a\",\"kind\":\"audio\",\"enabled\":true},{\"id\":\"a\",\"kind\":"
                        "\"video\",\"enabled\":true}]}}",
                        NULL)); /* one id twice */
    assert_false(msg_ok("{\"type\":\"update\",\"peer_connections\":[{\"description\":{}}]}", NULL));
    assert_false(msg_ok("{\"type\":\"update\",\"peer_connections\":[{\"id\":\"p\",\"description\":"
                        "{\"type\":\"create-offer\",\"revision\":1}}]}",
                        NULL)); /* the server's to send */
    assert_false(msg_ok("{\"type\":\"update\",\"peer_connections\":[{\"id\":\"p\",\"ice\":"
                        "{\"candidates\":{},\"revision\":1}}]}",
                        NULL));
    assert_false(msg_ok("{\"type\":\"sync\",\"token\":\"t\"}", NULL)); /* session missing */
    assert_false(msg_ok("{\"type\":\"iced\"}", NULL));
    assert_false(msg_ok("{\"version\":2}", NULL));
}

static void test_limits(void **state)
{
    (void)state;
    char buf[8192];
    size_t n = (size_t)snprintf(
        buf, sizeof buf, "{\"type\":\"update\",\"participant\":{\"revision\":1,\"tracks\":[");
    for (int i = 0; i <= RG_TW_MAX_TRACKS; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n,
                              "%s{\"id\":\"t%d\",\"kind\":\"data\",\"enabled\":true}", i ? "," : "",
                              i);
    snprintf(buf + n, sizeof buf - n, "]}}");
    assert_false(msg_ok(buf, NULL)); /* one track too many */
    char id[RG_TW_ID_MAX + 2];
    memset(id, 'x', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    snprintf(buf, sizeof buf, "{\"type\":\"update\",\"peer_connections\":[{\"id\":\"%s\"}]}", id);
    assert_false(msg_ok(buf, NULL)); /* an id one byte too long */
    id[sizeof id - 2] = '\0';
    snprintf(buf, sizeof buf, "{\"type\":\"update\",\"peer_connections\":[{\"id\":\"%s\"}]}", id);
    assert_true(msg_ok(buf, NULL));
}

static void test_builders(void **state)
{
    (void)state;
    uint8_t rnd[RG_TW_MAX_TRACKS * 16];
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)i;
    json_t *tracks =
        json_loads("[{\"id\":\"a1\",\"kind\":\"audio\",\"enabled\":true},"
                   "{\"id\":\"v1\",\"kind\":\"video\",\"name\":\"cam\",\"enabled\":false,"
                   "\"priority\":\"high\"}]",
                   0, NULL);
    json_t *mine = rg_tw_assign_sids(tracks, NULL, rnd);
    assert_int_equal(json_array_size(mine), 2);
    const char *sid0 = json_string_value(json_object_get(json_array_get(mine, 0), "sid"));
    assert_true(rg_sid_valid(sid0, strlen(sid0), "MT"));
    /* defaults: the name is the id, the priority standard */
    assert_string_equal(json_string_value(json_object_get(json_array_get(mine, 0), "name")), "a1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(mine, 0), "priority")),
                        "standard");
    /* a republished id keeps its sid; a new one gets another */
    json_t *again = json_loads("[{\"id\":\"v2\",\"kind\":\"video\",\"enabled\":true},"
                               "{\"id\":\"a1\",\"kind\":\"audio\",\"enabled\":false}]",
                               0, NULL);
    json_t *next = rg_tw_assign_sids(again, mine, rnd + 64);
    assert_string_equal(json_string_value(json_object_get(json_array_get(next, 1), "sid")), sid0);
    assert_string_not_equal(json_string_value(json_object_get(json_array_get(next, 0), "sid")),
                            json_string_value(json_object_get(json_array_get(mine, 1), "sid")));

    json_t *pub = rg_tw_published(next, 3);
    assert_int_equal(json_integer_value(json_object_get(pub, "revision")), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(pub, "tracks"), 1), "state")),
                        "ready");
    json_t *p = rg_tw_participant("PA1", "bob", "connected", 4, next);
    json_t *t1 = json_array_get(json_object_get(p, "tracks"), 1);
    assert_false(json_is_true(json_object_get(t1, "enabled")));
    assert_null(json_object_get(t1, "id")); /* the others know a track by its sid */
    json_t *peers = json_pack("{s:{s:O}}", "PA1", "tracks", next);
    json_t *sub = rg_tw_subscribed(peers, 9);
    json_t *s1 = json_array_get(json_object_get(sub, "tracks"), 1);
    assert_string_equal(json_string_value(json_object_get(s1, "id")), "a1"); /* the SDP's msid */
    assert_string_equal(json_string_value(json_object_get(s1, "sid")), sid0);

    char w[RG_TW_WELCOME_MAX];
    size_t wn = rg_tw_welcome(w, 5000);
    assert_string_equal(w, "{\"type\":\"welcome\",\"negotiatedTimeout\":5000}");
    assert_int_equal(wn, strlen(w));
    rg_tw_welcome(w, -2147483647 - 1); /* the widest an int prints fits */
    assert_string_equal(w, "{\"type\":\"welcome\",\"negotiatedTimeout\":-2147483648}");
    char *e = rg_tw_wrap(rg_tw_error(53105, "full"));
    assert_string_equal(
        e, "{\"type\":\"msg\",\"body\":{\"type\":\"error\",\"code\":53105,\"message\":\"full\"}}");
    free(e);
    assert_null(rg_tw_wrap(NULL));
    for (json_t **v = (json_t *[]){tracks, mine, again, next, pub, p, peers, sub, NULL}; *v; v++)
        json_decref(*v);
}

/* The status callback events of an update: removed first, then added and
 * flipped in the new order; an unchanged track gives none. */
static void test_track_changes(void **state)
{
    (void)state;
    json_t *prev = json_loads("[{\"sid\":\"MTa\",\"kind\":\"audio\",\"name\":\"mic\","
                              "\"enabled\":true},{\"sid\":\"MTb\",\"kind\":\"video\","
                              "\"name\":\"cam\",\"enabled\":true},{\"sid\":\"MTc\","
                              "\"kind\":\"data\",\"name\":\"chat\",\"enabled\":true}]",
                              0, NULL);
    json_t *next = json_loads("[{\"sid\":\"MTd\",\"kind\":\"video\",\"name\":\"screen\","
                              "\"enabled\":false},{\"sid\":\"MTa\",\"kind\":\"audio\","
                              "\"name\":\"mic\",\"enabled\":false},{\"sid\":\"MTc\","
                              "\"kind\":\"data\",\"name\":\"chat\",\"enabled\":true}]",
                              0, NULL);
    rg_track_event ev[2 * RG_TW_MAX_TRACKS];
    assert_non_null(prev);
    assert_non_null(next);
    assert_int_equal(rg_tw_track_changes(prev, next, ev), 3);
    assert_int_equal(ev[0].change, RG_TRACK_REMOVED);
    assert_string_equal(ev[0].sid, "MTb");
    assert_string_equal(ev[0].kind, "video");
    assert_int_equal(ev[1].change, RG_TRACK_ADDED);
    assert_string_equal(ev[1].name, "screen");
    assert_int_equal(ev[2].change, RG_TRACK_DISABLED);
    assert_string_equal(ev[2].sid, "MTa");
    assert_int_equal(rg_tw_track_changes(next, prev, ev), 3);
    assert_int_equal(ev[0].change, RG_TRACK_REMOVED);
    assert_string_equal(ev[0].sid, "MTd");
    assert_int_equal(ev[1].change, RG_TRACK_ENABLED);
    assert_int_equal(ev[2].change, RG_TRACK_ADDED);
    assert_string_equal(ev[2].sid, "MTb");
    assert_int_equal(rg_tw_track_changes(next, next, ev), 0);
    assert_int_equal(rg_tw_track_changes(NULL, prev, ev), 3);
    assert_string_equal(rg_track_change_name(RG_TRACK_ENABLED), "track-enabled");
    assert_string_equal(rg_track_change_name((rg_track_change)9), "");
    json_decref(prev);
    json_decref(next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope),      cmocka_unit_test(test_room_messages),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_builders),
        cmocka_unit_test(test_track_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_mint.c - minting in the Twilio and VideoSDK formats,
 * refusals, permissions, escaping and messages. */
#include "unit.h"

#include "token_fixtures.h"

/* ---- minting ----------------------------------------------------------------- */

static void test_mint_twilio(void **state)
{
    (void)state;
    char tok[2048];
    mint_twilio(tok, "alice", "room-1", 3600);
    char *hdr = segment(tok, 0);
    assert_string_equal(hdr, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}");
    free(hdr);
    json_t *p = payload_of(tok);
    assert_string_equal(json_string_value(json_object_get(p, "jti")), SK1 "-1700000000");
    assert_string_equal(json_string_value(json_object_get(p, "iss")), SK1);
    assert_string_equal(json_string_value(json_object_get(p, "sub")), AC1);
    assert_int_equal(json_integer_value(json_object_get(p, "iat")), NOW);
    assert_int_equal(json_integer_value(json_object_get(p, "nbf")), NOW);
    assert_int_equal(json_integer_value(json_object_get(p, "exp")), NOW + 3600);
    json_t *g = json_object_get(p, "grants");
    assert_string_equal(json_string_value(json_object_get(g, "identity")), "alice");
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "video"), "room")),
                        "room-1");
    json_decref(p);

    mint_twilio(tok, "bob", NULL, 60);
    p = payload_of(tok);
    json_t *video = json_object_get(json_object_get(p, "grants"), "video");
    assert_true(json_is_object(video));
    assert_int_equal(json_object_size(video), 0);
    json_decref(p);
}

static void test_mint_videosdk(void **state)
{
    (void)state;
    rg_videosdk_claims c = {SK1,
                            (const uint8_t *)SEC1,
                            strlen(SEC1),
                            RG_PERM_ALLOW_JOIN | RG_PERM_ALLOW_MOD,
                            0,
                            "room-9",
                            "p-1",
                            NOW,
                            600,
                            {0}};
    memset(c.jti_rand, 0xff, 16);
    char tok[2048];
    size_t n;
    assert_int_equal(rg_token_mint_videosdk(H, &c, tok, sizeof(tok), &n), RG_OK);
    char *hdr = segment(tok, 0);
    assert_string_equal(hdr, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    free(hdr);
    json_t *p = payload_of(tok);
    assert_string_equal(json_string_value(json_object_get(p, "apikey")), SK1);
    json_t *perms = json_object_get(p, "permissions");
    assert_int_equal(json_array_size(perms), 2);
    assert_string_equal(json_string_value(json_array_get(perms, 0)), "allow_join");
    assert_string_equal(json_string_value(json_array_get(perms, 1)), "allow_mod");
    assert_int_equal(json_integer_value(json_object_get(p, "version")), 2);
    json_t *roles = json_object_get(p, "roles");
    assert_int_equal(json_array_size(roles), 2);
    assert_string_equal(json_string_value(json_array_get(roles, 0)), "crawler");
    assert_string_equal(json_string_value(json_array_get(roles, 1)), "rtc");
    assert_string_equal(json_string_value(json_object_get(p, "roomId")), "room-9");
    assert_string_equal(json_string_value(json_object_get(p, "participantId")), "p-1");
    /* All-ones randomness shows the version and variant bits are forced. */
    assert_string_equal(json_string_value(json_object_get(p, "jti")),
                        "ffffffff-ffff-4fff-bfff-ffffffffffff");
    assert_int_equal(json_integer_value(json_object_get(p, "iat")), NOW);
    assert_int_equal(json_integer_value(json_object_get(p, "nbf")), NOW);
    assert_int_equal(json_integer_value(json_object_get(p, "exp")), NOW + 600);
    json_decref(p);

    c.room_id = c.participant_id = NULL;
    c.roles = RG_ROLE_RTC;
    c.permissions = RG_PERM_ASK_JOIN;
    memset(c.jti_rand, 0, 16);
    assert_int_equal(rg_token_mint_videosdk(H, &c, tok, sizeof(tok), &n), RG_OK);
    p = payload_of(tok);
    assert_null(json_object_get(p, "roomId"));
    assert_null(json_object_get(p, "participantId"));
    assert_int_equal(json_array_size(json_object_get(p, "roles")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "permissions"), 0)),
                        "ask_join");
    assert_string_equal(json_string_value(json_object_get(p, "jti")),
                        "00000000-0000-4000-8000-000000000000");
    json_decref(p);
}

static void test_mint_refusals(void **state)
{
    (void)state;
    char tok[2048], big[300];
    size_t n;
    rg_twilio_claims c = {AC1, SK1, (const uint8_t *)SEC1, strlen(SEC1), "alice", NULL, NOW, 60};
    const int64_t bad_ttl[] = {0, -1, RG_TOKEN_MAX_TTL + 1};
    for (int i = 0; i < 3; i++) {
        c.ttl = bad_ttl[i];
        assert_int_equal(rg_token_mint_twilio(H, &c, tok, sizeof(tok), &n), RG_EINVAL);
    }
    c.ttl = RG_TOKEN_MAX_TTL;
    assert_int_equal(rg_token_mint_twilio(H, &c, tok, sizeof(tok), &n), RG_OK);
    /* A clock the validator could not represent is refused, too. */
    const int64_t bad_now[] = {-1, INT64_MIN, INT64_MAX, (int64_t)1 << 53};
    for (int i = 0; i < 4; i++) {
        c.now = bad_now[i];
        assert_int_equal(rg_token_mint_twilio(H, &c, tok, sizeof(tok), &n), RG_EINVAL);
    }
    c.now = NOW;
    memset(big, 'x', sizeof(big));
    big[RG_IDENTITY_MAX + 1] = '\0';
    const char *const bad_id[] = {"", "a\nb", "tab\there", "\xc3(", "\xed\xa0\x80", big};
    for (size_t i = 0; i < sizeof(bad_id) / sizeof(bad_id[0]); i++) {
        c.identity = bad_id[i];
        c.room = NULL;
        assert_int_equal(rg_token_mint_twilio(H, &c, tok, sizeof(tok), &n), RG_EINVAL);
        c.identity = "alice";
        c.room = bad_id[i];
        assert_int_equal(rg_token_mint_twilio(H, &c, tok, sizeof(tok), &n), RG_EINVAL);
    }
    c.identity = NULL;
    assert_int_equal(rg_token_mint_twilio(H, &c, tok, sizeof(tok), &n), RG_EINVAL);

    /* Worst case: maximal identity and room, every byte escaped, still
     * fits the documented 2048 bytes. */
    char worst[RG_IDENTITY_MAX + 1];
    memset(worst, '"', RG_IDENTITY_MAX);
    worst[RG_IDENTITY_MAX] = '\0';
    c.identity = c.room = worst;
    c.now = ((int64_t)1 << 53) - RG_TOKEN_MAX_TTL;
    assert_int_equal(rg_token_mint_twilio(H, &c, tok, 2048, &n), RG_OK);
    assert_int_equal(rg_token_mint_twilio(H, &c, tok, n, &n), RG_ETOOBIG);

    rg_videosdk_claims v = {SK1, (const uint8_t *)SEC1, strlen(SEC1), 0, 0, worst, worst, NOW, 3600,
                            {0}};
    const unsigned bad_perm[] = {0, 8, RG_PERM_ASK_JOIN | RG_PERM_ALLOW_JOIN,
                                 RG_PERM_ASK_JOIN | RG_PERM_ALLOW_MOD};
    for (int i = 0; i < 4; i++) {
        v.permissions = bad_perm[i];
        assert_int_equal(rg_token_mint_videosdk(H, &v, tok, sizeof(tok), &n), RG_EINVAL);
    }
    v.permissions = 7 & ~(unsigned)RG_PERM_ASK_JOIN;
    assert_int_equal(rg_token_mint_videosdk(H, &v, tok, 2048, &n), RG_OK);
    v.roles = 4;
    assert_int_equal(rg_token_mint_videosdk(H, &v, tok, sizeof(tok), &n), RG_EINVAL);
    v.roles = 0;
    v.ttl = 0;
    assert_int_equal(rg_token_mint_videosdk(H, &v, tok, sizeof(tok), &n), RG_EINVAL);
}

static void test_perm_parse(void **state)
{
    (void)state;
    unsigned m = 0;
    assert_int_equal(rg_perm_parse("allow_join", &m), RG_OK);
    assert_int_equal(m, RG_PERM_ALLOW_JOIN);
    assert_int_equal(rg_perm_parse("allow_join,allow_mod", &m), RG_OK);
    assert_int_equal(m, RG_PERM_ALLOW_JOIN | RG_PERM_ALLOW_MOD);
    assert_int_equal(rg_perm_parse("ask_join", &m), RG_OK);
    assert_int_equal(m, RG_PERM_ASK_JOIN);
    assert_int_equal(rg_perm_parse(" allow_mod , allow_join", &m), RG_OK);
    static const char *const bad[] = {"",
                                      "ask_join,allow_join",
                                      "allow_join,ask_join",
                                      "ask_join,allow_mod",
                                      "allow_join,",
                                      ",allow_join",
                                      "Allow_Join",
                                      "allow_joinx",
                                      "superuser"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(rg_perm_parse(bad[i], &m), RG_EINVAL);
    assert_int_equal(rg_roles_parse("crawler,rtc", &m), RG_OK);
    assert_int_equal(m, RG_ROLE_CRAWLER | RG_ROLE_RTC);
    assert_int_equal(rg_roles_parse("rtc", &m), RG_OK);
    assert_int_equal(m, RG_ROLE_RTC);
    assert_int_equal(rg_roles_parse("admin", &m), RG_EINVAL);
    assert_int_equal(rg_roles_parse("", &m), RG_EINVAL);
}

static void test_identity_escaping(void **state)
{
    (void)state;
    const char *id = "Zoë \"the\" \\admin\\ 😀 </script> \xe2\x80\xa8";
    const char *room = "salle \"é\"";
    char tok[2048];
    size_t n = mint_twilio(tok, id, room, 60);
    json_t *p = payload_of(tok);
    json_t *g = json_object_get(p, "grants");
    assert_string_equal(json_string_value(json_object_get(g, "identity")), id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(g, "video"), "room")),
                        room);
    json_decref(p);
    rg_token_result r;
    assert_int_equal(rg_token_validate(H, tok, n, NOW, lookup, NULL, &r), RG_TOK_VALID);
    assert_string_equal(r.identity, id);
    assert_string_equal(r.room, room);
    rg_token_result_clear(&r);
}

static void test_messages(void **state)
{
    (void)state;
    const rg_tok_code codes[] = {RG_TOK_VALID,   RG_TOK_INVALID,       RG_TOK_BAD_ISSUER,
                                 RG_TOK_EXPIRED, RG_TOK_NOT_YET_VALID, RG_TOK_BAD_SIGNATURE};
    for (size_t i = 0; i < 6; i++)
        assert_true(strlen(rg_tok_message(codes[i])) > 0);
    assert_true(strlen(rg_tok_message((rg_tok_code)1)) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mint_twilio),
        cmocka_unit_test(test_mint_videosdk),
        cmocka_unit_test(test_mint_refusals),
        cmocka_unit_test(test_perm_parse),
        cmocka_unit_test(test_identity_escaping),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

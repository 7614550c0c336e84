/* test_validate.c - every validation rule of docs/api.md with
 * its code: algorithms, signatures, shapes, JSON, issuers, times, claims. */
#include "unit.h"

#include "token_fixtures.h"

/* ---- validation ---------------------------------------------------------- */

static void test_validate_twilio_ok(void **state)
{
    (void)state;
    char tok[2048];
    size_t n = mint_twilio(tok, "alice", "room-1", 3600);
    rg_token_result r;
    assert_int_equal(rg_token_validate(H, tok, n, NOW + 10, lookup, NULL, &r), RG_TOK_VALID);
    assert_int_equal(r.kind, RG_TOKEN_TWILIO);
    assert_int_equal(r.alg, RG_ALG_HS256);
    assert_string_equal(r.key_sid, SK1);
    assert_string_equal(r.account_sid, AC1);
    assert_string_equal(r.identity, "alice");
    assert_string_equal(r.room, "room-1");
    assert_int_equal(r.has_video_grant, 1);
    assert_int_equal(r.iat, NOW);
    assert_int_equal(r.nbf, NOW);
    assert_int_equal(r.exp, NOW + 3600);
    assert_true(json_is_object(r.payload));
    rg_token_result_clear(&r);
    assert_null(r.payload);

    n = mint_twilio(tok, "bob", NULL, 60);
    assert_int_equal(rg_token_validate(H, tok, n, NOW, lookup, NULL, &r), RG_TOK_VALID);
    assert_string_equal(r.room, "");
    assert_int_equal(r.has_video_grant, 1);
    rg_token_result_clear(&r);
    /* A deleted key stops validating at once. */
    assert_int_equal(rg_token_validate(H, tok, n, NOW, lookup, SK1, &r), RG_TOK_BAD_ISSUER);
    rg_token_result_clear(&r);
}

static void test_validate_videosdk_ok(void **state)
{
    (void)state;
    rg_videosdk_claims c = {SK2,          (const uint8_t *)SEC2,
                            strlen(SEC2), RG_PERM_ASK_JOIN,
                            RG_ROLE_RTC,  "rm",
                            "pid",        NOW,
                            600,          {1, 2, 3}};
    char tok[2048];
    size_t n;
    rg_token_result r;
    assert_int_equal(rg_token_mint_videosdk(H, &c, tok, sizeof(tok), &n), RG_OK);
    assert_int_equal(rg_token_validate(H, tok, n, NOW, lookup, NULL, &r), RG_TOK_VALID);
    assert_int_equal(r.kind, RG_TOKEN_VIDEOSDK);
    assert_string_equal(r.key_sid, SK2);
    assert_string_equal(r.account_sid, AC2);
    assert_string_equal(r.identity, "pid");
    assert_string_equal(r.room, "rm");
    assert_int_equal(r.permissions, RG_PERM_ASK_JOIN);
    assert_int_equal(r.roles, RG_ROLE_RTC);
    assert_int_equal(r.exp, NOW + 600);
    rg_token_result_clear(&r);

    /* roles absent means crawler|rtc; a foreign token without the ids. */
    const char *p = "{\"apikey\":\"" SK1 "\",\"permissions\":[\"allow_join\",\"allow_mod\"],"
                    "\"iat\":1700000000,\"exp\":1700000600}";
    char *t = forge(HS256, p, RG_ALG_HS256, SEC1);
    assert_int_equal(rg_token_validate(H, t, strlen(t), NOW, lookup, NULL, &r), RG_TOK_VALID);
    assert_int_equal(r.roles, RG_ROLE_CRAWLER | RG_ROLE_RTC);
    assert_int_equal(r.permissions, RG_PERM_ALLOW_JOIN | RG_PERM_ALLOW_MOD);
    assert_string_equal(r.identity, "");
    rg_token_result_clear(&r);
    free(t);
}

static void test_validate_algs(void **state)
{
    (void)state;
    char *p = twilio_payload(SK1, AC1, NOW, NOW, NOW + 60);
    static const char *const ok[] = {"{\"alg\":\"HS384\",\"typ\":\"JWT\"}", "{\"alg\":\"HS512\"}",
                                     "{\"typ\":\"JWT\",\"alg\":\"HS256\"}"};
    for (int a = 0; a < 3; a++) {
        char *t = forge(ok[a], p, (rg_alg)((a + 1) % 3), SEC1);
        rg_token_result r;
        assert_int_equal(rg_token_validate(H, t, strlen(t), NOW, lookup, NULL, &r), RG_TOK_VALID);
        assert_int_equal(r.alg, (a + 1) % 3);
        rg_token_result_clear(&r);
        free(t);
    }
    /* Signed with a valid HMAC, but the header names another algorithm. */
    static const char *const bad[] = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"RS256\"}",
        "{\"alg\":\"ES256\"}",
        "{\"alg\":\"PS512\"}",
        "{\"alg\":\"HS1024\"}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"HS256 \"}",
        "{\"alg\":256}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"jwt\"}",
        "{\"alg\":\"HS256\",\"typ\":1}",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
        "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
        "[\"HS256\"]",
        "\"HS256\"",
        "not json",
        "{\"alg\":\"HS256\"} x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(check_json(bad[i], p), RG_TOK_INVALID);
    /* alg none with the empty signature it would carry. */
    char none[512];
    size_t n = rg_b64url_encode(none, (const uint8_t *)"{\"alg\":\"none\"}", 14);
    none[n++] = '.';
    n += rg_b64url_encode(none + n, (const uint8_t *)p, strlen(p));
    strcpy(none + n, ".");
    assert_int_equal(check(none, NOW), RG_TOK_INVALID);
    free(p);
}

static void test_validate_signature(void **state)
{
    (void)state;
    char *p = twilio_payload(SK1, AC1, NOW, NOW, NOW + 60);
    char *t = forge(HS256, p, RG_ALG_HS256, SEC2);
    assert_int_equal(check(t, NOW), RG_TOK_BAD_SIGNATURE);
    free(t);
    /* Signature checked before the time rules: expired and badly signed
     * reports the signature. */
    free(p);
    p = twilio_payload(SK1, AC1, NOW - 9000, NOW - 9000, NOW - 8000);
    t = forge(HS256, p, RG_ALG_HS256, SEC2);
    assert_int_equal(check(t, NOW), RG_TOK_BAD_SIGNATURE);
    free(t);
    free(p);

    /* Tampered payload carrying the old signature. */
    char tok[2048], evil[2048];
    mint_twilio(tok, "alice", "r", 60);
    char *dot = strrchr(tok, '.');
    char *forged = twilio_payload(SK1, AC1, NOW, NOW, NOW + 86400);
    size_t n = rg_b64url_encode(evil, (const uint8_t *)"{\"alg\":\"HS256\",\"typ\":\"JWT\"}", 27);
    evil[n++] = '.';
    n += rg_b64url_encode(evil + n, (const uint8_t *)forged, strlen(forged));
    strcpy(evil + n, dot);
    assert_int_equal(check(evil, NOW), RG_TOK_BAD_SIGNATURE);
    free(forged);
    /* An HS256 MAC relabelled HS512: the length differs. */
    dot = strchr(tok, '.');
    n = rg_b64url_encode(evil, (const uint8_t *)"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", 27);
    strcpy(evil + n, dot);
    assert_int_equal(check(evil, NOW), RG_TOK_BAD_SIGNATURE);
}

/* Every single-character change of a valid token must fail: base64url
 * decoding is canonical, so each one alters the signed bytes or the MAC. */
static void test_validate_mutations(void **state)
{
    (void)state;
    char tok[2048];
    size_t n = mint_twilio(tok, "alice", "room-1", 3600);
    static const char subst[] = "AQgw_-.=+/ \x80";
    for (size_t i = 0; i < n; i++) {
        char orig = tok[i];
        for (size_t k = 0; k < sizeof(subst) - 1; k++) {
            if (subst[k] == orig) continue;
            tok[i] = subst[k];
            rg_tok_code c = check(tok, NOW);
            assert_true(c == RG_TOK_INVALID || c == RG_TOK_BAD_SIGNATURE || c == RG_TOK_BAD_ISSUER);
        }
        tok[i] = orig;
    }
    assert_int_equal(check(tok, NOW), RG_TOK_VALID);
    /* Every truncation, too. */
    for (size_t len = 0; len < n; len++) {
        rg_token_result r;
        rg_tok_code c = rg_token_validate(H, tok, len, NOW, lookup, NULL, &r);
        assert_true(c == RG_TOK_INVALID || c == RG_TOK_BAD_SIGNATURE);
        rg_token_result_clear(&r);
    }
}

static void test_validate_shape(void **state)
{
    (void)state;
    char tok[2048], buf[4096];
    size_t n = mint_twilio(tok, "alice", "r", 60);
    assert_int_equal(check("", NOW), RG_TOK_INVALID);
    assert_int_equal(check("a.b", NOW), RG_TOK_INVALID);
    assert_int_equal(check("..", NOW), RG_TOK_INVALID);
    snprintf(buf, sizeof(buf), "%s.%s", tok, "AAAA"); /* 4 segments */
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    memcpy(buf, tok, n + 1);
    *strrchr(buf, '.') = '\0'; /* 2 segments */
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    strcat(buf, "."); /* empty signature */
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    snprintf(buf, sizeof(buf), " %s", tok);
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    memcpy(buf, tok, n + 1);
    buf[40] = '*'; /* bad base64 in the payload */
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    rg_token_result r;
    assert_int_equal(rg_token_validate(H, NULL, 0, NOW, lookup, NULL, &r), RG_TOK_INVALID);
    assert_int_equal(rg_token_validate(H, tok, n, NOW, NULL, NULL, &r), RG_TOK_INVALID);

    /* Over RG_TOKEN_MAX_LEN, including 1 MB of valid-looking base64. */
    size_t big = 1 << 20;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, 'A', big);
    huge[10] = huge[big - 50] = '.';
    huge[big] = '\0';
    assert_int_equal(check(huge, NOW), RG_TOK_INVALID);
    assert_int_equal(rg_token_validate(H, huge, RG_TOKEN_MAX_LEN + 1, NOW, lookup, NULL, &r),
                     RG_TOK_INVALID);
    free(huge);
}

static void test_validate_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "[1,2]",
        "\"iss\"",
        "{}",
        "{\"iss\":5,\"exp\":1700000060}",
        "{\"iss\":\"" SK1 "\",\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1700000060,"
        "\"grants\":{\"identity\":\"a\"}}",
        "{\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1700000060,\"exp\":1700000061,"
        "\"grants\":{\"identity\":\"a\"}}",
        "{\"iss\":\"" SK1 "\"} trailing",
        "{\"iss\":\"\xff\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(check_json(HS256, bad[i]), RG_TOK_INVALID);
    /* Deep nesting is refused by the parser, not by the stack. */
    char *deep = malloc(6001);
    assert_non_null(deep);
    memset(deep, '[', 6000);
    deep[6000] = '\0';
    assert_int_equal(check_json(HS256, deep), RG_TOK_INVALID);
    free(deep);
}

static void test_validate_issuer(void **state)
{
    (void)state;
    /* Unknown iss, even correctly signed with some secret. */
    char *p = twilio_payload("SK99999999999999999999999999999999", AC1, NOW, NOW, NOW + 60);
    assert_int_equal(check_json(HS256, p), RG_TOK_BAD_ISSUER);
    free(p);
    p = twilio_payload("SK0000000000000000000000000000000100", AC1, NOW, NOW, NOW + 60);
    assert_int_equal(check_json(HS256, p), RG_TOK_BAD_ISSUER);
    free(p);
    p = twilio_payload("", AC1, NOW, NOW, NOW + 60);
    assert_int_equal(check_json(HS256, p), RG_TOK_BAD_ISSUER);
    free(p);
    /* SK1 signing a claim about AC2's account. */
    p = twilio_payload(SK1, AC2, NOW, NOW, NOW + 60);
    assert_int_equal(check_json(HS256, p), RG_TOK_BAD_ISSUER);
    free(p);
    assert_int_equal(check_json(HS256, "{\"iss\":\"" SK1 "\",\"exp\":1700000060,"
                                       "\"grants\":{\"identity\":\"a\"}}"),
                     RG_TOK_BAD_ISSUER);
    assert_int_equal(check_json(HS256, "{\"apikey\":\"SKnope\",\"permissions\":[\"allow_join\"],"
                                       "\"exp\":1700000060}"),
                     RG_TOK_BAD_ISSUER);
}

static void test_validate_times(void **state)
{
    (void)state;
    assert_int_equal(check_times(NOW, NOW, NOW + 60), RG_TOK_VALID);
    assert_int_equal(check_times(NOW - 200, NOW - 200, NOW - 61), RG_TOK_EXPIRED);
    assert_int_equal(check_times(NOW - 200, NOW - 200, NOW - 60), RG_TOK_VALID); /* leeway */
    assert_int_equal(check_times(NOW - 200, NOW - 200, NOW - 1), RG_TOK_VALID);
    assert_int_equal(check_times(NOW + 61, NOW + 61, NOW + 600), RG_TOK_NOT_YET_VALID);
    assert_int_equal(check_times(NOW + 60, NOW + 60, NOW + 600), RG_TOK_VALID);
    assert_int_equal(check_times(NOW + 600, -1, NOW + 900), RG_TOK_NOT_YET_VALID); /* iat */
    assert_int_equal(check_times(-1, NOW + 600, NOW + 900), RG_TOK_NOT_YET_VALID);
    assert_int_equal(check_times(NOW, NOW, NOW + 86400), RG_TOK_VALID);
    assert_int_equal(check_times(NOW, NOW, NOW + 86401), RG_TOK_EXPIRED);
    assert_int_equal(check_times(-1, NOW, NOW + 86401), RG_TOK_EXPIRED); /* from nbf */
    assert_int_equal(check_times(-1, -1, NOW + 86401), RG_TOK_EXPIRED);  /* from now */
    assert_int_equal(check_times(-1, -1, NOW + 86400), RG_TOK_VALID);
    assert_int_equal(check_times(NOW, NOW, -1), RG_TOK_EXPIRED); /* exp missing */

    static const char *const exps[] = {
        "\"1700000060\"", "1700000060.5",    "null", "true", "[1]", "1e300",
        "-1e300",         "9007199254740993"};
    static const rg_tok_code want[] = {RG_TOK_EXPIRED, RG_TOK_EXPIRED, RG_TOK_EXPIRED,
                                       RG_TOK_EXPIRED, RG_TOK_EXPIRED, RG_TOK_EXPIRED,
                                       RG_TOK_EXPIRED, RG_TOK_EXPIRED};
    for (size_t i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
        char p[512];
        snprintf(p, sizeof(p),
                 "{\"iss\":\"%s\",\"sub\":\"%s\",\"exp\":%s,\"grants\":{\"identity\":\"a\"}}", SK1,
                 AC1, exps[i]);
        assert_int_equal(check_json(HS256, p), want[i]);
    }
    /* An integral real is a number like any other. */
    assert_int_equal(check_json(HS256,
                                "{\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1.70000006e9,"
                                "\"grants\":{\"identity\":\"a\"}}"),
                     RG_TOK_VALID);
    assert_int_equal(check_json(HS256,
                                "{\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1700000060,"
                                "\"iat\":\"x\",\"grants\":{\"identity\":\"a\"}}"),
                     RG_TOK_EXPIRED);
    /* A clock far outside the claim range does not overflow. */
    char tok[2048];
    mint_twilio(tok, "a", NULL, 60);
    assert_int_equal(check(tok, INT64_MAX), RG_TOK_EXPIRED);
    assert_int_equal(check(tok, INT64_MIN), RG_TOK_NOT_YET_VALID);
}

static void test_validate_claims(void **state)
{
    (void)state;
    char big[RG_IDENTITY_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *pre = "{\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1700000060,\"grants\":";
    const char *grants[] = {"5",
                            "{}",
                            "{\"identity\":5}",
                            "{\"identity\":\"\"}",
                            "{\"identity\":\"a\",\"video\":[]}",
                            "{\"identity\":\"a\",\"video\":{\"room\":7}}",
                            NULL,
                            NULL};
    char gid[400], groom[400], p[1024];
    snprintf(gid, sizeof(gid), "{\"identity\":\"%s\"}", big);
    snprintf(groom, sizeof(groom), "{\"identity\":\"a\",\"video\":{\"room\":\"%s\"}}", big);
    grants[6] = gid;
    grants[7] = groom;
    for (size_t i = 0; i < 8; i++) {
        snprintf(p, sizeof(p), "%s%s}", pre, grants[i]);
        assert_int_equal(check_json(HS256, p), RG_TOK_INVALID);
    }
    snprintf(p, sizeof(p), "{\"iss\":\"%s\",\"sub\":\"%s\",\"exp\":1700000060}", SK1, AC1);
    assert_int_equal(check_json(HS256, p), RG_TOK_INVALID);

    const char *vpre = "{\"apikey\":\"" SK1 "\",\"exp\":1700000060";
    const char *vbad[] = {"",
                          ",\"permissions\":\"allow_join\"",
                          ",\"permissions\":[]",
                          ",\"permissions\":[\"superuser\"]",
                          ",\"permissions\":[\"allow_join\",3]",
                          ",\"permissions\":[\"allow_join\"],\"roles\":[\"admin\"]",
                          ",\"permissions\":[\"allow_join\"],\"roles\":\"rtc\"",
                          ",\"permissions\":[\"allow_join\"],\"roomId\":1",
                          ",\"permissions\":[\"allow_join\"],\"participantId\":{}",
                          NULL};
    char pid[400];
    snprintf(pid, sizeof(pid), ",\"permissions\":[\"allow_join\"],\"participantId\":\"%s\"", big);
    vbad[9] = pid;
    for (size_t i = 0; i < 10; i++) {
        snprintf(p, sizeof(p), "%s%s}", vpre, vbad[i]);
        assert_int_equal(check_json(HS256, p), RG_TOK_INVALID);
    }
}

/* Quotes, backslashes, controls-free unicode: escaped by the minter, read
 * back identically by jansson and by the validator. */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate_twilio_ok),
        cmocka_unit_test(test_validate_videosdk_ok),
        cmocka_unit_test(test_validate_algs),
        cmocka_unit_test(test_validate_signature),
        cmocka_unit_test(test_validate_mutations),
        cmocka_unit_test(test_validate_shape),
        cmocka_unit_test(test_validate_json),
        cmocka_unit_test(test_validate_issuer),
        cmocka_unit_test(test_validate_times),
        cmocka_unit_test(test_validate_claims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

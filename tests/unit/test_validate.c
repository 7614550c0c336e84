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

/* The jti is kept in the result by the allocation-free path (a VideoSDK
 * join without participantId takes it as the identity): the minted UUID,
 * an escaped one decoded, and "" when it is no string or too long, which
 * does not make the token invalid (jti is no rule). */
static void test_validate_jti(void **state)
{
    (void)state;
    rg_videosdk_claims c = {
        SK2, (const uint8_t *)SEC2, strlen(SEC2), RG_PERM_ALLOW_JOIN, 0, NULL, NULL, NOW,
        600, {0xff, 1, 2}};
    char tok[2048], want[40];
    size_t n;
    rg_token_result r;
    assert_int_equal(rg_token_mint_videosdk(H, &c, tok, sizeof(tok), &n), RG_OK);
    json_t *p = rg_token_payload_json(tok, n);
    snprintf(want, sizeof want, "%s", json_string_value(json_object_get(p, "jti")));
    json_decref(p);
    assert_int_equal(strlen(want), 36);
    assert_int_equal(rg_token_check(H, tok, n, NOW, lookup, NULL, &r), RG_TOK_VALID);
    assert_string_equal(r.jti, want);

    static const struct {
        const char *jti, *want;
    } cases[] = {{"\"a\\u00e9b\"", "a\xc3\xa9"
                                   "b"},
                 {"5", ""},
                 {"null", ""},
                 {"\"\"", ""},
                 {"[\"x\"]", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char pay[512];
        snprintf(pay, sizeof pay,
                 "{\"apikey\":\"" SK1 "\",\"permissions\":[\"allow_join\"],\"jti\":%s,"
                 "\"iat\":1700000000,\"exp\":1700000600}",
                 cases[i].jti);
        char *t = forge(HS256, pay, RG_ALG_HS256, SEC1);
        assert_int_equal(rg_token_check(H, t, strlen(t), NOW, lookup, NULL, &r), RG_TOK_VALID);
        assert_string_equal(r.jti, cases[i].want);
        free(t);
    }
    /* 256 bytes are kept, 257 are not */
    for (size_t len = 256; len <= 257; len++) {
        char pay[1024], id[300];
        memset(id, 'j', len);
        id[len] = '\0';
        snprintf(pay, sizeof pay,
                 "{\"apikey\":\"" SK1 "\",\"permissions\":[\"allow_join\"],\"jti\":\"%s\","
                 "\"iat\":1700000000,\"exp\":1700000600}",
                 id);
        char *t = forge(HS256, pay, RG_ALG_HS256, SEC1);
        assert_int_equal(rg_token_check(H, t, strlen(t), NOW, lookup, NULL, &r), RG_TOK_VALID);
        assert_string_equal(r.jti, len == 256 ? id : "");
        free(t);
    }
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
    /* From a clock far in the past, exp is too far ahead. */
    assert_int_equal(check(tok, INT64_MIN), RG_TOK_EXPIRED);
}

/* A Twilio payload with raw JSON values for the three time claims (NULL
 * omits one), checked at NOW. */
static rg_tok_code check_raw_times(const char *iat, const char *nbf, const char *exp)
{
    char p[512];
    int n = snprintf(p, sizeof(p), "{\"iss\":\"%s\",\"sub\":\"%s\"", SK1, AC1);
    if (iat) n += snprintf(p + n, sizeof(p) - (size_t)n, ",\"iat\":%s", iat);
    if (nbf) n += snprintf(p + n, sizeof(p) - (size_t)n, ",\"nbf\":%s", nbf);
    if (exp) n += snprintf(p + n, sizeof(p) - (size_t)n, ",\"exp\":%s", exp);
    snprintf(p + n, sizeof(p) - (size_t)n, ",\"grants\":{\"identity\":\"a\"}}");
    return check_json(HS256, p);
}

/* Issue 10 item 4: a key holder shaping the time claims to outlive the
 * 24 h cap or to dodge revocation. */
static void test_validate_crafted_times(void **state)
{
    (void)state;
    const long long ten_years = 10LL * 365 * 86400, e52 = 1LL << 52;
    /* iat = exp - 100, nbf = now, exp 10 years ahead: the lifetime by
     * iat looks like 100 s, but exp - now is what bounds the token. */
    assert_int_equal(check_times(NOW + ten_years - 100, NOW, NOW + ten_years), RG_TOK_EXPIRED);
    assert_int_equal(check_times(e52 - 100, NOW, e52), RG_TOK_EXPIRED);
    assert_int_equal(check_times(-1, -1, e52), RG_TOK_EXPIRED);
    assert_int_equal(check_times(e52 - 100, -1, e52), RG_TOK_EXPIRED);
    /* exp - now: 24 h + 60 s of leeway for an issuer whose clock runs
     * ahead; exp - iat: 24 h, both read from the issuer's clock. */
    assert_int_equal(check_times(NOW + 60, NOW + 60, NOW + 60 + 86400), RG_TOK_VALID);
    assert_int_equal(check_times(NOW + 60, NOW + 60, NOW + 61 + 86400), RG_TOK_EXPIRED);
    assert_int_equal(check_times(NOW - 1000, -1, NOW - 1000 + 86401), RG_TOK_EXPIRED);
    /* exp that is no usable number. */
    static const char *const bad_exp[] = {"-5",
                                          "0",
                                          "-1",
                                          "1e300",
                                          "-1e300",
                                          "1e16",
                                          "1.5",
                                          "1700000060.25",
                                          "4503599627370496.5",
                                          "\"1700000060\"",
                                          "{}"};
    for (size_t i = 0; i < sizeof(bad_exp) / sizeof(bad_exp[0]); i++)
        assert_int_equal(check_raw_times("1700000000", NULL, bad_exp[i]), RG_TOK_EXPIRED);
    assert_int_equal(check_raw_times("1700000000", NULL, "4503599627370496"), RG_TOK_EXPIRED);
    /* iat in the future beyond the leeway, even with nbf = now: such a
     * token would survive every kick made before its iat. */
    assert_int_equal(check_times(NOW + 61, NOW + 61, NOW + 600), RG_TOK_NOT_YET_VALID);
    assert_int_equal(check_times(NOW + 61, NOW, NOW + 600), RG_TOK_NOT_YET_VALID);
    assert_int_equal(check_times(NOW + 86000, NOW, NOW + 3600), RG_TOK_NOT_YET_VALID);
    assert_int_equal(check_times(NOW + 86000, NOW, NOW + 86000 + 60), RG_TOK_NOT_YET_VALID);
    assert_int_equal(check_times(NOW + 86000, NOW, NOW + 86000 + 600), RG_TOK_EXPIRED);
    assert_int_equal(check_times(NOW + 60, -1, NOW + 600), RG_TOK_VALID);
    /* nbf before iat: valid before it was issued. */
    assert_int_equal(check_times(NOW, NOW - 1, NOW + 600), RG_TOK_INVALID);
    assert_int_equal(check_times(NOW + 30, NOW - 100, NOW + 600), RG_TOK_INVALID);
    assert_int_equal(check_times(NOW, NOW, NOW + 600), RG_TOK_VALID);
    assert_int_equal(check_times(NOW - 10, NOW + 5, NOW + 600), RG_TOK_VALID);
    /* iat and nbf that are no usable number. */
    assert_int_equal(check_raw_times("1e300", NULL, "1700000600"), RG_TOK_EXPIRED);
    assert_int_equal(check_raw_times("1700000000", "1.5", "1700000600"), RG_TOK_EXPIRED);
}

/* What a kick compares against: iat, else nbf, else older than any kick. */
static void test_validate_issued(void **state)
{
    (void)state;
    static const long long times[][3] = {
        {NOW - 5, NOW, NOW + 60}, {-1, NOW - 7, NOW + 60}, {-1, -1, NOW + 60}};
    static const int64_t want[] = {NOW - 5, NOW - 7, INT64_MIN};
    for (int i = 0; i < 3; i++) {
        char *p = twilio_payload(SK1, AC1, times[i][0], times[i][1], times[i][2]);
        char *t = forge(HS256, p, RG_ALG_HS256, SEC1);
        rg_token_result r;
        assert_int_equal(rg_token_validate(H, t, strlen(t), NOW, lookup, NULL, &r), RG_TOK_VALID);
        assert_true(r.issued == want[i]);
        rg_token_result_clear(&r);
        free(t);
        free(p);
    }
}

/* Signs "h.p" (already encoded, spelled as given) under SEC1. */
static char *sign_spelled(const char *h, const char *p)
{
    char *t = malloc(strlen(h) + strlen(p) + 100);
    assert_non_null(t);
    size_t n = (size_t)sprintf(t, "%s.%s", h, p), maclen;
    uint8_t mac[RG_HMAC_MAX];
    assert_int_equal(
        rg_hmac_compute(H, RG_ALG_HS256, (const uint8_t *)SEC1, strlen(SEC1), t, n, mac, &maclen),
        RG_OK);
    t[n++] = '.';
    rg_b64url_encode(t + n, mac, maclen);
    return t;
}

static char *enc(const char *json)
{
    char *e = malloc(rg_b64url_len(strlen(json)) + 4);
    assert_non_null(e);
    rg_b64url_encode(e, (const uint8_t *)json, strlen(json));
    return e;
}

/* Issue 10 item 10: one token, one spelling.  Each variant below decodes
 * to the same bytes as a valid token (and is signed when the signed part
 * changes), so only the spelling is wrong. */
static void test_validate_canonical(void **state)
{
    (void)state;
    char tok[2048], buf[4096];
    size_t n = mint_twilio(tok, "alice", "r", 600);
    assert_int_equal(check(tok, NOW), RG_TOK_VALID);
    /* '=' after the signature (43 chars: one pad), and after all three
     * segments, re-signed. */
    snprintf(buf, sizeof(buf), "%s=", tok);
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    snprintf(buf, sizeof(buf), "%s==", tok);
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    const char *pj = "{\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1700000600,"
                     "\"grants\":{\"identity\":\"a\"}}";
    const char *hj = "{\"alg\":\"HS256\"}"; /* 15 bytes: 20 chars, no padding */
    char *h = enc(hj), *p = enc(pj);
    assert_int_equal(strlen(p) % 4 != 0, 1);
    char *t = sign_spelled(h, p);
    assert_int_equal(check(t, NOW), RG_TOK_VALID);
    free(t);
    char padded[1024];
    snprintf(padded, sizeof(padded), "%s%.*s", p, (int)((4 - strlen(p) % 4) % 4), "==");
    t = sign_spelled(h, padded);
    assert_int_equal(check(t, NOW), RG_TOK_INVALID);
    free(t);
    const char *hj2 = "{\"alg\":\"HS256\" }"; /* 16 bytes: 22 chars + "==" */
    char *h2 = enc(hj2);
    snprintf(padded, sizeof(padded), "%s==", h2);
    t = sign_spelled(padded, p);
    assert_int_equal(check(t, NOW), RG_TOK_INVALID);
    free(t);
    t = sign_spelled(h2, p);
    assert_int_equal(check(t, NOW), RG_TOK_VALID);
    free(t);

    /* The standard alphabet's '+' and '/' for '-' and '_': find a minted
     * token whose signature has one. */
    int swapped = 0;
    for (int i = 0; i < 64 && swapped < 2; i++) {
        char id[16];
        snprintf(id, sizeof(id), "u%d", i);
        n = mint_twilio(tok, id, "r", 600);
        char *sig = strrchr(tok, '.') + 1;
        char *c = strpbrk(sig, swapped ? "_" : "-");
        if (c == NULL) continue;
        *c = swapped ? '/' : '+';
        assert_int_equal(check(tok, NOW), RG_TOK_INVALID);
        swapped++;
    }
    assert_int_equal(swapped, 2);

    /* Non-zero trailing bits: 43 chars carry 258 bits for 256, so the
     * last char's two low bits are spare. */
    n = mint_twilio(tok, "alice", "r", 600);
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alpha, tok[n - 1]) - alpha);
    assert_int_equal(v & 3, 0);
    for (int bits = 1; bits < 4; bits++) {
        memcpy(buf, tok, n + 1);
        buf[n - 1] = alpha[v | bits];
        assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    }

    /* Whitespace anywhere, and a segment of 1 mod 4 chars. */
    static const char *const ws[] = {" ", "\t", "\n", "\r\n"};
    for (size_t i = 0; i < 4; i++) {
        size_t at[] = {5, (size_t)(strchr(tok, '.') - tok) + 3, n - 2, n};
        for (size_t k = 0; k < 4; k++) {
            snprintf(buf, sizeof(buf), "%.*s%s%s", (int)at[k], tok, ws[i], tok + at[k]);
            assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
        }
    }
    snprintf(buf, sizeof(buf), "%sAA", tok); /* 45 chars */
    assert_int_equal(check(buf, NOW), RG_TOK_INVALID);
    free(h);
    free(h2);
    free(p);
}

/* An empty room is not "any room". */
static void test_validate_empty_room(void **state)
{
    (void)state;
    const char *pre = "{\"iss\":\"" SK1 "\",\"sub\":\"" AC1 "\",\"exp\":1700000060,"
                      "\"grants\":{\"identity\":\"a\",\"video\":";
    char p[512];
    snprintf(p, sizeof(p), "%s{\"room\":\"\"}}}", pre);
    assert_int_equal(check_json(HS256, p), RG_TOK_INVALID);
    snprintf(p, sizeof(p), "%s{\"room\":\"r\"}}}", pre);
    assert_int_equal(check_json(HS256, p), RG_TOK_VALID);
    snprintf(p, sizeof(p), "%s{}}}", pre); /* no room: any room, as Twilio's */
    assert_int_equal(check_json(HS256, p), RG_TOK_VALID);
    const char *v = "{\"apikey\":\"" SK1 "\",\"exp\":1700000060,"
                    "\"permissions\":[\"allow_join\"],\"roomId\":";
    snprintf(p, sizeof(p), "%s\"\"}", v);
    assert_int_equal(check_json(HS256, p), RG_TOK_INVALID);
    snprintf(p, sizeof(p), "%s\"r\"}", v);
    assert_int_equal(check_json(HS256, p), RG_TOK_VALID);
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
        cmocka_unit_test(test_validate_twilio_ok),  cmocka_unit_test(test_validate_videosdk_ok),
        cmocka_unit_test(test_validate_jti),        cmocka_unit_test(test_validate_algs),
        cmocka_unit_test(test_validate_signature),  cmocka_unit_test(test_validate_mutations),
        cmocka_unit_test(test_validate_shape),      cmocka_unit_test(test_validate_json),
        cmocka_unit_test(test_validate_issuer),     cmocka_unit_test(test_validate_times),
        cmocka_unit_test(test_validate_claims),     cmocka_unit_test(test_validate_crafted_times),
        cmocka_unit_test(test_validate_issued),     cmocka_unit_test(test_validate_canonical),
        cmocka_unit_test(test_validate_empty_room),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

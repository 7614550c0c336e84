/* test_token.c - HMAC vectors, minting, and every validation rule of
 * docs/api.md with its code. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/hmac.h"
#include "core/token.h"

#define NOW 1700000000LL
#define SK1 "SK00000000000000000000000000000001"
#define AC1 "AC00000000000000000000000000000001"
#define SK2 "SK00000000000000000000000000000002"
#define AC2 "AC00000000000000000000000000000002"
#define SEC1 "0123456789abcdef0123456789abcdef"
#define SEC2 "a different secret"

/* ---- fixtures -------------------------------------------------------------- */

static rg_hmac *H;

static int setup(void **state)
{
    (void)state;
    H = rg_hmac_new();
    return H == NULL;
}

static int teardown(void **state)
{
    (void)state;
    rg_hmac_free(H);
    return 0;
}

/* The key store: SK1 (AC1) and SK2 (AC2); ud, when set, names a deleted
 * key. */
static int lookup(void *ud, const char *sid, rg_key_view *out)
{
    static const char *const tab[2][3] = {{SK1, AC1, SEC1}, {SK2, AC2, SEC2}};
    for (int i = 0; i < 2; i++) {
        if (strcmp(sid, tab[i][0]) != 0 || (ud != NULL && strcmp(ud, sid) == 0)) continue;
        strcpy(out->account_sid, tab[i][1]);
        out->secret_len = strlen(tab[i][2]);
        memcpy(out->secret, tab[i][2], out->secret_len);
        return 0;
    }
    return -1;
}

/* Signs arbitrary header/payload JSON: the attacker's (or a foreign
 * library's) view of the format. */
static char *forge(const char *hdr, const char *payload, rg_alg alg, const char *secret)
{
    size_t hl = strlen(hdr), pl = strlen(payload);
    char *t = malloc(rg_b64url_len(hl) + rg_b64url_len(pl) + 100);
    assert_non_null(t);
    size_t n = rg_b64url_encode(t, (const uint8_t *)hdr, hl);
    t[n++] = '.';
    n += rg_b64url_encode(t + n, (const uint8_t *)payload, pl);
    uint8_t mac[RG_HMAC_MAX];
    size_t maclen;
    assert_int_equal(
        rg_hmac_compute(H, alg, (const uint8_t *)secret, strlen(secret), t, n, mac, &maclen),
        RG_OK);
    t[n++] = '.';
    rg_b64url_encode(t + n, mac, maclen);
    return t;
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* A Twilio payload with the given times (a negative value omits it). */
static char *twilio_payload(const char *iss, const char *sub, long long iat, long long nbf,
                            long long exp)
{
    char *p = malloc(512);
    assert_non_null(p);
    int n = sprintf(p, "{\"jti\":\"%s-1\",\"iss\":\"%s\",\"sub\":\"%s\"", iss, iss, sub);
    if (iat >= 0) n += sprintf(p + n, ",\"iat\":%lld", iat);
    if (nbf >= 0) n += sprintf(p + n, ",\"nbf\":%lld", nbf);
    if (exp >= 0) n += sprintf(p + n, ",\"exp\":%lld", exp);
    sprintf(p + n, ",\"grants\":{\"identity\":\"alice\",\"video\":{\"room\":\"r1\"}}}");
    return p;
}

/* Validates and returns the code, clearing the result. */
static rg_tok_code check(const char *tok, int64_t now)
{
    rg_token_result r;
    rg_tok_code c = rg_token_validate(H, tok, strlen(tok), now, lookup, NULL, &r);
    assert_int_equal(c, r.code);
    rg_token_result_clear(&r);
    return c;
}

/* Forges a token from header and payload JSON under SEC1, checks it. */
static rg_tok_code check_json(const char *hdr, const char *payload)
{
    char *t = forge(hdr, payload, RG_ALG_HS256, SEC1);
    rg_tok_code c = check(t, NOW);
    free(t);
    return c;
}

static rg_tok_code check_times(long long iat, long long nbf, long long exp)
{
    char *p = twilio_payload(SK1, AC1, iat, nbf, exp);
    rg_tok_code c = check_json(HS256, p);
    free(p);
    return c;
}

static size_t mint_twilio(char *out, const char *identity, const char *room, int64_t ttl)
{
    rg_twilio_claims c = {AC1, SK1, (const uint8_t *)SEC1, strlen(SEC1), identity, room, NOW, ttl};
    size_t n = 0;
    assert_int_equal(rg_token_mint_twilio(H, &c, out, 2048, &n), RG_OK);
    assert_int_equal(strlen(out), n);
    return n;
}

/* Decodes segment i (0 header, 1 payload) of tok into a NUL-terminated
 * malloc'd string. */
static char *segment(const char *tok, int i)
{
    const char *s = tok;
    for (int k = 0; k < i; k++)
        s = strchr(s, '.') + 1;
    size_t len = (size_t)(strchr(s, '.') - s), n;
    char *out = malloc(len + 4);
    assert_non_null(out);
    assert_int_equal(rg_b64url_decode((uint8_t *)out, len + 3, s, len, &n), RG_OK);
    out[n] = '\0';
    return out;
}

static json_t *payload_of(const char *tok)
{
    char *p = segment(tok, 1);
    json_t *j = json_loads(p, JSON_REJECT_DUPLICATES, NULL);
    free(p);
    assert_true(json_is_object(j));
    return j;
}

/* ---- HMAC ------------------------------------------------------------------ */

static void test_hmac_rfc4231(void **state)
{
    (void)state;
    static const char *const want[6][3] = {
        {"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
         "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b"
         "2fa9cb6",
         "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274ea"
         "ea3f4e4be9d914eeb61f1702e696c203a126854"},
        {"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
         "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecf"
         "ab21649",
         "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f"
         "8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
        {"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
         "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b2a5ab39dc13814b94e3ab6e10"
         "1a34f27",
         "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47"
         "e67c807b946a337bee8942674278859e13292fb"},
        {"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
         "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e6801dd23c4a7d679ccf8a386c"
         "674cffb",
         "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc"
         "5788063a5f19741120c4f2de2adebeb10a298dd"},
        {"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
         "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df16"
         "3f44952",
         "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215"
         "d6a1e5295e64f73f63f0aec8b915a985d786598"},
        {"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
         "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5a678cc31e799176d3860e6110"
         "c46523e",
         "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c"
         "3e4de15134676fb6de0446065c97440fa8c6a58"},
    };
    uint8_t k1[20], k3[20], k4[25], k6[131], d3[50], d4[50];
    memset(k1, 0x0b, 20);
    memset(k3, 0xaa, 20);
    memset(k6, 0xaa, 131); /* longer than both block sizes: hashed first */
    memset(d3, 0xdd, 50);
    memset(d4, 0xcd, 50);
    for (int i = 0; i < 25; i++)
        k4[i] = (uint8_t)(i + 1);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm.";
    const struct {
        const uint8_t *key;
        size_t klen;
        const void *msg;
        size_t mlen;
    } cases[6] = {
        {k1, 20, "Hi There", 8},   {(const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28},
        {k3, 20, d3, 50},          {k4, 25, d4, 50},
        {k6, 131, m6, strlen(m6)}, {k6, 131, m7, strlen(m7)},
    };
    /* Each vector three times in a row: a new key (direct path), then the
     * same key (primes the states), then the primed states; and the next
     * vector changes the key again. */
    for (int i = 0; i < 6; i++) {
        for (int a = 0; a < 3; a++) {
            for (int rep = 0; rep < 3; rep++) {
                uint8_t mac[RG_HMAC_MAX];
                char hex[2 * RG_HMAC_MAX + 1];
                size_t n = 0;
                assert_int_equal(rg_hmac_compute(H, (rg_alg)a, cases[i].key, cases[i].klen,
                                                 cases[i].msg, cases[i].mlen, mac, &n),
                                 RG_OK);
                assert_int_equal(n, 32 + 16 * a);
                rg_hex_encode(hex, mac, n);
                assert_string_equal(hex, want[i][a]);
            }
        }
    }
}

static void test_hmac_key_cache(void **state)
{
    (void)state;
    /* Keys that differ only in length or in the last byte must not share
     * remembered or primed state, whatever the order. */
    static const char *const keys[] = {"key1", "key2", "key", "key1", "key1", "key", "key"};
    uint8_t mac[7][RG_HMAC_MAX];
    size_t n;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(rg_hmac_compute(H, RG_ALG_HS256, (const uint8_t *)keys[i], strlen(keys[i]),
                                         "m", 1, mac[i], &n),
                         RG_OK);
        for (int j = 0; j < i; j++) {
            if (strcmp(keys[i], keys[j]) == 0)
                assert_memory_equal(mac[i], mac[j], 32);
            else
                assert_memory_not_equal(mac[i], mac[j], 32);
        }
    }
    uint8_t a[RG_HMAC_MAX];
    assert_int_equal(rg_hmac_compute(H, RG_ALG_HS256, NULL, 0, "", 0, a, &n), RG_OK);
    assert_int_equal(rg_hmac_compute(H, RG_ALG_HS256, NULL, 0, "", 0, a, &n), RG_OK);
    assert_int_equal(rg_hmac_compute(H, (rg_alg)7, NULL, 0, "", 0, a, &n), RG_ECRYPTO);
}

static void test_alg_names(void **state)
{
    (void)state;
    assert_int_equal(rg_alg_from_name("HS256", 5), RG_ALG_HS256);
    assert_int_equal(rg_alg_from_name("HS384", 5), RG_ALG_HS384);
    assert_int_equal(rg_alg_from_name("HS512", 5), RG_ALG_HS512);
    static const char *const bad[] = {"none", "hs256", "RS256", "ES256", "PS256", "HS1024", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(rg_alg_from_name(bad[i], strlen(bad[i])), -1);
    assert_int_equal(rg_alg_from_name("HS2567", 5), RG_ALG_HS256); /* reads len bytes */
    assert_string_equal(rg_alg_name(RG_ALG_HS512), "HS512");
}

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
        cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_hmac_key_cache),
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_mint_twilio),
        cmocka_unit_test(test_mint_videosdk),
        cmocka_unit_test(test_mint_refusals),
        cmocka_unit_test(test_perm_parse),
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
        cmocka_unit_test(test_identity_escaping),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

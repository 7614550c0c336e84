/* test_turn.c - coturn REST API credentials (core/turn.h). */
#include "unit.h"

#include <stdio.h>

#include "core/errors.h"
#include "core/turn.h"

#define SECRET "roomgate-turn-secret-0001"

static void check(const char *identity, int64_t now, int64_t ttl, const char *user,
                  const char *pass)
{
    rg_turn_cred c;
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), identity, now, ttl, &c), RG_OK);
    assert_string_equal(c.username, user);
    assert_string_equal(c.password, pass);
    assert_int_equal(c.expires, now + ttl);
}

/* Expected values computed independently:
 *   printf %s "1700003600:alice" | openssl dgst -sha1 -hmac roomgate-turn-secret-0001 \
 *       -binary | base64 */
static void test_known_vectors(void **state)
{
    (void)state;
    check("alice", 1700000000, 3600, "1700003600:alice", "w+ebGRZe+6VCumEJcIi6ZG5B+sM=");
    check("AC0123456789abcdef0123456789abcdef", 1700000000, 86400,
          "1700086400:AC0123456789abcdef0123456789abcdef", "oIgOhXQrx1Q3mmxDbSUuJBOPnqU=");
    /* coturn reads the expiry before the first ':', so colons and UTF-8 in
     * the identity are fine */
    check("\xc3\xbcn\xc3\xaf"
          "code:with:colons",
          1700000000, 1,
          "1700000001:\xc3\xbcn\xc3\xaf"
          "code:with:colons",
          "xkbBYaRH5T2w3AEvB+4sGdkw64Q=");
}

static void test_other_secret_other_password(void **state)
{
    rg_turn_cred a, b;
    (void)state;
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "alice", 1700000000, 3600, &a),
                     RG_OK);
    assert_int_equal(
        rg_turn_credential("roomgate-turn-secret-0002", 25, "alice", 1700000000, 3600, &b), RG_OK);
    assert_string_equal(a.username, b.username);
    assert_string_not_equal(a.password, b.password);
    assert_int_equal(strlen(a.password), RG_TURN_PASSWORD_LEN);
}

static void test_bounds(void **state)
{
    rg_turn_cred c;
    char id[RG_IDENTITY_MAX + 2];
    (void)state;
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "a", 0, RG_TURN_MAX_TTL, &c),
                     RG_OK);
    assert_string_equal(c.username, "86400:a");
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "a", 1, 0, &c), RG_EINVAL);
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "a", 1, -5, &c), RG_EINVAL);
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "a", 1, RG_TURN_MAX_TTL + 1, &c),
                     RG_EINVAL);
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "a", -1, 60, &c), RG_EINVAL);
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), "", 1, 60, &c), RG_EINVAL);
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), NULL, 1, 60, &c), RG_EINVAL);
    assert_int_equal(rg_turn_credential(NULL, 0, "a", 1, 60, &c), RG_EINVAL);
    assert_int_equal(rg_turn_credential(SECRET, 0, "a", 1, 60, &c), RG_EINVAL);
    memset(id, 'x', sizeof id);
    id[RG_IDENTITY_MAX] = '\0';
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), id, 4102444800LL, 86400, &c),
                     RG_OK);
    assert_int_equal(strlen(c.username), 10 + 1 + RG_IDENTITY_MAX);
    id[RG_IDENTITY_MAX] = 'x';
    id[RG_IDENTITY_MAX + 1] = '\0';
    assert_int_equal(rg_turn_credential(SECRET, strlen(SECRET), id, 1, 60, &c), RG_EINVAL);
}

static void test_secret_rules(void **state)
{
    char big[RG_TURN_SECRET_MAX + 2];
    (void)state;
    assert_true(rg_turn_secret_valid("0123456789abcdef", 16));
    assert_true(rg_turn_secret_valid("!$%&()*+-./:;<=>?@[]^_{|}~0123", 30));
    assert_false(rg_turn_secret_valid("0123456789abcde", 15));         /* too short */
    assert_false(rg_turn_secret_valid("0123456789abcde f", 17));       /* space */
    assert_false(rg_turn_secret_valid("0123456789abcde,f", 17));       /* list separator */
    assert_false(rg_turn_secret_valid("0123456789abcde#f", 17));       /* conf comment */
    assert_false(rg_turn_secret_valid("0123456789abcde\xc3\xa9", 17)); /* not ASCII */
    assert_false(rg_turn_secret_valid("0123456789abcdef\n", 17));
    assert_false(rg_turn_secret_valid(NULL, 16));
    memset(big, 'k', sizeof big);
    assert_true(rg_turn_secret_valid(big, RG_TURN_SECRET_MAX));
    assert_false(rg_turn_secret_valid(big, RG_TURN_SECRET_MAX + 1));
}

static void test_uri_rules(void **state)
{
    char big[RG_TURN_URI_MAX + 2];
    (void)state;
    assert_true(rg_turn_uri_valid("turn:127.0.0.1:3478?transport=udp", 1));
    assert_true(rg_turn_uri_valid("turns:turn.example.com:5349?transport=tcp", 1));
    assert_true(rg_turn_uri_valid("turn:[::1]:3478", 1));
    assert_true(rg_turn_uri_valid("stun:stun.example.com", 0));
    assert_true(rg_turn_uri_valid("stuns:stun.example.com:5349", 0));
    assert_false(rg_turn_uri_valid("stun:stun.example.com", 1)); /* kind mismatch */
    assert_false(rg_turn_uri_valid("turn:x", 0));
    assert_false(rg_turn_uri_valid("turn:", 1));
    assert_false(rg_turn_uri_valid("turn://host", 1));
    assert_false(rg_turn_uri_valid("turn::3478", 1));
    assert_false(rg_turn_uri_valid("http://host", 1));
    assert_false(rg_turn_uri_valid("TURN:host", 1));
    assert_false(rg_turn_uri_valid("turn:host name", 1));
    assert_false(rg_turn_uri_valid("turn:host\"", 1));
    assert_false(rg_turn_uri_valid("turn:h\xc3\xa9", 1));
    assert_false(rg_turn_uri_valid(NULL, 1));
    memset(big, 'h', sizeof big);
    memcpy(big, "turn:", 5);
    big[RG_TURN_URI_MAX] = '\0';
    assert_true(rg_turn_uri_valid(big, 1));
    big[RG_TURN_URI_MAX] = 'h';
    big[RG_TURN_URI_MAX + 1] = '\0';
    assert_false(rg_turn_uri_valid(big, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors), cmocka_unit_test(test_other_secret_other_password),
        cmocka_unit_test(test_bounds),        cmocka_unit_test(test_secret_rules),
        cmocka_unit_test(test_uri_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_linkseen.c - the table of /media links already served with a
 * durable audit row (core/linkseen.h). */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "core/linkseen.h"

static const char *SID = "RE0123456789abcdef0123456789abcdef";
static const char *NONCE = "pbGa1_u3G-7tXRaBlbwptw";

static void test_served_until_expiry(void **state)
{
    (void)state;
    rg_linkseen *s = calloc(1, sizeof *s);
    char k[RG_LINKSEEN_KEY];
    assert_non_null(s);
    assert_int_equal(rg_linkseen_key(k, SID, NONCE, strlen(NONCE), "127.0.0.1"), 0);
    assert_false(rg_linkseen_has(s, k, 100));
    rg_linkseen_add(s, k, 200);
    assert_true(rg_linkseen_has(s, k, 100));
    assert_true(rg_linkseen_has(s, k, 199));
    assert_false(rg_linkseen_has(s, k, 200)); /* the link lapsed: so does the entry */
    free(s);
}

/* Another address, nonce or recording is another key: it waits again. */
static void test_key_parts(void **state)
{
    (void)state;
    rg_linkseen *s = calloc(1, sizeof *s);
    char k[RG_LINKSEEN_KEY], other[RG_LINKSEEN_KEY];
    assert_non_null(s);
    assert_int_equal(rg_linkseen_key(k, SID, NONCE, strlen(NONCE), "10.0.0.1"), 0);
    rg_linkseen_add(s, k, 200);
    assert_int_equal(rg_linkseen_key(other, SID, NONCE, strlen(NONCE), "10.0.0.2"), 0);
    assert_false(rg_linkseen_has(s, other, 100));
    assert_int_equal(rg_linkseen_key(other, SID, "pbGa1_u3G-7tXRaBlbwptx", 22, "10.0.0.1"), 0);
    assert_false(rg_linkseen_has(s, other, 100));
    assert_int_equal(
        rg_linkseen_key(other, "RE0123456789abcdef0123456789abcdee", NONCE, 22, "10.0.0.1"), 0);
    assert_false(rg_linkseen_has(s, other, 100));
    /* the nonce is taken by length: trailing bytes are not part of it */
    assert_int_equal(rg_linkseen_key(other, SID, "pbGa1_u3G-7tXRaBlbwptw&sig=x", 22, "10.0.0.1"),
                     0);
    assert_true(rg_linkseen_has(s, other, 100));
    free(s);
}

/* Many links: each slot holds one, a newer one evicts (its owner waits
 * again); the table never answers for a key it does not hold. */
static void test_eviction_never_lies(void **state)
{
    (void)state;
    rg_linkseen *s = calloc(1, sizeof *s);
    char k[RG_LINKSEEN_KEY], ip[32];
    int held = 0;
    assert_non_null(s);
    for (int i = 0; i < 4 * RG_LINKSEEN_SLOTS; i++) {
        snprintf(ip, sizeof ip, "10.0.%d.%d", i / 256, i % 256);
        assert_int_equal(rg_linkseen_key(k, SID, NONCE, 22, ip), 0);
        rg_linkseen_add(s, k, 200);
    }
    for (int i = 0; i < 4 * RG_LINKSEEN_SLOTS; i++) {
        snprintf(ip, sizeof ip, "10.0.%d.%d", i / 256, i % 256);
        assert_int_equal(rg_linkseen_key(k, SID, NONCE, 22, ip), 0);
        held += rg_linkseen_has(s, k, 100);
    }
    assert_true(held > 0 && held <= RG_LINKSEEN_SLOTS);
    free(s);
}

static void test_key_too_long(void **state)
{
    (void)state;
    char k[RG_LINKSEEN_KEY], ip[RG_LINKSEEN_KEY];
    memset(ip, 'a', sizeof ip - 1);
    ip[sizeof ip - 1] = '\0';
    assert_int_equal(rg_linkseen_key(k, SID, NONCE, 22, ip), -1);
    assert_int_equal(rg_linkseen_key(k, SID, "ab\0cd", 5, "10.0.0.1"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served_until_expiry),
        cmocka_unit_test(test_key_parts),
        cmocka_unit_test(test_eviction_never_lies),
        cmocka_unit_test(test_key_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

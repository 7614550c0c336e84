/* test_connlimit.c - open connections per client address
 * (http/connlimit.h): the cap, release, IPv6 by /64, IPv4-mapped IPv6 as
 * IPv4, and the refused count. */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "http/connlimit.h"

static void key(const char *text, uint8_t k[RG_CONNKEY_LEN])
{
    struct sockaddr_in in4 = {.sin_family = AF_INET};
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
    if (strchr(text, ':')) {
        assert_int_equal(inet_pton(AF_INET6, text, &in6.sin6_addr), 1);
        rg_connlimit_key((struct sockaddr *)&in6, sizeof in6, k);
    } else {
        assert_int_equal(inet_pton(AF_INET, text, &in4.sin_addr), 1);
        rg_connlimit_key((struct sockaddr *)&in4, sizeof in4, k);
    }
}

static void test_cap_and_release(void **state)
{
    (void)state;
    uint8_t a[RG_CONNKEY_LEN], b[RG_CONNKEY_LEN];
    rg_connlimit *cl = rg_connlimit_new(3);
    assert_non_null(cl);
    key("192.0.2.1", a);
    key("192.0.2.2", b);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rg_connlimit_acquire(cl, a), 0);
    assert_int_equal(rg_connlimit_acquire(cl, a), -1);
    assert_int_equal(rg_connlimit_acquire(cl, a), -1);
    assert_int_equal(rg_connlimit_acquire(cl, b), 0); /* another address */
    rg_connlimit_release(cl, a);
    assert_int_equal(rg_connlimit_acquire(cl, a), 0); /* the freed slot */
    assert_int_equal(rg_connlimit_acquire(cl, a), -1);
    assert_int_equal(rg_connlimit_take_refused(cl), 3);
    assert_int_equal(rg_connlimit_take_refused(cl), 0);
    rg_connlimit_free(cl); /* with entries left: freed too (LSan/valgrind) */
}

static void test_ipv6_by_64(void **state)
{
    (void)state;
    uint8_t a[RG_CONNKEY_LEN], b[RG_CONNKEY_LEN], c[RG_CONNKEY_LEN];
    rg_connlimit *cl = rg_connlimit_new(2);
    assert_non_null(cl);
    key("2001:db8:1:2::1", a);
    key("2001:db8:1:2:ffff:ffff:ffff:ffff", b);
    key("2001:db8:1:3::1", c);
    assert_memory_equal(a, b, RG_CONNKEY_LEN);
    assert_int_equal(rg_connlimit_acquire(cl, a), 0);
    assert_int_equal(rg_connlimit_acquire(cl, b), 0);
    assert_int_equal(rg_connlimit_acquire(cl, a), -1); /* the same /64 */
    assert_int_equal(rg_connlimit_acquire(cl, c), 0);  /* the next /64 */
    rg_connlimit_release(cl, a);
    rg_connlimit_release(cl, b);
    rg_connlimit_release(cl, c);
    rg_connlimit_free(cl);
}

static void test_mapped_ipv4(void **state)
{
    (void)state;
    uint8_t a[RG_CONNKEY_LEN], b[RG_CONNKEY_LEN], c[RG_CONNKEY_LEN];
    key("::ffff:192.0.2.7", a);
    key("192.0.2.7", b);
    key("192.0.2.8", c);
    assert_memory_equal(a, b, RG_CONNKEY_LEN);
    assert_memory_not_equal(b, c, RG_CONNKEY_LEN);
    assert_null(rg_connlimit_new(0)); /* 0: no table, no limit */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_and_release),
        cmocka_unit_test(test_ipv6_by_64),
        cmocka_unit_test(test_mapped_ipv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

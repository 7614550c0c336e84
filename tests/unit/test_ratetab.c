/* test_ratetab.c - the bounded per-key rate limiter (core/ratetab.h):
 * limits and refill, waits, IPv6 /64 grouping, eviction under a flood of
 * fresh keys, fixed memory. */
#include "unit.h"

#include <arpa/inet.h>

#include "core/errors.h"
#include "core/ratetab.h"

static void ip(rg_ratekey *k, const char *text)
{
    uint8_t a[16];
    if (strchr(text, ':')) {
        assert_int_equal(inet_pton(AF_INET6, text, a), 1);
        rg_ratekey_ip(k, 6, a);
    } else {
        assert_int_equal(inet_pton(AF_INET, text, a), 1);
        rg_ratekey_ip(k, 4, a);
    }
}

static void test_burst_then_refill(void **state)
{
    (void)state;
    rg_ratetab t;
    rg_ratekey k;
    assert_int_equal(rg_ratetab_init(&t, 64, 5, 1000, 42), RG_OK); /* 5 per second */
    ip(&k, "192.0.2.1");
    int64_t now = 1000000;
    for (int i = 0; i < 5; i++)
        assert_int_equal(rg_ratetab_take(&t, &k, now), 0);
    int64_t w = rg_ratetab_take(&t, &k, now);
    assert_int_equal(w, 200); /* one interval */
    assert_int_equal(rg_ratetab_wait(&t, &k, now), 200);
    assert_int_equal(rg_ratetab_take(&t, &k, now + 199), 1);
    assert_int_equal(rg_ratetab_take(&t, &k, now + 200), 0);
    assert_true(rg_ratetab_take(&t, &k, now + 200) > 0);
    /* after a whole period the burst is back */
    for (int i = 0; i < 5; i++)
        assert_int_equal(rg_ratetab_take(&t, &k, now + 1200), 0);
    assert_true(rg_ratetab_take(&t, &k, now + 1200) > 0);
    /* other keys are not affected */
    rg_ratekey o;
    ip(&o, "192.0.2.2");
    assert_int_equal(rg_ratetab_wait(&t, &o, now + 1200), 0);
    assert_true(rg_ratetab_idle(&t, &o, now + 1200));
    assert_false(rg_ratetab_idle(&t, &k, now + 1200));
    assert_true(rg_ratetab_idle(&t, &k, now + 2400));
    rg_ratetab_free(&t);
}

static void test_charge_caps_debt(void **state)
{
    (void)state;
    rg_ratetab t;
    rg_ratekey k;
    assert_int_equal(rg_ratetab_init(&t, 64, 3, 60000, 7), RG_OK); /* 3 a minute */
    rg_ratekey_name(&k, 'C', "SK0123", 6);
    for (int i = 0; i < 1000; i++)
        rg_ratetab_charge(&t, &k, 0);
    /* 1000 failures at once: blocked, but for one interval only */
    assert_int_equal(rg_ratetab_wait(&t, &k, 0), 20000);
    assert_int_equal(rg_ratetab_wait(&t, &k, 20000), 0);
    rg_ratetab_free(&t);
}

static void test_unlimited(void **state)
{
    (void)state;
    rg_ratetab t;
    rg_ratekey k;
    assert_int_equal(rg_ratetab_init(&t, 64, 0, 1000, 1), RG_OK);
    ip(&k, "10.0.0.1");
    for (int i = 0; i < 10000; i++)
        assert_int_equal(rg_ratetab_take(&t, &k, 5), 0);
    rg_ratetab_charge(&t, &k, 5);
    assert_true(rg_ratetab_idle(&t, &k, 5));
    assert_null(t.e);
    rg_ratetab_free(&t);
    assert_int_equal(rg_ratetab_init(&t, 0, 5, 1000, 1), RG_EINVAL);
    assert_int_equal(rg_ratetab_init(&t, 64, 5, 0, 1), RG_EINVAL);
}

/* One /64 is one client: every address in it shares a cell; the next /64
 * is another client.  IPv4-mapped IPv6 is the IPv4 address. */
static void test_ipv6_by_64(void **state)
{
    (void)state;
    rg_ratekey a, b, c, d, e;
    ip(&a, "2001:db8:1:2::1");
    ip(&b, "2001:db8:1:2:ffff:ffff:ffff:fffe");
    ip(&c, "2001:db8:1:3::1");
    assert_memory_equal(&a, &b, sizeof a);
    assert_memory_not_equal(&a, &c, sizeof a);
    ip(&d, "::ffff:192.0.2.7");
    ip(&e, "192.0.2.7");
    assert_memory_equal(&d, &e, sizeof d);

    rg_ratetab t;
    assert_int_equal(rg_ratetab_init(&t, 64, 2, 1000, 9), RG_OK);
    assert_int_equal(rg_ratetab_take(&t, &a, 0), 0);
    assert_int_equal(rg_ratetab_take(&t, &b, 0), 0);
    assert_true(rg_ratetab_take(&t, &b, 0) > 0); /* the /64 used its two */
    assert_true(rg_ratetab_take(&t, &a, 0) > 0);
    assert_int_equal(rg_ratetab_take(&t, &c, 0), 0); /* the neighbour /64 did not */
    rg_ratetab_free(&t);
}

/* A flood of fresh keys neither grows the table nor frees a key that is
 * being limited: fresh keys are evicted first. */
static void test_flood_keeps_limited_keys(void **state)
{
    (void)state;
    rg_ratetab t;
    assert_int_equal(rg_ratetab_init(&t, 256, 5, 60000, 1234), RG_OK);
    size_t cap = t.nsets * RG_RATE_WAYS;
    assert_true(cap >= 256 && cap < 512);
    rg_ratekey bad[4];
    for (int i = 0; i < 4; i++) {
        uint8_t a[4] = {203, 0, 113, (uint8_t)i};
        rg_ratekey_ip(&bad[i], 4, a);
        for (int j = 0; j < 5; j++)
            rg_ratetab_charge(&t, &bad[i], 0);
        assert_true(rg_ratetab_wait(&t, &bad[i], 0) > 0);
    }
    for (uint32_t i = 0; i < 200000; i++) {
        uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
        memcpy(a + 4, &i, sizeof i);
        rg_ratekey k;
        rg_ratekey_ip(&k, 6, a);
        rg_ratetab_charge(&t, &k, 1000); /* each fresh key fails once */
    }
    assert_int_equal(t.nsets * RG_RATE_WAYS, cap);
    for (int i = 0; i < 4; i++)
        assert_true(rg_ratetab_wait(&t, &bad[i], 1000) > 0);
    rg_ratetab_free(&t);
}

static void test_name_keys(void **state)
{
    (void)state;
    rg_ratekey a, b, c;
    rg_ratekey_name(&a, 'C', "SKaaaa", 6);
    rg_ratekey_name(&b, 'M', "SKaaaa", 6);
    rg_ratekey_name(&c, 'C', "SKaaab", 6);
    assert_memory_not_equal(&a, &b, sizeof a);
    assert_memory_not_equal(&a, &c, sizeof a);
    char longsid[200];
    memset(longsid, 'x', sizeof longsid);
    rg_ratekey_name(&a, 'C', longsid, sizeof longsid); /* truncated, not overflowed */
    assert_int_equal(a.b[2 + RG_RATEKEY_LEN - 3], 'x');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_charge_caps_debt),
        cmocka_unit_test(test_unlimited),
        cmocka_unit_test(test_ipv6_by_64),
        cmocka_unit_test(test_flood_keeps_limited_keys),
        cmocka_unit_test(test_name_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_addrcount.c - the per-address count table (core/addrcount.h) that
 * connlimit.c and the signaling hub count in: the limit, release down to
 * zero and the entry freed, no limit, keys apart in long chains, and
 * clear (LSan/valgrind see any entry left behind). */
#include "unit.h"

#include "core/addrcount.h"

static void key(uint8_t k[RG_ADDRKEY_LEN], uint32_t n)
{
    memset(k, 0, RG_ADDRKEY_LEN);
    k[0] = '4';
    memcpy(k + 1, &n, sizeof n);
}

static void test_limit_and_release(void **state)
{
    (void)state;
    rg_addrcount t = {0};
    uint8_t a[RG_ADDRKEY_LEN], b[RG_ADDRKEY_LEN];
    key(a, 1);
    key(b, 2);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rg_addrcount_acquire(&t, a, 3), 0);
    assert_int_equal(rg_addrcount_acquire(&t, a, 3), -1); /* at the limit */
    assert_int_equal(rg_addrcount_acquire(&t, a, 3), -1); /* a refusal counts nothing */
    assert_int_equal(rg_addrcount_acquire(&t, b, 3), 0);  /* another address */
    rg_addrcount_release(&t, a);
    assert_int_equal(rg_addrcount_acquire(&t, a, 3), 0);
    assert_int_equal(rg_addrcount_acquire(&t, a, 3), -1);
    for (int i = 0; i < 3; i++)
        rg_addrcount_release(&t, a);
    /* down to zero, the entry went: a fresh one starts at zero */
    for (int i = 0; i < 3; i++)
        assert_int_equal(rg_addrcount_acquire(&t, a, 3), 0);
    assert_int_equal(rg_addrcount_acquire(&t, a, 3), -1);
    rg_addrcount_clear(&t);
}

static void test_no_limit_and_unknown_release(void **state)
{
    (void)state;
    rg_addrcount t = {0};
    uint8_t a[RG_ADDRKEY_LEN], never[RG_ADDRKEY_LEN];
    key(a, 7);
    key(never, 8);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rg_addrcount_acquire(&t, a, 0), 0);
    rg_addrcount_release(&t, never); /* never acquired: nothing happens */
    assert_int_equal(rg_addrcount_acquire(&t, never, 1), 0);
    assert_int_equal(rg_addrcount_acquire(&t, never, 1), -1);
    rg_addrcount_clear(&t);
    /* cleared and usable again: every count starts over */
    assert_int_equal(rg_addrcount_acquire(&t, a, 1), 0);
    assert_int_equal(rg_addrcount_acquire(&t, a, 1), -1);
    rg_addrcount_clear(&t);
}

static void test_many_keys_share_buckets(void **state)
{
    (void)state;
    rg_addrcount t = {0};
    uint8_t k[RG_ADDRKEY_LEN];
    enum { N = 4 * RG_ADDRCOUNT_BUCKETS }; /* chains of several entries */
    for (uint32_t i = 0; i < N; i++) {
        key(k, i);
        assert_int_equal(rg_addrcount_acquire(&t, k, 2), 0);
    }
    for (uint32_t i = 0; i < N; i += 2) { /* every other one released */
        key(k, i);
        rg_addrcount_release(&t, k);
    }
    for (uint32_t i = 0; i < N; i++) {
        key(k, i);
        assert_int_equal(rg_addrcount_acquire(&t, k, 2), 0); /* 1 then, or 0 */
        assert_int_equal(rg_addrcount_acquire(&t, k, 2), i % 2 ? -1 : 0);
    }
    rg_addrcount_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_and_release),
        cmocka_unit_test(test_no_limit_and_unknown_release),
        cmocka_unit_test(test_many_keys_share_buckets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_verdict.c - the per-thread cache of positive validation answers. */
#include "unit.h"

#include "core/verdict.h"

static void digest_of(uint8_t d[32], uint8_t seed, uint8_t slot_low)
{
    memset(d, seed, 32);
    d[0] = slot_low; /* the slot comes from the first bytes */
}

static void test_hit_and_miss(void **state)
{
    (void)state;
    rg_verdict_cache *vc = rg_verdict_cache_new(8);
    uint8_t d[32], other[32];
    size_t len = 0;
    digest_of(d, 1, 3);
    digest_of(other, 2, 3); /* same slot, different digest */
    assert_null(rg_verdict_get(vc, d, 1, 100, 60, &len));
    rg_verdict_put(vc, d, 1, 200, "{\"valid\":true}", 14);
    const char *b = rg_verdict_get(vc, d, 1, 100, 60, &len);
    assert_non_null(b);
    assert_int_equal(len, 14);
    assert_memory_equal(b, "{\"valid\":true}", 14);
    assert_null(rg_verdict_get(vc, other, 1, 100, 60, &len)); /* a collision is a miss */
    rg_verdict_put(vc, other, 1, 200, "x", 1);                /* and evicts */
    assert_null(rg_verdict_get(vc, d, 1, 100, 60, &len));
    rg_verdict_cache_free(vc);
}

static void test_generation_and_expiry(void **state)
{
    (void)state;
    rg_verdict_cache *vc = rg_verdict_cache_new(5); /* rounds up to 8 */
    uint8_t d[32];
    size_t len;
    digest_of(d, 7, 1);
    rg_verdict_put(vc, d, 4, 1000, "ok", 2);
    assert_null(rg_verdict_get(vc, d, 5, 500, 60, &len)); /* key deleted or identity revoked */
    assert_non_null(rg_verdict_get(vc, d, 4, 1060, 60, &len)); /* within the leeway */
    assert_null(rg_verdict_get(vc, d, 4, 1061, 60, &len));     /* expired */
    rg_verdict_cache_free(vc);
}

static void test_bounds(void **state)
{
    (void)state;
    rg_verdict_cache *vc = rg_verdict_cache_new(1);
    static char big[RG_VERDICT_MAX_BODY + 1];
    uint8_t d[32];
    size_t len;
    digest_of(d, 9, 0);
    rg_verdict_put(vc, d, 1, 1000, big, sizeof big); /* too large: not cached */
    assert_null(rg_verdict_get(vc, d, 1, 0, 60, &len));
    rg_verdict_put(vc, d, 1, 1000, big, 0); /* empty: not cached */
    assert_null(rg_verdict_get(vc, d, 1, 0, 60, &len));
    rg_verdict_put(vc, d, 1, 1000, big, RG_VERDICT_MAX_BODY);
    assert_non_null(rg_verdict_get(vc, d, 1, 0, 60, &len));
    assert_int_equal(len, RG_VERDICT_MAX_BODY);
    rg_verdict_cache_free(vc);
    rg_verdict_cache_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss),
        cmocka_unit_test(test_generation_and_expiry),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_redisurl.c - core/redisurl.c: the --redis URL. */
#include "unit.h"

#include "core/errors.h"
#include "core/redisurl.h"

static void test_forms(void **state)
{
    rg_redis_url u;
    (void)state;
    assert_int_equal(rg_redis_url_parse("redis://127.0.0.1", &u), RG_OK);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.password, "");
    assert_int_equal(rg_redis_url_parse("redis://cache.internal:6380/3", &u), RG_OK);
    assert_string_equal(u.host, "cache.internal");
    assert_int_equal(u.port, 6380);
    assert_int_equal(u.db, 3);
    assert_int_equal(rg_redis_url_parse("redis://[::1]:7000/", &u), RG_OK);
    assert_string_equal(u.host, "::1");
    assert_int_equal(u.port, 7000);
    assert_int_equal(rg_redis_url_parse("redis://:s3cr@t@10.0.0.5:6379/1", &u), RG_OK);
    assert_string_equal(u.user, "");
    assert_string_equal(u.password, "s3cr@t");
    assert_string_equal(u.host, "10.0.0.5");
    assert_int_equal(u.db, 1);
    assert_int_equal(rg_redis_url_parse("redis://rg:pw@h", &u), RG_OK);
    assert_string_equal(u.user, "rg");
    assert_string_equal(u.password, "pw");
}

static void test_refuses(void **state)
{
    static const char *const bad[] = {
        "",
        "127.0.0.1:6379",
        "rediss://h",
        "http://h",
        "redis://",
        "redis://:6379",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:12ab",
        "redis://h/65536",
        "redis://h/1/2",
        "redis://h/x",
        "redis://h?db=1",
        "redis://h#x",
        "redis://user@h",
        "redis://h st",
        "redis://[::1",
        "redis://[g::1]",
        "redis://h:6379x",
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rg_redis_url u;
        memset(&u, 'x', sizeof u);
        if (rg_redis_url_parse(bad[i], &u) != RG_EINVAL) fail_msg("accepted: %s", bad[i]);
        assert_string_equal(u.host, "");
    }
    assert_int_equal(rg_redis_url_parse(NULL, &(rg_redis_url){0}), RG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

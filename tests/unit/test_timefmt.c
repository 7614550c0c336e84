/* test_timefmt.c - formatting round trips and the RFC 3339 parser. */
#include "unit.h"

#include "core/timefmt.h"

static int64_t parse(const char *s)
{
    int64_t t = -42;
    assert_int_equal(rg_time_parse_iso8601(s, strlen(s), &t), 0);
    return t;
}

static void assert_bad(const char *s)
{
    int64_t t = -42;
    assert_int_equal(rg_time_parse_iso8601(s, strlen(s), &t), -1);
    assert_int_equal(t, -42);
}

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse("2026-11-23T10:00:00Z"), 1795428000);
    assert_int_equal(parse("2026-11-23T10:00:00.999Z"), 1795428000);
    assert_int_equal(parse("2026-11-23T10:00:00.1234567z"), 1795428000);
    assert_int_equal(parse("2026-11-23t12:00:00+02:00"), 1795428000);
    assert_int_equal(parse("2026-11-23T05:30:00-0430"), 1795428000);
    assert_int_equal(parse("2024-02-29T23:59:59Z"), 1709251199);
    assert_int_equal(parse("2000-03-01T00:00:00Z"), 951868800);
    assert_int_equal(parse("9999-12-31T23:59:59Z"), 253402300799LL);
}

static void test_round_trip(void **state)
{
    (void)state;
    char buf[RG_TIMEFMT_SIZE];
    for (int64_t t = 0; t < 4102444800LL; t += 86399 * 37) {
        const char *s = rg_time_iso8601(t, buf);
        assert_int_equal(parse(s), t);
    }
}

static void test_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-11-23",
        "2026-11-23T10:00:00",  /* no zone */
        "2026-11-23T10:00Z",    /* no seconds */
        "2026-11-23 10:00:00Z", /* space */
        "2026-13-01T00:00:00Z", /* month */
        "2026-00-01T00:00:00Z",
        "2026-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-23T24:00:00Z",
        "2026-11-23T10:60:00Z",
        "2026-11-23T10:00:60Z",  /* leap second */
        "2026-11-23T10:00:00.Z", /* empty fraction */
        "2026-11-23T10:00:00+2:00",
        "2026-11-23T10:00:00+24:00",
        "2026-11-23T10:00:00+02:60",
        "2026-11-23T10:00:00+02:00x",
        "2026-11-23T10:00:00Zx",
        "1969-12-31T23:59:59Z", /* before 1970 */
        "+2026-11-23T10:00:00Z",
        "2026-1-23T10:00:00Z",
        "2O26-11-23T10:00:00Z",
        "1795428000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_bad(bad[i]);
    /* Not NUL-terminated: only n bytes are read. */
    int64_t t;
    assert_int_equal(rg_time_parse_iso8601("2026-11-23T10:00:00Zgarbage", 20, &t), 0);
    assert_int_equal(t, 1795428000);
    assert_int_equal(rg_time_parse_iso8601("2026-11-23T10:00:00Z", 19, &t), -1);
    assert_int_equal(rg_time_parse_iso8601(NULL, 0, &t), -1);
}

static void test_format(void **state)
{
    (void)state;
    char buf[RG_TIMEFMT_SIZE];
    assert_string_equal(rg_time_iso8601(1795428000, buf), "2026-11-23T10:00:00.000Z");
    assert_string_equal(rg_time_rfc2822(1795428000, buf), "Mon, 23 Nov 2026 10:00:00 +0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

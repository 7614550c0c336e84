/* test_metrics.c - core/metrics.c: the Prometheus text format. */
#include "unit.h"

#include "core/metrics.h"

static void family_and_samples(void **state)
{
    rg_mtext t = {0};
    rg_mlabel l[2] = {{"route", "/v1/Rooms/{room}"}, {"method", "GET"}};
    (void)state;
    rg_mtext_family(&t, "roomgate_x_total", "counter", "Things.\nAnd a \\ backslash");
    rg_mtext_u64(&t, "roomgate_x_total", l, 2, 42);
    rg_mtext_u64(&t, "roomgate_up", NULL, 0, 1);
    assert_false(t.oom);
    assert_string_equal(t.buf, "# HELP roomgate_x_total Things.\\nAnd a \\\\ backslash\n"
                               "# TYPE roomgate_x_total counter\n"
                               "roomgate_x_total{route=\"/v1/Rooms/{room}\",method=\"GET\"} 42\n"
                               "roomgate_up 1\n");
    rg_mtext_free(&t);
}

static void label_values_escaped(void **state)
{
    rg_mtext t = {0};
    rg_mlabel l[1] = {{"version", "a\"b\\c\nd"}};
    (void)state;
    rg_mtext_u64(&t, "m", l, 1, 0);
    assert_string_equal(t.buf, "m{version=\"a\\\"b\\\\c\\nd\"} 0\n");
    rg_mtext_free(&t);
}

static void histogram_cumulative(void **state)
{
    rg_mtext t = {0};
    rg_mlabel l[1] = {{"route", "/healthz"}};
    static const double bounds[] = {0.001, 0.5, 10};
    uint64_t counts[] = {3, 0, 2, 1}; /* per bucket; the last is above 10 s */
    (void)state;
    rg_mtext_histogram(&t, "d_seconds", l, 1, bounds, counts, 3, 12345678);
    assert_string_equal(t.buf, "d_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 3\n"
                               "d_seconds_bucket{route=\"/healthz\",le=\"0.5\"} 3\n"
                               "d_seconds_bucket{route=\"/healthz\",le=\"10\"} 5\n"
                               "d_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 6\n"
                               "d_seconds_sum{route=\"/healthz\"} 12.345678\n"
                               "d_seconds_count{route=\"/healthz\"} 6\n");
    rg_mtext_free(&t);
    rg_mtext u = {0};
    uint64_t none[] = {0, 0, 0, 0};
    rg_mtext_histogram(&u, "h", NULL, 0, bounds, none, 3, 7);
    assert_string_equal(u.buf, "h_bucket{le=\"0.001\"} 0\nh_bucket{le=\"0.5\"} 0\n"
                               "h_bucket{le=\"10\"} 0\nh_bucket{le=\"+Inf\"} 0\n"
                               "h_sum 0.000007\nh_count 0\n");
    rg_mtext_free(&u);
}

static void grows_past_first_block(void **state)
{
    rg_mtext t = {0};
    char name[16];
    (void)state;
    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof name, "m%d", i);
        rg_mtext_u64(&t, name, NULL, 0, (uint64_t)i);
    }
    assert_false(t.oom);
    assert_true(t.len > 4096);
    assert_non_null(strstr(t.buf, "\nm1999 1999\n"));
    assert_int_equal(strlen(t.buf), t.len);
    rg_mtext_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(family_and_samples),
        cmocka_unit_test(label_values_escaped),
        cmocka_unit_test(histogram_cumulative),
        cmocka_unit_test(grows_past_first_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

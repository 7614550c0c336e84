/* test_params.c - request parameter parsing (src/http/params.c) through
 * rg_params_parse, the entry the fuzz targets use: form data and JSON
 * bodies into the call's list, in a bare request pool. */
#include "unit.h"

#include "http/call.h"

typedef struct {
    h2o_req_t req;
    rg_call c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL) return -1;
    h2o_mem_init_pool(&f->req.pool);
    f->c.req = &f->req;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    h2o_mem_clear_pool(&f->req.pool);
    free(f);
    return 0;
}

static int parse(fixture *f, const char *s, int json)
{
    return rg_params_parse(&f->c, s, strlen(s), json);
}

static const char *const P_A[] = {"a", NULL};
static const char *const P_B[] = {"b", "B", NULL};

static void test_form(void **state)
{
    fixture *f = *state;
    size_t len = 0;
    assert_int_equal(parse(f, "a=1+2%2F3&&B=x&novalue&=empty", 0), 0);
    assert_int_equal(f->c.nparams, 4);
    assert_string_equal(rg_param(&f->c, P_A, &len), "1 2/3");
    assert_int_equal(len, 5);
    assert_string_equal(rg_param(&f->c, P_B, NULL), "x");
}

static void test_form_malformed(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a=%2", 0), -1);
    assert_int_equal(parse(f, "a=%zz", 0), -1);
    assert_int_equal(parse(f, "a=%00", 0), -1); /* a NUL would cut the value short */
}

/* A later value wins: the body parsed after the query overrides it. */
static void test_last_wins(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "a=query", 0), 0);
    assert_int_equal(parse(f, "{\"a\":\"body\"}", 1), 0);
    assert_string_equal(rg_param(&f->c, P_A, NULL), "body");
}

static void test_json(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "{\"a\":42,\"b\":true,\"n\":null,\"o\":[1],\"s\":\"x\\u0000y\"}", 1),
                     0);
    assert_int_equal(f->c.nparams, 4); /* null is absent */
    assert_string_equal(rg_param(&f->c, P_A, NULL), "42");
    assert_string_equal(rg_param(&f->c, P_B, NULL), "true");
    assert_int_equal(f->c.params[2].bad_type, 1); /* an array */
    assert_int_equal(f->c.params[3].bad_type, 1); /* a string with a NUL */
    assert_null(rg_param(&f->c, (const char *const[]){"s", NULL}, NULL));
}

static void test_json_malformed(void **state)
{
    fixture *f = *state;
    assert_int_equal(parse(f, "[1]", 1), -1);
    assert_int_equal(parse(f, "{\"a\":1,\"a\":2}", 1), -1);
    assert_int_equal(parse(f, "{\"a\":", 1), -1);
}

/* Flat bodies of plain strings skip jansson (params.c parse_flat_json);
 * what they give, and what they refuse, is what jansson's path gives. */
static void test_json_flat(void **state)
{
    fixture *f = *state;
    static const char *const P_T[] = {"token", NULL};
    assert_int_equal(parse(f, " {\"token\" :\t\"ey.J-_\" , \"B\":\"\"}\r\n", 1), 0);
    assert_int_equal(f->c.nparams, 2);
    assert_string_equal(rg_param(&f->c, P_T, NULL), "ey.J-_");
    assert_string_equal(f->c.params[1].name.base, "B");
    assert_string_equal(rg_param(&f->c, P_B, NULL), "");
    assert_int_equal(parse(f, "{}", 1), 0);
    assert_int_equal(f->c.nparams, 2);
    /* escapes and UTF-8 go to jansson, decoded */
    assert_int_equal(parse(f, "{\"a\":\"x\\u0041\\/\",\"b\":\"\xc3\xa9\"}", 1), 0);
    assert_string_equal(rg_param(&f->c, P_A, NULL), "xA/");
    assert_string_equal(rg_param(&f->c, P_B, NULL), "\xc3\xa9");
    f->c.nparams = 0;
    /* refused as jansson refuses them, nothing added */
    static const char *const bad[] = {"{\"a\":\"x\",\"a\":\"y\"}",
                                      "{\"a\":\"x\",}",
                                      "{\"a\":\"x\"} x",
                                      "{\"a\":\"x\"",
                                      "{\"a\" \"x\"}",
                                      "{\"a\":\"x\tz\"}",
                                      "{\"a\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse(f, bad[i], 1), -1);
        assert_int_equal(f->c.nparams, 0);
    }
}

/* Long values are scanned a word at a time (params.c plain_str, core/swar.h): an
 * escape, a quote, a control byte or a byte past ASCII at any place of a
 * word, and at the word's edges, is still seen. */
static void test_json_flat_every_lane(void **state)
{
    fixture *f = *state;
    char body[128], want[64];
    for (int at = 0; at < 40; at++) {
        char v[41];
        memset(v, 'x', 40);
        v[40] = '\0';
        /* an escape there: decoded as jansson decodes it */
        snprintf(body, sizeof body, "{\"a\":\"%.*s\\u0041%s\"}", at, v, v + at + 1);
        memcpy(want, v, 41);
        want[at] = 'A';
        f->c.nparams = 0;
        assert_int_equal(parse(f, body, 1), 0);
        assert_string_equal(rg_param(&f->c, P_A, NULL), want);
        /* a raw control byte or bad UTF-8 there: refused; DEL, UTF-8 and an
         * escaped quote: their bytes */
        static const char *const odd[] = {"\t", "\xff", "\x7f", "\xc3\xa9", "\\\""};
        static const char *const got[] = {NULL, NULL, "\x7f", "\xc3\xa9", "\""};
        for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
            snprintf(body, sizeof body, "{\"a\":\"%.*s%s%s\"}", at, v, odd[k], v + at + 1);
            f->c.nparams = 0;
            if (got[k] == NULL) {
                assert_int_equal(parse(f, body, 1), -1);
                continue;
            }
            snprintf(want, sizeof want, "%.*s%s%s", at, v, got[k], v + at + 1);
            assert_int_equal(parse(f, body, 1), 0);
            assert_string_equal(rg_param(&f->c, P_A, NULL), want);
        }
    }
}

static void test_too_many(void **state)
{
    fixture *f = *state;
    char buf[RG_MAX_PARAMS * 8 + 16];
    size_t n = 0;
    for (int i = 0; i <= RG_MAX_PARAMS; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "p%d=1&", i);
    assert_int_equal(parse(f, buf, 0), -1);
    assert_int_equal(f->c.nparams, RG_MAX_PARAMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_form, setup, teardown),
        cmocka_unit_test_setup_teardown(test_form_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_flat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_flat_every_lane, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_sid.c - SID formatting/validation and hex encoding. */
#include "unit.h"

#include "core/sid.h"

static void test_format(void **state)
{
    (void)state;
    uint8_t rnd[16];
    char sid[RG_SID_SIZE];
    for (int i = 0; i < 16; i++)
        rnd[i] = (uint8_t)(i * 17);
    memset(sid, 'x', sizeof(sid));
    rg_sid_format(sid, "AC", rnd);
    assert_string_equal(sid, "AC00112233445566778899aabbccddeeff");
    assert_int_equal(strlen(sid), RG_SID_LEN);
    assert_true(rg_sid_valid(sid, strlen(sid), "AC"));
    assert_false(rg_sid_valid(sid, strlen(sid), "SK"));
    rg_sid_format(sid, "SK", rnd);
    assert_true(rg_sid_valid(sid, RG_SID_LEN, "SK"));
}

/* Rooms' and participants' SIDs: the second, then its fraction, so they
 * sort by time (their indexes grow at the end), then 80 random bits. */
static void test_format_at(void **state)
{
    (void)state;
    uint8_t rnd[RG_SID_AT_RANDOM];
    char a[RG_SID_SIZE], b[RG_SID_SIZE], c[RG_SID_SIZE], d[RG_SID_SIZE];
    for (int i = 0; i < RG_SID_AT_RANDOM; i++)
        rnd[i] = (uint8_t)(0xff - i);
    rg_sid_format_at(a, "PA", 1700000000, 0x8001, rnd);
    assert_string_equal(a, "PA6553f1008001fffefdfcfbfaf9f8f7f6");
    assert_true(rg_sid_valid(a, strlen(a), "PA"));
    memset(rnd, 0, sizeof rnd);
    /* later in the same second, lowest random bits: still after */
    rg_sid_format_at(b, "PA", 1700000000, 0x8002, rnd);
    assert_true(strcmp(a, b) < 0);
    /* a second later, at its start: after the end of the one before */
    rg_sid_format_at(d, "PA", 1700000001, 0, rnd);
    rg_sid_format_at(c, "PA", 1700000000, 0xffff, rnd);
    assert_true(strcmp(b, c) < 0 && strcmp(c, d) < 0);
    rg_sid_format_at(c, "RM", 0x1ffffffffLL, 0, rnd); /* past 2106: modulo 2^32 */
    assert_string_equal(c, "RMffffffff000000000000000000000000");
    assert_true(rg_sid_valid(c, RG_SID_LEN, "RM"));
}

static void test_valid(void **state)
{
    (void)state;
    const char *good = "SK0123456789abcdef0123456789abcdef";
    assert_true(rg_sid_valid(good, strlen(good), "SK"));
    /* Not NUL-terminated: only len bytes are read. */
    char buf[40];
    memcpy(buf, good, RG_SID_LEN);
    memset(buf + RG_SID_LEN, 'f', sizeof(buf) - RG_SID_LEN);
    assert_true(rg_sid_valid(buf, RG_SID_LEN, "SK"));
    assert_false(rg_sid_valid(buf, RG_SID_LEN + 1, "SK"));
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "SK",
        "SK0123456789abcdef0123456789abcde",   /* 33 chars */
        "SK0123456789abcdef0123456789abcdef0", /* 35 chars */
        "SK0123456789ABCDEF0123456789abcdef",  /* uppercase hex */
        "sk0123456789abcdef0123456789abcdef",  /* lowercase prefix */
        "SK0123456789abcdeg0123456789abcdef",  /* not hex */
        "SK0123456789abcde 0123456789abcdef",  /* space */
        "AC0123456789abcdef0123456789abcdef",  /* other prefix */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(rg_sid_valid(bad[i], strlen(bad[i]), "SK"));
    assert_false(rg_sid_valid("SK0123456789abcdef\0"
                              "123456789abcdef",
                              RG_SID_LEN, "SK"));
    assert_false(rg_sid_valid(NULL, RG_SID_LEN, "SK"));
}

static void test_hex(void **state)
{
    (void)state;
    const uint8_t b[] = {0x00, 0x0f, 0xf0, 0xff, 0x5a};
    char out[11];
    rg_hex_encode(out, b, sizeof(b));
    assert_string_equal(out, "000ff0ff5a");
    rg_hex_encode(out, b, 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format), cmocka_unit_test(test_format_at),
        cmocka_unit_test(test_valid),  cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_roomid.c - VideoSDK room ids: shape, rejection sampling, validation. */
#include "unit.h"

#include "core/roomid.h"

static void test_shape(void **state)
{
    (void)state;
    uint8_t rnd[RG_ROOMID_RAND];
    char id[RG_ROOMID_SIZE];
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)i;
    assert_int_equal(rg_roomid_format(id, rnd, sizeof rnd), 0);
    assert_string_equal(id, "abcd-efgh-ijkl");
    assert_true(rg_roomid_valid(id, strlen(id)));
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)(26 + i % 10); /* digits */
    assert_int_equal(rg_roomid_format(id, rnd, sizeof rnd), 0);
    assert_string_equal(id, "0123-4567-8901");
    /* 36 maps back onto 'a': bytes are taken modulo 36. */
    for (size_t i = 0; i < sizeof rnd; i++)
        rnd[i] = (uint8_t)(36 * (i % 7) + 25);
    assert_int_equal(rg_roomid_format(id, rnd, sizeof rnd), 0);
    assert_string_equal(id, "zzzz-zzzz-zzzz");
}

/* Bytes 252..255 are skipped, not folded onto a..d. */
static void test_rejects_high_bytes(void **state)
{
    (void)state;
    uint8_t rnd[RG_ROOMID_RAND];
    char id[RG_ROOMID_SIZE];
    memset(rnd, 0, sizeof rnd);
    rnd[0] = 252, rnd[1] = 253, rnd[2] = 254, rnd[3] = 255;
    for (size_t i = 4; i < 16; i++)
        rnd[i] = (uint8_t)(i - 3); /* b, c, d, ... */
    assert_int_equal(rg_roomid_format(id, rnd, sizeof rnd), 0);
    assert_string_equal(id, "bcde-fghi-jklm");
}

/* Not enough acceptable bytes: -1, so the caller draws again. */
static void test_short_randomness(void **state)
{
    (void)state;
    uint8_t rnd[RG_ROOMID_RAND];
    char id[RG_ROOMID_SIZE];
    memset(rnd, 0xff, sizeof rnd);
    assert_int_equal(rg_roomid_format(id, rnd, sizeof rnd), -1);
    memset(rnd, 0x01, sizeof rnd);
    assert_int_equal(rg_roomid_format(id, rnd, 11), -1);
    assert_int_equal(rg_roomid_format(id, rnd, 12), 0);
    assert_string_equal(id, "bbbb-bbbb-bbbb");
    memset(rnd, 0xfc, sizeof rnd);
    rnd[31] = 0;
    assert_int_equal(rg_roomid_format(id, rnd, sizeof rnd), -1);
}

/* Every accepted byte value maps to a character exactly 7 times: the
 * distribution over the alphabet is exactly uniform. */
static void test_uniform(void **state)
{
    (void)state;
    int count[128] = {0};
    uint8_t rnd[12];
    char id[RG_ROOMID_SIZE];
    for (int b = 0; b < 256; b++) {
        memset(rnd, b, sizeof rnd);
        if (rg_roomid_format(id, rnd, sizeof rnd) != 0) {
            assert_true(b >= 252);
            continue;
        }
        count[(unsigned char)id[0]]++;
    }
    int distinct = 0;
    for (int ch = 0; ch < 128; ch++) {
        if (count[ch] == 0) continue;
        distinct++;
        assert_int_equal(count[ch], 7);
    }
    assert_int_equal(distinct, 36);
}

static void test_valid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "abcd-efgh-ijk",
        "abcd-efgh-ijklm",
        "abcdefghijklmn",
        "abcd_efgh-ijkl",
        "ABCD-efgh-ijkl",
        "abcd-efgh-ij l",
        "abc--efgh-ijkl",
        "abcd-efgh-ijk\xc3",
    };
    assert_true(rg_roomid_valid("a1b2-c3d4-e5f6", 14));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rg_roomid_valid(bad[i], strlen(bad[i])));
    assert_false(rg_roomid_valid(NULL, 14));
    assert_false(rg_roomid_valid("abcd-efgh-ijkl", 13));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_rejects_high_bytes),
        cmocka_unit_test(test_short_randomness),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

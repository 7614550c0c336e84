/* test_tus.c - tus 1.0 header parsing (core/tus.c). */
#include "unit.h"

#include "core/errors.h"
#include "core/tus.h"

static int meta(const char *s, rg_tus_pair *pairs, size_t *n, char *buf, size_t cap)
{
    return rg_tus_parse_metadata(s, strlen(s), pairs, RG_TUS_META_MAX_PAIRS, n, buf, cap);
}

/* What tus-js-client sends: "key base64" pairs joined by ",". */
static void test_metadata_pairs(void **state)
{
    (void)state;
    rg_tus_pair p[RG_TUS_META_MAX_PAIRS];
    char buf[512];
    size_t n = 99;
    assert_int_equal(meta("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential, "
                          "content_type YXVkaW8vb2dn",
                          p, &n, buf, sizeof buf),
                     RG_OK);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].key, "filename");
    assert_int_equal(p[0].value_len, strlen("world_domination_plan.pdf"));
    assert_string_equal(p[0].value, "world_domination_plan.pdf");
    assert_string_equal(p[1].key, "is_confidential");
    assert_int_equal(p[1].value_len, 0);
    assert_string_equal(p[1].value, "");
    assert_string_equal(p[2].key, "content_type");
    assert_string_equal(p[2].value, "audio/ogg");
    assert_ptr_equal(rg_tus_meta_get(p, n, "content_type"), &p[2]);
    assert_null(rg_tus_meta_get(p, n, "content"));
    assert_null(rg_tus_meta_get(p, n, "Filename"));
    /* empty and blank headers: no pairs */
    assert_int_equal(meta("", p, &n, buf, sizeof buf), RG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(meta(" \t ", p, &n, buf, sizeof buf), RG_OK);
    assert_int_equal(n, 0);
    /* blanks around pairs */
    assert_int_equal(meta("\ta YQ== ,\tb  ", p, &n, buf, sizeof buf), RG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].value, "a");
    assert_string_equal(p[1].key, "b");
    /* a value holding a NUL keeps its length */
    assert_int_equal(meta("z AAE=", p, &n, buf, sizeof buf), RG_OK);
    assert_int_equal(p[0].value_len, 2);
    assert_int_equal(p[0].value[0], 0);
    assert_int_equal(p[0].value[1], 1);
}

static void test_metadata_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        ",",              /* empty pair */
        "a YQ==,",        /* trailing comma */
        ",a YQ==",        /* leading comma */
        "a YQ==,,b",      /* empty pair inside */
        "a YQ==,a Yg==",  /* duplicate key */
        "a,a",            /* duplicate key without values */
        "a  YQ==",        /* two spaces */
        "a\tYQ==",        /* tab as separator */
        "a YQ",           /* unpadded */
        "a YR==",         /* non-zero trailing bits: a second spelling of "a" */
        "a Y Q==",        /* blank inside the value */
        "a YQ== b",       /* three fields */
        "a -_8=",         /* base64url alphabet */
        "k\x01 YQ==",     /* control character in the key */
        "k\xc3\xa9 YQ==", /* non-ASCII key */
        "a YQ==;b Yg==",  /* ";" and a blank inside a value */
        "a =",            /* only padding */
    };
    rg_tus_pair p[RG_TUS_META_MAX_PAIRS];
    char buf[512];
    size_t n = 99;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = meta(bad[i], p, &n, buf, sizeof buf);
        if (rc != RG_EINVAL) fail_msg("accepted %s", bad[i]);
        assert_int_equal(n, 0);
    }
}

static void test_metadata_limits(void **state)
{
    (void)state;
    rg_tus_pair p[RG_TUS_META_MAX_PAIRS];
    char hdr[4096], buf[RG_TUS_META_BUF(4096)];
    size_t n, len = 0;
    /* a key of RG_TUS_KEY_MAX characters, then one more */
    memset(hdr, 'k', RG_TUS_KEY_MAX);
    hdr[RG_TUS_KEY_MAX] = '\0';
    assert_int_equal(meta(hdr, p, &n, buf, sizeof buf), RG_OK);
    hdr[RG_TUS_KEY_MAX] = 'k';
    hdr[RG_TUS_KEY_MAX + 1] = '\0';
    assert_int_equal(meta(hdr, p, &n, buf, sizeof buf), RG_EINVAL);
    /* RG_TUS_META_MAX_PAIRS pairs, then one more */
    for (int i = 0; i < RG_TUS_META_MAX_PAIRS; i++)
        len += (size_t)snprintf(hdr + len, sizeof hdr - len, "%sk%d YWJj", i ? "," : "", i);
    assert_int_equal(meta(hdr, p, &n, buf, sizeof buf), RG_OK);
    assert_int_equal(n, RG_TUS_META_MAX_PAIRS);
    assert_string_equal(p[RG_TUS_META_MAX_PAIRS - 1].value, "abc");
    snprintf(hdr + len, sizeof hdr - len, ",extra");
    assert_int_equal(meta(hdr, p, &n, buf, sizeof buf), RG_EINVAL);
    /* max_pairs below the cap */
    assert_int_equal(rg_tus_parse_metadata("a,b,c", 5, p, 2, &n, buf, sizeof buf), RG_EINVAL);
    /* the documented buffer size always suffices; less is RG_ETOOBIG */
    const char *h = "key d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==";
    char small[RG_TUS_META_BUF(64)];
    assert_int_equal(
        rg_tus_parse_metadata(h, strlen(h), p, 4, &n, small, RG_TUS_META_BUF(strlen(h))), RG_OK);
    assert_int_equal(rg_tus_parse_metadata(h, strlen(h), p, 4, &n, small, 8), RG_ETOOBIG);
}

static void test_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(rg_tus_parse_u64("0", 1, &v), RG_OK);
    assert_int_equal(v, 0);
    assert_int_equal(rg_tus_parse_u64("67108864", 8, &v), RG_OK);
    assert_int_equal(v, 67108864);
    assert_int_equal(rg_tus_parse_u64("9223372036854775807", 19, &v), RG_OK);
    assert_int_equal(v, 9223372036854775807ull);
    static const char *const bad[] = {"",
                                      "9223372036854775808",
                                      "18446744073709551616",
                                      "-1",
                                      "+1",
                                      " 1",
                                      "1 ",
                                      "01",
                                      "00",
                                      "1e3",
                                      "0x10",
                                      "1.0",
                                      "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 7;
        if (rg_tus_parse_u64(bad[i], strlen(bad[i]), &v) != RG_EINVAL)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(v, 7);
    }
    /* the length bounds the parse: "12" out of "123" */
    assert_int_equal(rg_tus_parse_u64("123", 2, &v), RG_OK);
    assert_int_equal(v, 12);
}

static void test_version_and_id(void **state)
{
    (void)state;
    assert_true(rg_tus_version_ok("1.0.0", 5));
    assert_false(rg_tus_version_ok("1.0.0 ", 6));
    assert_false(rg_tus_version_ok("1.0", 3));
    assert_false(rg_tus_version_ok("0.2.2", 5));
    assert_false(rg_tus_version_ok("", 0));
    assert_true(rg_tus_id_valid("0123456789abcdef0123456789abcdef", 32));
    assert_false(rg_tus_id_valid("0123456789ABCDEF0123456789abcdef", 32));
    assert_false(rg_tus_id_valid("0123456789abcdef0123456789abcde", 31));
    assert_false(rg_tus_id_valid("0123456789abcdef0123456789abcdef0", 33));
    assert_false(rg_tus_id_valid("../../../../../../../../etc/pass", 32));
    assert_false(rg_tus_id_valid("0123456789abcdef0123456789abcde\0", 32));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_pairs),  cmocka_unit_test(test_metadata_refused),
        cmocka_unit_test(test_metadata_limits), cmocka_unit_test(test_u64),
        cmocka_unit_test(test_version_and_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

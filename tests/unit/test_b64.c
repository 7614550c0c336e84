/* test_b64.c - base64 / base64url codecs and the jsonw text helpers. */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/jsonw.h"

static int url_dec(const char *s, uint8_t *out, size_t cap, size_t *n)
{
    return rg_b64url_decode(out, cap, s, strlen(s), n);
}

/* RFC 4648 section 10 vectors, in both alphabets. */
static void test_rfc4648_vectors(void **state)
{
    (void)state;
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const padded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                         "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char enc[16];
        uint8_t dec[16];
        size_t n = strlen(plain[i]), outlen = 99;
        assert_int_equal(rg_b64_encode(enc, (const uint8_t *)plain[i], n), strlen(padded[i]));
        assert_string_equal(enc, padded[i]);
        assert_int_equal(rg_b64url_encode(enc, (const uint8_t *)plain[i], n), strlen(url[i]));
        assert_int_equal(rg_b64url_len(n), strlen(url[i]));
        assert_string_equal(enc, url[i]);
        assert_int_equal(url_dec(url[i], dec, sizeof(dec), &outlen), RG_OK);
        assert_int_equal(outlen, n);
        assert_memory_equal(dec, plain[i], n);
        /* base64url refuses the padded form: one spelling per byte string. */
        assert_int_equal(url_dec(padded[i], dec, sizeof(dec), &outlen),
                         strchr(padded[i], '=') ? RG_EINVAL : RG_OK);
        assert_int_equal(rg_b64_decode(dec, sizeof(dec), padded[i], strlen(padded[i]), &outlen),
                         RG_OK);
        assert_int_equal(outlen, n);
        assert_memory_equal(dec, plain[i], n);
    }
}

/* Every length 0..3000 (crosses the internal 1024-char chunking) and every
 * byte value, through both codecs. */
static void test_round_trips(void **state)
{
    (void)state;
    enum { MAX = 3000 };
    uint8_t *src = malloc(MAX), *dec = malloc(MAX + 3);
    char *enc = malloc(MAX * 2 + 8);
    assert_non_null(src);
    assert_non_null(dec);
    assert_non_null(enc);
    for (size_t i = 0; i < MAX; i++)
        src[i] = (uint8_t)(i * 167 + 13);
    for (size_t n = 0; n <= MAX; n += n < 300 ? 1 : 97) {
        size_t outlen = 0, len = rg_b64url_encode(enc, src, n);
        assert_int_equal(len, rg_b64url_len(n));
        assert_null(strpbrk(enc, "+/="));
        assert_int_equal(rg_b64url_decode(dec, len * 3 / 4 + 3, enc, len, &outlen), RG_OK);
        assert_int_equal(outlen, n);
        assert_memory_equal(dec, src, n);
        len = rg_b64_encode(enc, src, n);
        assert_int_equal(len % 4, 0);
        assert_int_equal(rg_b64_decode(dec, len * 3 / 4 + 3, enc, len, &outlen), RG_OK);
        assert_int_equal(outlen, n);
        assert_memory_equal(dec, src, n);
    }
    free(src);
    free(dec);
    free(enc);
}

static void test_alphabets(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    char enc[8];
    uint8_t dec[8];
    size_t n;
    rg_b64url_encode(enc, bytes, 3);
    assert_string_equal(enc, "-_-_");
    rg_b64_encode(enc, bytes, 3);
    assert_string_equal(enc, "+/+/");
    /* Each alphabet refuses the other's two extra chars. */
    assert_int_equal(url_dec("+/+/", dec, sizeof(dec), &n), RG_EINVAL);
    assert_int_equal(rg_b64_decode(dec, sizeof(dec), "-_-_", 4, &n), RG_EINVAL);
    assert_int_equal(url_dec("-_-_", dec, sizeof(dec), &n), RG_OK);
    assert_memory_equal(dec, bytes, 3);
}

static void test_rejects(void **state)
{
    (void)state;
    static const char *const bad_url[] = {
        "Z",        /* len % 4 == 1 */
        "Zm9vY",    /* len % 4 == 1 */
        "Zh",       /* trailing bits set (Zg is canonical) */
        "Zm9",      /* trailing bits set (Zm8 is canonical) */
        "Zg==",     /* padding, even the right amount (Zg is canonical) */
        "Zm8=",     /* padding (Zm8 is canonical) */
        "Zm9vYg==", /* padding after whole quads */
        "Zm9v=",    /* padding after a whole quad */
        "Zm9v-w=",  /* padding, url alphabet */
        "Zg=",      /* partial padding */
        "Zg===",    /* too much padding */
        "Zm8==",    /* wrong amount of padding */
        "Zm9v====", /* only padding in a quad */
        "====",     /* padding only */
        "Zg==Zg==", /* padding in the middle */
        "Zm=v",     /* padding in the middle */
        "Zm9v ",    /* whitespace */
        "Zm9v\t",   /* tab */
        "Zm9v\r\n", /* CRLF, as MIME would wrap */
        "+/+/",     /* the standard alphabet's extra chars */
        "Zm9v+w",   /* '+' at the end */
        "Z/9v",     /* '/' inside */
        " Zm9v",    /* whitespace */
        "Zm9\nv",   /* newline */
        "Zm9v.",    /* dot */
        "Zm9*",     /* other punctuation */
        "Zm\xc3\xa9v",
    };
    uint8_t dec[16];
    size_t n;
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
        assert_int_equal(url_dec(bad_url[i], dec, sizeof(dec), &n), RG_EINVAL);
    /* An embedded NUL is just another invalid char. */
    assert_int_equal(rg_b64url_decode(dec, sizeof(dec), "Zm\0v", 4, &n), RG_EINVAL);
    /* Standard base64 requires its padding. */
    assert_int_equal(rg_b64_decode(dec, sizeof(dec), "Zg", 2, &n), RG_EINVAL);
    assert_int_equal(rg_b64_decode(dec, sizeof(dec), "Zm8", 3, &n), RG_EINVAL);
    assert_int_equal(rg_b64_decode(dec, sizeof(dec), "Zh==", 4, &n), RG_EINVAL);
}

/* Every byte value at every position of a 12-char input: accepted exactly
 * when it is in the alphabet, and decoded to the right bits. */
static void check_every_char(bool url)
{
    const char *alpha = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                            : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int c = 0; c < 256; c++) {
        if (c == '=') continue; /* padding: covered by test_rejects */
        const char *hit = c ? memchr(alpha, c, 64) : NULL;
        for (int p = 0; p < 12; p++) {
            char in[12];
            uint8_t out[12], want[9] = {0};
            size_t n = 0;
            memset(in, 'A', sizeof(in));
            in[p] = (char)c;
            int rc = url ? rg_b64url_decode(out, sizeof(out), in, 12, &n)
                         : rg_b64_decode(out, sizeof(out), in, 12, &n);
            if (hit == NULL) {
                assert_int_equal(rc, RG_EINVAL);
                continue;
            }
            assert_int_equal(rc, RG_OK);
            assert_int_equal(n, 9);
            unsigned v = (unsigned)(hit - alpha);
            for (int b = 0; b < 6; b++) { /* bit b of v, MSB first, at 6p + b */
                if (v & (0x20u >> b))
                    want[(6 * p + b) / 8] |= (uint8_t)(0x80u >> ((6 * p + b) % 8));
            }
            assert_memory_equal(out, want, 9);
        }
    }
}

static void test_every_char(void **state)
{
    (void)state;
    check_every_char(true);
    check_every_char(false);
}

static void test_capacity(void **state)
{
    (void)state;
    uint8_t dec[8];
    size_t n = 0;
    assert_int_equal(rg_b64url_decode(dec, 5, "Zm9vYmFy", 8, &n), RG_ETOOBIG);
    assert_int_equal(rg_b64url_decode(dec, 6, "Zm9vYmFy", 8, &n), RG_OK);
    assert_int_equal(n, 6);
    assert_int_equal(rg_b64url_decode(dec, 1, "Zm8", 3, &n), RG_ETOOBIG);
    assert_int_equal(rg_b64url_decode(dec, 2, "Zm8", 3, &n), RG_OK);
    assert_int_equal(rg_b64url_decode(NULL, 0, "", 0, &n), RG_OK);
    assert_int_equal(n, 0);
    /* Whole quads are stored four bytes at a time: nothing is written past
     * the decoded bytes, whatever the length and the room left. */
    for (size_t len = 0; len <= 40; len++) {
        char in[41];
        uint8_t big[64];
        for (size_t i = 0; i < len; i++)
            in[i] = "QUJDRA"[i % 6];
        if (len % 4 == 1) continue;
        size_t want = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
        if (len % 4 == 2) in[len - 1] = 'Q'; /* zero spare bits */
        if (len % 4 == 3) in[len - 1] = 'E';
        memset(big, 0xAA, sizeof big);
        assert_int_equal(rg_b64url_decode(big, sizeof big, in, len, &n), RG_OK);
        assert_int_equal(n, want);
        for (size_t i = n; i < sizeof big; i++)
            assert_int_equal(big[i], 0xAA);
    }
}

/* ---- jsonw --------------------------------------------------------------- */

static void test_jsonw_escapes(void **state)
{
    (void)state;
    char buf[128];
    rg_jw w;
    rg_jw_init(&w, buf, sizeof(buf));
    const char *in = "a\"b\\c\n\x01\x1f\x7f/\xc3\xa9";
    rg_jw_str(&w, in, strlen(in));
    assert_false(w.overflow);
    assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u001f\x7f/\xc3\xa9\"");
    rg_jw_init(&w, buf, sizeof(buf));
    rg_jw_str(&w, "a\0b", 3);
    assert_string_equal(buf, "\"a\\u0000b\"");
}

static void test_jsonw_ints(void **state)
{
    (void)state;
    const int64_t vals[] = {0, 7, -1, 1700000000, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char buf[32], want[32];
        rg_jw w;
        rg_jw_init(&w, buf, sizeof(buf));
        rg_jw_i64(&w, vals[i]);
        snprintf(want, sizeof(want), "%lld", (long long)vals[i]);
        assert_string_equal(buf, want);
    }
}

static void test_jsonw_overflow(void **state)
{
    (void)state;
    char buf[8];
    rg_jw w;
    rg_jw_init(&w, buf, sizeof(buf));
    rg_jw_lit(&w, "1234567"); /* 7 chars + NUL fit exactly */
    assert_false(w.overflow);
    assert_string_equal(buf, "1234567");
    rg_jw_lit(&w, "8");
    assert_true(w.overflow);
    assert_string_equal(buf, "1234567");
    rg_jw_init(&w, buf, sizeof(buf));
    rg_jw_str(&w, "\"\"\"", 3); /* needs 8 chars + NUL */
    assert_true(w.overflow);
}

/* Every byte at every position of a 20-byte string (the word-at-a-time
 * paths see it in the first and second word and in the tail). */
static void test_jsonw_every_byte(void **state)
{
    (void)state;
    for (int c = 0; c < 256; c++) {
        for (int p = 0; p < 20; p++) {
            char in[20], buf[64], want[64], esc[8];
            memset(in, 'a', sizeof(in));
            in[p] = (char)c;
            if (c == '"' || c == '\\')
                snprintf(esc, sizeof(esc), "\\%c", c);
            else if (c < 0x20)
                snprintf(esc, sizeof(esc), "\\u%04x", c);
            else
                snprintf(esc, sizeof(esc), "%c", c);
            snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", p, in, esc, 19 - p, in + p + 1);
            rg_jw w;
            rg_jw_init(&w, buf, sizeof(buf));
            rg_jw_str(&w, in, sizeof(in));
            assert_string_equal(buf, want);
            assert_int_equal(rg_utf8_valid(in, sizeof(in)), c < 0x80);
            assert_int_equal(rg_text_valid(in, sizeof(in)), c >= 0x20 && c < 0x7f);
        }
    }
}

static void test_utf8(void **state)
{
    (void)state;
    static const char *const good[] = {"",
                                       "abc",
                                       "\xc3\xa9",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x98\x80",
                                       "\xef\xbf\xbf",
                                       "\xf4\x8f\xbf\xbf",
                                       "\xed\x9f\xbf"};
    static const char *const bad[] = {
        "\x80",             /* lone continuation */
        "\xc3",             /* truncated */
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* surrogate */
        "\xf0\x80\x80\xaf", /* overlong */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xf5\x80\x80\x80",
        "\xff",
        "a\xe2\x82",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(rg_utf8_valid(good[i], strlen(good[i])));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(rg_utf8_valid(bad[i], strlen(bad[i])));
        assert_false(rg_text_valid(bad[i], strlen(bad[i])));
    }
    assert_true(rg_text_valid("Zoë \"quoted\" \\ 😀", strlen("Zoë \"quoted\" \\ 😀")));
    assert_false(rg_text_valid("a\tb", 3));
    assert_false(rg_text_valid("a\x7f", 2));
    assert_false(rg_text_valid("\xc2\x85", 2)); /* NEL, a C1 control */
    assert_false(rg_text_valid("a\0b", 3));
    assert_true(rg_utf8_valid("a\tb", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_alphabets),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_every_char),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_jsonw_escapes),
        cmocka_unit_test(test_jsonw_ints),
        cmocka_unit_test(test_jsonw_overflow),
        cmocka_unit_test(test_jsonw_every_byte),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

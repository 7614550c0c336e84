/* test_jsonr.c - the claim reader (src/core/jsonr.c): what it accepts and
 * refuses, checked against jansson's json_loadb(JSON_REJECT_DUPLICATES) on
 * every case; the values and spans it reports; its stricter limits. */
#include "unit.h"

#include <jansson.h>

#include "core/jsonr.h"

static int jansson_accepts(const char *s, size_t n)
{
    json_t *v = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    int ok = v != NULL;
    json_decref(v);
    return ok;
}

/* Every case: the reader's verdict, and jansson agrees. */
static void expect(const char *s, int ok)
{
    size_t n = strlen(s);
    int rc = rg_jr_read(s, n, NULL, 0, NULL, NULL);
    if ((rc == RG_JR_OK) != ok || jansson_accepts(s, n) != ok) fail_msg("case %s: rc %d", s, rc);
}

static void test_jr_syntax(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{}",
        "{\"\\u0061\":1,\"\\u0062\":2,\"ab\":3,\"a\\u0062c\":4,\"abd\":{\"abc\":5}}",
        "[]",
        " {} ",
        "{\"a\":1}",
        "[1,-2,0,-0,1.5,1e3,1E+3,1e-3,-0.0]",
        "{\"a\":[true,false,null]}",
        "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}",
        "{\"\xc3\xa9\":\"\xf0\x9f\x98\x80\"}",
        "{\"a\":{\"a\":{\"a\":1}}}",
        "{\"a\":9223372036854775807,\"b\":-9223372036854775808}",
        "{\"a\":1e-400}",
        "\t\r\n[\n]\n",
        "{\"a\":\"\x7f\"}",
    };
    static const char *const bad[] = {
        "",
        " ",
        "1",
        "\"a\"",
        "true",
        "null",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,]",
        "[,1]",
        "{,}",
        "{\"a\":1 \"b\":2}",
        "{'a':1}",
        "{a:1}",
        "[01]",
        "[1.]",
        "[.5]",
        "[1e]",
        "[-]",
        "[+1]",
        "[1e+]",
        "[0x1]",
        "[NaN]",
        "[Infinity]",
        "[tru]",
        "[truex]",
        "[nul]",
        "{\"a\":1}x",
        "{\"a\":1}{}",
        "[1]]",
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"\\u0061\":2}",
        "{\"\\u0061\":1,\"a\":2}",
        "{\"abcdefghij\":1,\"abcdefghi\\u006a\":2}",
        "{\"\\u0061bcdefghij\":1,\"x\":0,\"abcdefghij\":2}",
        "{\"\\n\":1,\"\\u000a\":2}",
        "{\"k\":{\"x\":1,\"x\":1}}",
        "[\"\\u0000\"]",
        "[\"\\uD800\"]",
        "[\"\\uDC00\"]",
        "[\"\\uD800\\u0041\"]",
        "[\"\\u12\"]",
        "[\"\\x\"]",
        "[\"\\\"]",
        "[\"a\nb\"]",
        "[\"\t\"]",
        "[\"\xc3\"]",
        "[\"\xc0\xaf\"]",
        "[\"\xed\xa0\x80\"]",
        "[\"\xf4\x90\x80\x80\"]",
        "[\"\xff\"]",
        "[\xc3\xa9]",
        "[9223372036854775808]",
        "[-9223372036854775809]",
        "[1e400]",
        "[-1e400]",
        "\xef\xbb\xbf{}",
        "{\"a\":1}\n\x01",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        expect(good[i], 1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect(bad[i], 0);
    /* A NUL byte, inside and after the text. */
    assert_int_not_equal(rg_jr_read("[\"a\0\"]", 6, NULL, 0, NULL, NULL), RG_JR_OK);
    assert_int_not_equal(rg_jr_read("{}\0", 3, NULL, 0, NULL, NULL), RG_JR_OK);
    assert_false(jansson_accepts("{}\0", 3));
    /* Stricter than jansson 2.14, which skips one NUL after a number. */
    assert_int_not_equal(rg_jr_read("[1\0]", 4, NULL, 0, NULL, NULL), RG_JR_OK);
}

enum { SUB, GRANTS, ID, VIDEO, ROOM, EXP, IAT, PERMS, N };
static const rg_jr_path paths[N] = {
    RG_JR_PATH(-1, "sub"),       RG_JR_PATH(-1, "grants"),      RG_JR_PATH(GRANTS, "identity"),
    RG_JR_PATH(GRANTS, "video"), RG_JR_PATH(VIDEO, "room"),     RG_JR_PATH(-1, "exp"),
    RG_JR_PATH(-1, "iat"),       RG_JR_PATH(-1, "permissions"),
};

static void test_jr_claims(void **state)
{
    (void)state;
    rg_jr_val v[N], root;
    char buf[64];
    size_t n;
    const char *doc =
        "{\"sub\":\"AC\\u00e9\",\"identity\":\"top\",\"grants\":{\"identity\":\"alice\","
        "\"video\":{\"room\":\"r1\"}},\"x\":{\"room\":\"no\"},\"exp\":1700000060,"
        "\"iat\":1.7e9,\"permissions\":[\"allow_join\", \"allow_mod\"]}";
    assert_int_equal(rg_jr_read(doc, strlen(doc), paths, N, v, &root), RG_JR_OK);
    assert_int_equal(root.type, RG_JR_OBJECT);
    assert_int_equal(root.raw_len, strlen(doc));
    assert_true(rg_jr_str(&v[SUB], buf, sizeof buf - 1, &n));
    assert_string_equal(buf, "AC\xc3\xa9");
    assert_true(v[SUB].escaped);
    assert_true(rg_jr_str_is(&v[SUB], "AC\xc3\xa9", 4));
    assert_false(rg_jr_str(&v[SUB], buf, 3, &n)); /* longer than max */
    /* identity under grants only, not the top-level one; room under video */
    assert_true(rg_jr_str(&v[ID], buf, sizeof buf - 1, &n));
    assert_string_equal(buf, "alice");
    assert_true(rg_jr_str_is(&v[ROOM], "r1", 2));
    assert_int_equal(v[GRANTS].type, RG_JR_OBJECT);
    assert_true(v[GRANTS].canonical);
    assert_int_equal(v[GRANTS].raw_len,
                     strlen("{\"identity\":\"alice\",\"video\":{\"room\":\"r1\"}}"));
    assert_int_equal(v[EXP].type, RG_JR_INTEGER);
    assert_int_equal(v[EXP].integer, 1700000060);
    assert_int_equal(v[IAT].type, RG_JR_REAL);
    assert_true(v[IAT].real == 1.7e9);
    /* the space after the comma: not what a compact dump writes */
    assert_int_equal(v[PERMS].type, RG_JR_ARRAY);
    assert_false(v[PERMS].canonical);
    rg_jr_iter it;
    rg_jr_val e;
    rg_jr_iter_init(&it, &v[PERMS]);
    assert_int_equal(rg_jr_next(&it, &e), 1);
    assert_true(rg_jr_str_is(&e, "allow_join", 10));
    assert_int_equal(rg_jr_next(&it, &e), 1);
    assert_true(rg_jr_str_is(&e, "allow_mod", 9));
    assert_int_equal(rg_jr_next(&it, &e), 0);
    /* a refused document hands out nothing */
    assert_int_equal(rg_jr_read("{\"sub\":\"a\",\"sub\":\"b\"}", 21, paths, N, v, NULL),
                     RG_JR_ESYNTAX);
    assert_int_equal(v[SUB].type, RG_JR_ABSENT);
    /* -0 and escapes are not canonical; a missing grants leaves its children absent */
    doc = "{\"grants\":[{\"identity\":\"x\"}],\"exp\":-0}";
    assert_int_equal(rg_jr_read(doc, strlen(doc), paths, N, v, NULL), RG_JR_OK);
    assert_int_equal(v[GRANTS].type, RG_JR_ARRAY);
    assert_int_equal(v[ID].type, RG_JR_ABSENT);
    assert_false(v[EXP].canonical);
    assert_int_equal(v[EXP].integer, 0);
}

/* Stricter than jansson, by design: depth, members, number length, size. */
static void test_jr_limits(void **state)
{
    (void)state;
    char doc[RG_JR_MAX_INPUT + 2];
    size_t n = 0;
    for (int i = 0; i < RG_JR_MAX_DEPTH; i++)
        doc[n++] = '[';
    for (int i = 0; i < RG_JR_MAX_DEPTH; i++)
        doc[n++] = ']';
    assert_int_equal(rg_jr_read(doc, n, NULL, 0, NULL, NULL), RG_JR_OK);
    n = 0;
    for (int i = 0; i <= RG_JR_MAX_DEPTH; i++)
        doc[n++] = '[';
    for (int i = 0; i <= RG_JR_MAX_DEPTH; i++)
        doc[n++] = ']';
    assert_int_equal(rg_jr_read(doc, n, NULL, 0, NULL, NULL), RG_JR_ELIMIT);
    assert_true(jansson_accepts(doc, n));

    n = (size_t)snprintf(doc, sizeof doc, "{");
    for (int i = 0; i <= RG_JR_MAX_MEMBERS; i++)
        n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    doc[n++] = '}';
    assert_int_equal(rg_jr_read(doc, n, NULL, 0, NULL, NULL), RG_JR_ELIMIT);
    assert_true(jansson_accepts(doc, n));

    n = (size_t)snprintf(doc, sizeof doc, "[1.%0*d]", RG_JR_MAX_NUMBER, 0);
    assert_int_equal(rg_jr_read(doc, n, NULL, 0, NULL, NULL), RG_JR_ELIMIT);

    memset(doc, ' ', sizeof doc);
    doc[0] = '[';
    doc[RG_JR_MAX_INPUT] = ']';
    assert_int_equal(rg_jr_read(doc, RG_JR_MAX_INPUT + 1, NULL, 0, NULL, NULL), RG_JR_ELIMIT);
    doc[RG_JR_MAX_INPUT - 1] = ']';
    assert_int_equal(rg_jr_read(doc, RG_JR_MAX_INPUT, NULL, 0, NULL, NULL), RG_JR_OK);
}

/* The plain-run scan takes 8 bytes at a time and the byte table the rest:
 * every byte value at every position of a key and of a string value (both
 * sides of the word boundaries) gets jansson's verdict, and an accepted
 * value decodes to jansson's string. */
static void test_jr_string_positions(void **state)
{
    (void)state;
    static const char *const inserts[] = {"\\\"", "\\u00e9", "\xc3\xa9", "\\n", "\x7f"};
    char doc[128], want[64], got[64];
    enum { VAL };
    static const rg_jr_path vpath[1] = {RG_JR_PATH(-1, "k")};
    for (int len = 0; len <= 20; len++) {
        for (int pos = 0; pos < len; pos++) {
            for (int b = 1; b < 256 + 5; b++) {
                char mid[8];
                if (b < 256) {
                    mid[0] = (char)b;
                    mid[1] = '\0';
                } else {
                    strcpy(mid, inserts[b - 256]);
                }
                char str[64];
                snprintf(str, sizeof str, "%.*s%s%.*s", pos, "abcdefghijklmnopqrstu", mid,
                         len - pos - 1, "ABCDEFGHIJKLMNOPQRSTU");
                /* as a value */
                int dl = snprintf(doc, sizeof doc, "{\"k\":\"%s\"}", str);
                rg_jr_val v[1];
                json_t *j = json_loadb(doc, (size_t)dl, JSON_REJECT_DUPLICATES, NULL);
                int rc = rg_jr_read(doc, (size_t)dl, vpath, 1, v, NULL);
                if ((rc == RG_JR_OK) != (j != NULL)) fail_msg("value %s: rc %d", doc, rc);
                if (j != NULL) {
                    const char *js = json_string_value(json_object_get(j, "k"));
                    size_t gl = 0;
                    assert_non_null(js);
                    snprintf(want, sizeof want, "%s", js);
                    assert_true(rg_jr_str(&v[VAL], got, sizeof got - 1, &gl));
                    assert_int_equal(gl, strlen(want));
                    assert_string_equal(got, want);
                }
                json_decref(j);
                /* as a key */
                dl = snprintf(doc, sizeof doc, "{\"%s\":1}", str);
                j = json_loadb(doc, (size_t)dl, JSON_REJECT_DUPLICATES, NULL);
                rc = rg_jr_read(doc, (size_t)dl, NULL, 0, NULL, NULL);
                if ((rc == RG_JR_OK) != (j != NULL)) fail_msg("key %s: rc %d", doc, rc);
                json_decref(j);
            }
        }
    }
}

/* Duplicate keys of every length up to 20 are refused, and keys differing
 * in any single byte are not (the key filter only narrows the compares). */
static void test_jr_duplicate_lengths(void **state)
{
    (void)state;
    char doc[128];
    for (int len = 1; len <= 20; len++) {
        const char *k = "abcdefghijklmnopqrstu";
        int n = snprintf(doc, sizeof doc, "{\"%.*s\":1,\"%.*s\":2}", len, k, len, k);
        assert_int_equal(rg_jr_read(doc, (size_t)n, NULL, 0, NULL, NULL), RG_JR_ESYNTAX);
        for (int pos = 0; pos < len; pos++) {
            char other[32];
            memcpy(other, k, (size_t)len);
            other[pos] = 'Z';
            n = snprintf(doc, sizeof doc, "{\"%.*s\":1,\"%.*s\":2}", len, k, len, other);
            assert_int_equal(rg_jr_read(doc, (size_t)n, NULL, 0, NULL, NULL), RG_JR_OK);
            /* and a duplicate two members away, after a different key */
            n = snprintf(doc, sizeof doc, "{\"%.*s\":1,\"%.*s\":2,\"%.*s\":3}", len, k, len, other,
                         len, k);
            assert_int_equal(rg_jr_read(doc, (size_t)n, NULL, 0, NULL, NULL), RG_JR_ESYNTAX);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jr_syntax),
        cmocka_unit_test(test_jr_claims),
        cmocka_unit_test(test_jr_limits),
        cmocka_unit_test(test_jr_string_positions),
        cmocka_unit_test(test_jr_duplicate_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

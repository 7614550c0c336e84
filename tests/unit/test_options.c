/* test_options.c - the option table parser (core/options.h): sources and
 * their precedence, groups of repeatable options, ranges, the config file's
 * lines, and what a bad environment value does for each policy. */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "core/options.h"

typedef struct {
    int n, lax, flag, on;
    long long big;
    const char *s;
    char list[8][32];
    int nlist;
} cfg_t;

static int add_item(void *c, const char *v, size_t len, const char **why)
{
    cfg_t *cfg = c;
    if (len == 0 || len > 31 || cfg->nlist == 8) return *why = "bad item", -1;
    memcpy(cfg->list[cfg->nlist], v, len);
    cfg->list[cfg->nlist++][len] = '\0';
    return 0;
}

static const rg_opt_section SEC = {"test", "a test option"};
#define F(f) offsetof(cfg_t, f), sizeof(((cfg_t *)0)->f)
static const rg_opt OPTS[] = {
    {"n", "T_N", RG_OPT_NUM, 0, 1, 100, F(n), "7", "N", "n", &SEC, NULL, NULL},
    {"lax", "T_LAX", RG_OPT_NUM, RG_OPT_ENV_LAX, 0, 9, F(lax), "3", "N", "lax", &SEC, NULL, NULL},
    {"big", "T_BIG", RG_OPT_NUM, RG_OPT_ENV_WARN, 1, 1ull << 50, F(big), "1024", "B", "big", &SEC,
     NULL, NULL},
    {"flag", "T_FLAG", RG_OPT_TRUE, 0, 0, 1, F(flag), "0", NULL, "flag", &SEC, NULL, NULL},
    {"no-on", "T_ON", RG_OPT_FALSE, 0, 0, 1, F(on), "1", NULL, "no-on", &SEC, NULL, NULL},
    {"s", "T_S", RG_OPT_STR, 0, 0, 0, F(s), "dflt", "S", "s", &SEC, NULL, NULL},
    {"item", "T_ITEMS", RG_OPT_FN, RG_OPT_REPEAT, 0, 0, 0, 0, NULL, "I", "item", &SEC, add_item,
     "items"},
    {"item-too", "T_ITEM2", RG_OPT_FN, RG_OPT_REPEAT, 0, 0, 0, 0, NULL, "I", "item", &SEC, add_item,
     "items"},
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

static const char *env_vals[8][2];
static const char *fake_env(const char *name)
{
    for (int i = 0; i < 8 && env_vals[i][0]; i++)
        if (strcmp(env_vals[i][0], name) == 0) return env_vals[i][1];
    return NULL;
}
static int warnings;
static void count_warning(const char *msg)
{
    (void)msg;
    warnings++;
}

/* Parses argv (NULL-terminated after the command word), the env pairs and a
 * file text; 0 or -1 with p->err. */
static int parse(rg_opts *p, cfg_t *cfg, const char *const *argv, const char *const (*env)[2],
                 const char *file)
{
    static char text[512];
    int argc = 0;
    memset(cfg, 0, sizeof *cfg);
    memset(env_vals, 0, sizeof env_vals);
    for (int i = 0; env && env[i][0]; i++)
        env_vals[i][0] = env[i][0], env_vals[i][1] = env[i][1];
    warnings = 0;
    rg_opts_init(p, OPTS, NOPTS, cfg);
    p->getenv = fake_env, p->warn = count_warning;
    while (argv[argc])
        argc++;
    if (rg_opts_scan_argv(p, argc, (char **)argv) != 0) return -1;
    if (file) {
        snprintf(text, sizeof text, "%s", file);
        if (rg_opts_scan_file(p, text, "t.conf") != 0) return -1;
    }
    return rg_opts_apply(p);
}

static rg_opts P;

static void test_defaults_and_flags(void **state)
{
    cfg_t c;
    (void)state;
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, NULL, NULL), 0);
    assert_int_equal(c.n, 7), assert_int_equal(c.lax, 3), assert_int_equal(c.big, 1024);
    assert_int_equal(c.flag, 0), assert_int_equal(c.on, 1), assert_string_equal(c.s, "dflt");
    assert_int_equal(parse(&P, &c,
                           (const char *[]){"cmd", "--n", "9", "--big=1125899906842624", "--flag",
                                            "--no-on", "--s", "x", "--n=10", NULL},
                           NULL, NULL),
                     0);
    assert_int_equal(c.n, 10); /* the last flag wins */
    assert_int_equal(c.big, 1ll << 50);
    assert_int_equal(c.flag, 1), assert_int_equal(c.on, 0), assert_string_equal(c.s, "x");
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", "-h", NULL}, NULL, NULL), 0);
    assert_true(P.help);
}

static void test_refusals(void **state)
{
    static const char *const bad[][3] = {
        {"--n", "0", "--n must be a whole number 1..100 (a test option)"},
        {"--n", "101", "--n must be"},
        {"--n", "+5", "--n must be"},
        {"--n", " 5", "--n must be"},
        {"--n", "5x", "--n must be"},
        {"--n", "", "--n must be"},
        {"--big", "99999999999999999999999", "--big must be"},
        {"--nope", "1", "unknown option --nope"},
        {"stray", NULL, "unexpected argument stray"},
        {"--flag=1", NULL, "--flag takes no value"},
        {"--n", NULL, "--n needs a value"},
    };
    cfg_t c;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"cmd", bad[i][0], bad[i][1], NULL};
        assert_int_equal(parse(&P, &c, argv, NULL, NULL), -1);
        assert_non_null(strstr(P.err, bad[i][2]));
    }
}

static void test_precedence(void **state)
{
    static const char *const env[][2] = {{"T_N", "20"}, {"T_S", "env"}, {NULL, NULL}};
    cfg_t c;
    (void)state;
    /* file < environment < flags, per option */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", "--s", "flag", NULL}, env,
                           "n = 30\ns=file\nlax = 4\n"),
                     0);
    assert_int_equal(c.n, 20);
    assert_string_equal(c.s, "flag");
    assert_int_equal(c.lax, 4);
    /* a bad value of a weaker source is never applied */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", "--n", "5", NULL}, env, "n = 0\n"), 0);
    assert_int_equal(c.n, 5);
    /* an empty variable counts as unset */
    static const char *const empty[][2] = {{"T_N", ""}, {NULL, NULL}};
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, empty, "n = 40"), 0);
    assert_int_equal(c.n, 40);
}

static void test_env_policies(void **state)
{
    static const char *const strict[][2] = {{"T_N", "0"}, {NULL, NULL}};
    static const char *const lax[][2] = {{"T_LAX", "10"}, {"T_BIG", "0"}, {NULL, NULL}};
    static const char *const bools[][2] = {{"T_FLAG", "yes"}, {"T_ON", "0"}, {NULL, NULL}};
    cfg_t c;
    (void)state;
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, strict, NULL), -1);
    assert_non_null(strstr(P.err, "T_N must be a whole number 1..100"));
    /* lax: silently the default; warn: the default and one warning */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, lax, NULL), 0);
    assert_int_equal(c.lax, 3), assert_int_equal(c.big, 1024), assert_int_equal(warnings, 1);
    /* variables: "0" is false, anything else true; T_ON names the feature */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, bools, NULL), 0);
    assert_int_equal(c.flag, 1), assert_int_equal(c.on, 0);
}

static void test_groups(void **state)
{
    static const char *const env[][2] = {{"T_ITEMS", "a,b"}, {"T_ITEM2", "c"}, {NULL, NULL}};
    static const char *const bad[][2] = {{"T_ITEMS", "a,"}, {NULL, NULL}};
    cfg_t c;
    (void)state;
    /* the environment's list, comma-separated, both members of the group */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, env, "item = f\n"), 0);
    assert_int_equal(c.nlist, 3);
    assert_string_equal(c.list[0], "a"), assert_string_equal(c.list[2], "c");
    /* one flag of the group replaces the whole environment list */
    assert_int_equal(
        parse(&P, &c, (const char *[]){"cmd", "--item-too", "x,y", "--item", "z", NULL}, env, NULL),
        0);
    assert_int_equal(c.nlist, 2);
    assert_string_equal(c.list[0], "x,y"), assert_string_equal(c.list[1], "z");
    /* the file: one value per line */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, NULL, "item = p\nitem-too = q\n"),
                     0);
    assert_int_equal(c.nlist, 2);
    /* an empty item is an error, not skipped */
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, bad, NULL), -1);
    assert_non_null(strstr(P.err, "T_ITEMS: bad item"));
}

static void test_file(void **state)
{
    static const char *const bad[][2] = {
        {"n = 5\nnope = 1\n", "t.conf:2: unknown key nope"},
        {"# c\n\n  n 5\n", "t.conf:3: not a `key = value` line"},
        {"n = 500\n", "t.conf:1: n must be a whole number 1..100"},
        {"flag = maybe\n", "t.conf:1: flag: must be 1 or 0"},
    };
    cfg_t c;
    (void)state;
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, NULL,
                           "# comment\r\n\n\t n\t=  12 \r\nflag = yes\nno-on = true\ns = a = b\n"),
                     0);
    assert_int_equal(c.n, 12), assert_int_equal(c.flag, 1), assert_int_equal(c.on, 0);
    assert_string_equal(c.s, "a = b");
    assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, NULL, "flag = 0\nno-on = off\n"),
                     0);
    assert_int_equal(c.flag, 0), assert_int_equal(c.on, 1);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(&P, &c, (const char *[]){"cmd", NULL}, NULL, bad[i][0]), -1);
        assert_non_null(strstr(P.err, bad[i][1]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_flags),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_env_policies),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

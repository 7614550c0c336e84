/* test_turncfg.c - the STUN/TURN options of `serve` (turn/config.h, through
 * the option table of cli/serve_options.c) and the ice_servers list built
 * from them (turn/ice.h). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/serve_options.h"
#include "core/errors.h"
#include "turn/ice.h"
#include "turn/config.h"

#define S1 "first-secret-0123456789"
#define S2 "second-secret-0123456789"

enum { URI = 1200, STUN, SECRET, SECRET_FILE, TTL };

static void clear_env(void)
{
    unsetenv("ROOMGATE_TURN_URIS");
    unsetenv("ROOMGATE_STUN_URIS");
    unsetenv("ROOMGATE_TURN_SECRETS");
    unsetenv("ROOMGATE_TURN_SECRET_FILE");
    unsetenv("ROOMGATE_TURN_TTL");
}

/* What a flag does to the TURN config (1: taken, -1: refused). */
static int turn_option(rg_turn_config *c, int ch, const char *arg, const char **why)
{
    switch (ch) {
    case URI:
        return rg_turn_add_uri(c, 1, arg, strlen(arg), why) == 0 ? 1 : -1;
    case STUN:
        return rg_turn_add_uri(c, 0, arg, strlen(arg), why) == 0 ? 1 : -1;
    case SECRET:
        return rg_turn_add_secret(c, arg, strlen(arg), why) == 0 ? 1 : -1;
    case SECRET_FILE:
        return rg_turn_read_secret_file(c, arg, why) == 0 ? 1 : -1;
    case TTL: {
        static const char *argv[4] = {"serve", "--data", "/nonexistent", NULL};
        static rg_serve_config cfg;
        rg_opts p;
        char flag[64];
        snprintf(flag, sizeof flag, "--turn-ttl=%s", arg);
        argv[3] = flag;
        memset(&cfg, 0, sizeof cfg);
        rg_opts_init(&p, rg_serve_opts, rg_serve_nopts, &cfg);
        if (rg_opts_scan_argv(&p, 4, (char **)argv) != 0 || rg_opts_apply(&p) != 0)
            return *why = "--turn-ttl must be 1..86400", -1;
        c->ttl = cfg.turn.ttl;
        return 1;
    }
    }
    return 0;
}

/* `serve` with these flags and the environment (0, or 2 on a usage error);
 * the TURN part of the result is copied into *c. */
static int serve_flags(rg_turn_config *c, const char *const *flags)
{
    static rg_serve_config cfg;
    /* writable copies: rg_serve_options overwrites secrets in argv */
    char *argv[16] = {strdup("serve"), strdup("--data"), strdup("/nonexistent")};
    int argc = 3, rc;
    rg_serve_conf conf;
    while (*flags)
        argv[argc++] = strdup(*flags++);
    for (int i = 0; i < argc; i++)
        assert_non_null(argv[i]);
    memset(&cfg, 0, sizeof cfg);
    rc = rg_serve_options(&cfg, argc, argv, &conf);
    rg_serve_conf_free(&conf);
    *c = cfg.turn;
    rg_turn_config_wipe(&cfg.turn);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return rc;
}

static const char *const none[] = {NULL}, *const uri_only[] = {"--turn-uri", "turn:h", NULL};

static int opt(rg_turn_config *c, int ch, const char *arg)
{
    const char *why = NULL;
    int rc = turn_option(c, ch, arg, &why);
    if (rc < 0) {
        assert_non_null(why);
        /* the value (maybe a secret) is never echoed; short ones ("0") may
         * occur in the message by chance */
        if (strlen(arg) >= 8) assert_null(strstr(why, arg));
    }
    return rc;
}

static void test_flags(void **state)
{
    rg_turn_config c;
    (void)state;
    clear_env();
    rg_turn_config_init(&c);
    assert_int_equal(c.ttl, 3600);
    assert_int_equal(opt(&c, 'l', "x"), 0);                        /* not ours */
    setenv("ROOMGATE_TURN_SECRETS", "env-secret-ignored-0000", 1); /* flags win */
    setenv("ROOMGATE_TURN_TTL", "5", 1);
    {
        const char *const f[] = {"--turn-uri",
                                 "turn:127.0.0.1:3478?transport=udp",
                                 "--turn-uri",
                                 "turns:t.example.com:5349?transport=tcp",
                                 "--stun-uri",
                                 "stun:127.0.0.1:3478",
                                 "--turn-secret",
                                 S1,
                                 "--turn-secret",
                                 S2,
                                 "--turn-ttl",
                                 "600",
                                 NULL};
        assert_int_equal(serve_flags(&c, f), 0);
    }
    assert_true(rg_turn_enabled(&c));
    assert_int_equal(c.nturn, 2);
    assert_int_equal(c.nstun, 1);
    assert_int_equal(c.nsecrets, 2);
    assert_string_equal(c.secrets[0], S1); /* the first signs */
    assert_string_equal(c.secrets[1], S2);
    assert_int_equal(c.secret_lens[1], strlen(S2));
    assert_int_equal(c.ttl, 600);
    rg_turn_config_wipe(&c);
    assert_int_equal(c.nsecrets, 0);
    assert_int_equal(c.secrets[0][0], 0);
    clear_env();
}

static void test_bad_values(void **state)
{
    rg_turn_config c;
    (void)state;
    clear_env();
    rg_turn_config_init(&c);
    assert_int_equal(opt(&c, URI, "http://example.com"), -1);
    assert_int_equal(opt(&c, URI, "stun:example.com"), -1);
    assert_int_equal(opt(&c, STUN, "turn:example.com"), -1);
    assert_int_equal(opt(&c, SECRET, "short-secret"), -1);
    assert_int_equal(opt(&c, SECRET, "a secret with spaces"), -1);
    assert_int_equal(opt(&c, TTL, "0"), -1);
    assert_int_equal(opt(&c, TTL, "86401"), -1);
    assert_int_equal(opt(&c, TTL, "-5"), -1);
    assert_int_equal(opt(&c, TTL, "12x"), -1);
    assert_int_equal(opt(&c, TTL, "86400"), 1);
    assert_int_equal(opt(&c, SECRET_FILE, "/nonexistent/turn-secrets"), -1);
    for (int i = 0; i < RG_TURN_MAX_URIS; i++)
        assert_int_equal(opt(&c, STUN, "stun:h"), 1);
    assert_int_equal(opt(&c, STUN, "stun:h"), -1); /* the table is full */
    assert_int_equal(c.nturn, 0);
    assert_int_equal(c.nsecrets, 0);
}

static void test_consistency(void **state)
{
    rg_turn_config c;
    const char *why = NULL;
    (void)state;
    clear_env();
    rg_turn_config_init(&c);
    assert_int_equal(rg_turn_config_check(&c, &why), 0); /* nothing: fine, TURN off */
    assert_false(rg_turn_enabled(&c));
    rg_turn_config_init(&c);
    assert_int_equal(opt(&c, URI, "turn:h"), 1);
    assert_int_equal(rg_turn_config_check(&c, &why), -1); /* a URI without a secret */
    assert_non_null(strstr(why, "secret"));
    rg_turn_config_init(&c);
    assert_int_equal(opt(&c, SECRET, S1), 1);
    assert_int_equal(rg_turn_config_check(&c, &why), -1); /* a secret without a URI */
    assert_non_null(strstr(why, "--turn-uri"));
    assert_null(strstr(why, S1));
}

static void test_env(void **state)
{
    rg_turn_config c;
    (void)state;
    clear_env();
    setenv("ROOMGATE_TURN_URIS", "turn:a:3478?transport=udp,turn:b:3478?transport=tcp", 1);
    setenv("ROOMGATE_STUN_URIS", "stun:a:3478", 1);
    setenv("ROOMGATE_TURN_SECRETS", S2 "," S1, 1);
    setenv("ROOMGATE_TURN_TTL", "120", 1);
    assert_int_equal(serve_flags(&c, none), 0);
    assert_int_equal(c.nturn, 2);
    assert_string_equal(c.turn_uris[1], "turn:b:3478?transport=tcp");
    assert_int_equal(c.nstun, 1);
    assert_int_equal(c.nsecrets, 2);
    assert_string_equal(c.secrets[0], S2);
    assert_int_equal(c.ttl, 120);
    /* an empty item or a bad secret in the list is an error, not skipped */
    setenv("ROOMGATE_TURN_SECRETS", S1 ",", 1);
    assert_int_equal(serve_flags(&c, none), 2);
    setenv("ROOMGATE_TURN_SECRETS", S1, 1);
    setenv("ROOMGATE_TURN_TTL", "100000", 1);
    assert_int_equal(serve_flags(&c, none), 2);
    clear_env();
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_secret_file(void **state)
{
    char dir[] = "/tmp/rg-turncfg-XXXXXX", path[64];
    rg_turn_config c;
    (void)state;
    clear_env();
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/secrets", dir);
    write_file(path, "# rotation: new first\r\n" S2 "\r\n\n" S1 "\n", 0600);
    {
        /* appended in command-line order */
        const char *const f[] = {
            "--turn-uri", "turn:h", "--turn-secret", "flag-secret-0123456789", "--turn-secret-file",
            path,         NULL};
        assert_int_equal(serve_flags(&c, f), 0);
    }
    assert_int_equal(c.nsecrets, 3);
    assert_string_equal(c.secrets[0], "flag-secret-0123456789");
    assert_string_equal(c.secrets[1], S2);
    assert_string_equal(c.secrets[2], S1);
    /* the environment's file, when no flag names secrets */
    setenv("ROOMGATE_TURN_SECRET_FILE", path, 1);
    assert_int_equal(serve_flags(&c, uri_only), 0);
    assert_int_equal(c.nsecrets, 2);
    assert_string_equal(c.secrets[0], S2);
    clear_env();
    /* readable by others: refused */
    chmod(path, 0644);
    rg_turn_config_init(&c);
    assert_int_equal(opt(&c, SECRET_FILE, path), -1);
    /* empty, or a bad line */
    write_file(path, "# nothing\n\n", 0600);
    rg_turn_config_init(&c);
    assert_int_equal(opt(&c, SECRET_FILE, path), -1);
    write_file(path, S1 "\nbad secret with spaces\n", 0600);
    rg_turn_config_init(&c);
    assert_int_equal(opt(&c, SECRET_FILE, path), -1);
    unlink(path);
    rmdir(dir);
}

static json_t *ice(rg_app *app, const char *identity)
{
    json_t *a = rg_turn_ice_servers(app, identity, 1700000000);
    assert_non_null(a);
    assert_true(json_is_array(a));
    return a;
}

static void test_ice_servers(void **state)
{
    static rg_app app; /* large: the URIs and secrets are inline */
    const char *why = NULL;
    json_t *a, *e;
    (void)state;
    clear_env();
    rg_turn_config_init(&app.cfg.turn);
    a = ice(&app, "alice"); /* nothing configured: empty */
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    assert_int_equal(opt(&app.cfg.turn, STUN, "stun:s1:3478"), 1);
    a = ice(&app, "alice"); /* STUN only, no credentials */
    assert_int_equal(json_array_size(a), 1);
    e = json_array_get(a, 0);
    assert_int_equal(json_object_size(e), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e, "urls"), 0)),
                        "stun:s1:3478");
    json_decref(a);
    assert_int_equal(opt(&app.cfg.turn, URI, "turn:t1:3478?transport=udp"), 1);
    assert_int_equal(opt(&app.cfg.turn, URI, "turn:t1:3478?transport=tcp"), 1);
    assert_int_equal(opt(&app.cfg.turn, SECRET, "roomgate-turn-secret-0001"), 1);
    assert_int_equal(rg_turn_config_check(&app.cfg.turn, &why), 0);
    a = ice(&app, "alice");
    assert_int_equal(json_array_size(a), 2);
    e = json_array_get(a, 1);
    assert_int_equal(json_array_size(json_object_get(e, "urls")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e, "urls"), 1)),
                        "turn:t1:3478?transport=tcp");
    /* the vector of test_turn.c: default ttl 3600 */
    assert_string_equal(json_string_value(json_object_get(e, "username")), "1700003600:alice");
    assert_string_equal(json_string_value(json_object_get(e, "credential")),
                        "w+ebGRZe+6VCumEJcIi6ZG5B+sM=");
    json_decref(a);
    assert_null(rg_turn_ice_servers(&app, "", 1700000000)); /* invalid identity */
    rg_turn_config_wipe(&app.cfg.turn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flags),       cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_consistency), cmocka_unit_test(test_env),
        cmocka_unit_test(test_secret_file), cmocka_unit_test(test_ice_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

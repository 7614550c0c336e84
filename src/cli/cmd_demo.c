/* cmd_demo.c - `roomgate demo init`: the demo account and key that
 * `make run` and `serve --demo` use, recorded in DATA/demo.json (0600).
 *
 * Run again, it checks what demo.json says against the database and prints
 * it only when those credentials work: a deleted (or foreign) demo key is
 * replaced by a new key on the same account and demo.json rewritten, so a
 * README example that deletes the wrong key does not leave the demo broken.
 * An account whose auth token no longer matches cannot be repaired (only
 * its hash is stored): that is an error, never a silent reprint. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/accounts.h"
#include "app/keys.h"
#include "cli/cli.h"
#include "core/errors.h"

static const char usage[] =
    "usage: roomgate demo init [--data DIR]\n"
    "  Creates the demo account and key once, writes DATA/demo.json and prints\n"
    "  it.  When demo.json exists, checks its credentials: a deleted demo key is\n"
    "  replaced (demo.json rewritten); exits 0 only if the printed credentials\n"
    "  work, 1 if the account or its auth token does not match the database.\n";

/* Writes v to path through a temporary file and rename(2), so a reader
 * never sees half a file and a crash leaves the old one. */
static int write_file(const char *path, json_t *v)
{
    char tmp[4200];
    char *s = json_dumps(v, JSON_INDENT(2));
    size_t n = s ? strlen(s) : 0;
    int fd, ok;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ok = fd >= 0 && s && write(fd, s, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (s) OPENSSL_cleanse(s, n), free(s);
    if (ok && rename(tmp, path) == 0) return 0;
    if (fd >= 0) unlink(tmp);
    return -1;
}

/* A new demo key on account ac, recorded with the account's credentials. */
static int write_demo(rg_cli_env *env, const char *path, const char *ac, const char *token)
{
    char secret[RG_KEY_SECRET_LEN + 1];
    rg_key_row row;
    json_t *v;
    int rc;
    if (rg_app_key_create(&env->app, ac, "demo", RG_KEY_STANDARD, rg_cli_now(), &row, secret))
        return rg_cli_fail("cannot create the demo key");
    v = json_pack("{s:s, s:s, s:s, s:s}", "account_sid", ac, "auth_token", token, "key_sid",
                  row.sid, "key_secret", secret);
    OPENSSL_cleanse(secret, sizeof secret);
    rc = v ? write_file(path, v) : -1;
    json_decref(v);
    return rc == 0 ? 0 : rg_cli_fail("cannot write %s: %s", path, strerror(errno));
}

static int create(rg_cli_env *env, const char *path)
{
    char ac[RG_SID_SIZE], token[RG_AUTH_TOKEN_LEN + 1];
    int rc;
    if (rg_app_account_create(&env->app, "roomgate demo", rg_cli_now(), ac, token) != RG_OK)
        return rg_cli_fail("cannot create the demo account");
    rc = write_demo(env, path, ac, token);
    OPENSSL_cleanse(token, sizeof token);
    return rc;
}

/* 1 when the account exists and token is its auth token. */
static int account_works(rg_cli_env *env, const char *ac, const char *token)
{
    rg_account a;
    uint8_t h[32];
    if (rg_store_account_get(env->store, ac, &a) != RG_OK) return 0;
    rg_token_hash(token, strlen(token), h);
    return CRYPTO_memcmp(h, a.token_hash, sizeof h) == 0;
}

/* 1 when sk is a live key of account ac whose secret is secret. */
static int key_works(rg_cli_env *env, const char *ac, const char *sk, const char *secret)
{
    rg_key_row k;
    uint8_t clear[RG_SEALED_MAX];
    size_t n = 0;
    int ok;
    if (strlen(sk) != RG_SID_LEN || rg_store_key_get(env->store, sk, &k) != RG_OK ||
        strcmp(k.account_sid, ac) != 0)
        return 0;
    ok = rg_unseal(env->master, k.sid, RG_SID_LEN, k.sealed, k.sealed_len, clear, sizeof clear,
                   &n) == RG_OK &&
         n == strlen(secret) && CRYPTO_memcmp(clear, secret, n) == 0;
    OPENSSL_cleanse(clear, sizeof clear);
    return ok;
}

/* Checks an existing demo.json; replaces a key that no longer works. */
static int check(rg_cli_env *env, const char *path)
{
    json_error_t err;
    json_t *v = json_load_file(path, 0, &err);
    const char *ac = NULL, *token = NULL, *sk = NULL, *secret = NULL;
    int rc = 0;
    if (v == NULL || json_unpack(v, "{s:s, s:s, s:s, s:s}", "account_sid", &ac, "auth_token",
                                 &token, "key_sid", &sk, "key_secret", &secret) != 0) {
        json_decref(v);
        return rg_cli_fail("cannot read %s: move it away to create a new demo account", path);
    }
    if (!account_works(env, ac, token)) {
        rc = rg_cli_fail("%s: account %s is not in %s/roomgate.db or its auth token does not "
                         "match; move demo.json away to create a new demo account",
                         path, ac, env->data_dir);
    } else if (!key_works(env, ac, sk, secret)) {
        fprintf(stderr, "roomgate: demo key %s no longer works; creating a new one\n", sk);
        rc = write_demo(env, path, ac, token);
    }
    json_decref(v);
    return rc;
}

int rg_cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {RG_CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
    const char *data = NULL;
    char path[4096];
    rg_cli_env env;
    json_error_t err;
    json_t *v;
    int ch, rc;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'D')
            data = optarg;
        else if (ch == 'B')
            rg_cli_set_db(optarg);
        else if (ch == 'h')
            return fputs(usage, stdout), 0;
        else
            return rg_cli_usage_error(usage, "bad option");
    }
    if (optind >= argc || strcmp(argv[optind], "init") != 0)
        return rg_cli_usage_error(usage, "expected: demo init");
    if (rg_cli_open(&env, rg_cli_data_dir(data), 1) != 0) return 1;
    snprintf(path, sizeof path, "%s/demo.json", env.data_dir);
    rc = access(path, F_OK) != 0 ? create(&env, path) : check(&env, path);
    rg_cli_close(&env);
    if (rc != 0) return 1;
    if ((v = json_load_file(path, 0, &err)) == NULL) return rg_cli_fail("cannot read %s", path);
    rg_cli_print(v);
    return 0;
}

/* cmd_demo.c - `roomgate demo init`: the demo account and key that
 * `make run` and `serve --demo` use, recorded in DATA/demo.json (0600). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/errors.h"
#include "store/provision.h"

static const char usage[] = "usage: roomgate demo init [--data DIR]\n"
                            "  Creates the demo account and key once, writes DATA/demo.json and\n"
                            "  prints it.\n";

static int write_file(const char *path, json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    size_t n = s ? strlen(s) : 0;
    int ok = fd >= 0 && s && write(fd, s, n) == (ssize_t)n && write(fd, "\n", 1) == 1 &&
             fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (s) OPENSSL_cleanse(s, n), free(s);
    return ok ? 0 : -1;
}

static int create(rg_cli_env *env, const char *path)
{
    char ac[RG_SID_SIZE], token[RG_AUTH_TOKEN_LEN + 1], secret[RG_KEY_SECRET_LEN + 1];
    rg_key_row row;
    json_t *v;
    int rc;
    if (rg_provision_account(env->store, "roomgate demo", rg_cli_now(), ac, token) != RG_OK ||
        rg_provision_key(env->store, env->master, ac, "demo", rg_cli_now(), &row, secret))
        return rg_cli_fail("cannot create the demo account");
    v = json_pack("{s:s, s:s, s:s, s:s}", "account_sid", ac, "auth_token", token, "key_sid",
                  row.sid, "key_secret", secret);
    OPENSSL_cleanse(token, sizeof token);
    OPENSSL_cleanse(secret, sizeof secret);
    rc = write_file(path, v);
    json_decref(v);
    return rc == 0 ? 0 : rg_cli_fail("cannot write %s: %s", path, strerror(errno));
}

int rg_cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {RG_CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
    const char *data = NULL;
    char path[4096];
    rg_cli_env env;
    json_error_t err;
    json_t *v;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'D') data = optarg;
        else if (ch == 'h') return fputs(usage, stdout), 0;
        else return rg_cli_usage_error(usage, "bad option");
    }
    if (optind >= argc || strcmp(argv[optind], "init") != 0)
        return rg_cli_usage_error(usage, "expected: demo init");
    if (rg_cli_open(&env, rg_cli_data_dir(data), 1) != 0) return 1;
    snprintf(path, sizeof path, "%s/demo.json", env.data_dir);
    if (access(path, F_OK) != 0 && create(&env, path) != 0) {
        rg_cli_close(&env);
        return 1;
    }
    rg_cli_close(&env);
    if ((v = json_load_file(path, 0, &err)) == NULL) return rg_cli_fail("cannot read %s", path);
    rg_cli_print(v);
    return 0;
}

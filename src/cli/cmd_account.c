/* cmd_account.c - `roomgate account create` and `roomgate key ...`. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/errors.h"
#include "core/timefmt.h"
#include "store/provision.h"

static const char account_usage[] =
    "usage: roomgate account create [--name NAME] [--data DIR]\n"
    "  Creates an account and prints {\"sid\",\"auth_token\"} once; only a hash of the\n"
    "  auth token is stored.\n";

static const char key_usage[] =
    "usage: roomgate key create --account AC... [--name NAME] [--data DIR]\n"
    "       roomgate key list --account AC... [--data DIR]\n"
    "       roomgate key delete SK... [--data DIR]\n"
    "  create prints {\"sid\",\"secret\"}; the secret is shown only then.\n";

typedef struct {
    const char *data, *name, *account, *arg;
} opts;

static int parse(int argc, char **argv, opts *o, const char *usage)
{
    const rg_cli_opt table[] = {{"name", &o->name}, {"account", &o->account}, {NULL, NULL}};
    int rc = rg_cli_parse(argc, argv, table, usage, &o->data, &o->arg);
    if (rc != 0) return rc;
    if (o->name && strlen(o->name) > RG_NAME_MAX)
        return rg_cli_usage_error(usage, "--name is longer than %d bytes", RG_NAME_MAX);
    return 0;
}

static int account_create(opts *o)
{
    rg_cli_env env;
    char sid[RG_SID_SIZE], token[RG_AUTH_TOKEN_LEN + 1];
    int rc;
    if (rg_cli_open(&env, rg_cli_data_dir(o->data), 1) != 0) return 1;
    rc = rg_provision_account(env.store, o->name, rg_cli_now(), sid, token);
    rg_cli_close(&env);
    if (rc != RG_OK) return rg_cli_fail("cannot create the account");
    rg_cli_print(json_pack("{s:s, s:s}", "sid", sid, "auth_token", token));
    OPENSSL_cleanse(token, sizeof token);
    return 0;
}

int rg_cmd_account(int argc, char **argv)
{
    opts o;
    int rc;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(account_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if ((rc = parse(argc - 1, argv + 1, &o, account_usage)) != 0) return rc < 0 ? 0 : rc;
    if (strcmp(argv[1], "create") == 0) return account_create(&o);
    return rg_cli_usage_error(account_usage, "unknown command: account %s", argv[1]);
}

static int check_account(rg_cli_env *env, const char *sid)
{
    rg_account a;
    if (sid == NULL) return rg_cli_usage_error(key_usage, "--account is required");
    if (!rg_sid_valid(sid, strlen(sid), "AC") || rg_store_account_get(env->store, sid, &a) != RG_OK)
        return rg_cli_fail("no such account: %s", sid);
    return 0;
}

static int key_create(rg_cli_env *env, opts *o)
{
    rg_key_row row;
    char secret[RG_KEY_SECRET_LEN + 1];
    if (check_account(env, o->account) != 0) return 1;
    if (rg_provision_key(env->store, env->master, o->account, o->name, rg_cli_now(), &row,
                         secret) != RG_OK)
        return rg_cli_fail("cannot create the key");
    rg_cli_print(json_pack("{s:s, s:s}", "sid", row.sid, "secret", secret));
    OPENSSL_cleanse(secret, sizeof secret);
    return 0;
}

static int key_list(rg_cli_env *env, opts *o)
{
    rg_key_row rows[100];
    char iso[RG_TIMEFMT_SIZE];
    size_t count, offset = 0;
    int more = 1;
    if (check_account(env, o->account) != 0) return 1;
    while (more) {
        if (rg_store_key_list(env->store, o->account, offset, 100, rows, &count, &more) != RG_OK)
            return rg_cli_fail("cannot list keys");
        for (size_t i = 0; i < count; i++)
            rg_cli_print(json_pack("{s:s, s:s, s:s}", "sid", rows[i].sid, "friendly_name",
                                   rows[i].friendly_name, "date_created",
                                   rg_time_iso8601(rows[i].date_created, iso)));
        offset += count;
    }
    return 0;
}

static int key_delete(rg_cli_env *env, const char *sid)
{
    if (sid == NULL || !rg_sid_valid(sid, strlen(sid), "SK"))
        return rg_cli_usage_error(key_usage, "key delete needs a key SID (SK...)");
    if (rg_store_key_delete(env->store, sid) != RG_OK) return rg_cli_fail("no such key: %s", sid);
    rg_cli_print(json_pack("{s:s, s:b}", "sid", sid, "deleted", 1));
    return 0;
}

int rg_cmd_key(int argc, char **argv)
{
    opts o;
    rg_cli_env env;
    int rc;
    const char *cmd = argc > 1 ? argv[1] : "";
    if (argc < 2 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(key_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if ((rc = parse(argc - 1, argv + 1, &o, key_usage)) != 0) return rc < 0 ? 0 : rc;
    if (strcmp(cmd, "create") && strcmp(cmd, "list") && strcmp(cmd, "delete"))
        return rg_cli_usage_error(key_usage, "unknown command: key %s", cmd);
    if (rg_cli_open(&env, rg_cli_data_dir(o.data), 0) != 0) return 1;
    if (strcmp(cmd, "create") == 0)
        rc = key_create(&env, &o);
    else if (strcmp(cmd, "list") == 0)
        rc = key_list(&env, &o);
    else
        rc = key_delete(&env, o.arg);
    rg_cli_close(&env);
    return rc;
}

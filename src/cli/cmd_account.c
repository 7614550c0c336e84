/* cmd_account.c - `roomgate account create` and `roomgate key ...`. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "app/accounts.h"
#include "app/keys.h"
#include "cli/cli.h"
#include "core/errors.h"
#include "core/netaddr.h"
#include "core/timefmt.h"
#include "store/outbox.h"
#include "app/provision.h"

static const char account_usage[] =
    "usage: roomgate account create [--name NAME] [--data DIR]\n"
    "       roomgate account seal-token --account AC... [--data DIR] < TOKEN\n"
    "       roomgate account callback --account AC... [--url URL] [--method POST|GET]\n"
    "                                 [--format twilio|livekit --key SK...] [--data DIR]\n"
    "  create makes an account and prints {\"sid\",\"auth_token\"} once; the auth token\n"
    "  is stored as a hash and sealed under the master key (status callbacks are\n"
    "  signed with it).\n"
    "  seal-token reads the auth token of an account made before tokens were sealed\n"
    "  from standard input, checks it against the stored hash and seals it, so the\n"
    "  account's status callbacks can be signed (docs/webhooks.md).\n"
    "  callback shows, or with --url sets (\"\" clears), the account's default status\n"
    "  callback: rooms without a StatusCallback of their own report there; with\n"
    "  --format livekit, as LiveKit webhooks signed with the key SK... (its account's).\n";

static const char key_usage[] =
    "usage: roomgate key create --account AC... [--name NAME] [--type standard|main] [--data DIR]\n"
    "       roomgate key list --account AC... [--data DIR]\n"
    "       roomgate key delete SK... [--data DIR]\n"
    "  create prints {\"sid\",\"secret\"}; the secret is shown only then; list shows\n"
    "  each key's type.\n"
    "  A standard key (the default) works everywhere except the Keys resource; a main\n"
    "  key may also create, list, update and delete keys, as the auth token may.\n";

typedef struct {
    const char *data, *name, *account, *type, *arg, *url, *method, *format, *key;
} opts;

static int parse(int argc, char **argv, opts *o, const char *usage)
{
    const rg_cli_opt table[] = {
        {"name", &o->name},     {"account", &o->account}, {"type", &o->type}, {"url", &o->url},
        {"method", &o->method}, {"format", &o->format},   {"key", &o->key},   {NULL, NULL}};
    memset(o, 0, sizeof *o);
    int rc = rg_cli_parse(argc, argv, table, usage, &o->data, &o->arg);
    if (rc != 0) return rc;
    if (o->type && rg_key_type_parse(o->type) < 0)
        return rg_cli_usage_error(usage, "--type must be standard or main");
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
    rc = rg_app_account_create(&env.app, o->name, rg_cli_now(), sid, token);
    rg_cli_close(&env);
    if (rc != RG_OK) return rg_cli_fail("cannot create the account");
    rg_cli_print(json_pack("{s:s, s:s}", "sid", sid, "auth_token", token));
    OPENSSL_cleanse(token, sizeof token);
    return 0;
}

static int check_account(rg_cli_env *env, const char *sid, const char *usage);

/* The token from standard input (one line), checked against the stored
 * hash in constant time, then sealed next to it. */
static int account_seal_token(rg_cli_env *env, opts *o)
{
    char line[128];
    int rc;
    if (check_account(env, o->account, account_usage) != 0) return 1;
    if (fgets(line, sizeof line, stdin) == NULL) return rg_cli_fail("no auth token on stdin");
    line[strcspn(line, "\r\n")] = '\0';
    rc = rg_app_account_seal_token(&env->app, o->account, line);
    OPENSSL_cleanse(line, sizeof line);
    if (rc == RG_EINVAL) return rg_cli_fail("that is not the account's auth token");
    if (rc != RG_OK) return rg_cli_fail("cannot seal the auth token");
    rg_cli_print(json_pack("{s:s, s:b}", "sid", o->account, "token_sealed", 1));
    return 0;
}

static int account_callback(rg_cli_env *env, opts *o)
{
    rg_account_callback cb;
    memset(&cb, 0, sizeof cb);
    if (check_account(env, o->account, account_usage) != 0) return 1;
    if (o->method && strcmp(o->method, "GET") && strcmp(o->method, "POST"))
        return rg_cli_usage_error(account_usage, "--method must be POST or GET");
    if (o->url && o->url[0] && !rg_callback_url_ok(o->url))
        return rg_cli_usage_error(account_usage,
                                  "--url must be an http or https URL of at "
                                  "most %d bytes",
                                  RG_OUTBOX_URL_MAX);
    if (o->format && strcmp(o->format, "twilio") && strcmp(o->format, "livekit"))
        return rg_cli_usage_error(account_usage, "--format must be twilio or livekit");
    cb.livekit = o->format && strcmp(o->format, "livekit") == 0;
    if (cb.livekit != (o->key != NULL) || (o->key && strlen(o->key) != RG_SID_LEN))
        return rg_cli_usage_error(account_usage, "--key SK... goes with --format livekit");
    if (o->key) memcpy(cb.key_sid, o->key, RG_SID_SIZE);
    cb.get = o->method && !strcmp(o->method, "GET");
    if (o->url) snprintf(cb.url, sizeof cb.url, "%s", o->url);
    int rc = o->url ? rg_app_account_set_callback(&env->app, o->account, &cb) : RG_OK;
    if (rc == RG_EINVAL) return rg_cli_fail("%s is not a key of the account", o->key);
    if (rc != RG_OK) return rg_cli_fail("cannot set the callback");
    if (rg_store_account_get_callback(env->store, o->account, &cb) != RG_OK)
        return rg_cli_fail("cannot read the callback");
    rg_cli_print(json_pack("{s:s, s:s, s:s, s:s, s:s}", "sid", o->account, "status_callback",
                           cb.url, "status_callback_method", cb.get ? "GET" : "POST",
                           "status_callback_format", cb.livekit ? "livekit" : "twilio",
                           "status_callback_key", cb.key_sid));
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
    if (strcmp(argv[1], "seal-token") && strcmp(argv[1], "callback"))
        return rg_cli_usage_error(account_usage, "unknown command: account %s", argv[1]);
    rg_cli_env env;
    if (rg_cli_open(&env, rg_cli_data_dir(o.data), 0) != 0) return 1;
    rc = strcmp(argv[1], "callback") == 0 ? account_callback(&env, &o)
                                          : account_seal_token(&env, &o);
    rg_cli_close(&env);
    return rc;
}

static int check_account(rg_cli_env *env, const char *sid, const char *usage)
{
    rg_account a;
    if (sid == NULL) return rg_cli_usage_error(usage, "--account is required");
    if (!rg_sid_valid(sid, strlen(sid), "AC") || rg_store_account_get(env->store, sid, &a) != RG_OK)
        return rg_cli_fail("no such account: %s", sid);
    return 0;
}

static int key_create(rg_cli_env *env, opts *o)
{
    rg_key_row row;
    char secret[RG_KEY_SECRET_LEN + 1];
    if (check_account(env, o->account, key_usage) != 0) return 1;
    rg_key_type type = o->type ? (rg_key_type)rg_key_type_parse(o->type) : RG_KEY_STANDARD;
    if (rg_app_key_create(&env->app, o->account, o->name, type, rg_cli_now(), &row, secret) !=
        RG_OK)
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
    if (check_account(env, o->account, key_usage) != 0) return 1;
    while (more) {
        if (rg_store_key_list(env->store, o->account, offset, 100, rows, &count, &more) != RG_OK)
            return rg_cli_fail("cannot list keys");
        for (size_t i = 0; i < count; i++)
            rg_cli_print(json_pack("{s:s, s:s, s:s, s:s}", "sid", rows[i].sid, "friendly_name",
                                   rows[i].friendly_name, "key_type",
                                   rg_key_type_name(rows[i].key_type), "date_created",
                                   rg_time_iso8601(rows[i].date_created, iso)));
        offset += count;
    }
    return 0;
}

static int key_delete(rg_cli_env *env, const char *sid)
{
    rg_key_row k;
    if (sid == NULL || !rg_sid_valid(sid, strlen(sid), "SK"))
        return rg_cli_usage_error(key_usage, "key delete needs a key SID (SK...)");
    if (rg_store_key_get(env->store, sid, &k) != RG_OK ||
        rg_app_key_delete(&env->app, &k, rg_cli_now()) != RG_OK)
        return rg_cli_fail("no such key: %s", sid);
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

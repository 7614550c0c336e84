/* cmd_token.c - `roomgate token`: a Twilio-format token for scripts, minted
 * by the same core code as the server's. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/errors.h"
#include "core/token.h"

static const char usage[] =
    "usage: roomgate token --account AC... --key SK... --identity ID [--room ROOM]\n"
    "                      [--ttl SECONDS] [--data DIR]\n"
    "  Prints a Twilio-format access token (HS256, default ttl 3600, max 86400).\n";

typedef struct {
    const char *data, *account, *key, *identity, *room;
    long ttl;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    const char *ttl = NULL;
    const rg_cli_opt table[] = {
        {"account", &o->account}, {"key", &o->key}, {"identity", &o->identity},
        {"room", &o->room},       {"ttl", &ttl},    {NULL, NULL},
    };
    int rc = rg_cli_parse(argc, argv, table, usage, &o->data, NULL);
    if (rc != 0) return rc;
    o->ttl = 3600;
    if (ttl != NULL && rg_cli_long(ttl, 1, RG_TOKEN_MAX_TTL, &o->ttl) != 0)
        return rg_cli_usage_error(usage, "--ttl must be 1..%d", RG_TOKEN_MAX_TTL);
    if (!o->account || !o->key || !o->identity)
        return rg_cli_usage_error(usage, "--account, --key and --identity are required");
    return 0;
}

static int mint(rg_cli_env *env, const opts *o)
{
    rg_key_row row;
    uint8_t secret[RG_SECRET_MAX];
    size_t slen;
    char tok[4096];
    size_t len;
    rg_hmac *h;
    int rc;
    if (!rg_sid_valid(o->key, strlen(o->key), "SK") ||
        rg_store_key_get(env->store, o->key, &row) != RG_OK || strcmp(row.account_sid, o->account))
        return rg_cli_fail("no key %s in account %s", o->key, o->account);
    if (rg_unseal(env->master, row.sid, RG_SID_LEN, row.sealed, row.sealed_len, secret,
                  sizeof secret, &slen) != RG_OK)
        return rg_cli_fail("cannot unseal key %s: wrong master key?", o->key);
    if ((h = rg_hmac_new()) == NULL) return rg_cli_fail("out of memory");
    rc = rg_token_mint_twilio(h,
                              &(rg_twilio_claims){.account_sid = o->account,
                                                  .key_sid = o->key,
                                                  .secret = secret,
                                                  .secret_len = slen,
                                                  .identity = o->identity,
                                                  .room = o->room,
                                                  .now = rg_cli_now(),
                                                  .ttl = o->ttl},
                              tok, sizeof tok, &len);
    OPENSSL_cleanse(secret, sizeof secret);
    rg_hmac_free(h);
    if (rc != RG_OK) return rg_cli_fail("cannot mint: check --identity and --room");
    puts(tok);
    return 0;
}

int rg_cmd_token(int argc, char **argv)
{
    opts o;
    rg_cli_env env;
    int rc = parse(argc, argv, &o);
    if (rc != 0) return rc < 0 ? 0 : rc;
    if (rg_cli_open(&env, rg_cli_data_dir(o.data), 0) != 0) return 1;
    rc = mint(&env, &o);
    rg_cli_close(&env);
    return rc;
}

/* api/keys.c - Twilio's API Keys resource (2010-04-01 API).
 *
 * A key's secret is returned by create only; the store keeps it sealed and
 * the key cache is reloaded after every change, so a deleted key stops
 * validating at once on every thread.
 *
 * Only the auth token or a main key may use these routes (a standard key
 * gets 401/20003, as Twilio answers), so a leaked standard key cannot mint
 * itself a successor or delete the others; and only the auth token may
 * create a main key (docs/security.md "Key types"). */
#include <openssl/crypto.h>
#include <stdio.h>

#include "api/page.h"
#include "app/keys.h"
#include "core/errors.h"
#include "http/module.h"
#include "store/watch.h"

static const char *const P_NAME[] = {"FriendlyName", "friendly_name", NULL};
static const char *const P_TYPE[] = {"KeyType", "key_type", NULL};

#define KEYS_BASE "/2010-04-01/Accounts/%s/Keys"

static json_t *key_json(rg_call *c, const rg_key_row *k)
{
    /* Twilio's 2010 Key resource has no type field; `roomgate key list`
     * shows the type. */
    return json_pack("{s:s, s:s, s:s, s:s}", "sid", k->sid, "friendly_name", k->friendly_name,
                     "date_created", rg_fmt_rfc2822(c, k->date_created), "date_updated",
                     rg_fmt_rfc2822(c, k->date_updated));
}

/* key_json as rg_page_items calls it. */
static json_t *key_item(rg_call *c, const void *row, const void *ud)
{
    (void)ud;
    return key_json(c, row);
}

/* Authenticates for the account in the path, refuses standard keys, and
 * reads the parameters. */
static int prelude(rg_call *c, rg_principal *p)
{
    if (rg_auth_basic(c, &c->args[0], p) != 0) return -1;
    if (p->kind == RG_PRINCIPAL_KEY &&
        rg_keycache_key_type(c->w->app->keys, p->key_sid) != RG_KEY_MAIN) {
        h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Basic realm=\"roomgate\""));
        rg_reply_error(c, 401, 20003,
                       "Authentication Error - a standard API key cannot manage keys; use the "
                       "auth token or a main key");
        return -1;
    }
    return rg_call_params(c);
}

/* The key named in the path, if it exists and belongs to the account. */
static int load_key(rg_call *c, const rg_principal *p, rg_key_row *k)
{
    char sid[RG_SID_SIZE];
    if (rg_arg_sid(c, 1, "SK", sid) == 0 && rg_store_key_get(c->w->app->store, sid, k) == RG_OK &&
        strcmp(k->account_sid, p->account_sid) == 0)
        return 0;
    rg_reply_not_found(c);
    return -1;
}

static int read_name(rg_call *c, const char **name)
{
    return rg_param_text(c, P_NAME, 0, RG_NAME_MAX, name);
}

/* KeyType: "standard" (the default) or "main"; a main key only for the
 * auth token, so no key, not even a main one, can mint a peer that
 * outlives its own deletion with full powers. */
static int read_type(rg_call *c, const rg_principal *p, rg_key_type *type)
{
    size_t len = 0;
    const char *s = rg_param(c, P_TYPE, &len);
    int t = s ? rg_key_type_parse(s) : RG_KEY_STANDARD;
    if (s && strlen(s) != len) t = -1; /* an embedded NUL */
    if (t < 0) {
        rg_reply_error(c, 400, 21603, "Invalid parameter KeyType: standard or main");
        return -1;
    }
    if (t == RG_KEY_MAIN && p->kind != RG_PRINCIPAL_ACCOUNT) {
        rg_reply_error(c, 403, 20403, "Only the account's auth token can create a main key");
        return -1;
    }
    *type = (rg_key_type)t;
    return 0;
}

void rg_h_keys_create(rg_call *c)
{
    rg_principal p;
    rg_key_row row;
    char secret[RG_KEY_SECRET_LEN + 1];
    const char *name;
    rg_key_type type;
    json_t *body;
    if (prelude(c, &p) != 0 || read_name(c, &name) != 0 || read_type(c, &p, &type) != 0) return;
    if (rg_app_key_create(c->w->app, p.account_sid, name, type, c->now, &row, secret) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not create the key; try again");
        return;
    }
    body = key_json(c, &row);
    json_object_set_new(body, "secret", json_string(secret));
    OPENSSL_cleanse(secret, sizeof secret);
    rg_reply_json(c, 201, body);
}

/* The 2010 API's page shape (rg_page_json_2010), not v1's. */
void rg_h_keys_list(rg_call *c)
{
    rg_principal p;
    rg_page pg;
    rg_page_rows r;
    json_t *keys;
    char path[sizeof KEYS_BASE ".json" + RG_SID_SIZE];
    if (prelude(c, &p) != 0 || rg_page_params(c, &pg) != 0) return;
    rg_page_rows_init(c, &pg, sizeof(rg_key_row), &r);
    int rc = rg_store_key_list(c->w->app->store, p.account_sid, r.offset, r.limit, r.rows, &r.count,
                               &r.more);
    if ((keys = rg_page_items(c, rc, "list keys", &r, key_item, NULL)) == NULL) return;
    snprintf(path, sizeof path, KEYS_BASE ".json", p.account_sid);
    rg_reply_json(c, 200, rg_page_json_2010(c, "keys", keys, path, &pg, r.count, r.more));
}

void rg_h_key_fetch(rg_call *c)
{
    rg_principal p;
    rg_key_row k;
    if (prelude(c, &p) != 0 || load_key(c, &p, &k) != 0) return;
    rg_reply_json(c, 200, key_json(c, &k));
}

void rg_h_key_update(rg_call *c)
{
    rg_principal p;
    rg_key_row k;
    const char *name;
    if (prelude(c, &p) != 0 || load_key(c, &p, &k) != 0 || read_name(c, &name) != 0) return;
    if (name != NULL) {
        if (rg_app_key_rename(c->w->app, k.sid, name, c->now, &k) != RG_OK) {
            rg_reply_error(c, 503, 20500, "Could not update the key; try again");
            return;
        }
    }
    rg_reply_json(c, 200, key_json(c, &k));
}

void rg_h_key_delete(rg_call *c)
{
    rg_principal p;
    rg_key_row k;
    if (prelude(c, &p) != 0 || load_key(c, &p, &k) != 0) return;
    if (rg_app_key_delete(c->w->app, &k, c->now) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not delete the key; try again");
        return;
    }
    rg_reply_empty(c, 204);
}

/* ---- module ------------------------------------------------------------ */

/* The key cache, told of key changes made by other processes (the CLI) on
 * the same database by the store's change watcher (store/watch.h). */
static int keys_start(rg_app *app)
{
    if (rg_keycache_new(app->store, app->master, &app->keys) != RG_OK ||
        rg_watch_listen(app->changes, rg_keycache_changed, app->keys) != RG_OK) {
        fprintf(stderr, "roomgate: cannot load the API keys (wrong master key?)\n");
        return 1;
    }
    return 0;
}

static void keys_stop(rg_app *app)
{
    rg_keycache_free(app->keys);
    app->keys = NULL;
}

static const rg_route routes[] = {
    {"POST", "/2010-04-01/Accounts/{AC}/Keys.json", rg_h_keys_create, RG_ROUTE_AUTH},
    {"GET", "/2010-04-01/Accounts/{AC}/Keys.json", rg_h_keys_list, RG_ROUTE_AUTH},
    {"GET", "/2010-04-01/Accounts/{AC}/Keys/{SK}.json", rg_h_key_fetch, RG_ROUTE_AUTH},
    {"POST", "/2010-04-01/Accounts/{AC}/Keys/{SK}.json", rg_h_key_update, RG_ROUTE_AUTH},
    {"DELETE", "/2010-04-01/Accounts/{AC}/Keys/{SK}.json", rg_h_key_delete, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_keys = {
    .name = "keys", .start = keys_start, .stop = keys_stop, .routes = routes};

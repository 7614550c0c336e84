/* h_keys.c - Twilio's API Keys resource (2010-04-01 API).
 *
 * A key's secret is returned by create only; the store keeps it sealed and
 * the key cache is reloaded after every change, so a deleted key stops
 * validating at once on every thread. */
#include <openssl/crypto.h>
#include <stdio.h>

#include "core/errors.h"
#include "http/router.h"
#include "store/provision.h"

static const char *const P_NAME[] = {"FriendlyName", "friendly_name", NULL};
static const char *const P_PAGE_SIZE[] = {"PageSize", "page_size", NULL};
static const char *const P_PAGE[] = {"Page", "page", NULL};

#define KEYS_BASE "/2010-04-01/Accounts/%s/Keys"

static json_t *key_json(rg_call *c, const rg_key_row *k)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "sid", k->sid, "friendly_name", k->friendly_name,
                     "date_created", rg_fmt_rfc2822(c, k->date_created), "date_updated",
                     rg_fmt_rfc2822(c, k->date_updated));
}

/* Authenticates for the account in the path and reads the parameters. */
static int prelude(rg_call *c, rg_principal *p)
{
    if (rg_auth_basic(c, &c->args[0], p) != 0) return -1;
    return rg_call_params(c);
}

/* The key named in the path, if it exists and belongs to the account. */
static int load_key(rg_call *c, const rg_principal *p, rg_key_row *k)
{
    h2o_iovec_t a = c->args[1];
    char sid[RG_SID_SIZE];
    if (rg_sid_valid(a.base, a.len, "SK")) {
        memcpy(sid, a.base, RG_SID_LEN);
        sid[RG_SID_LEN] = '\0';
        if (rg_store_key_get(c->w->app->store, sid, k) == RG_OK &&
            strcmp(k->account_sid, p->account_sid) == 0)
            return 0;
    }
    rg_reply_not_found(c);
    return -1;
}

static int read_name(rg_call *c, const char **name)
{
    return rg_param_text(c, P_NAME, 0, RG_NAME_MAX, name);
}

void rg_h_keys_create(rg_call *c)
{
    rg_principal p;
    rg_key_row row;
    char secret[RG_KEY_SECRET_LEN + 1];
    const char *name;
    json_t *body;
    if (prelude(c, &p) != 0 || read_name(c, &name) != 0) return;
    if (rg_provision_key(c->w->app->store, c->w->app->master, p.account_sid, name, c->now, &row,
                         secret) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not create the key; try again");
        return;
    }
    rg_keycache_reload(c->w->app->keys);
    body = key_json(c, &row);
    json_object_set_new(body, "secret", json_string(secret));
    OPENSSL_cleanse(secret, sizeof secret);
    rg_reply_json(c, 201, body);
}

static char *page_uri(rg_call *c, const char *account, int64_t size, int64_t page)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf, KEYS_BASE ".json?PageSize=%lld&Page=%lld", account,
                     (long long)size, (long long)page);
    return h2o_strdup(&c->req->pool, buf, (size_t)n).base;
}

void rg_h_keys_list(rg_call *c)
{
    rg_principal p;
    int64_t size, page;
    size_t count;
    int more;
    rg_key_row *rows;
    json_t *keys, *body;
    if (prelude(c, &p) != 0 || rg_param_int(c, P_PAGE_SIZE, 1, 1000, 50, &size) != 0 ||
        rg_param_int(c, P_PAGE, 0, 1000000, 0, &page) != 0)
        return;
    rows = h2o_mem_alloc_pool(&c->req->pool, sizeof(*rows) * (size_t)size);
    if (rg_store_key_list(c->w->app->store, p.account_sid, (size_t)(page * size), (size_t)size,
                          rows, &count, &more) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not list keys; try again");
        return;
    }
    keys = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(keys, key_json(c, &rows[i]));
    body = json_pack("{s:o, s:I, s:I, s:I, s:I, s:s, s:s}", "keys", keys, "page", (json_int_t)page,
                     "page_size", (json_int_t)size, "start", (json_int_t)(page * size), "end",
                     (json_int_t)(page * size + (int64_t)count - (count ? 1 : 0)), "uri",
                     page_uri(c, p.account_sid, size, page), "first_page_uri",
                     page_uri(c, p.account_sid, size, 0));
    json_object_set_new(body, "previous_page_uri",
                        page > 0 ? json_string(page_uri(c, p.account_sid, size, page - 1))
                                 : json_null());
    json_object_set_new(body, "next_page_uri",
                        more ? json_string(page_uri(c, p.account_sid, size, page + 1))
                             : json_null());
    rg_reply_json(c, 200, body);
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
        if (rg_store_key_rename(c->w->app->store, k.sid, name, c->now) != RG_OK ||
            rg_store_key_get(c->w->app->store, k.sid, &k) != RG_OK) {
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
    if (rg_store_key_delete(c->w->app->store, k.sid) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not delete the key; try again");
        return;
    }
    rg_keycache_reload(c->w->app->keys);
    rg_reply_empty(c, 204);
}

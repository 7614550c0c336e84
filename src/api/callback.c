/* api/callback.c - the webhooks module: the account's default status
 * callback (GET and POST /v1/StatusCallback; docs/webhooks.md) and the
 * dispatcher's start and stop (hook/hook.h).  Rooms without a StatusCallback
 * of their own, such as those a join creates, report there.  Only the
 * auth token or a main key may change it: it decides where the account's
 * signed events go. */
#include "api/callback.h"

#include <string.h>

#include "app/accounts.h"
#include "core/errors.h"
#include "core/netaddr.h"
#include "hook/hook.h"
#include "http/module.h"
#include "http/router.h"
#include "store/outbox.h"

static const char *const P_CALLBACK[] = {"StatusCallback", "status_callback", NULL};
static const char *const P_METHOD[] = {"StatusCallbackMethod", "status_callback_method", NULL};
static const char *const P_FORMAT[] = {"StatusCallbackFormat", "status_callback_format", NULL};
static const char *const P_KEY[] = {"StatusCallbackKey", "status_callback_key", NULL};

int rg_callback_method(rg_call *c, const char *const *names, int *get)
{
    const char *m;
    *get = 0;
    if (rg_param_text(c, names, 0, 8, &m) != 0) return -1;
    if (!m || strcmp(m, "POST") == 0) return 0;
    if (strcmp(m, "GET") == 0) {
        *get = 1;
        return 0;
    }
    rg_reply_error(c, 400, 21603, "Invalid parameter %s: POST or GET", names[0]);
    return -1;
}

static void reply(rg_call *c, const char *account_sid)
{
    rg_account_callback cb;
    if (rg_store_account_get_callback(c->w->app->store, account_sid, &cb) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not read the status callback; try again");
        return;
    }
    rg_reply_json(c, 200,
                  json_pack("{s:s, s:s?, s:s, s:s, s:s?}", "account_sid", account_sid,
                            "status_callback", cb.url[0] ? cb.url : NULL, "status_callback_method",
                            cb.get ? "GET" : "POST", "status_callback_format",
                            cb.livekit ? "livekit" : "twilio", "status_callback_key",
                            cb.key_sid[0] ? cb.key_sid : NULL));
}

/* StatusCallbackFormat (twilio, the default, or livekit) and, for
 * livekit, StatusCallbackKey: one of the account's keys.  -1 after 400. */
static int read_format(rg_call *c, rg_account_callback *cb)
{
    const char *f, *k;
    if (rg_param_text(c, P_FORMAT, 0, 16, &f) != 0 ||
        rg_param_text(c, P_KEY, 0, RG_SID_LEN, &k) != 0)
        return -1;
    cb->livekit = f && strcmp(f, "livekit") == 0;
    if (f && !cb->livekit && strcmp(f, "twilio") != 0) {
        rg_reply_error(c, 400, 21603, "Invalid parameter StatusCallbackFormat: twilio or livekit");
        return -1;
    }
    if (cb->livekit != (k != NULL) || (k && !rg_sid_valid(k, strlen(k), "SK"))) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter StatusCallbackKey: an API key SID (SK...), with "
                       "StatusCallbackFormat=livekit only");
        return -1;
    }
    if (k) memcpy(cb->key_sid, k, RG_SID_SIZE);
    return 0;
}

static void h_fetch(rg_call *c)
{
    rg_principal p;
    if (rg_auth_basic(c, NULL, &p) != 0) return;
    reply(c, p.account_sid);
}

/* StatusCallback: the URL, or empty to clear; StatusCallbackMethod. */
static void h_update(rg_call *c)
{
    rg_principal p;
    rg_account_callback cb;
    const char *url;
    memset(&cb, 0, sizeof cb);
    if (rg_auth_basic(c, NULL, &p) != 0) return;
    if (p.kind == RG_PRINCIPAL_KEY &&
        rg_keycache_key_type(c->w->app->keys, p.key_sid) != RG_KEY_MAIN) {
        rg_reply_error(c, 403, 20403,
                       "A standard API key cannot change the status callback; use the auth "
                       "token or a main key");
        return;
    }
    if (rg_call_params(c) != 0 || rg_param_text(c, P_CALLBACK, 0, RG_OUTBOX_URL_MAX, &url) != 0 ||
        rg_callback_method(c, P_METHOD, &cb.get) != 0 || read_format(c, &cb) != 0)
        return;
    if (url && !rg_callback_url_ok(url)) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter StatusCallback: an http or https URL of at most %d bytes",
                       RG_OUTBOX_URL_MAX);
        return;
    }
    if (url) strcpy(cb.url, url);
    int rc = rg_app_account_set_callback(c->w->app, p.account_sid, &cb);
    if (rc == RG_EINVAL) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter StatusCallbackKey: not a key of the account");
        return;
    }
    if (rc != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not set the status callback; try again");
        return;
    }
    reply(c, p.account_sid);
}

/* ---- module ------------------------------------------------------------ */

const rg_opt_section rg_webhooks_options = {"status callbacks (webhooks; docs/webhooks.md)",
                                            "a webhook option"};

static int webhooks_start(rg_app *app)
{
    return rg_hook_start(app) == RG_OK ? 0 : 1; /* it said why */
}

static const rg_route routes[] = {
    {"GET", "/v1/StatusCallback", h_fetch, RG_ROUTE_AUTH},
    {"POST", "/v1/StatusCallback", h_update, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_webhooks = {.name = "webhooks",
                                   .options = &rg_webhooks_options,
                                   .start = webhooks_start,
                                   .stop = rg_hook_stop,
                                   .routes = routes};

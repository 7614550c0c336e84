/* app/accounts.c - creating an account: the store commit, the key cache
 * (when this process has one: the CLI has not, and a running server picks
 * the account up from the store's change notification), the event. */
#include "app/accounts.h"

#include <openssl/crypto.h>
#include <string.h>

#include "store/outbox.h"

#include "app/event.h"
#include "core/errors.h"

int rg_app_account_create(rg_app *app, const char *name, int64_t now, char sid[RG_SID_SIZE],
                          char auth_token[RG_AUTH_TOKEN_LEN + 1])
{
    int rc = rg_provision_account(app->store, app->master, name, now, sid, auth_token);
    if (rc != RG_OK) return rc;
    if (app->keys) rg_keycache_reload(app->keys);
    /* EVENT: account-created */
    rg_app_record(app, RG_EV_ACCOUNT_CREATED, now, sid, sid, NULL);
    return RG_OK;
}

int rg_app_account_seal_token(rg_app *app, const char *account_sid, const char *auth_token)
{
    rg_account a;
    uint8_t h[32], sealed[RG_SEALED_MAX];
    size_t len = 0, n = strlen(auth_token);
    int rc = rg_store_account_get(app->store, account_sid, &a);
    if (rc != RG_OK) return rc;
    rg_token_hash(auth_token, n, h);
    if (n != RG_AUTH_TOKEN_LEN || CRYPTO_memcmp(h, a.token_hash, sizeof h) != 0) return RG_EINVAL;
    rc = rg_provision_seal_token(app->master, account_sid, auth_token, sealed, sizeof sealed, &len);
    if (rc == RG_OK) rc = rg_store_account_set_token(app->store, account_sid, h, sealed, len);
    /* no event: the account's token is unchanged, only kept in another form */
    return rc;
}

int rg_app_account_set_callback(rg_app *app, const char *account_sid, const rg_account_callback *cb)
{
    rg_key_row k;
    /* LiveKit's receivers check the signature with one key: the account's */
    if (cb->livekit && (rg_store_key_get(app->store, cb->key_sid, &k) != RG_OK ||
                        strcmp(k.account_sid, account_sid) != 0))
        return RG_EINVAL;
    return rg_store_account_set_callback(app->store, account_sid, cb);
    /* no event: the target of events, not a change others subscribe to */
}

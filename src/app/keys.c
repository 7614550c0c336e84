/* app/keys.c - creating, renaming and deleting API keys: the store commit,
 * the key cache reload that makes a change count on every thread at once,
 * and the event. */
#include "app/keys.h"

#include "app/event.h"
#include "signal/signal.h"
#include "core/errors.h"

int rg_app_key_create(rg_app *app, const char *account_sid, const char *name, rg_key_type type,
                      int64_t now, rg_key_row *row, char secret[RG_KEY_SECRET_LEN + 1])
{
    int rc = rg_provision_key(app->store, app->master, account_sid, name, type, now, row, secret);
    if (rc != RG_OK) return rc;
    if (app->keys) rg_keycache_reload(app->keys);
    rg_signal_keys_changed(app);
    /* EVENT: key-created */
    rg_app_record(app, RG_EV_KEY_CREATED, now, account_sid, row->sid, NULL);
    return RG_OK;
}

int rg_app_key_rename(rg_app *app, const char *sid, const char *name, int64_t now, rg_key_row *out)
{
    int rc = rg_store_key_rename(app->store, sid, name, now);
    if (rc == RG_OK) rc = rg_store_key_get(app->store, sid, out);
    if (rc != RG_OK) return rc;
    /* EVENT: key-updated (the name is not in the key cache: nothing to clear) */
    rg_app_record(app, RG_EV_KEY_UPDATED, now, out->account_sid, sid, NULL);
    return RG_OK;
}

int rg_app_key_delete(rg_app *app, const rg_key_row *k, int64_t now)
{
    int rc = rg_store_key_delete(app->store, k->sid);
    if (rc != RG_OK) return rc;
    if (app->keys) rg_keycache_reload(app->keys);
    rg_signal_keys_changed(app);
    /* EVENT: key-deleted */
    rg_app_record(app, RG_EV_KEY_DELETED, now, k->account_sid, k->sid, NULL);
    return RG_OK;
}

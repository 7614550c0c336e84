/* app/keys.h - the API key write actions (app/event.h says what an action
 * does): create, rename, delete.  The REST Keys resource and `roomgate
 * key` call these. */
#ifndef RG_APP_KEYS_H
#define RG_APP_KEYS_H

#include "http/app.h"
#include "app/provision.h"

/* A new key of account_sid; fills *row and the clear secret (shown once;
 * the caller cleanses it).  RG_OK or the store's error. */
int rg_app_key_create(rg_app *app, const char *account_sid, const char *name, rg_key_type type,
                      int64_t now, rg_key_row *row, char secret[RG_KEY_SECRET_LEN + 1]);
/* Renames key sid and reads it back into *out. */
int rg_app_key_rename(rg_app *app, const char *sid, const char *name, int64_t now, rg_key_row *out);
/* Deletes key k (as read from the store); it stops validating on every
 * thread of this process at once.  RG_ENOTFOUND when it is gone already. */
int rg_app_key_delete(rg_app *app, const rg_key_row *k, int64_t now);

#endif

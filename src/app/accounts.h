/* app/accounts.h - the account write actions (app/event.h says what an
 * action does).  `roomgate account create` and `roomgate demo` call
 * these; there is no REST route that creates accounts. */
#ifndef RG_APP_ACCOUNTS_H
#define RG_APP_ACCOUNTS_H

#include "http/app.h"
#include "app/provision.h"
#include "store/outbox.h"

/* A new account named name (NULL: none); writes its SID and the auth token
 * (shown once, only its hash is stored; the caller cleanses it). */
int rg_app_account_create(rg_app *app, const char *name, int64_t now, char sid[RG_SID_SIZE],
                          char auth_token[RG_AUTH_TOKEN_LEN + 1]);

/* Seals the account's auth token under the master key for signing its
 * status callbacks (accounts made before tokens were sealed): only when
 * auth_token matches the stored hash (constant time), else RG_EINVAL. */
int rg_app_account_seal_token(rg_app *app, const char *account_sid, const char *auth_token);

/* Sets the account's default status callback (store/outbox.h; url ""
 * clears it).  RG_EINVAL when LiveKit's format names a key that is not one
 * of the account's; RG_ENOTFOUND, store errors. */
int rg_app_account_set_callback(rg_app *app, const char *account_sid,
                                const rg_account_callback *cb);

#endif

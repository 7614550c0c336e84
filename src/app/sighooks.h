/* app/sighooks.h - the hooks the server hands the signaling hub at start
 * (signal/hooks.h): admission by the token rules and the store's rooms,
 * seats and leaves in the store, and the kick as the REST API does it. */
#ifndef RG_APP_SIGHOOKS_H
#define RG_APP_SIGHOOKS_H

#include "signal/hooks.h"

extern const rg_sig_hooks rg_app_sig_hooks;

#endif

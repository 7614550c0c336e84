/* api/callback.h - the status callback parameters shared by the Rooms
 * resource and the account's default callback (api/callback.c). */
#ifndef RG_API_CALLBACK_H
#define RG_API_CALLBACK_H

#include "http/call.h"

/* StatusCallbackMethod under one of names: POST (the default, *get = 0) or
 * GET (*get = 1); anything else answers 400 and returns -1. */
int rg_callback_method(rg_call *c, const char *const *names, int *get);

#endif

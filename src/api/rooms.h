/* api/rooms.h - what the Rooms resource (api/rooms.c) shares with its
 * Participants subresource (api/participants.c). */
#ifndef RG_API_ROOMS_H
#define RG_API_ROOMS_H

#include "http/call.h"
#include "store/rooms.h"

/* The room named by path capture 0 (an RM SID or a unique name) among the
 * account's rooms; answers 404 and returns -1 when there is none. */
int rg_room_from_path(rg_call *c, const char *account_sid, rg_room *out);

#endif

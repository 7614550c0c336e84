/* rooms_app.h - the rooms' share of a running server: the in-memory
 * revocation set that token validation consults, and the lifecycle timer
 * that completes empty and unused rooms (EmptyRoomTimeout,
 * UnusedRoomTimeout) without waiting for a request. */
#ifndef RG_HTTP_ROOMS_APP_H
#define RG_HTTP_ROOMS_APP_H

#include "http/call.h"
#include "store/rooms.h"

/* Loads the revocation set into app->revocations and registers its
 * reload poll (100 ms) and the room sweep (1 s) as app pollers.  Call
 * before rg_server_run; RG_OK or the load's error. */
int rg_rooms_start(rg_app *app);
void rg_rooms_stop(rg_app *app);

/* Kicks a participant (store) and enters the revocation in this process's
 * set in the same call, so the identity's older tokens for the room fail
 * validation from the answer on.  The REST kick and the signaling
 * server's moderation both come here.  out is required (the kicked
 * participant).  RG_ENOTFOUND, store errors. */
int rg_rooms_kick(rg_app *app, const rg_room *room, const char *sid_or_identity, int64_t now,
                  rg_participant *out);

/* The room named by path capture 0 (an RM SID or a unique name) among the
 * account's rooms; answers 404 and returns -1 when there is none. */
int rg_room_from_path(rg_call *c, const char *account_sid, rg_room *out);

#endif

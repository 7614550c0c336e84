/* app/meetings.h - the VideoSDK room ("meeting") write actions (app/event.h
 * says what an action does): create and deactivate.  POST /v2/rooms,
 * /create-meeting and /v2/rooms/deactivate call these. */
#ifndef RG_APP_MEETINGS_H
#define RG_APP_MEETINGS_H

#include "http/app.h"
#include "store/meetings.h"

/* A new room of account_sid created with key key_sid's token, with fresh
 * ids (a collision draws again); or, when custom (NULL: none) names one of
 * the account's rooms, that room.  Fills *m.  RG_OK or an RG_E code. */
int rg_app_meeting_create(rg_app *app, const char *account_sid, const char *key_sid,
                          const char *custom, int64_t now, rg_meeting *m);

/* Deactivates the account's room named key (roomId or customRoomId) and
 * ends its session: its signaling room is completed, so its participants
 * are disconnected in the store, and every live connection, lobby guests
 * too, gets 4052 and is closed.  Also when the room was deactivated before
 * (a repeated call finishes what a failed one left, and rooms deactivated
 * by an older version are closed).  No new room can open for it
 * afterwards: joins check the flag, and the store refuses to create the
 * room (store/rooms.h).  Fills *m.  RG_ENOTFOUND, store errors. */
int rg_app_meeting_deactivate(rg_app *app, const char *account_sid, const char *key, int64_t now,
                              rg_meeting *m);

#endif

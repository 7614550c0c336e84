/* app/meetings.c - creating and deactivating VideoSDK rooms: the store
 * commit, the hot cache, signaling (a deactivated room's session ends) and
 * the event. */
#include "app/meetings.h"

#include <stdio.h>
#include <string.h>

#include "app/event.h"
#include "core/errors.h"
#include "signal/signal.h"
#include "store/hotcache.h"
#include "crypto/random.h"
#include "store/rooms.h"

#define CREATE_ATTEMPTS 8 /* room id collisions are ~2^-62 each; this only bounds the loop */

/* Fresh room id and object id from the CSPRNG. */
static int new_ids(rg_meeting *m)
{
    uint8_t rnd[RG_ROOMID_RAND], oid[RG_MEETING_OID_LEN / 2];
    do {
        if (rg_random(rnd, sizeof rnd) != RG_OK) return RG_ECRYPTO;
    } while (rg_roomid_format(m->room_id, rnd, sizeof rnd) != 0);
    if (rg_random(oid, sizeof oid) != RG_OK) return RG_ECRYPTO;
    rg_hex_encode(m->id, oid, sizeof oid);
    return RG_OK;
}

int rg_app_meeting_create(rg_app *app, const char *account_sid, const char *key_sid,
                          const char *custom, int64_t now, rg_meeting *m)
{
    int rc = RG_EEXIST, created = 0;
    for (int i = 0; i < CREATE_ATTEMPTS && rc == RG_EEXIST; i++) {
        memset(m, 0, sizeof *m);
        memcpy(m->account_sid, account_sid, RG_SID_SIZE);
        memcpy(m->api_key, key_sid, RG_SID_SIZE);
        if (custom != NULL) snprintf(m->custom_room_id, sizeof m->custom_room_id, "%s", custom);
        m->date_created = m->date_updated = now;
        rc = new_ids(m);
        if (rc == RG_OK) rc = rg_store_meeting_create(app->store, m, &created);
    }
    if (rc != RG_OK || !created) return rc; /* an existing customRoomId: nothing changed */
    /* A customRoomId spelled like the new room id resolved to another room
     * until now (a room id match wins). */
    rg_hot_meeting_forget(app->hot, m);
    /* EVENT: meeting-created */
    rg_app_record(app, RG_EV_MEETING_CREATED, now, m->account_sid, m->room_id, NULL);
    return RG_OK;
}

/* The signaling room named after the roomId: its connections closed, then
 * the room completed if still in progress; *room_sid is "" when nobody
 * ever joined.  Closed first: the change watcher's tick closes the members
 * of a room it finds completed with 53118, and between the completion and
 * the close it could take them before this 4052.  Nobody joins meanwhile:
 * the room is disabled in the store and forgotten by the cache already. */
static int end_signaling_room(rg_app *app, const rg_meeting *m, int64_t now,
                              char room_sid[RG_SID_SIZE])
{
    rg_room room;
    int rc = rg_store_room_get(app->store, m->account_sid, m->room_id, &room);
    room_sid[0] = '\0';
    if (rc == RG_ENOTFOUND) return RG_OK; /* nobody ever joined */
    if (rc != RG_OK) return rc;
    rg_signal_room_close(app, room.sid, RG_VSDK_ROOM_DISABLED, "The room was deactivated");
    if (room.status == RG_ROOM_IN_PROGRESS)
        rc = rg_store_room_complete(app->store, m->account_sid, room.sid, now);
    if (rc != RG_OK) return rc;
    memcpy(room_sid, room.sid, RG_SID_SIZE);
    return RG_OK;
}

int rg_app_meeting_deactivate(rg_app *app, const char *account_sid, const char *key, int64_t now,
                              rg_meeting *m)
{
    char room_sid[RG_SID_SIZE];
    int rc = rg_store_meeting_disable(app->store, account_sid, key, now, m);
    if (rc != RG_OK) return rc;
    rg_hot_meeting_forget(app->hot, m);
    rc = end_signaling_room(app, m, now, room_sid);
    if (rc != RG_OK) return rc;
    /* EVENT: meeting-deactivated (with the signaling room it ended, if any) */
    rg_app_record(app, RG_EV_MEETING_DEACTIVATED, now, m->account_sid, m->room_id, room_sid);
    return RG_OK;
}

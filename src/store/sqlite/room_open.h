/* room_open.h - internal to src/store/sqlite/: a room a join opens,
 * inside the seat batch's transaction (participants.c, rg_seat.open). */
#ifndef RG_STORE_SQLITE_ROOM_OPEN_H
#define RG_STORE_SQLITE_ROOM_OPEN_H

#include "store/rooms.h"
#include "store/sqlite/sql.h"

/* Inside the caller's transaction: want (sid chosen by the caller; type,
 * capacity, timeouts and date_created filled; the rest as
 * rg_store_room_create sets it) is the account's in-progress room of its
 * name afterwards.  RG_OK when it was created or already was that room
 * (a created room's room-created event is the batch's to record, with
 * rg_outbox_emit.created_since, before its seats' events); RG_EEXIST when the in-progress room of
 * that name is another, or a room with want's sid exists already;
 * RG_EGONE when the name is the room id of a deactivated VideoSDK room;
 * RG_EINVAL for values out of range.  *created is 1 when this call
 * inserted the room, 0 otherwise.  The room is opened for the seat that
 * follows in the same savepoint: it is written as ever joined, so the
 * seat need not update it. */
int rg_room_open_locked(rg_store *st, const rg_room *want, int *created);

#endif

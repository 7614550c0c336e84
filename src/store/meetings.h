/* meetings.h - VideoSDK rooms ("meetings"): ids of the form abcd-efgh-ijkl,
 * an optional customRoomId unique per account, and a disabled flag set by
 * POST /v2/rooms/deactivate (joins to a disabled room fail with 4052).
 *
 * Implemented by the back end (SQLite: src/store/sqlite/meetings.c).  Every
 * lookup is scoped to an account: another account's room is RG_ENOTFOUND. */
#ifndef RG_STORE_MEETINGS_H
#define RG_STORE_MEETINGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/roomid.h"
#include "core/token.h"
#include "store/store.h"

#define RG_MEETING_OID_LEN 24 /* VideoSDK's "id": 24 hex chars, as a MongoDB ObjectId */

typedef struct {
    char room_id[RG_ROOMID_SIZE];
    char id[RG_MEETING_OID_LEN + 1];
    char account_sid[RG_SID_SIZE];
    char custom_room_id[RG_IDENTITY_MAX + 1]; /* "" when none */
    char api_key[RG_SID_SIZE];                /* the key whose token created it */
    int disabled;
    int64_t date_created, date_updated;
} rg_meeting;

/* Inserts m (every field set by the caller; custom_room_id may be "").
 * When m->custom_room_id names an existing room of the account, *m becomes
 * that room and *created = 0 (also when a concurrent insert won the race).
 * RG_EEXIST means m->room_id or m->id collided with another room: draw new
 * ids and call again.  RG_ENOTFOUND for an unknown account. */
int rg_store_meeting_create(rg_store *st, rg_meeting *m, int *created);

/* The account's room whose room_id is key, else whose custom_room_id is
 * key. */
int rg_store_meeting_get(rg_store *st, const char *account_sid, const char *key, rg_meeting *out);

/* *any = 1 when the account has a VideoSDK room, any, else 0: the hot
 * cache asks it once per account (store/hotcache.h), so that a Twilio
 * join to a new room name need not ask whether the name is a deactivated
 * VideoSDK room's when the account has none. */
int rg_store_meeting_any(rg_store *st, const char *account_sid, int *any);
/* The account's rooms, newest first, rows [offset, offset + limit); *total
 * is the number of rooms the account has. */
int rg_store_meeting_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                          rg_meeting *out, size_t *count, int64_t *total);

/* Sets disabled (idempotent; date_updated moves only on the first call)
 * and returns the row.  key as for rg_store_meeting_get. */
int rg_store_meeting_disable(rg_store *st, const char *account_sid, const char *key, int64_t now,
                             rg_meeting *out);

#endif

/* consultations.c - the part of consultations.h every back end shares:
 * closing a cancelled consultation's room, made of the rooms calls
 * (rooms.h), so it holds no SQL. */
#include "store/consultations.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"

int rg_store_consultation_close_room(rg_store *st, const rg_consultation *k, int64_t now,
                                     rg_revocation rev[2], int *n)
{
    const char *who[2] = {k->client_identity, k->provider_identity};
    rg_room room;
    int rc = rg_store_room_get(st, k->account_sid, k->consultation_id, &room);
    *n = 0;
    if (rc == RG_ENOTFOUND) return RG_OK;
    if (rc == RG_OK && room.status == RG_ROOM_IN_PROGRESS)
        rc = rg_store_room_complete(st, k->account_sid, room.sid, now);
    for (int i = 0; i < 2 && rc == RG_OK; i++) {
        rc = rg_store_revocation_add(st, k->account_sid, room.sid, who[i], now);
        if (rc != RG_OK) break;
        memset(&rev[i], 0, sizeof rev[i]);
        memcpy(rev[i].account_sid, k->account_sid, RG_SID_SIZE);
        memcpy(rev[i].room_sid, room.sid, RG_SID_SIZE);
        snprintf(rev[i].room_name, sizeof rev[i].room_name, "%s", room.unique_name);
        snprintf(rev[i].identity, sizeof rev[i].identity, "%s", who[i]);
        rev[i].before = now;
        (*n)++;
    }
    return rc;
}

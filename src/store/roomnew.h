/* roomnew.h - a new room's defaults and checks (what rooms.h promises for
 * rg_store_room_create and the get-or-create calls), the same on every
 * back end: both keep only their SQL (store/sqlite/rooms.c,
 * store/pg/rooms.c). */
#ifndef RG_STORE_ROOMNEW_H
#define RG_STORE_ROOMNEW_H

#include <stdint.h>

#include "store/rooms.h"

/* Fills the defaults (a fresh sid when empty, the sid as unique_name when
 * empty, a go room's fixed capacity, in progress, date_updated =
 * date_created, never joined) and checks the rest: RG_EINVAL for a value
 * out of range, RG_ECRYPTO when no sid could be drawn. */
int rg_room_prepare_new(rg_room *r);

/* The room a get-or-create by name would insert, prepared: RG_EINVAL for a
 * missing or too long name or account. */
int rg_room_for_name(rg_room *r, const char *account_sid, const char *unique_name,
                     rg_room_type type, int max_participants, int64_t now);

/* A room the sweep completed at now, as its callback sees it. */
void rg_room_mark_completed(rg_room *r, int64_t now);

#endif

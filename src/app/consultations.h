/* app/consultations.h - the consultation write actions (app/event.h says
 * what an action does): create, cancel, and open the consultation's room.
 * /v1/Consultations and `roomgate consultation` call these. */
#ifndef RG_APP_CONSULTATIONS_H
#define RG_APP_CONSULTATIONS_H

#include "http/app.h"
#include "store/consultations.h"

/* Inserts k, whose account, ids, identities and times the caller set and
 * checked (rg_consult_check_new); the action gives it a fresh CN sid, the
 * scheduled status and now as its dates.  RG_EEXIST when the account has
 * this consultation_id, RG_ECRYPTO without randomness, store errors. */
int rg_app_consultation_create(rg_app *app, rg_consultation *k, int64_t now);

/* Cancels the account's consultation id (consultation_id or CN sid) into
 * *k, then ends its room and revokes the tokens already minted for it, in
 * this process's set at once (other processes reload it).  RG_ENOTFOUND,
 * store errors; an error after the cancel committed leaves k->status at
 * RG_CONSULT_STATUS_CANCELLED (the room may still be open). */
int rg_app_consultation_cancel(rg_app *app, const char *account_sid, const char *id, int64_t now,
                               rg_consultation *k);

/* Makes sure k's in-progress go room (max 2, named after the
 * consultation_id) exists, creating it on first use; skipped when it was
 * checked within RG_HOT_ROOM_RECHECK (store/hotcache.h).  RG_EEXIST when a
 * room of another type squats the name (it would admit more than two) or
 * a deactivated VideoSDK room has it; RG_EGONE when the store has the
 * consultation cancelled (k, a cached copy, may be a tick behind a cancel
 * made through another node: no room is made for it then); store errors. */
int rg_app_consultation_room(rg_app *app, const rg_consultation *k, int64_t now);

#endif

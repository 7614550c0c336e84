/* hook/params.h - an outbox row's Twilio parameters (docs/webhooks.md),
 * built at delivery from the compact facts the row keeps.
 *
 * Recording an event is in the join's (or the room change's) transaction,
 * so its row keeps only what the change knew and the row's own columns do
 * not already say: a JSON array of values, by position, whose names follow
 * from the event (store/outbox_sql.h "Compact values").  AccountSid,
 * RoomSid and StatusCallbackEvent are the row's columns, Timestamp its
 * `created`, ParticipantStatus follows from the event.  Rows recorded
 * before that (and recording-completed, rare, still recorded so) keep the
 * whole JSON object of parameters: both read the same here, so an event
 * queued by an older server is delivered as it would have been. */
#ifndef RG_HOOK_PARAMS_H
#define RG_HOOK_PARAMS_H

#include <jansson.h>

#include "store/outbox.h"

/* A flat JSON object, parameter name -> string or integer (a new
 * reference), without SequenceNumber; NULL when the row's parameters are
 * neither form, or do not fit its event, or out of memory. */
json_t *rg_hook_params(const rg_outbox_row *row);

#endif

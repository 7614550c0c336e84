/* outbox_emit.h - internal to src/store/: the calls that record status
 * callback events inside the transaction of a change (outbox.h).
 *
 * Each is one INSERT ... SELECT with Twilio's parameters built by SQLite's
 * json_object, so a change that touches several participants records one
 * event per participant in one statement.  An event is recorded only when
 * the room has a target: its own StatusCallback, else its account's
 * default.  A disconnect event must be recorded BEFORE the update that
 * disconnects (it selects the participants still connected); its status
 * and duration are those after the update. */
#ifndef RG_STORE_OUTBOX_EMIT_H
#define RG_STORE_OUTBOX_EMIT_H

#include <stdint.h>

#include "core/track.h"
#include "store/sqlite/sql.h"

/* room-created / room-ended for room_sid. */
int rg_outbox_room_locked(rg_store *st, const char *room_sid, int ended, int64_t now);
/* recording-completed for recording_sid: to its room's callback (when it
 * names a room), else the account's default; queued with its room's
 * events, or on its own when it has no room. */
int rg_outbox_recording_locked(rg_store *st, const char *recording_sid, int64_t now);
/* participant-connected for participant_sid. */
int rg_outbox_connected_locked(rg_store *st, const char *participant_sid, int64_t now);

/* track-added / -removed / -enabled / -disabled for a track of
 * participant_sid (ev's strings are bound, not trusted). */
int rg_outbox_track_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                           int64_t now);

/* Keeps participant_sid's published tracks (participants.tracks, a JSON
 * array of {sid, kind, name}) up to date with one change: added appends,
 * removed drops; the others change nothing.  What a disconnect reports. */
int rg_outbox_tracks_keep_locked(rg_store *st, const char *participant_sid,
                                 const rg_track_event *ev);

/* Which connected participants a disconnect event is for.  Each one's
 * tracks still published get track-removed first (Twilio's order). */
typedef enum {
    RG_OUTBOX_ONE,      /* a: the participant SID */
    RG_OUTBOX_IDENTITY, /* a: the room SID, b: the identity (a replaced connection) */
    RG_OUTBOX_ROOM,     /* a: the room SID (the room is completed) */
    RG_OUTBOX_ALL       /* every connected participant (server start) */
} rg_outbox_who;
int rg_outbox_disconnected_locked(rg_store *st, rg_outbox_who who, const char *a, const char *b,
                                  int64_t now);

#endif

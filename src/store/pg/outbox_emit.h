/* outbox_emit.h - internal to the PostgreSQL back end: the calls that
 * record status callback events inside the transaction of a change
 * (store/outbox.h), as src/store/sqlite/outbox_emit.h does for SQLite,
 * with the same events, targets and parameters.
 *
 * Each is one INSERT ... SELECT with Twilio's parameters built by
 * json_build_object, so a change that touches several participants records
 * one event per participant in one statement; the outbox's trigger numbers
 * them (migration 3).  An event is recorded only when the room has a
 * target: its own StatusCallback, else its account's default.  A
 * disconnect event must be recorded BEFORE the update that disconnects (it
 * selects the participants still connected); its status and duration are
 * those after the update.  The store is locked, inside the caller's
 * transaction.  They read the rooms and participants tables (rooms.c,
 * participants.c), with SQLite's column names. */
#ifndef RG_STORE_PG_OUTBOX_EMIT_H
#define RG_STORE_PG_OUTBOX_EMIT_H

#include <stdint.h>

#include "core/track.h"
#include "store/pg/pg.h"

/* room-created / room-ended for room_sid. */
int rg_pg_outbox_room_locked(rg_store *st, const char *room_sid, int ended, int64_t now);
/* recording-completed for recording_sid: to its room's callback (when it
 * names a room), else the account's default; queued with its room's
 * events, or on its own when it has no room. */
int rg_pg_outbox_recording_locked(rg_store *st, const char *recording_sid, int64_t now);
/* participant-connected for participant_sid. */
int rg_pg_outbox_connected_locked(rg_store *st, const char *participant_sid, int64_t now);
/* track-added / -removed / -enabled / -disabled for a track of
 * participant_sid (ev's strings are parameters, not trusted). */
int rg_pg_outbox_track_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                              int64_t now);

/* Keeps participant_sid's published tracks (participants.tracks, a jsonb
 * array of {sid, kind, name}) up to date with one change: added appends,
 * removed drops; the others change nothing.  What a disconnect reports. */
int rg_pg_outbox_tracks_keep_locked(rg_store *st, const char *participant_sid,
                                    const rg_track_event *ev);

/* Which connected participants a disconnect event is for.  Each one's
 * tracks still published get track-removed first (Twilio's order). */
typedef enum {
    RG_PG_OUTBOX_ONE,      /* a: the participant SID */
    RG_PG_OUTBOX_IDENTITY, /* a: the room SID, b: the identity (a replaced connection) */
    RG_PG_OUTBOX_ROOM,     /* a: the room SID (the room is completed) */
    RG_PG_OUTBOX_ALL       /* every connected participant (server start) */
} rg_pg_outbox_who;
int rg_pg_outbox_disconnected_locked(rg_store *st, rg_pg_outbox_who who, const char *a,
                                     const char *b, int64_t now);

#endif

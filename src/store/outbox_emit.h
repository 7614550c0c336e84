/* outbox_emit.h - internal to the back ends: the calls that record status
 * callback events inside the transaction of a change (store/outbox.h):
 * one interface, rg_outbox_emit, filled by SQLite
 * (src/store/sqlite/outbox_emit.c) and by PostgreSQL
 * (src/store/pg/outbox_emit.c), with the same events, targets and
 * parameters (store/outbox_sql.h).
 *
 * Each is one INSERT ... SELECT with the event's compact values (a JSON
 * array, store/outbox_sql.h; Twilio's parameters are built from them at
 * delivery, hook/params.h), so a change that touches several
 * participants records one event per participant in one statement.  An
 * event is recorded only when the room has a target: its own
 * StatusCallback, else its account's default.  A disconnect event must be
 * recorded BEFORE the update that disconnects (it selects the participants
 * still connected); its status and duration are those after the update.
 */
#ifndef RG_STORE_OUTBOX_EMIT_H
#define RG_STORE_OUTBOX_EMIT_H

#include <stdint.h>

#include "core/track.h"
#include "store/store.h"

/* Which connected participants a disconnect event is for.  Each one's
 * tracks still published get track-removed first (Twilio's order). */
typedef enum {
    RG_OUTBOX_ONE,      /* a: the participant SID */
    RG_OUTBOX_IDENTITY, /* a: the room SID, b: the identity (a replaced connection) */
    RG_OUTBOX_ROOM,     /* a: the room SID (the room is completed) */
    RG_OUTBOX_ALL       /* every connected participant (server start) */
} rg_outbox_who;

/* The calls, one table per back end; each is called with the store
 * locked, inside the caller's transaction. */
typedef struct {
    /* room-created / room-ended for room_sid */
    int (*room)(rg_store *st, const char *room_sid, int ended, int64_t now);
    /* recording-completed for recording_sid: to its room's callback (when
     * it names a room), else the account's default; queued with its
     * room's events, or on its own when it has no room */
    int (*recording)(rg_store *st, const char *recording_sid, int64_t now);
    /* participant-connected for participant_sid */
    int (*connected)(rg_store *st, const char *participant_sid, int64_t now);
    /* room-created for every rooms row after rowid `after` (the rooms a
     * join batch opened so far), each at its date_created.  SQLite only,
     * as connected_since. */
    int (*created_since)(rg_store *st, int64_t after);
    /* participant-connected for every participant row after rowid `after`
     * (the seats of a join batch so far), in join order, each at its
     * start_time: one statement for the batch instead of one per seat.
     * SQLite only (NULL on PostgreSQL, whose batch records per seat). */
    int (*connected_since)(rg_store *st, int64_t after);
    /* track-added / -removed / -enabled / -disabled for a track of
     * participant_sid (ev's strings are bound, not trusted) */
    int (*track)(rg_store *st, const char *participant_sid, const rg_track_event *ev, int64_t now);
    /* keeps participant_sid's published tracks (participants.tracks, a
     * JSON array of {sid, kind, name}) up to date with one change: added
     * appends, removed drops; the others change nothing.  What a
     * disconnect reports. */
    int (*tracks_keep)(rg_store *st, const char *participant_sid, const rg_track_event *ev);
    /* participant-disconnected for `who` (a, b as it says), each one's
     * track-removed first */
    int (*disconnected)(rg_store *st, rg_outbox_who who, const char *a, const char *b, int64_t now);
} rg_outbox_emit;

extern const rg_outbox_emit rg_sqlite_outbox_emit; /* src/store/sqlite/outbox_emit.c */
extern const rg_outbox_emit rg_pgsql_outbox_emit;  /* src/store/pg/outbox_emit.c */

#endif

/* outbox_sql.h - internal to the back ends: the parts of the event
 * recording SQL (store/outbox_emit.h) that SQLite and PostgreSQL speak
 * alike, so that where an event goes and which of Twilio's parameters it
 * carries (docs/webhooks.md) are written once.  Each back end adds its own
 * INSERT head (event id, numbering), JSON object function, placeholders
 * and timestamp format: the macros that take arguments are handed those
 * (string literals).  Aliases: r rooms, a accounts, p participants, t a
 * track of p.tracks (value, key). */
#ifndef RG_STORE_OUTBOX_SQL_H
#define RG_STORE_OUTBOX_SQL_H

/* Where a room's events go: its own StatusCallback, else its account's.
 * The account's default may ask for LiveKit's format, signed by one of its
 * keys; a room's own StatusCallback is Twilio's.  URL, method, format,
 * key: the outbox's columns url .. key_sid. */
#define RG_OUTBOX_SQL_TARGET_URL                                                                   \
    "CASE WHEN r.status_callback <> '' THEN r.status_callback ELSE a.status_callback END"
#define RG_OUTBOX_SQL_TARGET                                                                       \
    RG_OUTBOX_SQL_TARGET_URL                                                                       \
    ", "                                                                                           \
    "CASE WHEN r.status_callback <> '' THEN r.status_callback_method "                             \
    "ELSE a.status_callback_method END, "                                                          \
    "CASE WHEN r.status_callback <> '' THEN 'twilio' ELSE a.status_callback_format END, "          \
    "CASE WHEN r.status_callback <> '' THEN '' ELSE a.status_callback_key END"
#define RG_OUTBOX_SQL_HAS_TARGET "(" RG_OUTBOX_SQL_TARGET_URL ") <> '' "

#define RG_OUTBOX_SQL_ROOM_FROM "FROM rooms r JOIN accounts a ON a.sid = r.account_sid "
#define RG_OUTBOX_SQL_PART_FROM                                                                    \
    "FROM participants p JOIN rooms r ON r.sid = p.room_sid JOIN accounts a ON a.sid = "           \
    "r.account_sid "

/* ---- compact values --------------------------------------------------
 *
 * A room or participant event's row keeps only the values its columns do
 * not: a JSON array (the back end's array function), by position, that
 * the dispatcher names and completes at delivery (hook/params.c, which
 * holds the order by event).  The room's, first: its unique name, then its
 * status and type as the rooms table's integers.  AccountSid, RoomSid,
 * StatusCallbackEvent and Timestamp are the row's account_sid, room_sid,
 * event and created; ParticipantStatus follows from the event.  (Until
 * 2026-12-03 the row kept the whole object of Twilio's parameters, ~330
 * bytes of a ~500-byte row, built by the database's JSON object function
 * in the join's transaction; such rows are still read.) */
#define RG_OUTBOX_SQL_ROOM_VALUES "r.unique_name, r.status, r.type"

/* A participant's, after the room's. */
#define RG_OUTBOX_SQL_PART_VALUES ", p.sid, p.identity"
/* A track's, after the participant's: bound (placeholders), or one of
 * p.tracks (RG_OUTBOX_SQL_TRACK_OF_T). */
#define RG_OUTBOX_SQL_TRACK_VALUES(sid, kind, name) ", " sid ", " kind ", " name
#define RG_OUTBOX_SQL_TRACK_OF_T                                                                   \
    RG_OUTBOX_SQL_TRACK_VALUES("t.value ->> 'sid'", "t.value ->> 'kind'", "t.value ->> 'name'")

/* A recording's event, rare, keeps the object of Twilio's parameters (name:
 * value pairs for the JSON object function): rec recordings; r its room,
 * NULL when it has none; event, timestamp the back end's placeholder of the
 * event name and its expression of the time; slash_at its position of the
 * first '/' in rec.content_type. */
#define RG_OUTBOX_SQL_RECORDING_PARAMS(event, timestamp, slash_at)                                 \
    "'AccountSid', rec.account_sid, 'RoomSid', COALESCE(rec.room_sid, ''), "                       \
    "'RoomName', COALESCE(r.unique_name, ''), 'RecordingSid', rec.sid, "                           \
    "'RecordingUri', '/v1/Recordings/' || rec.sid, 'Size', rec.size, "                             \
    "'Duration', COALESCE(rec.duration, 0), "                                                      \
    "'Container', substr(rec.content_type, " slash_at " + 1), "                                    \
    "'Type', CASE WHEN rec.content_type LIKE 'video/%' THEN 'video' ELSE 'audio' END, "            \
    "'StatusCallbackEvent', " event ", 'Timestamp', " timestamp
#define RG_OUTBOX_SQL_RECORDING_FROM                                                               \
    "FROM recordings rec JOIN accounts a ON a.sid = rec.account_sid "                              \
    "LEFT JOIN rooms r ON r.sid = rec.room_sid "

#endif

/* outbox_emit.c - recording status callback events on PostgreSQL inside
 * the change's transaction (store/outbox_emit.h): the shared parts of
 * store/outbox_sql.h, and the rest of SQLite's (sqlite/outbox_emit.c) in
 * PostgreSQL's words.  $1 (and $2) name
 * the rows, $3 is the event name, $4 now (unix seconds). */
#include "store/outbox_emit.h"

#include "core/errors.h"
#include "store/outbox_sql.h"
#include "store/pg/call.h"
#include "store/pg/pgrooms.h"

/* An event id is the time (8 hex digits of seconds) and 96 random bits,
 * as SQLite's: the UNIQUE index on it grows at its end.  The random part
 * is the random digits of two UUIDs (12 before a UUID's version digit, 12
 * after its variant digit). */
#define INSERT_COLS                                                                                \
    "INSERT INTO webhook_outbox(event_id, account_sid, room_sid, event, url, method, format, "     \
    "key_sid, params, created, next_ms) SELECT 'EV' || lpad(to_hex($4 & 4294967295), 8, '0') "     \
    "|| substr(replace(gen_random_uuid()::text, '-', ''), 1, 12) "                                 \
    "|| substr(replace(gen_random_uuid()::text, '-', ''), 18, 12), "
#define INSERT_HEAD                                                                                \
    INSERT_COLS "r.account_sid, r.sid, $3, " RG_OUTBOX_SQL_TARGET ", json_build_array("
#define TIMESTAMP                                                                                  \
    "to_char(to_timestamp($4) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define ROOM_VALUES RG_OUTBOX_SQL_ROOM_VALUES
#define INSERT_TAIL ")::text, $4, $4 * 1000 "
#define HAS_TARGET RG_OUTBOX_SQL_HAS_TARGET
#define ROOM_FROM RG_OUTBOX_SQL_ROOM_FROM
#define PART_FROM RG_OUTBOX_SQL_PART_FROM

/* Every statement takes $1..$4, typed, so one may leave some unused. */
static int emit(rg_store *st, const char *sql, const char *a, const char *b, const char *event,
                int64_t now)
{
    return rg_pg_put_locked(st, sql,
                            RG_PG_ARGS(RG_PG_TEXT(a ? a : "", RG_IDENTITY_MAX),
                                       RG_PG_TEXT(b ? b : "", RG_IDENTITY_MAX),
                                       RG_PG_TEXT(event, 32), RG_PG_INT(now)),
                            NULL);
}

static int room_locked(rg_store *st, const char *room_sid, int ended, int64_t now)
{
    static const char created[] =
        INSERT_HEAD ROOM_VALUES INSERT_TAIL ROOM_FROM "WHERE r.sid = $1 AND " HAS_TARGET;
    static const char done[] = INSERT_HEAD ROOM_VALUES
        ", r.end_time - r.date_created" INSERT_TAIL ROOM_FROM "WHERE r.sid = $1 AND " HAS_TARGET;
    return emit(st, ended ? done : created, room_sid, NULL, ended ? "room-ended" : "room-created",
                now);
}

const char rg_pg_sql_connected[] =
    INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES INSERT_TAIL PART_FROM
    "WHERE p.sid = $1 AND " HAS_TARGET;

static int connected_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    return emit(st, rg_pg_sql_connected, participant_sid, NULL, "participant-connected", now);
}

/* The track's parameters are $5 sid, $6 kind, $7 name. */
static int track_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                        int64_t now)
{
    static const char sql[] =
        INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES RG_OUTBOX_SQL_TRACK_VALUES(
            "$5", "$6", "$7") INSERT_TAIL PART_FROM "WHERE p.sid = $1 AND " HAS_TARGET;
    const char *event = rg_track_change_name(ev->change);
    if (event[0] == '\0') return RG_EINVAL;
    return rg_pg_put_locked(st, sql,
                            RG_PG_ARGS(RG_PG_SID(participant_sid), RG_PG_TEXT("", 0),
                                       RG_PG_TEXT(event, 32), RG_PG_INT(now), RG_PG_SID(ev->sid),
                                       RG_PG_TEXT(ev->kind, 8),
                                       RG_PG_TEXT(ev->name, RG_TRACK_NAME_MAX)),
                            NULL);
}

#define DISCONNECTED                                                                               \
    INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES                                              \
        ", GREATEST($4 - p.start_time, 0)" INSERT_TAIL PART_FROM                                   \
        "WHERE p.connected = 1 AND " HAS_TARGET

/* track-removed for each track the participant still publishes
 * (participants.tracks, kept by tracks_keep_locked), as
 * Twilio sends them before its participant-disconnected. */
#define TRACKS_REMOVED                                                                             \
    INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES RG_OUTBOX_SQL_TRACK_OF_T INSERT_TAIL         \
        PART_FROM "CROSS JOIN LATERAL jsonb_array_elements(p.tracks) WITH ORDINALITY "             \
                  "AS t(value, key) WHERE p.connected = 1 AND " HAS_TARGET

/* A seat's replaced connection, as the seat is taken (participants.c):
 * only while the seat is free, since nothing rolls back a refused one. */
#define REPLACED "AND p.room_sid = $1 AND p.identity = $2 AND " RG_PG_SEAT_FREE " ORDER BY p.seq"
const char rg_pg_sql_seat_tracks_removed[] = TRACKS_REMOVED REPLACED ", t.key";
const char rg_pg_sql_seat_disconnected[] = DISCONNECTED REPLACED;
#undef REPLACED

/* One participant's leave ($1), as the leave batch runs it
 * (participants.c). */
const char rg_pg_sql_left_tracks_removed[] = TRACKS_REMOVED "AND p.sid = $1 ORDER BY p.seq, t.key";
const char rg_pg_sql_left_disconnected[] = DISCONNECTED "AND p.sid = $1 ORDER BY p.seq";

/* In join order (participants.seq, as SQLite's rowid). */
static int disconnected_locked(rg_store *st, rg_outbox_who who, const char *a, const char *b,
                               int64_t now)
{
#define WHO(head, order)                                                                           \
    {                                                                                              \
        [RG_OUTBOX_ONE] = head "AND p.sid = $1 ORDER BY p.seq" order,                              \
        [RG_OUTBOX_IDENTITY] =                                                                     \
            head "AND p.room_sid = $1 AND p.identity = $2 ORDER BY p.seq" order,                   \
        [RG_OUTBOX_ROOM] = head "AND p.room_sid = $1 ORDER BY p.seq" order,                        \
        [RG_OUTBOX_ALL] = head "ORDER BY p.seq" order,                                             \
    }
    static const char *const removed[] = WHO(TRACKS_REMOVED, ", t.key");
    static const char *const sql[] = WHO(DISCONNECTED, "");
#undef WHO
    /* a room's completion: every participant's tracks, then every
     * participant (each participant's come before its own disconnect) */
    int rc = emit(st, removed[who], a, b, "track-removed", now);
    return rc == RG_OK ? emit(st, sql[who], a, b, "participant-disconnected", now) : rc;
}

static int tracks_keep_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev)
{
    if (ev->change == RG_TRACK_REMOVED)
        return rg_pg_put_locked(
            st,
            "UPDATE participants SET tracks = COALESCE((SELECT jsonb_agg(t.value ORDER BY t.key) "
            "FROM jsonb_array_elements(participants.tracks) WITH ORDINALITY AS t(value, key) "
            "WHERE t.value ->> 'sid' <> $2), '[]'::jsonb) WHERE sid = $1 AND tracks IS NOT NULL",
            RG_PG_ARGS(RG_PG_SID(participant_sid), RG_PG_SID(ev->sid)), NULL);
    if (ev->change != RG_TRACK_ADDED) return RG_OK;
    return rg_pg_put_locked(
        st,
        "UPDATE participants SET tracks = COALESCE(tracks, '[]'::jsonb) || "
        "jsonb_build_array(jsonb_build_object('sid', $2, 'kind', $3, 'name', $4)) "
        "WHERE sid = $1 AND connected = 1",
        RG_PG_ARGS(RG_PG_SID(participant_sid), RG_PG_SID(ev->sid), RG_PG_TEXT(ev->kind, 8),
                   RG_PG_TEXT(ev->name, RG_TRACK_NAME_MAX)),
        NULL);
}

/* A recording may have no room (r is then all NULL): the CASEs fall to
 * the account's default, and the queue is the recording's own. */
static int recording_locked(rg_store *st, const char *recording_sid, int64_t now)
{
    static const char sql[] = INSERT_COLS
        "rec.account_sid, COALESCE(rec.room_sid, rec.sid), $3, " RG_OUTBOX_SQL_TARGET
        ", json_build_object(" RG_OUTBOX_SQL_RECORDING_PARAMS("$3", TIMESTAMP,
                                                              "strpos(rec.content_type, '/')")
            INSERT_TAIL RG_OUTBOX_SQL_RECORDING_FROM "WHERE rec.sid = $1 AND " HAS_TARGET;
    return emit(st, sql, recording_sid, NULL, "recording-completed", now);
}

const rg_outbox_emit rg_pgsql_outbox_emit = {
    .room = room_locked,
    .recording = recording_locked,
    .connected = connected_locked,
    .track = track_locked,
    .tracks_keep = tracks_keep_locked,
    .disconnected = disconnected_locked,
};

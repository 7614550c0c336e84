/* outbox_emit.c - recording status callback events on SQLite inside the
 * change's transaction (store/outbox_emit.h): INSERT ... SELECT with
 * json_array of the compact values of store/outbox_sql.h.  ?1 (and ?2)
 * name the rows, ?3 is the event name, ?4 now (unix seconds). */
#include "store/outbox_emit.h"

#include "core/errors.h"
#include "store/outbox_sql.h"
#include "store/sqlite/sql.h"

/* An event id is the time (8 hex digits of seconds) and 96 random bits:
 * the UNIQUE index on it grows at its end, as the table does, instead of a
 * random page per event in every commit that records one. */
#define INSERT_COLS_AT(t)                                                                          \
    "INSERT INTO webhook_outbox(event_id, account_sid, room_sid, event, url, method, format, "     \
    "key_sid, params, created, next_ms, seq) SELECT 'EV' || printf('%08x', " t                     \
    " & 4294967295) || "                                                                           \
    "lower(hex(randomblob(12))), "
#define INSERT_COLS INSERT_COLS_AT("?4") /* ?4: now */
#define INSERT_HEAD INSERT_COLS "r.account_sid, r.sid, ?3, " RG_OUTBOX_SQL_TARGET ", json_array("
#define TIMESTAMP "strftime('%Y-%m-%dT%H:%M:%fZ', ?4, 'unixepoch')"
#define ROOM_VALUES RG_OUTBOX_SQL_ROOM_VALUES
#define HAS_TARGET RG_OUTBOX_SQL_HAS_TARGET
#define ROOM_FROM RG_OUTBOX_SQL_ROOM_FROM
#define PART_FROM RG_OUTBOX_SQL_PART_FROM

/* The row's number in its room (see "Numbering" below): the room's
 * counter, for a statement that records one event; plus the event's rank
 * among the statement's events of its room, in the statement's order, for
 * one that records several. */
#define INSERT_TAIL "), ?4, ?4 * 1000, r.hook_seq "
#define INSERT_TAIL_MANY(order)                                                                    \
    "), ?4, ?4 * 1000, r.hook_seq - 1 + row_number() OVER (PARTITION BY r.sid ORDER BY " order ")" \
    " "

/* ---- numbering ----------------------------------------------------------
 *
 * Twilio's SequenceNumber: 0, 1, 2... per room, in the order the events
 * are recorded (docs/webhooks.md), gap-free.  Each INSERT takes its
 * numbers from the room's counter (rooms.hook_seq, INSERT_TAIL*); then
 * number() advances the counter of each room by the events the statement
 * recorded for it, in the same transaction, before the next statement
 * reads it.  The events of one INSERT have consecutive ids (AUTOINCREMENT,
 * one writer), the last one sqlite3_last_insert_rowid.  (Until migration
 * 10 a trigger did this row by row: two UPDATEs per event, one rewriting
 * the row just written.) */
static int number(rg_store *st, int n)
{
    if (n <= 0) return RG_OK;
    int64_t last = (int64_t)sqlite3_last_insert_rowid(st->db);
    if (n == 1)
        return rg_sql_put_locked(st,
                                 "UPDATE rooms SET hook_seq = hook_seq + 1 WHERE sid = "
                                 "(SELECT room_sid FROM webhook_outbox WHERE id = ?1)",
                                 RG_ARGS(RG_ARG_INT(last)), NULL, "outbox numbering");
    return rg_sql_put_locked(st,
                             "UPDATE rooms SET hook_seq = hook_seq + c.n FROM (SELECT room_sid, "
                             "COUNT(*) AS n FROM webhook_outbox WHERE id > ?1 AND id <= ?2 "
                             "GROUP BY room_sid) AS c WHERE rooms.sid = c.room_sid",
                             RG_ARGS(RG_ARG_INT(last - n), RG_ARG_INT(last)), NULL,
                             "outbox numbering");
}

/* One event-recording statement (rg_sql_run's arguments), then its
 * numbering. */
static int emit(rg_store *st, const char *sql, const char *a, const char *b, const char *event,
                int64_t now, const char *what)
{
    int n = 0;
    int rc = rg_sql_run(st, sql, a, b, event, now, &n, what);
    return rc == RG_OK ? number(st, n) : rc;
}

static int room_locked(rg_store *st, const char *room_sid, int ended, int64_t now)
{
    static const char created[] =
        INSERT_HEAD ROOM_VALUES INSERT_TAIL ROOM_FROM "WHERE r.sid = ?1 AND " HAS_TARGET;
    static const char done[] = INSERT_HEAD ROOM_VALUES
        ", r.end_time - r.date_created" INSERT_TAIL ROOM_FROM "WHERE r.sid = ?1 AND " HAS_TARGET;
    return emit(st, ended ? done : created, room_sid, NULL, ended ? "room-ended" : "room-created",
                now, "outbox room event");
}

static int connected_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    static const char sql[] =
        INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES INSERT_TAIL PART_FROM
        "WHERE p.sid = ?1 AND " HAS_TARGET;
    return emit(st, sql, participant_sid, NULL, "participant-connected", now,
                "outbox participant event");
}

/* As room_locked's room-created, for the rooms rows after ?1, each at its
 * date_created: new rooms, so each one's first event (r.hook_seq 0). */
static int created_since_locked(rg_store *st, int64_t after)
{
    static const char sql[] = INSERT_COLS_AT(
        "r.date_created") "r.account_sid, r.sid, "
                          "'room-created', " RG_OUTBOX_SQL_TARGET ", json_array(" ROOM_VALUES
                          "), r.date_created, r.date_created * 1000, r.hook_seq " ROOM_FROM
                          "WHERE r.rowid > ?1 AND " HAS_TARGET "ORDER BY r.rowid";
    int n = 0;
    int rc = rg_sql_put_locked(st, sql, RG_ARGS(RG_ARG_INT(after)), &n, "outbox room events");
    return rc == RG_OK ? number(st, n) : rc;
}

/* As connected_locked's, for the participants rows after ?1, each at its
 * start_time (the seat's now): the event id's time, created, next_ms. */
static int connected_since_locked(rg_store *st, int64_t after)
{
    static const char sql[] = INSERT_COLS_AT(
        "p.start_time") "r.account_sid, r.sid, 'participant-connected', " RG_OUTBOX_SQL_TARGET
                        ", json_array(" ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES
                        "), p.start_time, p.start_time * 1000, r.hook_seq - 1 + "
                        "row_number() OVER (PARTITION BY r.sid ORDER BY p.rowid) " PART_FROM
                        "WHERE p.rowid > ?1 AND " HAS_TARGET "ORDER BY p.rowid";
    int n = 0;
    int rc =
        rg_sql_put_locked(st, sql, RG_ARGS(RG_ARG_INT(after)), &n, "outbox participant events");
    return rc == RG_OK ? number(st, n) : rc;
}

/* The track's parameters are ?5 sid, ?6 kind, ?7 name. */
static int track_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                        int64_t now)
{
    static const char sql[] =
        INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES RG_OUTBOX_SQL_TRACK_VALUES(
            "?5", "?6", "?7") INSERT_TAIL PART_FROM "WHERE p.sid = ?1 AND " HAS_TARGET;
    const char *event = rg_track_change_name(ev->change);
    if (event[0] == '\0') return RG_EINVAL;
    int n = 0;
    int rc =
        rg_sql_put_locked(st, sql,
                          RG_ARGS(RG_ARG_SID(participant_sid), RG_ARG_NULL, RG_ARG_TEXT(event, 32),
                                  RG_ARG_INT(now), RG_ARG_SID(ev->sid), RG_ARG_TEXT(ev->kind, 8),
                                  RG_ARG_TEXT(ev->name, RG_TRACK_NAME_MAX)),
                          &n, "outbox track event");
    return rc == RG_OK ? number(st, n) : rc;
}

/* tail: INSERT_TAIL for one participant (one row), else
 * INSERT_TAIL_MANY: a window and its sort cost every leave otherwise. */
#define DISCONNECTED(tail)                                                                         \
    INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES ", MAX(?4 - p.start_time, 0)" tail PART_FROM \
                                                      "WHERE p.connected = 1 AND " HAS_TARGET

/* track-removed for each track the participant still publishes
 * (participants.tracks, kept by tracks_keep_locked), as
 * Twilio sends them before its participant-disconnected.  tail as
 * DISCONNECTED's; one participant's tracks are numbered by their place in
 * its array (json_each's key: 0, 1, 2...). */
#define TRACKS_REMOVED(tail)                                                                       \
    INSERT_HEAD ROOM_VALUES RG_OUTBOX_SQL_PART_VALUES RG_OUTBOX_SQL_TRACK_OF_T tail PART_FROM      \
        "JOIN json_each(p.tracks) t WHERE p.connected = 1 "                                        \
        "AND p.tracks IS NOT NULL AND " HAS_TARGET
#define TAIL_TRACKS_ONE "), ?4, ?4 * 1000, r.hook_seq + t.key "

static int disconnected_locked(rg_store *st, rg_outbox_who who, const char *a, const char *b,
                               int64_t now)
{
#define WHO(head, one, many, order)                                                                \
    {                                                                                              \
        [RG_OUTBOX_ONE] = head(one) "AND p.sid = ?1 ORDER BY p.rowid" order,                       \
        [RG_OUTBOX_IDENTITY] =                                                                     \
            head(many) "AND p.room_sid = ?1 AND p.identity = ?2 ORDER BY p.rowid" order,           \
        [RG_OUTBOX_ROOM] = head(many) "AND p.room_sid = ?1 ORDER BY p.rowid" order,                \
        [RG_OUTBOX_ALL] = head(many) "ORDER BY p.rowid" order,                                     \
    }
    static const char *const removed[] =
        WHO(TRACKS_REMOVED, TAIL_TRACKS_ONE, INSERT_TAIL_MANY("p.rowid, t.key"), ", t.key");
    static const char *const sql[] =
        WHO(DISCONNECTED, INSERT_TAIL, INSERT_TAIL_MANY("p.rowid"), "");
#undef WHO
    /* a room's completion: every participant's tracks, then every
     * participant (each participant's come before its own disconnect) */
    int rc = emit(st, removed[who], a, b, "track-removed", now, "outbox track event");
    if (rc != RG_OK) return rc;
    return emit(st, sql[who], a, b, "participant-disconnected", now, "outbox participant event");
}

static int tracks_keep_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev)
{
    static const char added[] =
        "UPDATE participants SET tracks = json_insert(COALESCE(tracks, '[]'), '$[#]', "
        "json_object('sid', ?2, 'kind', ?3, 'name', ?4)) WHERE sid = ?1 AND connected = 1";
    static const char removed[] =
        "UPDATE participants SET tracks = (SELECT json_group_array(json(t.value)) "
        "FROM json_each(participants.tracks) t WHERE t.value ->> 'sid' != ?2) "
        "WHERE sid = ?1 AND tracks IS NOT NULL";
    if (ev->change == RG_TRACK_REMOVED)
        return rg_sql_put_locked(st, removed,
                                 RG_ARGS(RG_ARG_SID(participant_sid), RG_ARG_SID(ev->sid)), NULL,
                                 "participant tracks");
    if (ev->change != RG_TRACK_ADDED) return RG_OK;
    return rg_sql_put_locked(st, added,
                             RG_ARGS(RG_ARG_SID(participant_sid), RG_ARG_SID(ev->sid),
                                     RG_ARG_TEXT(ev->kind, 8),
                                     RG_ARG_TEXT(ev->name, RG_TRACK_NAME_MAX)),
                             NULL, "participant tracks");
}

/* A recording may have no room (r is then all NULL): the CASEs fall to
 * the account's default, and the queue is the recording's own. */
static int recording_locked(rg_store *st, const char *recording_sid, int64_t now)
{
    static const char sql[] = INSERT_COLS
        "rec.account_sid, COALESCE(rec.room_sid, rec.sid), ?3, " RG_OUTBOX_SQL_TARGET
        ", json_object(" RG_OUTBOX_SQL_RECORDING_PARAMS(
            "?3", TIMESTAMP,
            "instr(rec.content_type, '/')") "), ?4, ?4 * 1000, "
                                            "COALESCE(r.hook_seq, 0) " RG_OUTBOX_SQL_RECORDING_FROM
                                            "WHERE rec.sid = ?1 AND " HAS_TARGET;
    return emit(st, sql, recording_sid, NULL, "recording-completed", now, "outbox recording event");
}

const rg_outbox_emit rg_sqlite_outbox_emit = {
    .room = room_locked,
    .recording = recording_locked,
    .connected = connected_locked,
    .created_since = created_since_locked,
    .connected_since = connected_since_locked,
    .track = track_locked,
    .tracks_keep = tracks_keep_locked,
    .disconnected = disconnected_locked,
};

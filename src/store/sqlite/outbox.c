/* outbox.c - status callback events on SQLite: recording them inside the
 * change's transaction (outbox_emit.h: INSERT ... SELECT with json_object),
 * and the dispatcher's reads and writes (store/outbox.h). */
#include "store/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/audit.h"
#include "store/outboxpick.h"
#include "store/sqlite/outbox_emit.h"
#include "store/sqlite/outbox_look.h"

/* ---- recording events (inside the caller's transaction) ---------------- */

/* Where a room's events go: its own StatusCallback, else its account's. */
#define TARGET_URL                                                                                 \
    "CASE WHEN r.status_callback != '' THEN r.status_callback ELSE a.status_callback END"
#define TARGET_METHOD                                                                              \
    "CASE WHEN r.status_callback != '' THEN r.status_callback_method "                             \
    "ELSE a.status_callback_method END"

/* The account's default may ask for LiveKit's format, signed by one of its
 * keys; a room's own StatusCallback is Twilio's. */
#define TARGET_FORMAT                                                                              \
    "CASE WHEN r.status_callback != '' THEN 'twilio' ELSE a.status_callback_format END, "          \
    "CASE WHEN r.status_callback != '' THEN '' ELSE a.status_callback_key END"

/* ?3 is the event name, ?4 now (unix seconds).  An event id is the time
 * (8 hex digits of seconds) and 96 random bits: the UNIQUE index on it
 * grows at its end, as the table does, instead of a random page per
 * event in every commit that records one. */
#define INSERT_COLS                                                                                \
    "INSERT INTO webhook_outbox(event_id, account_sid, room_sid, event, url, method, format, "     \
    "key_sid, params, created, next_ms, seq) SELECT 'EV' || printf('%08x', ?4 & 4294967295) || "   \
    "lower(hex(randomblob(12))), "
#define INSERT_HEAD                                                                                \
    INSERT_COLS "r.account_sid, r.sid, ?3, " TARGET_URL ", " TARGET_METHOD ", " TARGET_FORMAT      \
                ", json_object("

/* Twilio's parameters of every room event. */
#define ROOM_PARAMS                                                                                \
    "'AccountSid', r.account_sid, 'RoomName', r.unique_name, 'RoomSid', r.sid, "                   \
    "'RoomStatus', CASE r.status WHEN 1 THEN 'in-progress' ELSE 'completed' END, "                 \
    "'RoomType', CASE r.type WHEN 1 THEN 'go' WHEN 2 THEN 'peer-to-peer' ELSE 'group' END, "       \
    "'StatusCallbackEvent', ?3, 'Timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', ?4, 'unixepoch')"

/* The row's number in its room (see "Numbering" below): the room's
 * counter, for a statement that records one event; plus the event's rank
 * among the statement's events of its room, in the statement's order, for
 * one that records several. */
#define INSERT_TAIL "), ?4, ?4 * 1000, r.hook_seq "
#define INSERT_TAIL_MANY(order)                                                                    \
    "), ?4, ?4 * 1000, r.hook_seq - 1 + row_number() OVER (PARTITION BY r.sid ORDER BY " order ")" \
    " "
#define ROOM_FROM "FROM rooms r JOIN accounts a ON a.sid = r.account_sid "
#define PART_FROM                                                                                  \
    "FROM participants p JOIN rooms r ON r.sid = p.room_sid JOIN accounts a ON a.sid = "           \
    "r.account_sid "
#define HAS_TARGET "(" TARGET_URL ") != '' "

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

int rg_outbox_room_locked(rg_store *st, const char *room_sid, int ended, int64_t now)
{
    static const char created[] =
        INSERT_HEAD ROOM_PARAMS INSERT_TAIL ROOM_FROM "WHERE r.sid = ?1 AND " HAS_TARGET;
    static const char done[] = INSERT_HEAD ROOM_PARAMS
        ", 'RoomDuration', r.end_time - r.date_created" INSERT_TAIL ROOM_FROM
        "WHERE r.sid = ?1 AND " HAS_TARGET;
    return emit(st, ended ? done : created, room_sid, NULL, ended ? "room-ended" : "room-created",
                now, "outbox room event");
}

int rg_outbox_connected_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    static const char sql[] =
        INSERT_HEAD ROOM_PARAMS ", 'ParticipantSid', p.sid, 'ParticipantStatus', 'connected', "
                                "'ParticipantIdentity', p.identity" INSERT_TAIL PART_FROM
                                "WHERE p.sid = ?1 AND " HAS_TARGET;
    return emit(st, sql, participant_sid, NULL, "participant-connected", now,
                "outbox participant event");
}

/* Twilio's parameters of a track event: the participant's, and the
 * track's (?5 sid, ?6 kind, ?7 name). */
int rg_outbox_track_locked(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                           int64_t now)
{
    static const char sql[] = INSERT_HEAD ROOM_PARAMS
        ", 'ParticipantSid', p.sid, 'ParticipantStatus', 'connected', "
        "'ParticipantIdentity', p.identity, 'TrackSid', ?5, "
        "'TrackKind', ?6, 'TrackName', ?7" INSERT_TAIL PART_FROM "WHERE p.sid = ?1 AND " HAS_TARGET;
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
    INSERT_HEAD ROOM_PARAMS ", 'ParticipantSid', p.sid, 'ParticipantStatus', 'disconnected', "     \
                            "'ParticipantIdentity', p.identity, 'ParticipantDuration', "           \
                            "MAX(?4 - p.start_time, 0)" tail PART_FROM                             \
                            "WHERE p.connected = 1 AND " HAS_TARGET

/* track-removed for each track the participant still publishes
 * (participants.tracks, kept by rg_outbox_tracks_keep_locked), as Twilio
 * sends them before its participant-disconnected. */
/* tail as DISCONNECTED's; one participant's tracks are numbered by their
 * place in its array (json_each's key: 0, 1, 2...). */
#define TRACKS_REMOVED(tail)                                                                       \
    INSERT_HEAD ROOM_PARAMS ", 'ParticipantSid', p.sid, 'ParticipantStatus', 'connected', "        \
                            "'ParticipantIdentity', p.identity, "                                  \
                            "'TrackSid', t.value ->> 'sid', 'TrackKind', t.value ->> 'kind', "     \
                            "'TrackName', t.value ->> 'name'" tail PART_FROM                       \
                            "JOIN json_each(p.tracks) t WHERE p.connected = 1 AND "                \
                            "p.tracks IS NOT NULL AND " HAS_TARGET
#define TAIL_TRACKS_ONE "), ?4, ?4 * 1000, r.hook_seq + t.key "

int rg_outbox_disconnected_locked(rg_store *st, rg_outbox_who who, const char *a, const char *b,
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

int rg_outbox_tracks_keep_locked(rg_store *st, const char *participant_sid,
                                 const rg_track_event *ev)
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
int rg_outbox_recording_locked(rg_store *st, const char *recording_sid, int64_t now)
{
    static const char sql[] = INSERT_COLS
        "rec.account_sid, COALESCE(rec.room_sid, rec.sid), ?3, " TARGET_URL ", " TARGET_METHOD
        ", " TARGET_FORMAT ", json_object("
        "'AccountSid', rec.account_sid, 'RoomSid', COALESCE(rec.room_sid, ''), "
        "'RoomName', COALESCE(r.unique_name, ''), 'RecordingSid', rec.sid, "
        "'RecordingUri', '/v1/Recordings/' || rec.sid, 'Size', rec.size, "
        "'Duration', COALESCE(rec.duration, 0), "
        "'Container', substr(rec.content_type, instr(rec.content_type, '/') + 1), "
        "'Type', CASE WHEN rec.content_type LIKE 'video/%' THEN 'video' ELSE 'audio' END, "
        "'StatusCallbackEvent', ?3, 'Timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', ?4, 'unixepoch')"
        "), ?4, ?4 * 1000, COALESCE(r.hook_seq, 0) FROM recordings rec JOIN accounts a ON a.sid = "
        "rec.account_sid "
        "LEFT JOIN rooms r ON r.sid = rec.room_sid WHERE rec.sid = ?1 AND " HAS_TARGET;
    return emit(st, sql, recording_sid, NULL, "recording-completed", now, "outbox recording event");
}

/* ---- the dispatcher's side --------------------------------------------- */

static int read_row(sqlite3_stmt *s, void *p)
{
    rg_outbox_row *r = p;
    const char *method = (const char *)sqlite3_column_text(s, 6);
    memset(r, 0, sizeof *r);
    r->id = (int64_t)sqlite3_column_int64(s, 0);
    int rc = rg_sql_col_text(s, 1, r->event_id, sizeof r->event_id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, r->room_sid, sizeof r->room_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 4, r->event, sizeof r->event);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 5, r->url, sizeof r->url);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 7, r->params, sizeof r->params);
    r->get = method && strcmp(method, "GET") == 0;
    r->seq = (int64_t)sqlite3_column_int64(s, 8);
    r->created = (int64_t)sqlite3_column_int64(s, 9);
    r->attempts = sqlite3_column_int(s, 10);
    r->next_ms = (int64_t)sqlite3_column_int64(s, 11);
    const char *format = (const char *)sqlite3_column_text(s, 13);
    r->livekit = format && strcmp(format, "livekit") == 0;
    if (rc == RG_OK) rc = rg_sql_col_text(s, 14, r->key_sid, sizeof r->key_sid);
    if (rc == RG_OK && sqlite3_column_type(s, 12) == SQLITE_BLOB)
        rc = rg_sql_col_blob(s, 12, r->token_sealed, sizeof r->token_sealed, &r->token_sealed_len);
    return rc;
}

/* The head of each room's queue (no smaller id of its room: one index
 * probe on (room_sid, id) per row), due ones only, oldest first, from row
 * ?2 on, offered one by one to the fair choice (store/outboxpick.h), which
 * passes over the in-flight ones without sending their ids to SQL; the
 * read stops once limit fair rows are found, and jumps over what an
 * earlier scan read past when it may (outbox_look.c). */
int rg_sqlite_outbox_heads(rg_store *st, int64_t now_ms, const rg_outbox_busy *busy, size_t nbusy,
                           size_t per_account, rg_outbox_row *out, size_t limit, size_t *count,
                           size_t *nfair)
{
    sqlite3_stmt *s = NULL;
    rg_outbox_pick p;
    rg_outbox_look_scan look;
    *count = *nfair = 0;
    int rc = rg_outbox_pick_init(&p, busy, nbusy, per_account, out, limit);
    if (rc != RG_OK) {
        rg_outbox_pick_free(&p);
        return rc;
    }
    rg_sql_lock(st);
    rg_outbox_look_begin(&look, &st->look, now_ms, busy, nbusy);
    rc = rg_sql_prepare(
        st,
        "SELECT o.id, o.event_id, o.account_sid, o.room_sid, o.event, o.url, o.method, o.params, "
        "o.seq, o.created, o.attempts, o.next_ms, a.token_sealed, o.format, o.key_sid "
        "FROM webhook_outbox o "
        "LEFT JOIN accounts a ON a.sid = o.account_sid WHERE o.id >= ?2 AND o.next_ms <= ?1 AND "
        "NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.room_sid = o.room_sid AND p.id < o.id) "
        "ORDER BY o.id",
        &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, now_ms);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, 0);
    while (rc == RG_OK && !rg_outbox_pick_done(&p)) {
        int step = sqlite3_step(s), fair;
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = rg_sql_fail(st, step, "outbox heads");
            break;
        }
        int64_t id = (int64_t)sqlite3_column_int64(s, 0), to;
        const char *acct = (const char *)sqlite3_column_text(s, 2);
        rg_outbox_look_note(&look, id, acct);
        rg_outbox_row *r = rg_outbox_pick_slot(&p, id, acct, &fair);
        if (r) {
            if ((rc = read_row(s, r)) == RG_OK) rg_outbox_pick_took(&p, r, fair);
        } else if ((to = rg_outbox_look_jump(&look, id, &p)) != 0) {
            sqlite3_reset(s); /* the same query from row `to` on */
            rc = rg_sql_bind_int64(s, 2, to);
        }
    }
    rg_outbox_look_end(&look, rc == RG_OK, now_ms);
    if (rc == RG_OK) rg_outbox_pick_end(&p, count, nfair);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    rg_outbox_pick_free(&p);
    return rc;
}

/* Light commits (store/sqlite/sql.h): an acknowledgement lost with the
 * machine only sends the event once more, with its id; one commit for the
 * batch, not one disk flush per delivery, keeps the write lock free for
 * the joins and room changes that record events. */
int rg_sqlite_outbox_ack_many(rg_store *st, const int64_t *ids, size_t n)
{
    if (n == 0) return RG_OK;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st), began = rc == RG_OK;
    for (size_t i = 0; rc == RG_OK && i < n; i++)
        rc = rg_sql_run(st, "DELETE FROM webhook_outbox WHERE id = ?4", NULL, NULL, NULL, ids[i],
                        NULL, "outbox ack");
    if (began) rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_outbox_ack(rg_store *st, int64_t id)
{
    return rg_sqlite_outbox_ack_many(st, &id, 1);
}

int rg_sqlite_outbox_retry(rg_store *st, int64_t id, int attempts, int64_t next_ms)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st), began = rc == RG_OK;
    if (rc == RG_OK)
        rc = rg_sql_prepare(
            st, "UPDATE webhook_outbox SET attempts = ?2, next_ms = ?3 WHERE id = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, id);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, attempts);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, next_ms);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "outbox retry");
    if (rc == RG_OK) rg_outbox_look_retry(&st->look, next_ms);
    rg_sql_release(st, s);
    if (began) rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_outbox_give_up(rg_store *st, const rg_outbox_row *row, const char *reason,
                             int64_t now)
{
    rg_audit_item item;
    rg_audit_item *items[1] = {&item};
    memset(&item, 0, sizeof item);
    strcpy(item.row.action, "webhook");
    strcpy(item.row.outcome, "failed");
    snprintf(item.row.reason, sizeof item.row.reason, "%s %s: %s", row->event_id, row->event,
             reason);
    memcpy(item.row.account_sid, row->account_sid, sizeof item.row.account_sid);
    /* the audit row and the deletion are two transactions: a crash between
     * them sends the event once more, and gives it up again (a second audit
     * row), rather than losing the record of giving up */
    int rc = rg_sqlite_audit_append(st, items, 1, now);
    if (rc == RG_OK) rc = rg_sqlite_outbox_ack(st, row->id);
    return rc;
}

int rg_sqlite_outbox_depth(rg_store *st, int64_t *depth, int64_t *oldest)
{
    rg_sql_lock(st);
    int rc = rg_sql_int(st, "SELECT COUNT(*) FROM webhook_outbox", NULL, NULL, NULL, 0, depth,
                        "outbox depth");
    if (rc == RG_OK)
        rc = rg_sql_int(st, "SELECT COALESCE(MIN(created), 0) FROM webhook_outbox", NULL, NULL,
                        NULL, 0, oldest, "outbox oldest");
    rg_sql_unlock(st);
    return rc;
}

/* ---- account settings -------------------------------------------------- */

int rg_sqlite_account_set_callback(rg_store *st, const char *account_sid,
                                   const rg_account_callback *cb)
{
    sqlite3_stmt *s = NULL;
    if (strnlen(cb->url, RG_OUTBOX_URL_MAX + 1) > RG_OUTBOX_URL_MAX ||
        memchr(cb->key_sid, '\0', sizeof cb->key_sid) == NULL)
        return RG_EINVAL;
    rg_sql_lock(st);
    int rc =
        rg_sql_prepare(st,
                       "UPDATE accounts SET status_callback = ?2, status_callback_method = ?3, "
                       "status_callback_format = ?4, status_callback_key = ?5 WHERE sid = ?1",
                       &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 2, cb->url, RG_OUTBOX_URL_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 3, cb->get ? "GET" : "POST", 4);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 4, cb->livekit ? "livekit" : "twilio", 7);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 5, cb->key_sid, RG_SID_LEN);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "account callback");
    if (rc == RG_OK && sqlite3_changes(st->db) == 0) rc = RG_ENOTFOUND;
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_account_get_callback(rg_store *st, const char *account_sid, rg_account_callback *out)
{
    sqlite3_stmt *s = NULL;
    memset(out, 0, sizeof *out);
    rg_sql_lock(st);
    int rc =
        rg_sql_prepare(st,
                       "SELECT status_callback, status_callback_method, status_callback_format, "
                       "status_callback_key FROM accounts WHERE sid = ?1",
                       &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "account callback get");
    if (rc == RG_OK) rc = rg_sql_col_text(s, 0, out->url, sizeof out->url);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, out->key_sid, sizeof out->key_sid);
    if (rc == RG_OK) {
        const char *m = (const char *)sqlite3_column_text(s, 1);
        const char *f = (const char *)sqlite3_column_text(s, 2);
        out->get = m && strcmp(m, "GET") == 0;
        out->livekit = f && strcmp(f, "livekit") == 0;
    }
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_account_set_token(rg_store *st, const char *account_sid, const uint8_t hash[32],
                                const uint8_t *sealed, size_t sealed_len)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(
        st, "UPDATE accounts SET token_hash = ?2, token_sealed = ?3 WHERE sid = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, account_sid);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 2, hash, 32);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 3, sealed, sealed_len);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "account token");
    if (rc == RG_OK && sqlite3_changes(st->db) == 0) rc = RG_ENOTFOUND;
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

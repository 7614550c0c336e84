/* participants.c - participants and revocations on SQLite (see rooms.h).
 *
 * A participant row carries no account: it is the room's, read through a
 * join, so a participant can never disagree with its room. */
#include <string.h>

#include "core/errors.h"
#include "store/rooms.h"
#include "store/outbox_emit.h"
#include "store/sqlite/room_open.h"
#include "store/sqlite/sql.h"

/* By PA sid, else by identity: the connected one, else the newest. */
#define PART_BY_SID_OR_IDENTITY                                                                    \
    "SELECT " RG_SQL_PARTICIPANT_FROM                                                              \
    " WHERE p.room_sid = ?1 AND (p.sid = ?2 OR p.identity = ?2) "                                  \
    "ORDER BY p.sid = ?2 DESC, p.connected DESC, p.start_time DESC, p.rowid DESC LIMIT 1"

static int read_participant(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_row(s, row, &rg_cols_participant);
}

/* One participant by the room and a second text parameter (b NULL: the
 * query has one); the caller holds the lock. */
static int get_locked(rg_store *st, const char *sql, const char *a, const char *b,
                      rg_participant *out)
{
    rg_sql_arg args[2] = {RG_ARG_TEXT(a, RG_IDENTITY_MAX), RG_ARG_TEXT(b, RG_IDENTITY_MAX)};
    return rg_sql_get_locked(st, sql, args, b ? 2 : 1, read_participant, out, "participant get");
}

static int identity_ok(const char *identity)
{
    return identity && identity[0] && strnlen(identity, RG_IDENTITY_MAX + 1) <= RG_IDENTITY_MAX;
}

/* The seat check: room in progress, the same identity's old connection
 * replaced, a free seat.  Runs inside the join's IMMEDIATE transaction. */
static int take_seat(rg_store *st, const char *room_sid, const char *identity, int64_t now)
{
    int64_t max = 0, used = 0;
    /* the capacity of a room in progress; -1 for any other room */
    int rc = rg_sql_int(st,
                        "SELECT CASE WHEN status = ?4 THEN max_participants ELSE -1 END "
                        "FROM rooms WHERE sid = ?1",
                        room_sid, NULL, NULL, RG_ROOM_IN_PROGRESS, &max, "join room");
    if (rc == RG_OK && max < 0) rc = RG_EGONE;
    /* the same identity connected: rare, so one read decides whether its
     * event and update run at all */
    int64_t one;
    int present = rc == RG_OK ? rg_sql_int(st,
                                           "SELECT 1 FROM participants WHERE room_sid = ?1 AND "
                                           "identity = ?2 AND connected = 1 LIMIT 1",
                                           room_sid, identity, NULL, 0, &one, "join find")
                              : RG_OK;
    if (present != RG_OK && present != RG_ENOTFOUND) rc = present;
    if (rc == RG_OK && present == RG_OK)
        rc = rg_sqlite_outbox_emit.disconnected(st, RG_OUTBOX_IDENTITY, room_sid, identity, now);
    if (rc == RG_OK && present == RG_OK)
        rc = rg_sql_run(st,
                        "UPDATE participants SET connected = 0, end_time = ?4 "
                        "WHERE room_sid = ?1 AND identity = ?2 AND connected = 1",
                        room_sid, identity, NULL, now, NULL, "join replace");
    if (rc == RG_OK)
        rc = rg_sql_int(st,
                        "SELECT COUNT(*) FROM participants WHERE room_sid = ?1 AND connected = 1",
                        room_sid, NULL, NULL, 0, &used, "join count");
    if (rc == RG_OK && used >= max) rc = RG_EFULL;
    return rc;
}

static int join_args_ok(const char *room_sid, const char *identity, const char *participant_sid)
{
    return identity_ok(identity) && participant_sid &&
           rg_sid_valid(participant_sid, strnlen(participant_sid, RG_SID_SIZE), "PA") && room_sid;
}

/* The participant row of a seat that may be taken. */
static int insert_seat_locked(rg_store *st, const char *room_sid, const char *identity,
                              const char *participant_sid, int64_t now)
{
    return rg_sql_run(st,
                      "INSERT INTO participants(sid, room_sid, identity, connected, "
                      "start_time, end_time) VALUES(?1, ?2, ?3, 1, ?4, 0)",
                      participant_sid, room_sid, identity, now, NULL, "join insert");
}

/* One seat inside the caller's transaction; its participant-connected
 * event too unless a join batch records it later (record 0). */
static int join_locked(rg_store *st, const char *room_sid, const char *identity,
                       const char *participant_sid, int64_t now, int record)
{
    int rc = take_seat(st, room_sid, identity, now);
    if (rc == RG_OK) rc = insert_seat_locked(st, room_sid, identity, participant_sid, now);
    if (rc == RG_OK && record) rc = rg_sqlite_outbox_emit.connected(st, participant_sid, now);
    if (rc == RG_OK)
        rc = rg_sql_run(st, "UPDATE rooms SET ever_joined = 1 WHERE sid = ?1 AND ever_joined = 0",
                        room_sid, NULL, NULL, 0, NULL, "join room");
    return rc;
}

int rg_sqlite_participant_join(rg_store *st, const char *room_sid, const char *identity,
                               const char participant_sid[RG_SID_SIZE], int64_t now,
                               rg_participant *out)
{
    if (!join_args_ok(room_sid, identity, participant_sid)) return RG_EINVAL;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st);
    if (rc == RG_OK) {
        rc = join_locked(st, room_sid, identity, participant_sid, now, 1);
        if (rc == RG_OK && out)
            rc = get_locked(st, "SELECT " RG_SQL_PARTICIPANT_FROM " WHERE p.sid = ?1",
                            participant_sid, NULL, out);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* A refused seat rolls back to its savepoint, so it leaves no trace and
 * the seats after it are decided as if it had never been asked: a room it
 * opened too. */
static int batch_one(rg_store *st, rg_seat *s)
{
    int created = 0;
    int rc = rg_sql_run(st, "SAVEPOINT seat", NULL, NULL, NULL, 0, NULL, "seat savepoint");
    if (rc != RG_OK) return rc;
    if (s->open != NULL)
        rc = strcmp(s->open->sid, s->room_sid) == 0 ? rg_room_open_locked(st, s->open, &created)
                                                    : RG_EINVAL;
    /* the first seat of the room its savepoint just inserted (in progress,
     * nobody in it, ever joined, capacity at least one: rg_room_prepare_new)
     * is the insert alone: none of take_seat's reads could refuse it.  Half
     * the joins of two-party rooms. */
    if (rc == RG_OK && created)
        rc = insert_seat_locked(st, s->room_sid, s->identity, s->participant_sid, s->now);
    else if (rc == RG_OK)
        rc = join_locked(st, s->room_sid, s->identity, s->participant_sid, s->now, 0);
    if (rc != RG_OK) rg_sql_run(st, "ROLLBACK TO seat", NULL, NULL, NULL, 0, NULL, "seat undo");
    int rel = rg_sql_run(st, "RELEASE seat", NULL, NULL, NULL, 0, NULL, "seat release");
    return rc != RG_OK ? rc : rel;
}

/* ---- a batch's events ---------------------------------------------------
 *
 * Recorded for the batch's seats at once, before its commit: the
 * room-created of the rooms it opened (rg_outbox_emit.created_since, the
 * rooms rows after marks[0]), then its seats' participant-connected
 * (connected_since, the participants rows after marks[1]): two statements
 * instead of one INSERT and one numbering UPDATE per seat and per room.
 * A seat that replaces a connection the batch made (the same room and
 * identity) records that one's participant-disconnected: the events
 * waiting are recorded first, so a room's events keep the order of its
 * changes. */
static int rowid_marks(rg_store *st, int64_t marks[2])
{
    int rc = rg_sql_int(st, "SELECT COALESCE(MAX(rowid), 0) FROM rooms", NULL, NULL, NULL, 0,
                        &marks[0], "rooms mark");
    if (rc == RG_OK)
        rc = rg_sql_int(st, "SELECT COALESCE(MAX(rowid), 0) FROM participants", NULL, NULL, NULL, 0,
                        &marks[1], "participants mark");
    return rc;
}

static int record_waiting(rg_store *st, const int64_t marks[2])
{
    int rc = rg_sqlite_outbox_emit.created_since(st, marks[0]);
    return rc == RG_OK ? rg_sqlite_outbox_emit.connected_since(st, marks[1]) : rc;
}

/* Whether seat i replaces one of the seats from `from` on (admitted). */
static int replaces_waiting(const rg_seat *seats, size_t from, size_t i)
{
    for (size_t k = from; k < i; k++)
        if (seats[k].rc == RG_OK && strcmp(seats[k].room_sid, seats[i].room_sid) == 0 &&
            strcmp(seats[k].identity, seats[i].identity) == 0)
            return 1;
    return 0;
}

/* Participant rows commit light (README "Decisions"); a batch that opens
 * a room must be durable, as every room is, before anyone is told: its
 * seats say how far (rg_seat.durable) and the caller has rg_sql_sync
 * (rg_store_sync) make it so, outside the lock, one fdatasync of the WAL
 * for every batch before it.  A batch seating joins while a room is not
 * yet durable waits for it too (its seats may be in that room). */
void rg_sqlite_participant_join_batch(rg_store *st, rg_seat *seats, size_t n)
{
    int rc, opens = 0;
    if (n == 0) return;
    for (size_t i = 0; i < n; i++)
        opens |= seats[i].open != NULL;
    rg_sql_lock(st);
    rc = rg_sql_begin_light(st);
    int began = rc == RG_OK;
    int64_t marks[2] = {0, 0};
    size_t from = 0; /* the first seat whose events wait */
    if (rc == RG_OK) rc = rowid_marks(st, marks);
    for (size_t i = 0; i < n; i++) {
        rg_seat *s = &seats[i];
        if (!join_args_ok(s->room_sid, s->identity, s->participant_sid)) {
            s->rc = RG_EINVAL;
            continue;
        }
        if (rc == RG_OK && replaces_waiting(seats, from, i)) {
            if ((rc = record_waiting(st, marks)) == RG_OK) rc = rowid_marks(st, marks);
            from = i;
        }
        s->rc = rc == RG_OK ? batch_one(st, s) : rc;
    }
    if (rc == RG_OK) rc = record_waiting(st, marks);
    if (began) rc = rg_sql_end(st, rc); /* the commit (a rollback on error) */
    for (size_t i = 0; i < n; i++)
        if (seats[i].rc == RG_OK && rc != RG_OK) seats[i].rc = rc;
    int64_t point = rg_sql_sync_point(st, rc == RG_OK && opens);
    for (size_t i = 0; i < n; i++)
        seats[i].durable = seats[i].rc == RG_OK ? point : 0;
    rg_sql_unlock(st);
}

/* Disconnects one participant and stamps its room's last_left, which the
 * EmptyRoomTimeout counts from; inside the caller's transaction. */
static int disconnect_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    int changed = 0;
    int rc = rg_sqlite_outbox_emit.disconnected(st, RG_OUTBOX_ONE, participant_sid, NULL, now);
    if (rc == RG_OK)
        rc = rg_sql_run(st,
                        "UPDATE participants SET connected = 0, end_time = ?4 "
                        "WHERE sid = ?1 AND connected = 1",
                        participant_sid, NULL, NULL, now, &changed, "leave");
    if (rc == RG_OK && changed)
        rc = rg_sql_run(st,
                        "UPDATE rooms SET last_left = ?4 "
                        "WHERE sid = (SELECT room_sid FROM participants WHERE sid = ?1)",
                        participant_sid, NULL, NULL, now, NULL, "leave room");
    return rc;
}

/* One leave inside the caller's transaction: RG_ENOTFOUND for no such
 * participant. */
static int leave_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    int64_t one;
    int rc = rg_sql_int(st, "SELECT 1 FROM participants WHERE sid = ?1", participant_sid, NULL,
                        NULL, 0, &one, "leave find");
    return rc == RG_OK ? disconnect_locked(st, participant_sid, now) : rc;
}

int rg_sqlite_participant_leave(rg_store *st, const char *participant_sid, int64_t now)
{
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st);
    if (rc == RG_OK) rc = rg_sql_end(st, leave_locked(st, participant_sid, now));
    rg_sql_unlock(st);
    return rc;
}

/* One light commit for the batch.  A leave that finds no participant
 * wrote nothing and the others go on; any other error (the database's)
 * rolls the batch back, and each leave is tried again alone, so one bad
 * leave does not cost the others theirs. */
void rg_sqlite_participant_leave_batch(rg_store *st, rg_leave *leaves, size_t n)
{
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st);
    if (rc == RG_OK) {
        for (size_t i = 0; i < n && rc == RG_OK; i++) {
            leaves[i].rc = leave_locked(st, leaves[i].participant_sid, leaves[i].now);
            if (leaves[i].rc != RG_ENOTFOUND) rc = leaves[i].rc;
        }
        rc = rg_sql_end(st, rc); /* the commit, or the rollback of them all */
    }
    rg_sql_unlock(st);
    for (size_t i = 0; i < n && rc != RG_OK; i++)
        leaves[i].rc = rg_sqlite_participant_leave(st, leaves[i].participant_sid, leaves[i].now);
}

int rg_sqlite_track_events(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                           size_t n, int64_t now)
{
    if (n == 0) return RG_OK;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st);
    if (rc == RG_OK) {
        for (size_t i = 0; i < n && rc == RG_OK; i++) {
            rc = rg_sqlite_outbox_emit.track(st, participant_sid, &ev[i], now);
            if (rc == RG_OK) rc = rg_sqlite_outbox_emit.tracks_keep(st, participant_sid, &ev[i]);
        }
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* Participants are connections, so none can be connected when the
 * signaling server starts: rows still connected are what a crash left.
 * Their rooms' last_left is stamped so EmptyRoomTimeout runs from now. */
int rg_sqlite_participant_disconnect_all(rg_store *st, int64_t now, int *changed)
{
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc == RG_OK) rc = rg_sqlite_outbox_emit.disconnected(st, RG_OUTBOX_ALL, NULL, NULL, now);
    if (rc == RG_OK)
        rc = rg_sql_run(st,
                        "UPDATE rooms SET last_left = ?4 WHERE sid IN "
                        "(SELECT room_sid FROM participants WHERE connected = 1)",
                        NULL, NULL, NULL, now, NULL, "recover rooms");
    if (rc == RG_OK)
        rc = rg_sql_run(st,
                        "UPDATE participants SET connected = 0, end_time = ?4 WHERE connected = 1",
                        NULL, NULL, NULL, now, changed, "recover participants");
    rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_participant_get(rg_store *st, const char *room_sid, const char *sid_or_identity,
                              rg_participant *out)
{
    rg_sql_lock(st);
    int rc = get_locked(st, PART_BY_SID_OR_IDENTITY, room_sid, sid_or_identity, out);
    rg_sql_unlock(st);
    return rc;
}

/* In join order; the arguments checked by rg_store_participant_list. */
int rg_sqlite_participant_list(rg_store *st, const char *room_sid, int connected, size_t offset,
                               size_t limit, rg_participant *out, size_t *count, int *more)
{
    return rg_sql_list(st,
                       "SELECT " RG_SQL_PARTICIPANT_FROM " WHERE p.room_sid = ?1 AND "
                       "(?2 < 0 OR p.connected = ?2) "
                       "ORDER BY p.start_time, p.rowid LIMIT ?3 OFFSET ?4",
                       RG_ARGS(RG_ARG_TEXT(room_sid, RG_IDENTITY_MAX), RG_ARG_INT(connected)),
                       read_participant, out, sizeof *out, offset, limit, count, more,
                       "participant list");
}

/* Upsert: a later kick moves the cut-off forward, never back.  The room's
 * account and name come from the room row, so nothing can disagree. */
#define REVOKE_SQL                                                                                 \
    "INSERT INTO revocations(account_sid, room_sid, room_name, identity, revoked_before) "         \
    "SELECT account_sid, sid, unique_name, ?2, ?4 FROM rooms WHERE sid = ?1 AND "                  \
    "(?3 IS NULL OR account_sid = ?3) ON CONFLICT(account_sid, room_sid, identity) DO "            \
    "UPDATE SET revoked_before = max(revoked_before, excluded.revoked_before)"

int rg_sqlite_participant_kick(rg_store *st, const char *room_sid, const char *sid_or_identity,
                               int64_t now, rg_participant *out)
{
    rg_participant p;
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc == RG_OK) {
        rc = get_locked(st, PART_BY_SID_OR_IDENTITY, room_sid, sid_or_identity, &p);
        if (rc == RG_OK) rc = disconnect_locked(st, p.sid, now);
        if (rc == RG_OK)
            rc = rg_sql_run(st, REVOKE_SQL, room_sid, p.identity, NULL, now, NULL, "revoke");
        if (rc == RG_OK && out)
            rc = get_locked(st, "SELECT " RG_SQL_PARTICIPANT_FROM " WHERE p.sid = ?1", p.sid, NULL,
                            out);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* 1 / 0 from a "SELECT 1 ... LIMIT 1", or a negative code; takes the
 * lock. */
static int exists(rg_store *st, const char *sql, const char *a, const char *b, const char *c,
                  int64_t n)
{
    int64_t one;
    rg_sql_lock(st);
    int rc = rg_sql_int(st, sql, a, b, c, n, &one, "exists");
    rg_sql_unlock(st);
    return rc == RG_OK ? 1 : rc == RG_ENOTFOUND ? 0 : rc;
}

int rg_sqlite_participant_was_in(rg_store *st, const char *account_sid, const char *room_sid,
                                 const char *identity)
{
    if (!account_sid || !room_sid || !identity) return RG_EINVAL;
    /* through the room's account: a recording row naming another
     * account's room (one stored before rooms were checked) finds no one */
    return exists(st,
                  "SELECT 1 FROM participants p JOIN rooms r ON r.sid = p.room_sid "
                  "WHERE r.account_sid = ?1 AND p.room_sid = ?2 AND p.identity = ?3 LIMIT 1",
                  account_sid, room_sid, identity, 0);
}

int rg_sqlite_revocation_add(rg_store *st, const char *account_sid, const char *room_sid,
                             const char *identity, int64_t before)
{
    int changed = 0;
    if (!account_sid || !room_sid || !identity_ok(identity)) return RG_EINVAL;
    rg_sql_lock(st);
    int rc =
        rg_sql_run(st, REVOKE_SQL, room_sid, identity, account_sid, before, &changed, "revoke");
    rg_sql_unlock(st);
    return rc == RG_OK && !changed ? RG_ENOTFOUND : rc;
}

int rg_sqlite_revoked(rg_store *st, const char *account_sid, const char *room_sid,
                      const char *identity, int64_t iat)
{
    if (!account_sid || !room_sid || !identity) return RG_EINVAL;
    return exists(st,
                  "SELECT 1 FROM revocations WHERE account_sid = ?1 AND "
                  "(room_sid = ?2 OR room_name = ?2) AND identity = ?3 AND "
                  "revoked_before >= ?4 LIMIT 1",
                  account_sid, room_sid, identity, iat);
}

static const rg_sql_col REV_READ[] = {
    RG_COL_TEXT(rg_revocation, account_sid), RG_COL_TEXT(rg_revocation, room_sid),
    RG_COL_TEXT(rg_revocation, room_name), RG_COL_TEXT(rg_revocation, identity),
    RG_COL_I64(rg_revocation, before)};

static int read_revocation(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_cols(s, row, sizeof(rg_revocation), REV_READ, RG_NCOLS(REV_READ));
}

RG_SQL_VISITOR(visit_revocation, rg_revocation)

int rg_sqlite_revocation_each(rg_store *st, int (*fn)(void *ud, const rg_revocation *r), void *ud)
{
    rg_revocation r;
    visit_revocation_visit v = {fn, ud};
    return rg_sql_each(st,
                       "SELECT account_sid, room_sid, room_name, identity, revoked_before "
                       "FROM revocations",
                       NULL, 0, read_revocation, &r, visit_revocation, &v, "revocation each");
}

/* participants.c - participants and revocations on SQLite (see rooms.h).
 *
 * A participant row carries no account: it is the room's, read through a
 * join, so a participant can never disagree with its room. */
#include <string.h>

#include "core/errors.h"
#include "store/rooms.h"
#include "store/sql.h"

#define PART_COLS                                                                                  \
    "p.sid, p.room_sid, r.account_sid, p.identity, p.connected, p.start_time, p.end_time "         \
    "FROM participants p JOIN rooms r ON r.sid = p.room_sid"

/* By PA sid, else by identity: the connected one, else the newest. */
#define PART_BY_SID_OR_IDENTITY                                                                    \
    "SELECT " PART_COLS " WHERE p.room_sid = ?1 AND (p.sid = ?2 OR p.identity = ?2) "              \
    "ORDER BY p.sid = ?2 DESC, p.connected DESC, p.start_time DESC, p.rowid DESC LIMIT 1"

static int read_participant(sqlite3_stmt *s, void *row)
{
    rg_participant *p = row;
    memset(p, 0, sizeof *p);
    int rc = rg_sql_col_text(s, 0, p->sid, sizeof p->sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, p->room_sid, sizeof p->room_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, p->account_sid, sizeof p->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, p->identity, sizeof p->identity);
    p->connected = sqlite3_column_int(s, 4) != 0;
    p->start_time = (int64_t)sqlite3_column_int64(s, 5);
    p->end_time = (int64_t)sqlite3_column_int64(s, 6);
    return rc;
}

static int get_locked(rg_store *st, const char *sql, const char *a, const char *b,
                      rg_participant *out)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 1, a, RG_IDENTITY_MAX);
    if (rc == RG_OK && b) rc = rg_sql_bind_text(s, 2, b, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "participant get");
    if (rc == RG_OK) rc = read_participant(s, out);
    rg_sql_release(st, s);
    return rc;
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
    if (rc == RG_OK)
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

int rg_store_participant_join(rg_store *st, const char *room_sid, const char *identity,
                              const char participant_sid[RG_SID_SIZE], int64_t now,
                              rg_participant *out)
{
    if (!identity_ok(identity) || !participant_sid ||
        !rg_sid_valid(participant_sid, strnlen(participant_sid, RG_SID_SIZE), "PA") || !room_sid)
        return RG_EINVAL;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st);
    if (rc == RG_OK) {
        rc = take_seat(st, room_sid, identity, now);
        if (rc == RG_OK)
            rc = rg_sql_run(st,
                            "INSERT INTO participants(sid, room_sid, identity, connected, "
                            "start_time, end_time) VALUES(?1, ?2, ?3, 1, ?4, 0)",
                            participant_sid, room_sid, identity, now, NULL, "join insert");
        if (rc == RG_OK)
            rc = rg_sql_run(st,
                            "UPDATE rooms SET ever_joined = 1 WHERE sid = ?1 AND ever_joined = 0",
                            room_sid, NULL, NULL, 0, NULL, "join room");
        if (rc == RG_OK && out)
            rc =
                get_locked(st, "SELECT " PART_COLS " WHERE p.sid = ?1", participant_sid, NULL, out);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* Disconnects one participant and stamps its room's last_left, which the
 * EmptyRoomTimeout counts from; inside the caller's transaction. */
static int disconnect_locked(rg_store *st, const char *participant_sid, int64_t now)
{
    int changed = 0;
    int rc = rg_sql_run(st,
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

int rg_store_participant_leave(rg_store *st, const char *participant_sid, int64_t now)
{
    int64_t one;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st);
    if (rc == RG_OK) {
        rc = rg_sql_int(st, "SELECT 1 FROM participants WHERE sid = ?1", participant_sid, NULL,
                        NULL, 0, &one, "leave find");
        if (rc == RG_OK) rc = disconnect_locked(st, participant_sid, now);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* Participants are connections, so none can be connected when the
 * signaling server starts: rows still connected are what a crash left.
 * Their rooms' last_left is stamped so EmptyRoomTimeout runs from now. */
int rg_store_participant_disconnect_all(rg_store *st, int64_t now, int *changed)
{
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
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

int rg_store_participant_get(rg_store *st, const char *room_sid, const char *sid_or_identity,
                             rg_participant *out)
{
    rg_sql_lock(st);
    int rc = get_locked(st, PART_BY_SID_OR_IDENTITY, room_sid, sid_or_identity, out);
    rg_sql_unlock(st);
    return rc;
}

/* In join order. */
int rg_store_participant_list(rg_store *st, const char *room_sid, int connected, size_t offset,
                              size_t limit, rg_participant *out, size_t *count, int *more)
{
    *count = 0;
    *more = 0;
    if (limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX || (limit > 0 && !out) ||
        connected < -1 || connected > 1)
        return RG_EINVAL;
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "SELECT " PART_COLS " WHERE p.room_sid = ?1 AND "
                            "(?2 < 0 OR p.connected = ?2) "
                            "ORDER BY p.start_time, p.rowid LIMIT ?3 OFFSET ?4",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_text(s, 1, room_sid, RG_IDENTITY_MAX);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, connected);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)limit + 1);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 4, (int64_t)offset);
    if (rc == RG_OK)
        rc = rg_sql_page(st, s, read_participant, out, sizeof *out, limit, count, more,
                         "participant list");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* Upsert: a later kick moves the cut-off forward, never back.  The room's
 * account and name come from the room row, so nothing can disagree. */
#define REVOKE_SQL                                                                                 \
    "INSERT INTO revocations(account_sid, room_sid, room_name, identity, revoked_before) "         \
    "SELECT account_sid, sid, unique_name, ?2, ?4 FROM rooms WHERE sid = ?1 AND "                  \
    "(?3 IS NULL OR account_sid = ?3) ON CONFLICT(account_sid, room_sid, identity) DO "            \
    "UPDATE SET revoked_before = max(revoked_before, excluded.revoked_before)"

int rg_store_participant_kick(rg_store *st, const char *room_sid, const char *sid_or_identity,
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
            rc = get_locked(st, "SELECT " PART_COLS " WHERE p.sid = ?1", p.sid, NULL, out);
        rc = rg_sql_end(st, rc);
    }
    rg_sql_unlock(st);
    return rc;
}

/* 1 / 0 from a "SELECT 1 ... LIMIT 1", or a negative code. */
static int exists_locked(rg_store *st, const char *sql, const char *a, const char *b, const char *c,
                         int64_t n)
{
    int64_t one;
    int rc = rg_sql_int(st, sql, a, b, c, n, &one, "exists");
    return rc == RG_OK ? 1 : rc == RG_ENOTFOUND ? 0 : rc;
}

int rg_store_participant_was_in(rg_store *st, const char *room_sid, const char *identity)
{
    rg_sql_lock(st);
    int rc = exists_locked(st,
                           "SELECT 1 FROM participants WHERE room_sid = ?1 AND identity = ?2 "
                           "LIMIT 1",
                           room_sid, identity, NULL, 0);
    rg_sql_unlock(st);
    return rc;
}

int rg_store_revocation_add(rg_store *st, const char *account_sid, const char *room_sid,
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

int rg_store_revoked(rg_store *st, const char *account_sid, const char *room_sid,
                     const char *identity, int64_t iat)
{
    if (!account_sid || !room_sid || !identity) return RG_EINVAL;
    rg_sql_lock(st);
    int rc = exists_locked(st,
                           "SELECT 1 FROM revocations WHERE account_sid = ?1 AND "
                           "(room_sid = ?2 OR room_name = ?2) AND identity = ?3 AND "
                           "revoked_before >= ?4 LIMIT 1",
                           account_sid, room_sid, identity, iat);
    rg_sql_unlock(st);
    return rc;
}

static int read_revocation(sqlite3_stmt *s, rg_revocation *r)
{
    memset(r, 0, sizeof *r);
    int rc = rg_sql_col_text(s, 0, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 1, r->room_sid, sizeof r->room_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, r->room_name, sizeof r->room_name);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, r->identity, sizeof r->identity);
    r->before = (int64_t)sqlite3_column_int64(s, 4);
    return rc;
}

int rg_store_revocation_each(rg_store *st, int (*fn)(void *ud, const rg_revocation *r), void *ud)
{
    sqlite3_stmt *s = NULL;
    rg_revocation r;
    int step = 0;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "SELECT account_sid, room_sid, room_name, identity, revoked_before "
                            "FROM revocations",
                            &s);
    while (rc == RG_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = read_revocation(s, &r);
        if (rc == RG_OK) rc = fn(ud, &r);
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, "revocation each");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

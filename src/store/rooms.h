/* rooms.h - rooms, participants and revocations (Twilio Video's model).
 *
 * Implemented by the back end (SQLite: src/store/sqlite/rooms.c).  A room
 * belongs to one account; its unique_name is unique among the account's
 * in-progress rooms only, so a completed room's name can be reused.
 * Participant rows are written by the signaling server; the capacity check
 * and the insert happen in one IMMEDIATE transaction, so two concurrent
 * joins for the last seat (from any thread or process) cannot both win. */
#ifndef RG_STORE_ROOMS_H
#define RG_STORE_ROOMS_H

#include <stddef.h>
#include <stdint.h>

#include "core/roomtype.h"
#include "core/token.h"
#include "core/track.h"
#include "store/store.h"

#define RG_URL_MAX 2048
#define RG_ROOM_DEFAULT_TIMEOUT 5 /* minutes, Twilio's default for both timeouts */
#define RG_ROOM_MAX_TIMEOUT 60    /* minutes; timeouts are 1..60 as Twilio's */

typedef enum { RG_ROOM_IN_PROGRESS = 1, RG_ROOM_COMPLETED = 2 } rg_room_status;

typedef struct {
    char sid[RG_SID_SIZE]; /* RM... */
    char account_sid[RG_SID_SIZE];
    char unique_name[RG_IDENTITY_MAX + 1];
    rg_room_type type;
    rg_room_status status;
    int max_participants;                 /* go: always 2 */
    int empty_room_timeout;               /* minutes */
    int unused_room_timeout;              /* minutes */
    char status_callback[RG_URL_MAX + 1]; /* "" when none */
    int callback_get;                     /* StatusCallbackMethod=GET (default POST) */
    int64_t date_created, date_updated;
    int64_t end_time;  /* 0 while in progress */
    int64_t last_left; /* when the last participant left; 0 if never */
    int ever_joined;   /* someone has joined at least once */
} rg_room;

typedef struct {
    char sid[RG_SID_SIZE]; /* PA... */
    char room_sid[RG_SID_SIZE];
    char account_sid[RG_SID_SIZE];
    char identity[RG_IDENTITY_MAX + 1];
    int connected;                /* 1 = "connected", 0 = "disconnected" */
    int64_t start_time, end_time; /* end_time 0 while connected */
} rg_participant;

/* Creates r (sid, account, name, type... filled by the caller; status is
 * set to in-progress, end_time/last_left/ever_joined to 0, date_updated to
 * date_created).  An empty sid gets a fresh one, an empty unique_name the
 * sid; a go room's max_participants is forced to 2.  RG_EEXIST when an
 * in-progress room of the account has the same unique_name, RG_ENOTFOUND
 * for an unknown account, RG_EINVAL for values out of range. */
int rg_store_room_create(rg_store *st, rg_room *r);
/* By RM sid, or by unique_name (the in-progress room with that name, else
 * the newest completed one).  Scoped to account: another account's room is
 * RG_ENOTFOUND. */
int rg_store_room_get(rg_store *st, const char *account_sid, const char *sid_or_name, rg_room *out);
/* The in-progress room named unique_name, created with the given type and
 * capacity when there is none (auto-create on join, consultations).
 * *created tells which happened.  RG_EGONE instead of creating a room
 * named after a deactivated VideoSDK room (meetings.h). */
int rg_store_room_get_or_create(rg_store *st, const char *account_sid, const char *unique_name,
                                rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                int *created);
/* The same for a signaling join (auto-create): a room made this way exists
 * because a connection is in it, so it is committed like participant rows
 * (rg_sql_begin_light: survives the process, not the machine). */
int rg_store_room_open_for_join(rg_store *st, const char *account_sid, const char *unique_name,
                                rg_room_type type, int max_participants, int64_t now, rg_room *out,
                                int *created);
/* Newest first; status 0 = any; unique_name NULL = any. */
int rg_store_room_list(rg_store *st, const char *account_sid, rg_room_status status,
                       const char *unique_name, size_t offset, size_t limit, rg_room *out,
                       size_t *count, int *more);
/* Marks the room completed (end_time = now) and disconnects its
 * participants.  RG_ENOTFOUND; completing a completed room is RG_OK. */
int rg_store_room_complete(rg_store *st, const char *account_sid, const char *room_sid,
                           int64_t now);
/* Completes every in-progress room whose EmptyRoomTimeout (after its last
 * participant left) or UnusedRoomTimeout (nobody ever joined, counted from
 * creation) has passed; timeouts are in minutes, scaled by unit_seconds (60
 * in production, smaller in tests).  Calls fn for each room completed (may
 * be NULL).  Returns the number completed or a negative RG_ code. */
int rg_store_room_sweep(rg_store *st, int64_t now, int unit_seconds,
                        void (*fn)(void *ud, const rg_room *r), void *ud);

/* Joins identity to an in-progress room: RG_EFULL at capacity (connected
 * participants), RG_EGONE when the room is completed, RG_ENOTFOUND when
 * there is no such room.  The capacity check and the insert are one
 * transaction.  A connected participant with the same identity is replaced:
 * it is disconnected in the same transaction and its seat reused (the
 * signaling server closes its connection with 53205).  participant_sid is
 * generated by the caller. */
int rg_store_participant_join(rg_store *st, const char *room_sid, const char *identity,
                              const char participant_sid[RG_SID_SIZE], int64_t now,
                              rg_participant *out);
/* One seat of a batch: the arguments of rg_store_participant_join, and
 * its result in rc.  open (may be NULL): the room the join opens (auto-
 * create; open->sid is room_sid, chosen by the caller), created in the
 * seat's transaction with its room-created event unless the account's
 * in-progress room of that name is that one already; RG_EEXIST when that
 * room is another (someone else opened it first: nothing is written), and
 * RG_EGONE when the name is a deactivated VideoSDK room's. */
typedef struct {
    const char *room_sid, *identity, *participant_sid;
    int64_t now;
    int rc;
    const rg_room *open;
    /* out: 0, or the point rg_store_sync must reach before anyone hears
     * of this seat (its batch opened a room, or one opened before it is
     * not durable yet) */
    int64_t durable;
} rg_seat;
/* rg_store_participant_join for each seat in array order, in one
 * transaction: one commit for the batch instead of one per join.  Each
 * seat is decided after the ones before it (two of one identity: the later
 * replaces the earlier), and a refused seat changes nothing.  When the
 * transaction cannot start or commit, every seat it would have admitted
 * gets that error instead.  A batch that opens a room commits durably
 * (rooms are not participant rows: see README "Decisions"). */
void rg_store_participant_join_batch(rg_store *st, rg_seat *seats, size_t n);
/* Makes every commit up to point (rg_seat.durable) durable; one call
 * covers all the batches before it.  RG_OK, or RG_EIO. */
int rg_store_sync(rg_store *st, int64_t point);
/* Marks a participant disconnected (idempotent). */
int rg_store_participant_leave(rg_store *st, const char *participant_sid, int64_t now);
/* One leave of a batch: rg_store_participant_leave's arguments, and its
 * result in rc. */
typedef struct {
    const char *participant_sid;
    int64_t now;
    int rc;
} rg_leave;
/* rg_store_participant_leave for each leave in array order, in one
 * transaction where the back end can (SQLite; committed light, as
 * participant rows are): one commit for the batch instead of one per
 * leave.  A leave of no such participant is RG_ENOTFOUND and changes
 * nothing; when the batch's transaction fails, each leave is written in
 * its own. */
void rg_store_participant_leave_batch(rg_store *st, rg_leave *leaves, size_t n);
/* Records the status callback events of changes to the tracks a connected
 * participant publishes (core/track.h), in one transaction; nothing when
 * the room has no target.  RG_EINVAL for a malformed change (nothing is
 * recorded then). */
int rg_store_track_events(rg_store *st, const char *participant_sid, const rg_track_event *ev,
                          size_t n, int64_t now);
/* Marks every connected participant disconnected (server start: what a
 * crash left behind); *changed (may be NULL) = how many. */
int rg_store_participant_disconnect_all(rg_store *st, int64_t now, int *changed);
/* By PA sid or by identity (the connected one, else the newest). */
int rg_store_participant_get(rg_store *st, const char *room_sid, const char *sid_or_identity,
                             rg_participant *out);
/* A live room of the signaling hub (its account) or, when
 * participant_sid[0], one of its members: what rg_store_live_ended checks. */
typedef struct {
    char account_sid[RG_SID_SIZE];
    char room_sid[RG_SID_SIZE];
    char participant_sid[RG_SID_SIZE]; /* "": the room itself */
} rg_live_ref;
/* Which of refs the store says ended: ended[i] = 1 for a room no longer in
 * progress, a member whose row is no longer connected; 0 when live or not
 * found.  The members are read before the rooms, so a completion that
 * commits in between (it ends a room and its seats in one transaction)
 * shows as the room's end.  A back end may answer all of them in a few
 * statements (PostgreSQL: two), others one lookup each.  RG_OK, or the
 * first error (ended is then incomplete: the caller retries later). */
int rg_store_live_ended(rg_store *st, const rg_live_ref *refs, size_t n, unsigned char *ended);
/* connected: 1 = connected only, 0 = disconnected only, -1 = all. */
int rg_store_participant_list(rg_store *st, const char *room_sid, int connected, size_t offset,
                              size_t limit, rg_participant *out, size_t *count, int *more);
/* Disconnects the participant and records a revocation of its identity's
 * tokens for this room issued before now.  RG_ENOTFOUND. */
int rg_store_participant_kick(rg_store *st, const char *room_sid, const char *sid_or_identity,
                              int64_t now, rg_participant *out);
/* Whether identity has ever been a participant of the room (any status)
 * when the room is account_sid's: the recordings' access rule. */
int rg_store_participant_was_in(rg_store *st, const char *account_sid, const char *room_sid,
                                const char *identity);

/* Revocations: tokens of (account, room, identity) issued at or before
 * `before` are refused (whole seconds: a token minted in the kick's second
 * may predate it).  room is the room's SID; the room's unique name is
 * recorded with it, and lookups match either. */
int rg_store_revocation_add(rg_store *st, const char *account_sid, const char *room_sid,
                            const char *identity, int64_t before);
/* 1 when a token with this iat is revoked for the room (room_sid may be
 * the room's SID or unique name), 0 when not, negative on error. */
int rg_store_revoked(rg_store *st, const char *account_sid, const char *room_sid,
                     const char *identity, int64_t iat);

typedef struct {
    char account_sid[RG_SID_SIZE];
    char room_sid[RG_SID_SIZE];
    char room_name[RG_IDENTITY_MAX + 1];
    char identity[RG_IDENTITY_MAX + 1];
    int64_t before;
} rg_revocation;

/* Calls fn for every revocation (the in-memory set's load), with the store
 * locked: fn must not call back into st.  Stops at fn's non-zero value. */
int rg_store_revocation_each(rg_store *st, int (*fn)(void *ud, const rg_revocation *r), void *ud);

#endif

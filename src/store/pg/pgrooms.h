/* pgrooms.h - internal to the PostgreSQL back end: what rooms.c and
 * participants.c share (the room row's columns and reader, completing a
 * room inside a transaction). */
#ifndef RG_STORE_PG_PGROOMS_H
#define RG_STORE_PG_PGROOMS_H

#include "store/pg/pg.h"
#include "store/rooms.h"

/* Row i of res (RG_SQL_ROOM_COLS) into *(rg_room *)row; RG_EIO for values
 * this build does not know. */
int rg_pg_read_room(const PGresult *res, int i, void *row);

/* Completes an in-progress room and disconnects whoever is still in it;
 * inside the caller's transaction, the room row already locked. */
int rg_pg_room_complete_locked(rg_store *st, const char *room_sid, int64_t now);

/* Opens the room a batch seat asks for (rg_seat.open) inside the
 * caller's transaction: RG_OK when it is created or is the account's live
 * room of that name already, RG_EEXIST when that room is another,
 * RG_EGONE for a deactivated VideoSDK room's name. */
int rg_pg_room_open_locked(rg_store *st, const rg_room *want);

/* Disconnects one participant (its participant-disconnected event first)
 * and stamps its room's last_left, inside the caller's transaction, the
 * room locked; *rows (may be NULL) = 1 when it was connected, else 0. */
int rg_pg_participant_disconnect_locked(rg_store *st, const char *participant_sid, int64_t now,
                                        int64_t *rows);

/* Says the transaction writes its own node's seats and leaves ($1:
 * st->node), which then move no change mark (migration 11); local to the
 * transaction.  Right after its BEGIN, before any write. */
#define RG_PG_QUIET "SELECT set_config('roomgate.quiet', $1, true)"

/* The first statements of such a transaction, to lead a pipeline (one
 * round trip with what follows): BEGIN and RG_PG_QUIET, into s; node
 * holds the setting's argument and must outlive s.  Returns how many
 * (RG_PG_QUIET_BEGIN). */
#define RG_PG_QUIET_BEGIN 2
int rg_pg_quiet_begin(const rg_store *st, rg_pg_stmt s[RG_PG_QUIET_BEGIN], rg_pg_arg *node);

/* SQL true while the seat of identity $2 in room $1 can be taken: the
 * room in progress, and its connected participants other than $2's
 * (whom the seat replaces) fewer than its capacity.  A seat's statements
 * all ask it (participants.c), so a refused seat writes nothing. */
#define RG_PG_SEAT_FREE                                                                            \
    "EXISTS (SELECT 1 FROM rooms s WHERE s.sid = $1 AND s.status = 1 AND s.max_participants > "    \
    "(SELECT count(*) FROM participants q WHERE q.room_sid = $1 AND q.connected = 1 AND "          \
    "q.identity <> $2)) "

/* The status callback events of a seat (outbox_emit.c), as statements
 * taking $1..$4 as its emitters do: participant-connected of participant
 * $1; track-removed and participant-disconnected of the connections of
 * identity $2 in room $1 that the seat replaces, while RG_PG_SEAT_FREE. */
extern const char rg_pg_sql_connected[];
extern const char rg_pg_sql_seat_tracks_removed[];
extern const char rg_pg_sql_seat_disconnected[];
/* And of one participant's leave ($1): its tracks' track-removed, its
 * participant-disconnected (while it is connected). */
extern const char rg_pg_sql_left_tracks_removed[];
extern const char rg_pg_sql_left_disconnected[];

/* Names link l's database session in l->session (its backend's pid and
 * start): the seats it takes carry it, and the outbox's claims. */
int rg_pg_session_start(rg_store *st, rg_pg_link *l);

/* The id of a live session: pid and start (microseconds), SQL over
 * pg_stat_activity's columns; st->session is this expression for the
 * connection's own backend. */
#define RG_PG_SESSION_OF(pid, start)                                                               \
    pid "::text || ':' || (extract(epoch FROM " start ") * 1000000)::int8::text"
/* SQL true when the session named by column col is gone (its node died,
 * or its process exited).  A session of another role may hide its start
 * (pg_stat_activity): then its pid alone keeps it alive. */
#define RG_PG_SESSION_GONE(col)                                                                    \
    "NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid::text = split_part(" col             \
    ", ':', 1) AND (a.backend_start IS NULL OR " RG_PG_SESSION_OF(                                 \
        "a.pid", "a.backend_start") " = " col "))"

#endif

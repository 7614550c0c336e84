/* cols.h - how a row type meets SQL, the same for every back end: the
 * parameters of its INSERT (rg_cols.args, which rg_sql_insert and rg_pg_insert bind), and how the
 * columns of a result land in a row struct: one
 * table of rg_col per row type (the columns in SELECT order), read by the back end's reader
 * (rg_sql_read_cols in store/sqlite/sql.h, rg_pg_read_cols in store/pg/call.h), so a row type is
 * described once, not once per database.  The tables of the row types both back ends read are here
 * (cols.c); a reader adds a line or two for what a table cannot say. */
#ifndef RG_STORE_COLS_H
#define RG_STORE_COLS_H

#include <stddef.h>
#include <stdint.h>

#include "store/audit.h"
#include "store/consultations.h"
#include "store/meetings.h"
#include "store/outbox.h"
#include "store/recordings.h"
#include "store/rooms.h"
#include "store/store.h"

typedef struct {
    char kind; /* 't' text that must fit, 'o' text with NULL read as "", 'i' int64_t,
                  'z' int64_t with NULL read as 0, 'd' int64_t with NULL read as -1,
                  'n' int (and enums), 'y' int 0/1, 'h' blob of exactly cap bytes */
    size_t off, cap;
} rg_col;
#define RG_COL_(k, T, f, cap)                                                                      \
    {                                                                                              \
        (k), offsetof(T, f), (cap)                                                                 \
    }
#define RG_COL_TEXT(T, f) RG_COL_('t', T, f, sizeof(((T *)0)->f))
#define RG_COL_OPT(T, f) RG_COL_('o', T, f, sizeof(((T *)0)->f))
#define RG_COL_I64(T, f) RG_COL_('i', T, f, sizeof(((T *)0)->f))
#define RG_COL_I64_OR0(T, f) RG_COL_('z', T, f, sizeof(((T *)0)->f))
#define RG_COL_I64_ORM1(T, f) RG_COL_('d', T, f, sizeof(((T *)0)->f))
#define RG_COL_INT(T, f) RG_COL_('n', T, f, sizeof(((T *)0)->f))
#define RG_COL_BOOL(T, f) RG_COL_('y', T, f, sizeof(((T *)0)->f))
#define RG_COL_HASH(T, f) RG_COL_('h', T, f, sizeof(((T *)0)->f))
#define RG_NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A statement parameter, the same for every back end: 't' text of at
 * most n bytes (longer: RG_EINVAL), 'b' blob of n bytes, 'i' integer, 'n'
 * SQL NULL.  (SQLite's binder also takes 's' SID and 'o' optional text.) */
typedef struct {
    char kind;
    const void *p;
    size_t n;
    int64_t i;
} rg_arg;

/* The most parameters a row type's INSERT takes (a room's). */
#define RG_ARGS_MAX 15

/* A row type's table: its columns and the struct's size, and the
 * parameters of its INSERT, in its columns' order (the COLS of the back
 * ends' files), written into a (RG_ARGS_MAX of them); args returns how many.
 * Empty optional texts are SQL NULL.  A row type the back ends read
 * themselves (what the kinds cannot say) has no columns here (col NULL). */
typedef struct {
    const rg_col *col;
    int n;
    size_t size;
    int (*args)(const void *row, rg_arg *a);
    /* NULL, or what the kinds cannot say, the same on every back end: run
     * on a row whose columns were all read */
    void (*fix)(void *row);
} rg_cols;

/* Stores number v (read from column c, SQL NULL already mapped) into its
 * field of row: int64_t for 'i' 'z' 'd', int for 'n', 0/1 for 'y'.
 * RG_EINVAL when the field is not of its kind's size (caught by the first
 * test that reads such a row). */
int rg_col_put_int(void *row, const rg_col *c, int64_t v);

/* The shared tables, columns in the back ends' SELECT order (cols.c). */
/* sid, friendly_name, token_hash, date_created; INSERT: those, token_sealed
 * (NULL when none) */
extern const rg_cols rg_cols_account;
extern const rg_cols rg_cols_audit; /* store/audit.h's COLS order */
/* a status this build does not know reads as scheduled */
extern const rg_cols rg_cols_consultation;
extern const rg_cols rg_cols_meeting;
extern const rg_cols rg_cols_recording; /* INSERT: date_deleted is not one (NULL) */
/* INSERT only: their back ends read them (key_type, sealed_len; a room's
 * checks) */
extern const rg_cols rg_cols_key;
extern const rg_cols rg_cols_room;
/* account_sid, room_sid, room_name, identity, revoked_before */
extern const rg_cols rg_cols_revocation;
/* read only (no INSERT): RG_SQL_PARTICIPANT_FROM */
extern const rg_cols rg_cols_participant;

/* The column lists of the tables, in the order of the tables above: the
 * SELECT and INSERT lists of every back end, so that a column's name and
 * place are written once, beside the table that reads it. */
#define RG_SQL_ACCOUNT_COLS "sid, friendly_name, token_hash, date_created"
#define RG_SQL_AUDIT_COLS                                                                          \
    "seq, ts_ms, action, outcome, reason, account_sid, recording_sid, identity, realm_user_id, "   \
    "roles, client_ip, user_agent, prev_hash, hash"
#define RG_SQL_CONSULTATION_COLS                                                                   \
    "sid, account_sid, consultation_id, detail_id, client_identity, provider_identity, "           \
    "starts_at, ends_at, status, date_created, date_updated"
#define RG_SQL_KEY_COLS                                                                            \
    "sid, account_sid, friendly_name, secret_sealed, date_created, date_updated, key_type"
#define RG_SQL_MEETING_COLS                                                                        \
    "room_id, id, account_sid, custom_room_id, api_key, disabled, date_created, date_updated"
#define RG_SQL_RECORDING_COLS                                                                      \
    "sid, account_sid, size, content_type, duration, room_sid, consultation_id, "                  \
    "allowed_identities, allowed_roles, source, key_id, date_created, date_deleted"
#define RG_SQL_ROOM_COLS                                                                           \
    "sid, account_sid, unique_name, type, status, max_participants, empty_room_timeout, "          \
    "unused_room_timeout, status_callback, date_created, date_updated, end_time, last_left, "      \
    "ever_joined, status_callback_method"
/* a participant's columns (its room's account_sid with them) and the join
 * they come from: rg_cols_participant's order */
#define RG_SQL_PARTICIPANT_FROM                                                                    \
    "p.sid, p.room_sid, r.account_sid, p.identity, p.connected, p.start_time, p.end_time "         \
    "FROM participants p JOIN rooms r ON r.sid = p.room_sid"

/* An account's status callback settings (store/outbox.h), for the UPDATE
 * of accounts by sid: sid, url, method, format, key; 0 (nothing written)
 * when cb is not one the store takes (a URL too long, a key SID not
 * terminated): RG_EINVAL for the caller. */
#define RG_ARGS_ACCOUNT_CALLBACK 5
int rg_args_account_callback(const char *account_sid, const rg_account_callback *cb, rg_arg *a);
/* The flags of a callback's stored method ("GET", "POST") and format
 * ("livekit", "twilio"); NULL (a column not read) is neither. */
void rg_callback_flags(const char *method, const char *format, int *get, int *livekit);

#endif

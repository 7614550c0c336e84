/* ops.h - the store's back ends behind one seam (issue 15): each back end
 * fills an rg_store_ops table with its implementations, rg_store_open
 * picks the table from the location (a path: SQLite; postgres:// or
 * postgresql://: PostgreSQL), and every rg_store_* / rg_outbox_* call of
 * store.h and the per-resource headers is a thin dispatcher (store/dispatch.c)
 * through the handle's table.
 *
 * Only back ends and the dispatcher include this.  Naming, one rule for
 * every back end: the operation rg_store_<op> (or rg_<op> for the outbox's
 * rg_outbox_* calls) is implemented as rg_sqlite_<op> by SQLite
 * (src/store/sqlite/) and rg_pgsql_<op> by PostgreSQL (src/store/pg/),
 * with exactly the signature of the public call.
 *
 * A NEW store operation: one line in RG_STORE_OPS (or RG_STORE_OUTBOX_OPS)
 * below, its prototype in the public header, its rg_sqlite_<op>; the
 * PostgreSQL table (pg/ops.c) gets rg_pgsql_<op> when it exists.  An
 * operation a back end lacks stays NULL in its table: the dispatcher then
 * answers RG_EIO and says once on stderr that the back end does not support
 * it yet; never a crash.
 *
 * The handle: each back end completes struct rg_store in its own files,
 * with an rg_store_head as the FIRST member; the dispatcher sees the struct
 * incomplete and reads only that head. */
#ifndef RG_STORE_OPS_H
#define RG_STORE_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "store/audit.h"
#include "store/auditcheck.h"
#include "store/consultations.h"
#include "store/meetings.h"
#include "store/nodes.h"
#include "store/outbox.h"
#include "store/recordings.h"
#include "store/rooms.h"
#include "store/store.h"

typedef int (*rg_store_key_fn)(void *ud, const rg_key_row *k);
typedef int (*rg_store_account_fn)(void *ud, const rg_account *a);
typedef void (*rg_store_room_fn)(void *ud, const rg_room *r);
typedef int (*rg_store_revocation_fn)(void *ud, const rg_revocation *r);
typedef int (*rg_store_audit_fn)(void *ud, const rg_audit_row *r);
typedef void (*rg_store_timer_fn)(void *ud, int write, uint64_t micros);
typedef void (*rg_store_seat_fn)(void *ud, const rg_participant *p);

/* Defines visit function `name` for a back end's "every row" call
 * (rg_sql_each, rg_pg_each) that hands each row to a caller's typed
 * callback int fn(void *ud, const T *row): pass a name_visit {fn, ud} as
 * visit's ud. */
#define RG_STORE_VISITOR(name, T)                                                                  \
    typedef struct {                                                                               \
        int (*fn)(void *ud, const T *row);                                                         \
        void *ud;                                                                                  \
    } name##_visit;                                                                                \
    static int name(void *ud, const void *row)                                                     \
    {                                                                                              \
        name##_visit *v = ud;                                                                      \
        return v->fn(v->ud, row);                                                                  \
    }

/* The operations that answer an RG_ code: X(op, (parameters), (arguments)).
 * The store handle parameter is always named st. */
#define RG_STORE_OPS(X)                                                                            \
    X(ping, (rg_store * st), (st))                                                                 \
    X(account_insert, (rg_store * st, const rg_account *a), (st, a))                               \
    X(account_get, (rg_store * st, const char *sid, rg_account *out), (st, sid, out))              \
    X(account_each, (rg_store * st, rg_store_account_fn fn, void *ud), (st, fn, ud))               \
    X(key_insert, (rg_store * st, const rg_key_row *k), (st, k))                                   \
    X(key_get, (rg_store * st, const char *sid, rg_key_row *out), (st, sid, out))                  \
    X(key_list,                                                                                    \
      (rg_store * st, const char *account_sid, size_t offset, size_t limit, rg_key_row *out,       \
       size_t *count, int *more),                                                                  \
      (st, account_sid, offset, limit, out, count, more))                                          \
    X(key_rename, (rg_store * st, const char *sid, const char *name, int64_t now),                 \
      (st, sid, name, now))                                                                        \
    X(key_delete, (rg_store * st, const char *sid), (st, sid))                                     \
    X(key_newest, (rg_store * st, const char *account_sid, rg_key_row *out),                       \
      (st, account_sid, out))                                                                      \
    X(key_each, (rg_store * st, rg_store_key_fn fn, void *ud), (st, fn, ud))                       \
    X(account_set_callback,                                                                        \
      (rg_store * st, const char *account_sid, const rg_account_callback *cb),                     \
      (st, account_sid, cb))                                                                       \
    X(account_get_callback, (rg_store * st, const char *account_sid, rg_account_callback *out),    \
      (st, account_sid, out))                                                                      \
    X(account_set_token,                                                                           \
      (rg_store * st, const char *account_sid, const uint8_t hash[32], const uint8_t *sealed,      \
       size_t sealed_len),                                                                         \
      (st, account_sid, hash, sealed, sealed_len))                                                 \
    X(room_create, (rg_store * st, rg_room * r), (st, r))                                          \
    X(room_get, (rg_store * st, const char *account_sid, const char *sid_or_name, rg_room *out),   \
      (st, account_sid, sid_or_name, out))                                                         \
    X(room_get_or_create,                                                                          \
      (rg_store * st, const char *account_sid, const char *unique_name, rg_room_type type,         \
       int max_participants, int64_t now, rg_room *out, int *created),                             \
      (st, account_sid, unique_name, type, max_participants, now, out, created))                   \
    X(room_open_for_join,                                                                          \
      (rg_store * st, const char *account_sid, const char *unique_name, rg_room_type type,         \
       int max_participants, int64_t now, rg_room *out, int *created),                             \
      (st, account_sid, unique_name, type, max_participants, now, out, created))                   \
    X(room_list,                                                                                   \
      (rg_store * st, const char *account_sid, rg_room_status status, const char *unique_name,     \
       size_t offset, size_t limit, rg_room *out, size_t *count, int *more),                       \
      (st, account_sid, status, unique_name, offset, limit, out, count, more))                     \
    X(room_complete, (rg_store * st, const char *account_sid, const char *room_sid, int64_t now),  \
      (st, account_sid, room_sid, now))                                                            \
    X(room_sweep, (rg_store * st, int64_t now, int unit_seconds, rg_store_room_fn fn, void *ud),   \
      (st, now, unit_seconds, fn, ud))                                                             \
    X(participant_join,                                                                            \
      (rg_store * st, const char *room_sid, const char *identity,                                  \
       const char participant_sid[RG_SID_SIZE], int64_t now, rg_participant *out),                 \
      (st, room_sid, identity, participant_sid, now, out))                                         \
    X(participant_leave, (rg_store * st, const char *participant_sid, int64_t now),                \
      (st, participant_sid, now))                                                                  \
    X(track_events,                                                                                \
      (rg_store * st, const char *participant_sid, const rg_track_event *ev, size_t n,             \
       int64_t now),                                                                               \
      (st, participant_sid, ev, n, now))                                                           \
    X(participant_disconnect_all, (rg_store * st, int64_t now, int *changed), (st, now, changed))  \
    X(participant_get,                                                                             \
      (rg_store * st, const char *room_sid, const char *sid_or_identity, rg_participant *out),     \
      (st, room_sid, sid_or_identity, out))                                                        \
    X(participant_kick,                                                                            \
      (rg_store * st, const char *room_sid, const char *sid_or_identity, int64_t now,              \
       rg_participant *out),                                                                       \
      (st, room_sid, sid_or_identity, now, out))                                                   \
    X(participant_was_in,                                                                          \
      (rg_store * st, const char *account_sid, const char *room_sid, const char *identity),        \
      (st, account_sid, room_sid, identity))                                                       \
    X(node_beat, (rg_store * st, const char *node, rg_node_state state, int *was_down),            \
      (st, node, state, was_down))                                                                 \
    X(node_sweep,                                                                                  \
      (rg_store * st, const char *self, int64_t timeout_ms, int64_t now, rg_store_seat_fn fn,      \
       void *ud),                                                                                  \
      (st, self, timeout_ms, now, fn, ud))                                                         \
    X(revocation_add,                                                                              \
      (rg_store * st, const char *account_sid, const char *room_sid, const char *identity,         \
       int64_t before),                                                                            \
      (st, account_sid, room_sid, identity, before))                                               \
    X(revoked,                                                                                     \
      (rg_store * st, const char *account_sid, const char *room_sid, const char *identity,         \
       int64_t iat),                                                                               \
      (st, account_sid, room_sid, identity, iat))                                                  \
    X(revocation_each, (rg_store * st, rg_store_revocation_fn fn, void *ud), (st, fn, ud))         \
    X(meeting_create, (rg_store * st, rg_meeting * m, int *created), (st, m, created))             \
    X(meeting_get, (rg_store * st, const char *account_sid, const char *key, rg_meeting *out),     \
      (st, account_sid, key, out))                                                                 \
    X(meeting_any, (rg_store * st, const char *account_sid, int *any), (st, account_sid, any))     \
    X(meeting_list,                                                                                \
      (rg_store * st, const char *account_sid, size_t offset, size_t limit, rg_meeting *out,       \
       size_t *count, int64_t *total),                                                             \
      (st, account_sid, offset, limit, out, count, total))                                         \
    X(meeting_disable,                                                                             \
      (rg_store * st, const char *account_sid, const char *key, int64_t now, rg_meeting *out),     \
      (st, account_sid, key, now, out))                                                            \
    X(consultation_insert, (rg_store * st, const rg_consultation *c), (st, c))                     \
    X(consultation_get,                                                                            \
      (rg_store * st, const char *account_sid, const char *id, rg_consultation *out),              \
      (st, account_sid, id, out))                                                                  \
    X(consultation_cancel,                                                                         \
      (rg_store * st, const char *account_sid, const char *id, int64_t now, rg_consultation *out), \
      (st, account_sid, id, now, out))                                                             \
    X(recording_insert, (rg_store * st, const rg_recording *r), (st, r))                           \
    X(recording_get, (rg_store * st, const char *sid, rg_recording *out), (st, sid, out))          \
    X(recording_list,                                                                              \
      (rg_store * st, const char *account_sid, size_t offset, size_t limit, rg_recording *out,     \
       size_t *count, int *more),                                                                  \
      (st, account_sid, offset, limit, out, count, more))                                          \
    X(recording_mark_deleted, (rg_store * st, const char *sid, int64_t now), (st, sid, now))       \
    X(audit_append, (rg_store * st, rg_audit_item *const *items, size_t n, int64_t now),           \
      (st, items, n, now))                                                                         \
    X(audit_list,                                                                                  \
      (rg_store * st, const char *recording_sid, size_t offset, size_t limit, rg_audit_row *out,   \
       size_t *count, int *more),                                                                  \
      (st, recording_sid, offset, limit, out, count, more))                                        \
    X(audit_each, (rg_store * st, int64_t since_ms, rg_store_audit_fn fn, void *ud),               \
      (st, since_ms, fn, ud))                                                                      \
    X(audit_head_start, (rg_store * st), (st))                                                     \
    X(audit_verify, (rg_store * st, rg_audit_verdict * v), (st, v))

/* The outbox's calls (outbox.h), named rg_<op> in public. */
#define RG_STORE_OUTBOX_OPS(X)                                                                     \
    X(outbox_heads,                                                                                \
      (rg_store * st, int64_t now_ms, const rg_outbox_busy *busy, size_t nbusy,                    \
       size_t per_account, rg_outbox_row *out, size_t limit, size_t *count, size_t *fair),         \
      (st, now_ms, busy, nbusy, per_account, out, limit, count, fair))                             \
    X(outbox_ack, (rg_store * st, int64_t id), (st, id))                                           \
    X(outbox_ack_many, (rg_store * st, const int64_t *ids, size_t n), (st, ids, n))                \
    X(outbox_retry, (rg_store * st, int64_t id, int attempts, int64_t next_ms),                    \
      (st, id, attempts, next_ms))                                                                 \
    X(outbox_depth, (rg_store * st, int64_t * depth, int64_t * oldest), (st, depth, oldest))

typedef struct rg_store_ops {
    const char *name; /* "SQLite", "PostgreSQL": for the "not supported" message */
    /* the operations that answer no RG_ code: every back end has them */
    void (*close)(rg_store *st);
    int (*schema_version)(rg_store *st);
    int64_t (*change_mark)(rg_store *st);
    void (*set_timer)(rg_store *st, rg_store_timer_fn fn, void *ud);
    /* NULL: one connection whatever n says (rg_store_links) */
    int (*links)(rg_store *st, const char *location, int n);
    /* NULL: always (a file); see rg_store_reachable */
    int (*reachable)(rg_store *st);
    /* NULL: each seat gets RG_EIO */
    void (*participant_join_batch)(rg_store *st, rg_seat *seats, size_t n);
    /* NULL: a batch is durable when it returns (rg_seat.durable stays 0) */
    int (*sync)(rg_store *st, int64_t point);
    /* NULL: each leave in its own transaction (participant_leave) */
    void (*participant_leave_batch)(rg_store *st, rg_leave *leaves, size_t n);
    /* NULL: one participant_get / room_get per ref (dispatch.c) */
    int (*live_ended)(rg_store *st, const rg_live_ref *refs, size_t n, unsigned char *ended);
    /* called after rg_store_participant_list checked its arguments and
     * emptied the answer (every back end has it) */
    int (*participant_list)(rg_store *st, const char *room_sid, int connected, size_t offset,
                            size_t limit, rg_participant *out, size_t *count, int *more);
#define RG_STORE_OP_FIELD(op, params, args) int(*op) params;
    RG_STORE_OPS(RG_STORE_OP_FIELD)
    RG_STORE_OUTBOX_OPS(RG_STORE_OP_FIELD)
#undef RG_STORE_OP_FIELD
} rg_store_ops;

/* The first member of every back end's struct rg_store. */
typedef struct {
    const rg_store_ops *ops;
    /* the audit chain's head key and file: set by rg_store_audit_anchor
     * (dispatch.c) the same way whatever the back end, read by its
     * audit.c */
    rg_aanchor audit;
} rg_store_head;

/* The back ends' prototypes, for their tables (RG_STORE_OPS(RG_STORE_PROTO_SQLITE)). */
#define RG_STORE_PROTO_SQLITE(op, params, args) int rg_sqlite_##op params;
#define RG_STORE_PROTO_PGSQL(op, params, args) int rg_pgsql_##op params;

/* And of the operations outside the lists: RG_STORE_PROTO_FIXED(sqlite).
 * open takes the location as given to rg_store_open. */
#define RG_STORE_PROTO_FIXED(be)                                                                   \
    int rg_##be##_open(const char *location, rg_store **out);                                      \
    void rg_##be##_close(rg_store *st);                                                            \
    int rg_##be##_schema_version(rg_store *st);                                                    \
    int64_t rg_##be##_change_mark(rg_store *st);                                                   \
    void rg_##be##_set_timer(rg_store *st, rg_store_timer_fn fn, void *ud);                        \
    void rg_##be##_participant_join_batch(rg_store *st, rg_seat *seats, size_t n);                 \
    void rg_##be##_participant_leave_batch(rg_store *st, rg_leave *leaves, size_t n);              \
    int rg_##be##_participant_list(rg_store *st, const char *room_sid, int connected,              \
                                   size_t offset, size_t limit, rg_participant *out,               \
                                   size_t *count, int *more);

/* The opens, for rg_store_open. */
int rg_sqlite_open(const char *location, rg_store **out);
int rg_pgsql_open(const char *location, rg_store **out);
void rg_pgsql_set_deadline(int ms);

#endif

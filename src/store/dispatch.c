/* dispatch.c - the store's dispatch (store/ops.h): rg_store_open picks
 * the back end from the location, every other call goes through the
 * handle's table; an operation a back end lacks answers RG_EIO and says
 * so once. */
#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "store/ops.h"

int rg_store_is_postgres(const char *location)
{
    return location && (strncmp(location, "postgres://", 11) == 0 ||
                        strncmp(location, "postgresql://", 13) == 0);
}

int rg_store_open(const char *location, rg_store **out)
{
    *out = NULL;
    if (!location) return RG_EINVAL;
    return rg_store_is_postgres(location) ? rg_pgsql_open(location, out)
                                          : rg_sqlite_open(location, out);
}

void rg_store_set_deadline(int ms)
{
    rg_pgsql_set_deadline(ms);
}

static rg_store_head *head_of(rg_store *st)
{
    return (rg_store_head *)(void *)st;
}

static const rg_store_ops *ops_of(rg_store *st)
{
    return head_of(st)->ops;
}

/* The anchor is in the head: one for every back end (auditcheck.h). */
int rg_store_audit_anchor(rg_store *st, const uint8_t key[32], const char *head_path)
{
    return rg_aanchor_set(&head_of(st)->audit, key, head_path);
}

int rg_store_audit_anchor_dir(rg_store *st, const uint8_t master[32], const char *data_dir,
                              const char *head_file)
{
    return rg_aanchor_set_dir(&head_of(st)->audit, master, data_dir, head_file);
}

/* An operation the handle's back end does not have yet: RG_EIO, said once
 * per operation (a busy server would repeat it on every request). */
static int unsupported(const rg_store_ops *o, const char *op, atomic_flag *said)
{
    if (!atomic_flag_test_and_set(said))
        fprintf(stderr, "roomgate: store: %s is not supported by the %s back end yet\n", op,
                o->name);
    return RG_EIO;
}

void rg_store_close(rg_store *st)
{
    if (st) ops_of(st)->close(st);
}

int rg_store_links(rg_store *st, const char *location, int n)
{
    const rg_store_ops *o = ops_of(st);
    return o->links != NULL && n > 1 ? o->links(st, location, n) : RG_OK;
}

int rg_store_schema_version(rg_store *st)
{
    return ops_of(st)->schema_version(st);
}

int64_t rg_store_change_mark(rg_store *st)
{
    return ops_of(st)->change_mark(st);
}

int rg_store_reachable(rg_store *st)
{
    if (st == NULL) return 1; /* no store to lose (the hub's unit tests run without one) */
    const rg_store_ops *o = ops_of(st);
    return o->reachable ? o->reachable(st) : 1;
}

void rg_store_set_timer(rg_store *st, void (*fn)(void *ud, int write, uint64_t micros), void *ud)
{
    ops_of(st)->set_timer(st, fn, ud);
}

void rg_store_participant_join_batch(rg_store *st, rg_seat *seats, size_t n)
{
    static atomic_flag said = ATOMIC_FLAG_INIT;
    const rg_store_ops *o = ops_of(st);
    if (o->participant_join_batch) {
        o->participant_join_batch(st, seats, n);
        return;
    }
    int rc = unsupported(o, "participant_join_batch", &said);
    for (size_t i = 0; i < n; i++)
        seats[i].rc = rc;
}

void rg_store_participant_leave_batch(rg_store *st, rg_leave *leaves, size_t n)
{
    const rg_store_ops *o = ops_of(st);
    if (o->participant_leave_batch != NULL && n > 1) {
        o->participant_leave_batch(st, leaves, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        leaves[i].rc = rg_store_participant_leave(st, leaves[i].participant_sid, leaves[i].now);
}

/* One lookup per ref, the members first (rooms.h). */
static int live_ended_each(rg_store *st, const rg_live_ref *refs, size_t n, unsigned char *ended)
{
    for (int rooms = 0; rooms < 2; rooms++)
        for (size_t i = 0; i < n; i++) {
            const rg_live_ref *r = &refs[i];
            rg_participant p;
            rg_room row;
            int rc;
            if ((r->participant_sid[0] == '\0') != rooms) continue;
            if (rooms)
                rc = rg_store_room_get(st, r->account_sid, r->room_sid, &row);
            else
                rc = rg_store_participant_get(st, r->room_sid, r->participant_sid, &p);
            if (rc != RG_OK && rc != RG_ENOTFOUND) return rc;
            ended[i] = rc == RG_OK && (rooms ? row.status != RG_ROOM_IN_PROGRESS : !p.connected);
        }
    return RG_OK;
}

int rg_store_live_ended(rg_store *st, const rg_live_ref *refs, size_t n, unsigned char *ended)
{
    const rg_store_ops *o = ops_of(st);
    memset(ended, 0, n);
    return o->live_ended != NULL ? o->live_ended(st, refs, n, ended)
                                 : live_ended_each(st, refs, n, ended);
}

int rg_store_sync(rg_store *st, int64_t point)
{
    const rg_store_ops *o = ops_of(st);
    return o->sync != NULL && point > 0 ? o->sync(st, point) : RG_OK;
}

/* The argument rule of every back end: connected is 1, 0 or -1. */
int rg_store_participant_list(rg_store *st, const char *room_sid, int connected, size_t offset,
                              size_t limit, rg_participant *out, size_t *count, int *more)
{
    *count = 0;
    *more = 0;
    if (connected < -1 || connected > 1) return RG_EINVAL;
    return ops_of(st)->participant_list(st, room_sid, connected, offset, limit, out, count, more);
}

/* rg_<prefix><op>(params): the table's op, or RG_EIO when it is NULL. */
#define RG_DISPATCH(prefix, op, params, args)                                                      \
    int rg_##prefix##op params                                                                     \
    {                                                                                              \
        static atomic_flag said = ATOMIC_FLAG_INIT;                                                \
        const rg_store_ops *o = ops_of(st);                                                        \
        return o->op ? o->op args : unsupported(o, #op, &said);                                    \
    }
#define RG_DISPATCH_STORE(op, params, args) RG_DISPATCH(store_, op, params, args)
#define RG_DISPATCH_PLAIN(op, params, args) RG_DISPATCH(, op, params, args)
RG_STORE_OPS(RG_DISPATCH_STORE)
RG_STORE_OUTBOX_OPS(RG_DISPATCH_PLAIN)

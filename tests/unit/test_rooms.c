/* test_rooms.c - the rooms store: rooms, participants, the lifecycle sweep,
 * kicks and revocations (store and in-memory set), and the atomic capacity
 * check under concurrent joins from separate connections. */
#include "unit.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/errors.h"
#include "store/revcache.h"
#include "store/rooms.h"
#include "backend.h"

typedef struct {
    char dir[64];
    char path[96];
    rg_store *st;
} fixture;

#define AC1 "AC00000000000000000000000000000001"
#define AC2 "AC00000000000000000000000000000002"
#define T0 1800000000

static void add_account(rg_store *st, const char *sid)
{
    rg_account a;
    memset(&a, 0, sizeof a);
    strcpy(a.sid, sid);
    memset(a.token_hash, 7, sizeof a.token_hash);
    a.date_created = T0;
    assert_int_equal(rg_store_account_insert(st, &a), RG_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    strcpy(f->dir, "/tmp/rg_rooms_XXXXXX");
    if (!mkdtemp(f->dir) || (snprintf(f->path, sizeof f->path, "%s/roomgate.db", f->dir),
                             rg_store_open(f->path, &f->st)) != RG_OK) {
        free(f);
        return -1;
    }
    add_account(f->st, AC1);
    add_account(f->st, AC2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rg_store_close(f->st);
    rg_test_remove_db(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static rg_room new_room(const char *account, const char *name, rg_room_type type, int max,
                        int64_t created)
{
    rg_room r;
    memset(&r, 0, sizeof r);
    strcpy(r.account_sid, account);
    if (name) strcpy(r.unique_name, name);
    r.type = type;
    r.max_participants = max;
    r.empty_room_timeout = r.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r.date_created = created;
    return r;
}

static void create_ok(rg_store *st, rg_room *r)
{
    assert_int_equal(rg_store_room_create(st, r), RG_OK);
}

static void pa_sid(char out[RG_SID_SIZE], unsigned n)
{
    snprintf(out, RG_SID_SIZE, "PA%032x", n);
}

static int join(rg_store *st, const char *room, const char *identity, unsigned n, int64_t now,
                rg_participant *out)
{
    char sid[RG_SID_SIZE];
    pa_sid(sid, n);
    return rg_store_participant_join(st, room, identity, sid, now, out);
}

/* ---- rooms ---- */

static void test_create_defaults_and_validation(void **state)
{
    fixture *f = *state;
    rg_room r = new_room(AC1, NULL, RG_ROOM_GO, 10, T0), got;
    create_ok(f->st, &r);
    assert_true(rg_sid_valid(r.sid, strlen(r.sid), "RM"));
    assert_string_equal(r.unique_name, r.sid); /* name defaults to the SID */
    assert_int_equal(r.max_participants, 2);   /* go forces 2 */
    assert_int_equal(r.status, RG_ROOM_IN_PROGRESS);
    assert_int_equal(rg_store_room_get(f->st, AC1, r.sid, &got), RG_OK);
    assert_int_equal(got.max_participants, 2);
    assert_int_equal(got.type, RG_ROOM_GO);
    assert_int_equal(got.date_updated, T0);
    assert_int_equal(got.end_time, 0);
    assert_int_equal(got.ever_joined, 0);

    rg_room bad = new_room(AC1, "x", RG_ROOM_GROUP, 51, T0);
    assert_int_equal(rg_store_room_create(f->st, &bad), RG_EINVAL);
    bad = new_room(AC1, "x", RG_ROOM_GROUP, 0, T0);
    assert_int_equal(rg_store_room_create(f->st, &bad), RG_EINVAL);
    bad = new_room(AC1, "x", (rg_room_type)7, 5, T0);
    assert_int_equal(rg_store_room_create(f->st, &bad), RG_EINVAL);
    bad = new_room(AC1, "x", RG_ROOM_GROUP, 5, T0);
    bad.empty_room_timeout = 0;
    assert_int_equal(rg_store_room_create(f->st, &bad), RG_EINVAL);
    bad = new_room("AC0000000000000000000000000000000f", "x", RG_ROOM_GROUP, 5, T0);
    assert_int_equal(rg_store_room_create(f->st, &bad), RG_ENOTFOUND);
}

static void test_names_unique_while_in_progress(void **state)
{
    fixture *f = *state;
    rg_room a = new_room(AC1, "consult-1", RG_ROOM_GROUP, 5, T0), b, c, got;
    create_ok(f->st, &a);
    b = new_room(AC1, "consult-1", RG_ROOM_GROUP, 5, T0 + 1);
    assert_int_equal(rg_store_room_create(f->st, &b), RG_EEXIST);
    c = new_room(AC2, "consult-1", RG_ROOM_GROUP, 5, T0 + 1); /* other account: fine */
    create_ok(f->st, &c);
    assert_int_equal(rg_store_room_complete(f->st, AC1, a.sid, T0 + 5), RG_OK);
    b = new_room(AC1, "consult-1", RG_ROOM_GROUP, 5, T0 + 6); /* reuse after completion */
    create_ok(f->st, &b);

    /* by name: the in-progress one; by SID: exactly that room */
    assert_int_equal(rg_store_room_get(f->st, AC1, "consult-1", &got), RG_OK);
    assert_string_equal(got.sid, b.sid);
    assert_int_equal(rg_store_room_get(f->st, AC1, a.sid, &got), RG_OK);
    assert_int_equal(got.status, RG_ROOM_COMPLETED);
    assert_int_equal(got.end_time, T0 + 5);
    /* by name when all are completed: the newest */
    assert_int_equal(rg_store_room_complete(f->st, AC1, b.sid, T0 + 9), RG_OK);
    assert_int_equal(rg_store_room_get(f->st, AC1, "consult-1", &got), RG_OK);
    assert_string_equal(got.sid, b.sid);
    /* another account's room is not found, by SID or by name */
    assert_int_equal(rg_store_room_get(f->st, AC2, a.sid, &got), RG_ENOTFOUND);
    assert_int_equal(rg_store_room_get(f->st, AC2, "consult-1", &got), RG_OK);
    assert_string_equal(got.sid, c.sid);
    assert_int_equal(rg_store_room_complete(f->st, AC2, a.sid, T0 + 9), RG_ENOTFOUND);
    assert_int_equal(rg_store_room_get(f->st, AC1, "nope", &got), RG_ENOTFOUND);
}

static void test_get_or_create(void **state)
{
    fixture *f = *state;
    rg_room r1, r2;
    int created = -1;
    assert_int_equal(
        rg_store_room_get_or_create(f->st, AC1, "cn-42", RG_ROOM_GO, 2, T0, &r1, &created), RG_OK);
    assert_int_equal(created, 1);
    assert_int_equal(r1.type, RG_ROOM_GO);
    assert_int_equal(r1.empty_room_timeout, RG_ROOM_DEFAULT_TIMEOUT);
    assert_int_equal(
        rg_store_room_get_or_create(f->st, AC1, "cn-42", RG_ROOM_GROUP, 9, T0, &r2, &created),
        RG_OK);
    assert_int_equal(created, 0);
    assert_string_equal(r1.sid, r2.sid);
    assert_int_equal(r2.max_participants, 2);
    assert_int_equal(rg_store_room_complete(f->st, AC1, r1.sid, T0 + 1), RG_OK);
    assert_int_equal(
        rg_store_room_get_or_create(f->st, AC1, "cn-42", RG_ROOM_GO, 2, T0 + 2, &r2, &created),
        RG_OK);
    assert_int_equal(created, 1);
    assert_string_not_equal(r1.sid, r2.sid);
    assert_int_equal(rg_store_room_get_or_create(f->st, AC1, "", RG_ROOM_GO, 2, T0, &r2, &created),
                     RG_EINVAL);
}

static void test_list_filters_and_pages(void **state)
{
    fixture *f = *state;
    rg_room rooms[5], out[5];
    size_t count;
    int more;
    char name[32];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof name, "r%d", i);
        rooms[i] = new_room(AC1, name, RG_ROOM_GROUP, 5, T0 + i);
        create_ok(f->st, &rooms[i]);
    }
    assert_int_equal(rg_store_room_complete(f->st, AC1, rooms[1].sid, T0 + 9), RG_OK);
    assert_int_equal(rg_store_room_list(f->st, AC1, 0, NULL, 0, 2, out, &count, &more), RG_OK);
    assert_int_equal(count, 2);
    assert_true(more);
    assert_string_equal(out[0].sid, rooms[4].sid); /* newest first */
    assert_string_equal(out[1].sid, rooms[3].sid);
    assert_int_equal(rg_store_room_list(f->st, AC1, 0, NULL, 4, 2, out, &count, &more), RG_OK);
    assert_int_equal(count, 1);
    assert_false(more);
    assert_string_equal(out[0].sid, rooms[0].sid);
    assert_int_equal(
        rg_store_room_list(f->st, AC1, RG_ROOM_COMPLETED, NULL, 0, 5, out, &count, &more), RG_OK);
    assert_int_equal(count, 1);
    assert_string_equal(out[0].sid, rooms[1].sid);
    assert_int_equal(
        rg_store_room_list(f->st, AC1, RG_ROOM_IN_PROGRESS, NULL, 0, 5, out, &count, &more), RG_OK);
    assert_int_equal(count, 4);
    assert_int_equal(rg_store_room_list(f->st, AC1, 0, "r3", 0, 5, out, &count, &more), RG_OK);
    assert_int_equal(count, 1);
    assert_string_equal(out[0].sid, rooms[3].sid);
    assert_int_equal(rg_store_room_list(f->st, AC2, 0, NULL, 0, 5, out, &count, &more), RG_OK);
    assert_int_equal(count, 0);
}

/* ---- participants ---- */

static void test_join_leave_capacity(void **state)
{
    fixture *f = *state;
    rg_room r = new_room(AC1, "p", RG_ROOM_GO, 2, T0), got;
    rg_participant a, b, again, p;
    create_ok(f->st, &r);
    assert_int_equal(join(f->st, r.sid, "alice", 1, T0 + 1, &a), RG_OK);
    assert_string_equal(a.room_sid, r.sid);
    assert_string_equal(a.account_sid, AC1);
    assert_true(a.connected);
    assert_int_equal(a.start_time, T0 + 1);
    assert_int_equal(join(f->st, r.sid, "bob", 2, T0 + 2, &b), RG_OK);
    assert_int_equal(join(f->st, r.sid, "carol", 3, T0 + 3, NULL), RG_EFULL);
    /* the same identity again replaces the old connection, no seat needed */
    assert_int_equal(join(f->st, r.sid, "alice", 4, T0 + 4, &again), RG_OK);
    assert_int_equal(rg_store_participant_get(f->st, r.sid, a.sid, &p), RG_OK);
    assert_false(p.connected);
    assert_int_equal(p.end_time, T0 + 4);
    assert_int_equal(rg_store_participant_get(f->st, r.sid, "alice", &p), RG_OK);
    assert_string_equal(p.sid, again.sid); /* by identity: the connected one */

    assert_int_equal(rg_store_participant_leave(f->st, b.sid, T0 + 5), RG_OK);
    assert_int_equal(rg_store_participant_leave(f->st, b.sid, T0 + 6), RG_OK); /* idempotent */
    assert_int_equal(rg_store_participant_get(f->st, r.sid, b.sid, &p), RG_OK);
    assert_int_equal(p.end_time, T0 + 5);
    assert_int_equal(rg_store_room_get(f->st, AC1, r.sid, &got), RG_OK);
    assert_int_equal(got.last_left, T0 + 5);
    assert_int_equal(got.ever_joined, 1);
    assert_int_equal(join(f->st, r.sid, "carol", 5, T0 + 7, NULL), RG_OK); /* seat freed */

    char missing[RG_SID_SIZE];
    pa_sid(missing, 999);
    assert_int_equal(rg_store_participant_leave(f->st, missing, T0), RG_ENOTFOUND);
    assert_int_equal(rg_store_participant_get(f->st, r.sid, "nobody", &p), RG_ENOTFOUND);
    assert_int_equal(join(f->st, "RM0000000000000000000000000000dead", "x", 6, T0, NULL),
                     RG_ENOTFOUND);
    assert_int_equal(join(f->st, r.sid, "", 7, T0, NULL), RG_EINVAL);
    char not_pa[RG_SID_SIZE] = "SK00000000000000000000000000000001";
    assert_int_equal(rg_store_participant_join(f->st, r.sid, "x", not_pa, T0, NULL), RG_EINVAL);

    /* completing disconnects everyone; a completed room takes nobody */
    assert_int_equal(rg_store_room_complete(f->st, AC1, r.sid, T0 + 8), RG_OK);
    assert_int_equal(rg_store_room_complete(f->st, AC1, r.sid, T0 + 9), RG_OK);
    assert_int_equal(rg_store_room_get(f->st, AC1, r.sid, &got), RG_OK);
    assert_int_equal(got.end_time, T0 + 8); /* completing twice keeps the first end */
    assert_int_equal(rg_store_participant_get(f->st, r.sid, "carol", &p), RG_OK);
    assert_false(p.connected);
    assert_int_equal(p.end_time, T0 + 8);
    assert_int_equal(join(f->st, r.sid, "dave", 8, T0 + 9, NULL), RG_EGONE);
}

static void test_participant_list_and_was_in(void **state)
{
    fixture *f = *state;
    rg_room r = new_room(AC1, "l", RG_ROOM_GROUP, 10, T0);
    rg_participant out[4];
    size_t count;
    int more;
    create_ok(f->st, &r);
    assert_int_equal(join(f->st, r.sid, "a", 1, T0 + 1, &out[0]), RG_OK);
    assert_int_equal(join(f->st, r.sid, "b", 2, T0 + 2, NULL), RG_OK);
    assert_int_equal(join(f->st, r.sid, "c", 3, T0 + 3, NULL), RG_OK);
    assert_int_equal(rg_store_participant_leave(f->st, out[0].sid, T0 + 4), RG_OK);
    assert_int_equal(rg_store_participant_list(f->st, r.sid, -1, 0, 2, out, &count, &more), RG_OK);
    assert_int_equal(count, 2);
    assert_true(more);
    assert_string_equal(out[0].identity, "a"); /* join order */
    assert_string_equal(out[1].identity, "b");
    assert_int_equal(rg_store_participant_list(f->st, r.sid, 1, 0, 4, out, &count, &more), RG_OK);
    assert_int_equal(count, 2);
    assert_false(more);
    assert_int_equal(rg_store_participant_list(f->st, r.sid, 0, 0, 4, out, &count, &more), RG_OK);
    assert_int_equal(count, 1);
    assert_string_equal(out[0].identity, "a");
    assert_int_equal(rg_store_participant_list(f->st, r.sid, 2, 0, 4, out, &count, &more),
                     RG_EINVAL);
    assert_int_equal(rg_store_participant_was_in(f->st, AC1, r.sid, "a"), 1);
    assert_int_equal(rg_store_participant_was_in(f->st, AC1, r.sid, "zed"), 0);
    /* scoped by account: AC2 asking about AC1's room learns nothing */
    assert_int_equal(rg_store_participant_was_in(f->st, AC2, r.sid, "a"), 0);
    assert_int_equal(rg_store_participant_was_in(f->st, NULL, r.sid, "a"), RG_EINVAL);
}

/* ---- lifecycle ---- */

typedef struct {
    int n;
    char sids[40][RG_SID_SIZE];
} seen;

static void on_completed(void *ud, const rg_room *r)
{
    seen *s = ud;
    assert_int_equal(r->status, RG_ROOM_COMPLETED);
    if (s->n < 40) strcpy(s->sids[s->n], r->sid);
    s->n++;
}

static void test_sweep(void **state)
{
    fixture *f = *state;
    rg_room unused = new_room(AC1, "unused", RG_ROOM_GROUP, 5, T0);
    rg_room busy = new_room(AC1, "busy", RG_ROOM_GROUP, 5, T0);
    rg_room left = new_room(AC1, "left", RG_ROOM_GROUP, 5, T0), got;
    rg_participant p;
    seen s = {0};
    unused.unused_room_timeout = 2;
    left.empty_room_timeout = 3;
    create_ok(f->st, &unused);
    create_ok(f->st, &busy);
    create_ok(f->st, &left);
    assert_int_equal(join(f->st, busy.sid, "stays", 1, T0 + 1, NULL), RG_OK);
    assert_int_equal(join(f->st, left.sid, "goes", 2, T0 + 1, &p), RG_OK);
    assert_int_equal(rg_store_participant_leave(f->st, p.sid, T0 + 100), RG_OK);

    /* unit = 10 s: unused completes at T0 + 20, left at T0 + 100 + 30 */
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 19, 10, on_completed, &s), 0);
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 20, 10, on_completed, &s), 1);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.sids[0], unused.sid);
    assert_int_equal(rg_store_room_get(f->st, AC1, unused.sid, &got), RG_OK);
    assert_int_equal(got.status, RG_ROOM_COMPLETED);
    assert_int_equal(got.end_time, T0 + 20);
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 129, 10, NULL, NULL), 0);
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 130, 10, on_completed, &s), 1);
    assert_string_equal(s.sids[1], left.sid);
    /* a room with someone connected never times out */
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 100000, 60, NULL, NULL), 0);
    assert_int_equal(rg_store_room_get(f->st, AC1, busy.sid, &got), RG_OK);
    assert_int_equal(got.status, RG_ROOM_IN_PROGRESS);
    assert_int_equal(rg_store_room_sweep(f->st, T0, 0, NULL, NULL), RG_EINVAL);
}

static void test_sweep_many(void **state)
{
    fixture *f = *state;
    seen s = {0};
    char name[32];
    for (int i = 0; i < 40; i++) { /* more than one batch */
        snprintf(name, sizeof name, "m%d", i);
        rg_room r = new_room(AC2, name, RG_ROOM_GROUP, 5, T0);
        create_ok(f->st, &r);
    }
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 300, 60, on_completed, &s), 40);
    assert_int_equal(s.n, 40);
    assert_int_equal(rg_store_room_sweep(f->st, T0 + 300, 60, on_completed, &s), 0);
}

/* ---- kicks and revocations ---- */

typedef struct {
    int n;
    rg_revocation last;
} rev_seen;

static int count_rev(void *ud, const rg_revocation *r)
{
    rev_seen *s = ud;
    s->n++;
    s->last = *r;
    return 0;
}

static void test_kick_and_revocations(void **state)
{
    fixture *f = *state;
    rg_room r = new_room(AC1, "kick-me", RG_ROOM_GROUP, 5, T0), got;
    rg_participant p, k;
    rev_seen rs = {0};
    create_ok(f->st, &r);
    assert_int_equal(join(f->st, r.sid, "mallory", 1, T0 + 1, &p), RG_OK);
    assert_int_equal(rg_store_revoked(f->st, AC1, r.sid, "mallory", T0), 0);
    assert_int_equal(rg_store_participant_kick(f->st, r.sid, "mallory", T0 + 10, &k), RG_OK);
    assert_string_equal(k.sid, p.sid);
    assert_false(k.connected);
    assert_int_equal(k.end_time, T0 + 10);
    assert_int_equal(rg_store_room_get(f->st, AC1, r.sid, &got), RG_OK);
    assert_int_equal(got.last_left, T0 + 10);

    /* issued at or before the kick: revoked, by SID and by name; later: not */
    assert_int_equal(rg_store_revoked(f->st, AC1, r.sid, "mallory", T0 + 10), 1);
    assert_int_equal(rg_store_revoked(f->st, AC1, "kick-me", "mallory", T0 + 3), 1);
    assert_int_equal(rg_store_revoked(f->st, AC1, "kick-me", "mallory", T0 + 11), 0);
    assert_int_equal(rg_store_revoked(f->st, AC1, "kick-me", "alice", T0), 0);
    assert_int_equal(rg_store_revoked(f->st, AC2, "kick-me", "mallory", T0), 0);

    /* kicking again (by SID, already disconnected) moves the cut-off forward */
    assert_int_equal(rg_store_participant_kick(f->st, r.sid, p.sid, T0 + 20, &k), RG_OK);
    assert_int_equal(k.end_time, T0 + 10);
    assert_int_equal(rg_store_revoked(f->st, AC1, r.sid, "mallory", T0 + 15), 1);
    assert_int_equal(rg_store_revocation_add(f->st, AC1, r.sid, "mallory", T0 + 5), RG_OK);
    assert_int_equal(rg_store_revoked(f->st, AC1, r.sid, "mallory", T0 + 15), 1); /* never back */
    assert_int_equal(rg_store_participant_kick(f->st, r.sid, "ghost", T0, &k), RG_ENOTFOUND);

    /* revocation_add: only for a room of that account */
    assert_int_equal(rg_store_revocation_add(f->st, AC2, r.sid, "eve", T0), RG_ENOTFOUND);
    assert_int_equal(rg_store_revocation_add(f->st, AC1, r.sid, "eve", T0 + 30), RG_OK);
    assert_int_equal(rg_store_revocation_each(f->st, count_rev, &rs), RG_OK);
    assert_int_equal(rs.n, 2);
    assert_string_equal(rs.last.room_name, "kick-me");
    assert_string_equal(rs.last.account_sid, AC1);
}

static void test_revcache(void **state)
{
    fixture *f = *state;
    rg_room r = new_room(AC1, "cached", RG_ROOM_GROUP, 5, T0);
    rg_revcache *rc;
    rg_store *other;
    create_ok(f->st, &r);
    assert_int_equal(rg_revcache_new(f->st, &rc), RG_OK);
    assert_int_equal(rg_revcache_revoked(rc, AC1, "cached", "x", T0), 0);

    /* add: this process's own kick, both spellings of the room */
    rg_revocation rev;
    memset(&rev, 0, sizeof rev);
    strcpy(rev.account_sid, AC1);
    strcpy(rev.room_sid, r.sid);
    strcpy(rev.room_name, "cached");
    strcpy(rev.identity, "x");
    rev.before = T0 + 10;
    assert_int_equal(rg_revcache_add(rc, &rev), RG_OK);
    assert_int_equal(rg_revcache_revoked(rc, AC1, "cached", "x", T0 + 10), 1);
    assert_int_equal(rg_revcache_revoked(rc, AC1, r.sid, "x", T0), 1);
    assert_int_equal(rg_revcache_revoked(rc, AC1, r.sid, "x", T0 + 11), 0);
    assert_int_equal(rg_revcache_revoked(rc, AC2, r.sid, "x", T0), 0);
    assert_int_equal(rg_revcache_revoked(rc, AC1, "cache", "dx", T0), 0); /* no key confusion */
    assert_int_equal(rg_revcache_revoked(rc, AC1, NULL, "x", T0), 0);

    /* another connection's write is seen by poll (change mark), and a
     * reload replaces what add put in with what the store holds */
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    char name[32];
    for (int i = 0; i < 40; i++) { /* enough to grow the table */
        snprintf(name, sizeof name, "id%d", i);
        assert_int_equal(rg_store_revocation_add(other, AC1, r.sid, name, T0 + 50), RG_OK);
    }
    rg_store_close(other);
    assert_int_equal(rg_revcache_revoked(rc, AC1, "cached", "id7", T0), 0);
    assert_int_equal(rg_revcache_poll(rc), RG_OK);
    assert_int_equal(rg_revcache_revoked(rc, AC1, "cached", "id7", T0 + 50), 1);
    assert_int_equal(rg_revcache_revoked(rc, AC1, r.sid, "id39", T0 + 49), 1);
    assert_int_equal(rg_revcache_revoked(rc, AC1, r.sid, "x", T0), 0); /* not in the store */
    assert_int_equal(rg_revcache_poll(rc), RG_OK);                     /* no change: no reload */
    rg_revcache_free(rc);
}

/* ---- concurrency ---- */

#define RACERS 8
#define RACE_ROOMS 6

/* Seats decided in one transaction: the capacity is counted after every
 * seat before it, a refused seat leaves no row and does not stop the
 * others, the same identity twice keeps the later one. */
static void test_join_batch(void **state)
{
    fixture *f = *state;
    rg_room go = new_room(AC1, "batch-go", RG_ROOM_GO, 2, T0),
            done = new_room(AC1, "batch-done", RG_ROOM_GO, 2, T0),
            group = new_room(AC1, "batch-group", RG_ROOM_GROUP, 10, T0), got;
    char sids[9][RG_SID_SIZE];
    rg_participant p, out[8];
    size_t count;
    int more;
    create_ok(f->st, &go);
    create_ok(f->st, &done);
    create_ok(f->st, &group);
    assert_int_equal(rg_store_room_complete(f->st, AC1, done.sid, T0), RG_OK);
    for (unsigned i = 0; i < 9; i++)
        pa_sid(sids[i], 700 + i);
    rg_seat seats[] = {
        {go.sid, "alice", sids[0], T0 + 1, -1, NULL, 0}, /* seat 1 */
        {done.sid, "bob", sids[1], T0 + 1, -1, NULL, 0}, /* completed: refused */
        {go.sid, "bob", sids[2], T0 + 1, -1, NULL, 0},   /* seat 2 */
        {go.sid, "carol", sids[3], T0 + 1, -1, NULL, 0}, /* full */
        {go.sid, "alice", sids[4], T0 + 2, -1, NULL, 0}, /* replaces seat 1 */
        {go.sid, "", sids[5], T0 + 2, -1, NULL, 0},      /* bad identity */
        {"RM0000000000000000000000000000dead", "dave", sids[6], T0 + 2, -1, NULL, 0},
        {group.sid, "erin", sids[7], T0 + 2, -1, NULL, 0},
        {group.sid, "frank", sids[2], T0 + 2, -1, NULL, 0}, /* the sid of seat 2: refused */
        {group.sid, "gina", sids[8], T0 + 2, -1, NULL, 0},  /* and the batch goes on */
    };
    rg_store_participant_join_batch(f->st, seats, 10);
    assert_int_equal(seats[0].rc, RG_OK);
    assert_int_equal(seats[1].rc, RG_EGONE);
    assert_int_equal(seats[2].rc, RG_OK);
    assert_int_equal(seats[3].rc, RG_EFULL);
    assert_int_equal(seats[4].rc, RG_OK);
    assert_int_equal(seats[5].rc, RG_EINVAL);
    assert_int_equal(seats[6].rc, RG_ENOTFOUND);
    assert_int_equal(seats[7].rc, RG_OK);
    assert_int_equal(seats[8].rc, RG_EEXIST);
    assert_int_equal(seats[9].rc, RG_OK);
    /* committed: another connection sees it (the REST routes read so) */
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_store_participant_list(other, go.sid, 1, 0, 8, out, &count, &more), RG_OK);
    assert_int_equal(count, 2);
    assert_string_equal(out[0].sid, sids[2]);
    assert_string_equal(out[1].sid, sids[4]);
    assert_int_equal(rg_store_participant_get(other, go.sid, sids[0], &p), RG_OK);
    assert_false(p.connected);
    assert_int_equal(p.end_time, T0 + 2);
    assert_int_equal(rg_store_participant_get(other, go.sid, sids[3], &p), RG_ENOTFOUND);
    assert_int_equal(rg_store_participant_list(other, done.sid, -1, 0, 8, out, &count, &more),
                     RG_OK);
    assert_int_equal(count, 0);
    assert_int_equal(rg_store_participant_list(other, group.sid, -1, 0, 8, out, &count, &more),
                     RG_OK);
    assert_int_equal(count, 2); /* erin and gina: nothing of frank's */
    assert_string_equal(out[0].identity, "erin");
    assert_string_equal(out[1].identity, "gina");
    assert_int_equal(rg_store_room_get(other, AC1, go.sid, &got), RG_OK);
    assert_int_equal(got.ever_joined, 1);
    rg_store_close(other);
    rg_store_participant_join_batch(f->st, seats, 0); /* nothing to do */
}

static void count_writes(void *ud, int write, uint64_t micros)
{
    (void)micros;
    if (write) ++*(int *)ud;
}

/* The leaves of a loop turn: one write transaction for them all, each
 * decided as rg_store_participant_leave (row disconnected, its room's
 * last_left stamped; no such participant is RG_ENOTFOUND and the others
 * go on; a second leave changes nothing). */
static void test_leave_batch(void **state)
{
    fixture *f = *state;
    rg_room a = new_room(AC1, "leave-a", RG_ROOM_GO, 4, T0),
            b = new_room(AC1, "leave-b", RG_ROOM_GO, 4, T0), got;
    rg_participant p[3], q;
    char missing[RG_SID_SIZE];
    int writes = 0;
    create_ok(f->st, &a);
    create_ok(f->st, &b);
    assert_int_equal(join(f->st, a.sid, "ann", 1, T0 + 1, &p[0]), RG_OK);
    assert_int_equal(join(f->st, b.sid, "bea", 2, T0 + 1, &p[1]), RG_OK);
    assert_int_equal(join(f->st, a.sid, "cy", 3, T0 + 1, &p[2]), RG_OK);
    pa_sid(missing, 998);
    rg_leave leaves[] = {{p[0].sid, T0 + 5, -1},
                         {missing, T0 + 5, -1},
                         {p[1].sid, T0 + 6, -1},
                         {p[0].sid, T0 + 7, -1}};
    rg_store_set_timer(f->st, count_writes, &writes);
    rg_store_participant_leave_batch(f->st, leaves, 4);
    rg_store_set_timer(f->st, NULL, NULL);
    assert_int_equal(writes, 1); /* one transaction, not one per leave */
    assert_int_equal(leaves[0].rc, RG_OK);
    assert_int_equal(leaves[1].rc, RG_ENOTFOUND);
    assert_int_equal(leaves[2].rc, RG_OK);
    assert_int_equal(leaves[3].rc, RG_OK); /* idempotent */
    /* committed: another connection sees it */
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_store_participant_get(other, a.sid, p[0].sid, &q), RG_OK);
    assert_false(q.connected);
    assert_int_equal(q.end_time, T0 + 5);
    assert_int_equal(rg_store_participant_get(other, b.sid, p[1].sid, &q), RG_OK);
    assert_false(q.connected);
    assert_int_equal(q.end_time, T0 + 6);
    assert_int_equal(rg_store_participant_get(other, a.sid, p[2].sid, &q), RG_OK);
    assert_true(q.connected);
    assert_int_equal(rg_store_room_get(other, AC1, a.sid, &got), RG_OK);
    assert_int_equal(got.last_left, T0 + 5);
    assert_int_equal(rg_store_room_get(other, AC1, b.sid, &got), RG_OK);
    assert_int_equal(got.last_left, T0 + 6);
    rg_store_close(other);
    rg_store_participant_leave_batch(f->st, leaves, 0); /* nothing to do */
}

/* Seats that open their room (rg_seat.open, a join's auto-create): the
 * room is created in the batch's transaction, once, under the caller's
 * sid; a room of that name opened first under another sid is RG_EEXIST and
 * nothing of that seat is written; a refused seat takes its room with it;
 * the capacity of a room opened in the batch is exact. */
static void test_join_batch_opens(void **state)
{
    fixture *f = *state;
    rg_room a = new_room(AC1, "open-a", RG_ROOM_GROUP, 2, T0), other = a, b, c, got, named[4];
    rg_participant out[8];
    size_t count;
    int more;
    char sids[7][RG_SID_SIZE];
    memcpy(a.sid, "RM000000000000000000000000000000a1", RG_SID_SIZE);
    memcpy(other.sid, "RM000000000000000000000000000000a2", RG_SID_SIZE);
    b = new_room(AC1, "open-b", RG_ROOM_GROUP, 5, T0);
    memcpy(b.sid, "RM000000000000000000000000000000b1", RG_SID_SIZE);
    c = new_room(AC1, "open-c", RG_ROOM_GROUP, 5, T0);
    memcpy(c.sid, "RM000000000000000000000000000000c1", RG_SID_SIZE);
    for (unsigned i = 0; i < 7; i++)
        pa_sid(sids[i], 900 + i);
    rg_seat seats[] = {
        {a.sid, "ann", sids[0], T0, -1, &a, 0},         /* creates open-a */
        {a.sid, "bob", sids[1], T0, -1, &a, 0},         /* the same room: seat 2 */
        {other.sid, "cat", sids[2], T0, -1, &other, 0}, /* open-a is another: RG_EEXIST */
        {a.sid, "dan", sids[3], T0, -1, &a, 0},         /* full (2) */
        {b.sid, "", sids[4], T0, -1, &b, 0},            /* bad identity: no open-b either */
        {c.sid, "eve", sids[5], T0, -1, &b, 0},         /* open names another sid: RG_EINVAL */
        {c.sid, "fay", sids[6], T0, -1, &c, 0},         /* creates open-c */
    };
    rg_store_participant_join_batch(f->st, seats, 7);
    assert_int_equal(seats[0].rc, RG_OK);
    assert_int_equal(seats[1].rc, RG_OK);
    assert_int_equal(seats[2].rc, RG_EEXIST);
    assert_int_equal(seats[3].rc, RG_EFULL);
    assert_int_equal(seats[4].rc, RG_EINVAL);
    assert_int_equal(seats[5].rc, RG_EINVAL);
    assert_int_equal(seats[6].rc, RG_OK);
    rg_store *o = NULL; /* committed: another connection sees it */
    assert_int_equal(rg_store_open(f->path, &o), RG_OK);
    assert_int_equal(rg_store_room_get(o, AC1, "open-a", &got), RG_OK);
    assert_string_equal(got.sid, a.sid);
    assert_int_equal(got.status, RG_ROOM_IN_PROGRESS);
    assert_int_equal(got.max_participants, 2);
    assert_int_equal(got.ever_joined, 1);
    assert_int_equal(rg_store_room_get(o, AC1, other.sid, &got), RG_ENOTFOUND);
    assert_int_equal(rg_store_room_get(o, AC1, "open-b", &got), RG_ENOTFOUND);
    assert_int_equal(rg_store_room_get(o, AC1, "open-c", &got), RG_OK);
    assert_string_equal(got.sid, c.sid);
    assert_int_equal(rg_store_participant_list(o, a.sid, 1, 0, 8, out, &count, &more), RG_OK);
    assert_int_equal(count, 2);
    assert_string_equal(out[0].identity, "ann");
    assert_string_equal(out[1].identity, "bob");
    assert_int_equal(rg_store_room_list(o, AC1, 0, "open-a", 0, 4, named, &count, &more), RG_OK);
    assert_int_equal(count, 1);
    rg_store_close(o);
    /* the batch opened rooms: its seats are told only once the store has
     * made it durable up to their point; a batch after it waits for the
     * same point, one after the sync for none (on PostgreSQL every
     * commit is durable at once: nobody waits, the point is 0 throughout) */
    int64_t point = seats[0].durable;
    if (rg_tb_commits_durable())
        assert_int_equal(point, 0);
    else
        assert_true(point > 0);
    assert_int_equal(seats[6].durable, point);
    assert_int_equal(seats[2].durable, 0); /* refused: nobody to tell */
    pa_sid(sids[1], 960);
    pa_sid(sids[2], 961);
    rg_seat light = {c.sid, "hal", sids[1], T0, -1, NULL, 0};
    rg_store_participant_join_batch(f->st, &light, 1);
    assert_int_equal(light.rc, RG_OK);
    assert_int_equal(light.durable, point);
    assert_int_equal(rg_store_sync(f->st, point), RG_OK);
    light = (rg_seat){c.sid, "ivy", sids[2], T0, -1, NULL, 0};
    rg_store_participant_join_batch(f->st, &light, 1);
    assert_int_equal(light.rc, RG_OK);
    assert_int_equal(light.durable, 0);
    /* a room with that sid, since completed: a new open of it is RG_EEXIST */
    assert_int_equal(rg_store_room_complete(f->st, AC1, c.sid, T0 + 1), RG_OK);
    pa_sid(sids[0], 950);
    rg_seat again = {c.sid, "gus", sids[0], T0 + 1, -1, &c, 0};
    rg_store_participant_join_batch(f->st, &again, 1);
    assert_int_equal(again.rc, RG_EEXIST);
}

/* kill -9 right after the batch answered: the room it opened is there
 * after a restart (the batch commits before it returns). */
static void test_join_batch_open_survives_kill(void **state)
{
    fixture *f = *state;
    rg_room r = new_room(AC1, "open-kill", RG_ROOM_GROUP, 5, T0), got;
    memcpy(r.sid, "RM000000000000000000000000000000d1", RG_SID_SIZE);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        rg_store *st = NULL;
        char sid[RG_SID_SIZE];
        pa_sid(sid, 990);
        rg_seat s = {r.sid, "kim", sid, T0, -1, &r, 0};
        if (rg_store_open(f->path, &st) == RG_OK) rg_store_participant_join_batch(st, &s, 1);
        char rc = (char)s.rc; /* the answer, then killed before anything else */
        if (write(fds[1], &rc, 1) != 1) _exit(1);
        for (;;)
            pause();
    }
    char rc = 1;
    assert_int_equal(read(fds[0], &rc, 1), 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(rc, RG_OK);
    rg_store *o = NULL;
    assert_int_equal(rg_store_open(f->path, &o), RG_OK);
    assert_int_equal(rg_store_room_get(o, AC1, "open-kill", &got), RG_OK);
    assert_string_equal(got.sid, r.sid);
    rg_store_close(o);
}

typedef struct {
    const char *path;
    const char *room;
    int index;
    pthread_barrier_t *go;
    int rc;
} racer;

/* Each thread opens its own connection, as a second process would. */
static void *race(void *arg)
{
    racer *r = arg;
    rg_store *st = NULL;
    char identity[16];
    if (rg_store_open(r->path, &st) != RG_OK) {
        r->rc = RG_EIO;
        pthread_barrier_wait(r->go);
        return NULL;
    }
    snprintf(identity, sizeof identity, "racer-%d", r->index);
    pthread_barrier_wait(r->go);
    r->rc = join(st, r->room, identity, 1000u + (unsigned)r->index + 100u * (unsigned)r->index, T0,
                 NULL);
    rg_store_close(st);
    return NULL;
}

static void test_concurrent_joins_last_seat(void **state)
{
    fixture *f = *state;
    for (int round = 0; round < RACE_ROOMS; round++) {
        char name[32];
        snprintf(name, sizeof name, "race-%d", round);
        rg_room room = new_room(AC1, name, RG_ROOM_GO, 2, T0);
        create_ok(f->st, &room);
        pthread_t tids[RACERS];
        racer rs[RACERS];
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, RACERS);
        for (int i = 0; i < RACERS; i++) {
            rs[i] =
                (racer){.path = f->path, .room = room.sid, .index = i + round * RACERS, .go = &go};
            assert_int_equal(pthread_create(&tids[i], NULL, race, &rs[i]), 0);
        }
        int won = 0, full = 0;
        for (int i = 0; i < RACERS; i++) {
            pthread_join(tids[i], NULL);
            won += rs[i].rc == RG_OK;
            full += rs[i].rc == RG_EFULL;
        }
        pthread_barrier_destroy(&go);
        assert_int_equal(won, 2);
        assert_int_equal(full, RACERS - 2);
        rg_participant out[RACERS];
        size_t count;
        int more;
        assert_int_equal(
            rg_store_participant_list(f->st, room.sid, 1, 0, RACERS, out, &count, &more), RG_OK);
        assert_int_equal(count, 2);
    }
}

static rg_live_ref live_ref(const char *account, const char *room, const char *member)
{
    rg_live_ref r;
    memset(&r, 0, sizeof r);
    snprintf(r.account_sid, sizeof r.account_sid, "%s", account);
    snprintf(r.room_sid, sizeof r.room_sid, "%s", room);
    snprintf(r.participant_sid, sizeof r.participant_sid, "%s", member ? member : "");
    return r;
}

/* rg_store_live_ended (signal/sync.c's one call; PostgreSQL answers it in
 * two statements, SQLite with a lookup each): a completed room and a member
 * who left are ended; a live room, a connected member, and what is not
 * there (or is no SID) are not; more refs than one statement takes. */
static void test_live_ended(void **state)
{
    fixture *f = *state;
    rg_room live = new_room(AC1, "live", RG_ROOM_GROUP, 10, T0);
    rg_room done = new_room(AC1, "done", RG_ROOM_GROUP, 10, T0);
    rg_participant a, b, c;
    create_ok(f->st, &live);
    create_ok(f->st, &done);
    assert_int_equal(join(f->st, live.sid, "alice", 1, T0 + 1, &a), RG_OK);
    assert_int_equal(join(f->st, live.sid, "bob", 2, T0 + 2, &b), RG_OK);
    assert_int_equal(join(f->st, done.sid, "carol", 3, T0 + 3, &c), RG_OK);
    assert_int_equal(rg_store_participant_leave(f->st, b.sid, T0 + 4), RG_OK);
    assert_int_equal(rg_store_room_complete(f->st, AC1, done.sid, T0 + 5), RG_OK);

    enum { N = 2500 }; /* past one statement's 1,024 SIDs */
    rg_live_ref *refs = calloc(N, sizeof *refs);
    unsigned char *ended = malloc(N);
    assert_non_null(refs);
    assert_non_null(ended);
    size_t n = 0;
    refs[n++] = live_ref(AC1, live.sid, NULL);
    refs[n++] = live_ref(AC1, done.sid, NULL);
    refs[n++] = live_ref(AC1, "RM0000000000000000000000000000dead", NULL);
    refs[n++] = live_ref(AC1, "RM'; DROP TABLE rooms; --", NULL);
    refs[n++] = live_ref(AC1, live.sid, a.sid);
    refs[n++] = live_ref(AC1, live.sid, b.sid);
    refs[n++] = live_ref(AC1, done.sid, c.sid);
    while (n < N - 2) {
        char pa[RG_SID_SIZE];
        pa_sid(pa, 1000 + (unsigned)n);
        refs[n++] = live_ref(AC1, live.sid, pa); /* never joined */
    }
    refs[n++] = live_ref(AC1, live.sid, "PA\"},{x");
    refs[n++] = live_ref(AC1, live.sid, b.sid); /* past the first statement too */
    memset(ended, 7, N);
    assert_int_equal(rg_store_live_ended(f->st, refs, n, ended), RG_OK);
    const unsigned char want[7] = {0, 1, 0, 0, 0, 1, 1};
    assert_memory_equal(ended, want, sizeof want);
    for (size_t i = 7; i < n - 1; i++)
        assert_int_equal(ended[i], 0);
    assert_int_equal(ended[n - 1], 1);
    rg_room still;
    assert_int_equal(rg_store_room_get(f->st, AC1, live.sid, &still), RG_OK);
    free(refs);
    free(ended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_defaults_and_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_unique_while_in_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_or_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_leave_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_participant_list_and_was_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kick_and_revocations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revcache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_joins_last_seat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leave_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_batch_opens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_batch_open_survives_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_ended, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

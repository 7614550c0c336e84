/* test_pgrooms.c - rooms and seats on PostgreSQL with several nodes (each
 * node a handle, i.e. a database session of its own): what the interface
 * tests (test_rooms.c, also run here) cannot see.  A join waits for
 * another node's transaction holding the room and then counts its seat
 * (the room row lock, not the change counter, keeps capacity exact); a
 * starting node frees only the seats of sessions that are gone, never a
 * live node's. */
#include "unit.h"

#include <pthread.h>
#include <time.h>

#include "core/errors.h"
#include "store/pg/pg.h"
#include "store/rooms.h"
#include "store_fixture.h"

#define T0 1700000000

static int raw(rg_store *st, const char *sql)
{
    PGresult *r = PQexec(st->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "raw: %s: %s", sql, PQerrorMessage(st->conn));
    PQclear(r);
    return ok ? 0 : -1;
}

/* A raw statement with two text parameters. */
static int raw2(rg_store *st, const char *sql, const char *a, const char *b)
{
    const char *v[2] = {a, b};
    PGresult *r = PQexecParams(st->conn, sql, b ? 2 : 1, NULL, v, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "raw: %s: %s", sql, PQerrorMessage(st->conn));
    PQclear(r);
    return ok ? 0 : -1;
}

static int64_t count(rg_store *st, const char *sql)
{
    PGresult *r = PQexec(st->conn, sql);
    int64_t n = PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    return n;
}

static void go_room(rg_store *st, rg_room *room)
{
    rg_account a = make_account(1, "acme");
    assert_int_equal(rg_store_account_insert(st, &a), RG_OK);
    memset(room, 0, sizeof *room);
    strcpy(room->account_sid, a.sid);
    strcpy(room->unique_name, "two-seats");
    room->type = RG_ROOM_GO;
    room->empty_room_timeout = room->unused_room_timeout = 5;
    room->date_created = T0;
    assert_int_equal(rg_store_room_create(st, room), RG_OK);
}

static int join(rg_store *st, const rg_room *room, const char *identity, unsigned n)
{
    char pa[RG_SID_SIZE];
    make_sid(pa, "PA", n);
    return rg_store_participant_join(st, room->sid, identity, pa, T0 + 1, NULL);
}

typedef struct {
    rg_store *st;
    const rg_room *room;
    int rc;
} joiner;

static void *join_thread(void *ud)
{
    joiner *j = ud;
    j->rc = join(j->st, j->room, "carol", 3);
    return NULL;
}

/* Another node is in the middle of taking the last seat: it holds the
 * room and has written its seat, not committed.  Triggers are off in its
 * session, so the change counter (which happens to serialize writers
 * too) cannot stand in for the room lock.  A join on this node must wait
 * for that transaction (seen as a lock waiter) and then count its seat:
 * RG_EFULL.  Without the lock it would count one seat and admit a third. */
static void test_join_waits_for_the_room(void **state)
{
    fixture *f = *state;
    rg_room room;
    rg_store *other = NULL, *watch = NULL;
    go_room(f->st, &room);
    assert_int_equal(join(f->st, &room, "alice", 1), RG_OK);
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_store_open(f->path, &watch), RG_OK);
    assert_int_equal(raw(other, "SET session_replication_role = replica"), 0);
    assert_int_equal(raw(other, "BEGIN"), 0);
    assert_int_equal(raw2(other, "SELECT 1 FROM rooms WHERE sid = $1 FOR UPDATE", room.sid, NULL),
                     0);
    char pa[RG_SID_SIZE];
    make_sid(pa, "PA", 2);
    assert_int_equal(raw2(other,
                          "INSERT INTO participants(sid, room_sid, identity, connected, "
                          "start_time, end_time) VALUES($1, $2, 'bob', 1, 0, 0)",
                          pa, room.sid),
                     0);
    joiner j = {f->st, &room, 1};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, join_thread, &j), 0);
    /* until the join waits on a lock (bounded: it may also have finished,
     * which the assertion below catches) */
    int64_t waiting = 0;
    for (int i = 0; i < 1000 && waiting == 0; i++) {
        waiting = count(watch, "SELECT count(*) FROM pg_locks WHERE NOT granted");
        if (waiting == 0) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    assert_int_equal(waiting, 1);
    assert_int_equal(raw(other, "COMMIT"), 0);
    pthread_join(tid, NULL);
    assert_int_equal(j.rc, RG_EFULL);
    assert_int_equal(count(watch, "SELECT count(*) FROM participants WHERE connected = 1"), 2);
    rg_store_close(other);
    rg_store_close(watch);
}

/* Node A seats alice, node B seats bob; a third node starting frees
 * nobody (both sessions live).  Once A is gone (closed: PostgreSQL ends
 * its session, as when the process dies), the next start frees alice's
 * seat only, and stamps the room's last_left. */
static void test_disconnect_all_frees_dead_sessions_only(void **state)
{
    fixture *f = *state;
    rg_room room;
    rg_store *a = NULL, *b = NULL, *c = NULL;
    go_room(f->st, &room);
    assert_int_equal(rg_store_open(f->path, &a), RG_OK);
    assert_int_equal(rg_store_open(f->path, &b), RG_OK);
    assert_int_equal(join(a, &room, "alice", 1), RG_OK);
    assert_int_equal(join(b, &room, "bob", 2), RG_OK);
    int changed = -1;
    assert_int_equal(rg_store_open(f->path, &c), RG_OK);
    assert_int_equal(rg_store_participant_disconnect_all(c, T0 + 5, &changed), RG_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(join(c, &room, "carol", 3), RG_EFULL);
    rg_store_close(a);
    /* the backend may take a moment to end after the client left */
    for (int i = 0; i < 500 && changed == 0; i++) {
        assert_int_equal(rg_store_participant_disconnect_all(c, T0 + 9, &changed), RG_OK);
        if (changed == 0) nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    assert_int_equal(changed, 1);
    rg_participant p;
    assert_int_equal(rg_store_participant_get(c, room.sid, "alice", &p), RG_OK);
    assert_int_equal(p.connected, 0);
    assert_int_equal(p.end_time, T0 + 9);
    assert_int_equal(rg_store_participant_get(c, room.sid, "bob", &p), RG_OK);
    assert_int_equal(p.connected, 1);
    rg_room got;
    assert_int_equal(rg_store_room_get(c, room.account_sid, room.sid, &got), RG_OK);
    assert_int_equal(got.last_left, T0 + 9);
    assert_int_equal(join(c, &room, "carol", 3), RG_OK); /* the seat is free again */
    rg_store_close(b);
    rg_store_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_join_waits_for_the_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_all_frees_dead_sessions_only, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

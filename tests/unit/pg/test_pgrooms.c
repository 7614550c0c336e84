/* test_pgrooms.c - rooms and seats on PostgreSQL with several nodes (each
 * node a handle, i.e. a database session of its own): what the interface
 * tests (test_rooms.c, also run here) cannot see.  A join waits for
 * another node's transaction holding the room and then counts its seat
 * (the room row lock, not the change counter, keeps capacity exact); a
 * starting node frees only the seats of sessions that are gone, never a
 * live node's; the sweeper frees those of silent nodes (store/nodes.h). */
#include "unit.h"

#include <pthread.h>
#include <time.h>

#include "core/errors.h"
#include "store/pg/pg.h"
#include "store/nodes.h"
#include "store/rooms.h"
#include "store_fixture.h"

#define T0 1700000000

static int raw(rg_store *st, const char *sql)
{
    PGresult *r = PQexec(st->links[0].conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "raw: %s: %s", sql, PQerrorMessage(st->links[0].conn));
    PQclear(r);
    return ok ? 0 : -1;
}

/* A raw statement with two text parameters. */
static int raw2(rg_store *st, const char *sql, const char *a, const char *b)
{
    const char *v[2] = {a, b};
    PGresult *r = PQexecParams(st->links[0].conn, sql, b ? 2 : 1, NULL, v, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "raw: %s: %s", sql, PQerrorMessage(st->links[0].conn));
    PQclear(r);
    return ok ? 0 : -1;
}

static int64_t count(rg_store *st, const char *sql)
{
    PGresult *r = PQexec(st->links[0].conn, sql);
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

typedef struct {
    int n;
    rg_participant last;
} seen_seats;

static void seat_seen(void *ud, const rg_participant *p)
{
    seen_seats *s = ud;
    s->n++;
    s->last = *p;
}

/* Dead nodes (store/nodes.h): node A seats alice, node B seats bob.  A
 * sweep by B with a long timeout frees nobody.  A falls silent (its last
 * beat pushed back: the heartbeat's clock is the database's); B's sweep
 * frees alice's seat only, with her participant-disconnected event and
 * the room's last_left, hands her to the callback and marks A down; A's
 * next beat learns it had been declared dead.  Bob's seat is never freed
 * by its own node's sweep, nor while B beats; the CLI's seats (no node)
 * never.  A node that stopped has what it left freed at once. */
static void test_sweep_frees_silent_nodes_seats(void **state)
{
    fixture *f = *state;
    rg_room room;
    rg_store *a = NULL, *b = NULL;
    seen_seats seen = {0};
    int was_down = -1;
    go_room(f->st, &room);
    assert_int_equal(raw(f->st, "UPDATE rooms SET status_callback = 'https://hooks.test/cb'"), 0);
    assert_int_equal(rg_store_open(f->path, &a), RG_OK);
    assert_int_equal(rg_store_open(f->path, &b), RG_OK);
    assert_int_equal(rg_store_node_beat(a, "host-a:1:aaaa", RG_NODE_UP, &was_down), RG_OK);
    assert_int_equal(was_down, 0);
    assert_int_equal(rg_store_node_beat(b, "host-b:2:bbbb", RG_NODE_UP, NULL), RG_OK);
    assert_int_equal(rg_store_node_beat(a, "bad id", RG_NODE_UP, NULL), RG_EINVAL);
    assert_int_equal(join(a, &room, "alice", 1), RG_OK);
    assert_int_equal(join(b, &room, "bob", 2), RG_OK);
    assert_int_equal(count(f->st, "SELECT count(*) FROM participants WHERE node = 'host-a:1:aaaa'"),
                     1);
    /* everyone beats: nothing to free */
    assert_int_equal(rg_store_node_sweep(b, "host-b:2:bbbb", 60000, T0 + 5, seat_seen, &seen), 0);
    assert_int_equal(seen.n, 0);
    /* A silent for 20 s; B's own sweep of a 60 s timeout still waits */
    assert_int_equal(raw(f->st, "UPDATE nodes SET last_seen = last_seen - 20000 "
                                "WHERE id = 'host-a:1:aaaa'"),
                     0);
    assert_int_equal(rg_store_node_sweep(b, "host-b:2:bbbb", 60000, T0 + 5, seat_seen, &seen), 0);
    /* a 10 s timeout: alice's seat is freed, by B, never bob's */
    int64_t events = count(f->st, "SELECT count(*) FROM webhook_outbox WHERE "
                                  "event = 'participant-disconnected'");
    assert_int_equal(rg_store_node_sweep(a, "host-a:1:aaaa", 10000, T0 + 7, seat_seen, &seen), 0);
    assert_int_equal(rg_store_node_sweep(b, "host-b:2:bbbb", 10000, T0 + 7, seat_seen, &seen), 1);
    assert_int_equal(seen.n, 1);
    assert_string_equal(seen.last.identity, "alice");
    assert_string_equal(seen.last.room_sid, room.sid);
    assert_string_equal(seen.last.account_sid, room.account_sid);
    assert_int_equal(count(f->st, "SELECT count(*) FROM webhook_outbox WHERE "
                                  "event = 'participant-disconnected'"),
                     events + 1);
    rg_participant p;
    assert_int_equal(rg_store_participant_get(b, room.sid, "alice", &p), RG_OK);
    assert_int_equal(p.connected, 0);
    assert_int_equal(p.end_time, T0 + 7);
    assert_int_equal(rg_store_participant_get(b, room.sid, "bob", &p), RG_OK);
    assert_int_equal(p.connected, 1);
    rg_room got;
    assert_int_equal(rg_store_room_get(b, room.account_sid, room.sid, &got), RG_OK);
    assert_int_equal(got.last_left, T0 + 7);
    assert_int_equal(count(f->st, "SELECT count(*) FROM nodes WHERE id = 'host-a:1:aaaa' AND "
                                  "state = 'down'"),
                     1);
    /* swept once: a second sweep has nothing left */
    assert_int_equal(rg_store_node_sweep(b, "host-b:2:bbbb", 10000, T0 + 8, seat_seen, &seen), 0);
    /* the seat is free again: a CLI-like handle (no beat, no node) joins */
    assert_int_equal(join(f->st, &room, "carol", 3), RG_OK);
    /* A comes back: told it was declared dead, up again */
    assert_int_equal(rg_store_node_beat(a, "host-a:1:aaaa", RG_NODE_UP, &was_down), RG_OK);
    assert_int_equal(was_down, 1);
    assert_int_equal(rg_store_node_beat(a, "host-a:1:aaaa", RG_NODE_UP, &was_down), RG_OK);
    assert_int_equal(was_down, 0);
    /* B stops with bob still seated (a drain cut short): freed at once */
    assert_int_equal(rg_store_node_beat(b, "host-b:2:bbbb", RG_NODE_STOPPED, NULL), RG_OK);
    assert_int_equal(rg_store_node_sweep(a, "host-a:1:aaaa", 60000, T0 + 9, seat_seen, &seen), 1);
    assert_string_equal(seen.last.identity, "bob");
    /* carol (no node) stays */
    assert_int_equal(rg_store_participant_get(a, room.sid, "carol", &p), RG_OK);
    assert_int_equal(p.connected, 1);
    rg_store_close(a);
    rg_store_close(b);
}

/* One sweeper at a time: while another node's sweep holds the sweepers'
 * lock, a sweep frees nothing (the holder does). */
static void test_one_sweeper_at_a_time(void **state)
{
    fixture *f = *state;
    rg_room room;
    rg_store *a = NULL, *b = NULL, *other = NULL;
    go_room(f->st, &room);
    assert_int_equal(rg_store_open(f->path, &a), RG_OK);
    assert_int_equal(rg_store_open(f->path, &b), RG_OK);
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_store_node_beat(a, "a", RG_NODE_UP, NULL), RG_OK);
    assert_int_equal(join(a, &room, "alice", 1), RG_OK);
    assert_int_equal(rg_store_node_beat(a, "a", RG_NODE_STOPPED, NULL), RG_OK);
    assert_int_equal(raw(other, "BEGIN"), 0);
    assert_int_equal(raw(other, "SELECT pg_advisory_xact_lock(x'72676e64'::int8)"), 0);
    assert_int_equal(rg_store_node_sweep(b, "b", 15000, T0 + 5, NULL, NULL), 0);
    assert_int_equal(count(f->st, "SELECT count(*) FROM participants WHERE connected = 1"), 1);
    assert_int_equal(raw(other, "COMMIT"), 0);
    assert_int_equal(rg_store_node_sweep(b, "b", 15000, T0 + 5, NULL, NULL), 1);
    assert_int_equal(count(f->st, "SELECT count(*) FROM participants WHERE connected = 1"), 0);
    rg_store_close(a);
    rg_store_close(b);
    rg_store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_join_waits_for_the_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_all_frees_dead_sessions_only, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sweep_frees_silent_nodes_seats, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_sweeper_at_a_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

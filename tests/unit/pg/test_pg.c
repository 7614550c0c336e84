/* test_pg.c - the PostgreSQL back end's own tests (as test_sqlite.c is
 * SQLite's): what the interface tests cannot see.  Migrations refuse a
 * database from a newer roomgate and are safe when several nodes start at
 * once; text PostgreSQL cannot store is refused, not half-written; the
 * change mark sees writes from any client, not only roomgate's.  Built
 * only against the PostgreSQL back end (Makefile PG_UNITS), with
 * tests/unit/backend_pg.c mapping each test's path to a schema. */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/errors.h"
#include "store/audit.h"
#include "store/consultations.h"
#include "store/nodes.h"
#include "store/rooms.h"
#include "store/outbox.h"
#include "backend.h"
#include "store/pg/call.h"
#include "store/pg/pg.h"
#include "store_fixture.h"

/* tests/unit/backend_pg.c: sets the schema version past the store; the
 * location (a connection string) a path stands for. */
int rg_tb_pg_set_version(const char *path, int version);
int rg_tb_pg_location(const char *path, char *out, size_t cap);

/* sql on st's first connection, past the store: 0 when it answers as
 * want says (a command, or rows), else -1. */
static int raw_as(rg_store *st, const char *sql, ExecStatusType want)
{
    PGresult *r = PQexec(st->links[0].conn, sql);
    int ok = PQresultStatus(r) == want;
    PQclear(r);
    return ok ? 0 : -1;
}

static int raw(rg_store *st, const char *sql)
{
    return raw_as(st, sql, PGRES_COMMAND_OK);
}

static void test_newer_schema_refused(void **state)
{
    fixture *f = *state;
    int version = rg_store_schema_version(f->st);
    assert_true(version >= 1);
    assert_int_equal(raw(f->st, "UPDATE roomgate_schema SET version = version + 1"), 0);
    rg_store_close(f->st);
    f->st = NULL;
    assert_int_equal(rg_store_open(f->path, &f->st), RG_EIO);
    assert_null(f->st);
    /* put back, so the reopen (and teardown) work again */
    rg_store *st = NULL;
    assert_int_equal(rg_tb_pg_set_version(f->path, version), 0);
    assert_int_equal(rg_store_open(f->path, &st), RG_OK);
    assert_int_equal(rg_store_schema_version(st), version);
    f->st = st;
}

typedef struct {
    const char *path;
    int rc, version;
} opener;

static void *open_one(void *ud)
{
    opener *o = ud;
    rg_store *st = NULL;
    o->rc = rg_store_open(o->path, &st);
    if (st) o->version = rg_store_schema_version(st);
    rg_store_close(st);
    return NULL;
}

/* Nodes starting together on an empty database: each migration runs once
 * (the advisory lock), every node opens. */
static void test_concurrent_first_open(void **state)
{
    fixture *f = *state;
    char path[160];
    enum { N = 6 };
    pthread_t t[N];
    opener o[N];
    snprintf(path, sizeof path, "%s/sub", f->dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/sub/roomgate.db", f->dir);
    for (int i = 0; i < N; i++) {
        o[i] = (opener){path, -99, -1};
        assert_int_equal(pthread_create(&t[i], NULL, open_one, &o[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL); /* all of them before any assert leaves */
    for (int i = 0; i < N; i++) {
        assert_int_equal(o[i].rc, RG_OK);
        assert_int_equal(o[i].version, rg_store_schema_version(f->st));
    }
    rg_test_remove_db(path);
    snprintf(path, sizeof path, "%s/sub", f->dir);
    rmdir(path);
}

/* Not UTF-8: PostgreSQL's text cannot hold it, so it is bad input, and
 * nothing is stored. */
static void test_bad_text_refused(void **state)
{
    fixture *f = *state;
    rg_account a = make_account(1, "ok \xff\xfe"), got;
    assert_int_equal(rg_store_account_insert(f->st, &a), RG_EINVAL);
    assert_int_equal(rg_store_account_get(f->st, a.sid, &got), RG_ENOTFOUND);
    add_account(f->st, 1);
    rg_key_row k = make_key(1, a.sid, 5);
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_OK);
    assert_int_equal(rg_store_key_rename(f->st, k.sid, "\xc3(", 6), RG_EINVAL);
    assert_int_equal(rg_store_key_get(f->st, k.sid, &k), RG_OK);
    assert_string_equal(k.friendly_name, "key 1");
}

/* The mark listens (listen.c): this waits until it does and answers the
 * mark then (odd while listening). */
static int64_t listening_mark(rg_store *st)
{
    for (int i = 0; i < 500 && rg_pg_listen_pid(st) == 0; i++) {
        rg_store_change_mark(st);
        usleep(10000);
    }
    assert_true(rg_pg_listen_pid(st) != 0);
    int64_t v = rg_store_change_mark(st);
    assert_true(v >= 0 && v % 2 == 1);
    return v;
}

/* A write by any client (here plain SQL on another connection, as an
 * operator's psql would) moves the mark, by one notification per
 * transaction; the store's own writes do not. */
static void test_change_mark_any_client(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    int64_t v1 = listening_mark(f->st);
    assert_int_equal(raw(other, "INSERT INTO accounts(sid, friendly_name, token_hash, "
                                "date_created) VALUES ('ACx', 'by hand', '\\x00', 1)"),
                     0);
    int64_t v2 = moved_from(f->st, v1);
    assert_int_equal(v2, v1 + 2);
    assert_int_equal(raw(other, "DELETE FROM accounts WHERE sid = 'ACx'"), 0);
    assert_int_equal(moved_from(f->st, v2), v2 + 2);
    rg_store_close(other);
}

/* The store's own writes never move its mark, however many triggers a
 * statement fires and whether its transaction commits: a cancel (a
 * transaction), an insert refused as a duplicate (rolled back).  Another
 * client's consultation does move it, by exactly its one notification:
 * notifications come in commit order, so the store's own were heard (and
 * left out) before it. */
static void test_change_mark_own_transactions(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL;
    rg_consultation k, out;
    add_account(f->st, 1);
    memset(&k, 0, sizeof k);
    make_sid(k.sid, "CN", 1);
    make_sid(k.account_sid, "AC", 1);
    strcpy(k.consultation_id, "c-1");
    strcpy(k.detail_id, "d");
    strcpy(k.client_identity, "client");
    strcpy(k.provider_identity, "provider");
    k.status = RG_CONSULT_SCHEDULED;
    int64_t v0 = listening_mark(f->st);
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_OK);
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_EEXIST);
    assert_int_equal(rg_store_consultation_cancel(f->st, k.account_sid, "c-1", 5, &out), RG_OK);
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    int64_t w0 = listening_mark(other);
    make_sid(k.sid, "CN", 2);
    strcpy(k.consultation_id, "c-2");
    assert_int_equal(rg_store_consultation_insert(f->st, &k), RG_OK);
    assert_int_equal(moved_from(other, w0), w0 + 2);
    assert_int_equal(raw(other, "UPDATE consultations SET detail_id = 'e' WHERE consultation_id "
                                "= 'c-2'"),
                     0);
    assert_int_equal(moved_from(f->st, v0), v0 + 2);
    rg_store_close(other);
}

/* Another store in another schema of the same database (a staging one
 * beside production, as the tests' schemas are): its changes are not
 * this store's, though the channel is the database's.  Notifications
 * come in commit order, so once the change made here after one there has
 * moved the mark, the one there has come too: the mark, read again for a
 * while, stays moved by this schema's one notification alone. */
static void test_change_mark_own_schema(void **state)
{
    fixture *f = *state;
    rg_store *elsewhere = NULL, *other = NULL;
    char dir[160], path[180];
    snprintf(dir, sizeof dir, "%s/staging", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/roomgate.db", dir);
    assert_int_equal(rg_store_open(path, &elsewhere), RG_OK);
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    int64_t v = listening_mark(f->st);
    assert_int_equal(raw(elsewhere, "INSERT INTO accounts(sid, friendly_name, token_hash, "
                                    "date_created) VALUES ('ACs', 'staging', '\\x00', 1)"),
                     0);
    assert_int_equal(raw(other, "INSERT INTO accounts(sid, friendly_name, token_hash, "
                                "date_created) VALUES ('ACp', 'here', '\\x00', 1)"),
                     0);
    assert_int_equal(moved_from(f->st, v), v + 2);
    for (int i = 0; i < 30; i++) {
        usleep(10000);
        assert_int_equal(rg_store_change_mark(f->st), v + 2);
    }
    rg_store_close(other);
    rg_store_close(elsewhere);
    rg_test_remove_db(path);
    rmdir(dir);
}

/* store_changes' count: one per transaction that moved the mark. */
static int64_t changes_counted(rg_store *st)
{
    int64_t n = -1;
    uint64_t t0 = rg_pg_lock(st);
    assert_int_equal(rg_pg_int_locked(st, "SELECT n FROM store_changes", NULL, 0, &n), RG_OK);
    rg_pg_unlock(st, t0, 0);
    return n;
}

/* A node's own seats (alone and batched, one opening its room), tracks
 * and leaves (alone and batched) move no mark (migration 11): two nodes'
 * joins no longer commit one after the other on store_changes and the
 * notification queue, nor clear each other's caches.  What another node
 * must hear still moves it, one count per transaction: a room made through
 * REST, a seat that replaces another node's participant, a room completed
 * (which disconnects its participants), the same writes by a node whose
 * transaction does not say it is quiet (a kick). */
static void test_change_mark_quiet_seats(void **state)
{
    fixture *f = *state;
    rg_store *b = NULL;
    rg_room r;
    char acct[RG_SID_SIZE], pa[6][RG_SID_SIZE];
    add_account(f->st, 1);
    make_sid(acct, "AC", 1);
    for (int i = 0; i < 6; i++)
        make_sid(pa[i], "PA", (unsigned)i + 1);
    assert_int_equal(rg_store_open(f->path, &b), RG_OK);
    assert_int_equal(rg_store_node_beat(f->st, "node-a", RG_NODE_UP, NULL), RG_OK);
    assert_int_equal(rg_store_node_beat(b, "node-b", RG_NODE_UP, NULL), RG_OK);
    memset(&r, 0, sizeof r);
    strcpy(r.account_sid, acct);
    strcpy(r.unique_name, "quiet");
    r.type = RG_ROOM_GROUP;
    r.max_participants = 10;
    r.empty_room_timeout = r.unused_room_timeout = RG_ROOM_DEFAULT_TIMEOUT;
    r.date_created = 1700000000;
    int64_t n = changes_counted(f->st);
    assert_int_equal(rg_store_room_create(f->st, &r), RG_OK);
    assert_int_equal(changes_counted(f->st), n + 1);

    n = changes_counted(f->st);
    assert_int_equal(rg_store_participant_join(f->st, r.sid, "alice", pa[0], 1700000010, NULL),
                     RG_OK);
    rg_room opened = r;
    strcpy(opened.unique_name, "opened");
    make_sid(opened.sid, "RM", 0xd1);
    rg_seat seats[3] = {{r.sid, "bob", pa[1], 1700000011, -1, NULL, 0},
                        {r.sid, "carol", pa[2], 1700000011, -1, NULL, 0},
                        {opened.sid, "dave", pa[4], 1700000011, -1, &opened, 0}};
    rg_store_participant_join_batch(f->st, seats, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(seats[i].rc, RG_OK);
    rg_track_event ev = {RG_TRACK_ADDED, "MT00000000000000000000000000000001", "audio", "mic"};
    assert_int_equal(rg_store_track_events(f->st, pa[0], &ev, 1, 1700000012), RG_OK);
    rg_leave leaves[1] = {{pa[1], 1700000013, -1}};
    rg_store_participant_leave_batch(f->st, leaves, 1);
    assert_int_equal(leaves[0].rc, RG_OK);
    assert_int_equal(rg_store_participant_leave(f->st, pa[0], 1700000014), RG_OK);
    assert_int_equal(changes_counted(f->st), n);

    /* node b's seat for carol replaces node a's connection */
    assert_int_equal(rg_store_participant_join(b, r.sid, "carol", pa[3], 1700000015, NULL), RG_OK);
    assert_int_equal(changes_counted(f->st), n + 1);
    assert_int_equal(rg_store_room_complete(f->st, acct, r.sid, 1700000016), RG_OK);
    assert_int_equal(changes_counted(f->st), n + 2);
    /* a kick of its own participant (not a seat's or leave's transaction) */
    assert_int_equal(rg_store_participant_join(f->st, opened.sid, "erin", pa[5], 1700000017, NULL),
                     RG_OK);
    assert_int_equal(changes_counted(f->st), n + 2);
    assert_int_equal(rg_store_participant_kick(f->st, opened.sid, pa[5], 1700000018, NULL), RG_OK);
    assert_int_equal(changes_counted(f->st), n + 3);
    rg_store_close(b);
}

static void count_use(void *ud, int write, uint64_t micros)
{
    (void)write;
    (void)micros;
    (*(int *)ud)++;
}

/* While it listens the mark costs no statement (the store's timer, which
 * every locked use runs, stays still).  Its listening connection killed,
 * it asks store_changes (even marks) until a new one listens, and the
 * switch back moves the mark, so a write made in between is not missed. */
static void test_change_mark_listens(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL;
    int uses = 0;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    int64_t v = listening_mark(f->st);
    int pid = rg_pg_listen_pid(f->st);
    rg_store_set_timer(f->st, count_use, &uses);
    for (int i = 0; i < 50; i++)
        assert_int_equal(rg_store_change_mark(f->st), v);
    assert_int_equal(uses, 0);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
    PGresult *r = PQexec(other->links[0].conn, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    int64_t asked = -1;
    for (int i = 0; i < 500 && (asked = rg_store_change_mark(f->st)) % 2 == 1; i++)
        usleep(10000);
    assert_true(asked >= 0 && asked % 2 == 0);
    assert_true(uses > 0);
    assert_int_equal(raw(other, "INSERT INTO accounts(sid, friendly_name, token_hash, "
                                "date_created) VALUES ('ACy', 'meanwhile', '\\x00', 1)"),
                     0);
    int64_t back = listening_mark(f->st); /* a reset once a second */
    assert_true(rg_pg_listen_pid(f->st) != pid);
    assert_true(back > v);
    rg_store_set_timer(f->st, NULL, NULL);
    rg_store_close(other);
}

/* Two nodes appending to one chain at once: the advisory lock orders
 * their batches, so the chain verifies with every row in it. */
typedef struct {
    rg_store *st;
    int rc;
} appender;

static void *append_some(void *ud)
{
    appender *a = ud;
    for (int i = 0; i < 20 && a->rc == RG_OK; i++) {
        rg_audit_item it[3];
        rg_audit_item *batch[3] = {&it[0], &it[1], &it[2]};
        memset(it, 0, sizeof it);
        for (int j = 0; j < 3; j++) {
            strcpy(it[j].row.action, "sec_rec");
            strcpy(it[j].row.outcome, "granted");
            it[j].row.ts_ms = 1000 + i;
        }
        a->rc = rg_store_audit_append(a->st, batch, 3, 1);
    }
    return NULL;
}

static void test_audit_two_nodes(void **state)
{
    fixture *f = *state;
    static const uint8_t key[32] = {7};
    char head[160];
    appender a[2] = {{f->st, RG_OK}, {NULL, RG_OK}};
    pthread_t t[2];
    rg_audit_verdict v;
    snprintf(head, sizeof head, "%s/audit.head", f->dir);
    assert_int_equal(rg_store_open(f->path, &a[1].st), RG_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(rg_store_audit_anchor(a[i].st, key, head), RG_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, append_some, &a[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(a[0].rc, RG_OK);
    assert_int_equal(a[1].rc, RG_OK);
    assert_int_equal(rg_store_audit_verify(a[1].st, &v), RG_OK);
    assert_true(v.ok);
    assert_int_equal(v.rows, 120);
    assert_int_equal(v.head_seq, 120);
    rg_store_close(a[1].st);
    unlink(head);
    snprintf(head, sizeof head, "%s/audit.head.lock", f->dir);
    unlink(head);
}

/* Two nodes' dispatchers on one outbox: what one is delivering the other
 * leaves alone until it is rescheduled or the claim lapses (the node
 * died); a room's events are numbered from 0 in order. */
static void test_outbox_claims(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL;
    rg_outbox_row out[4];
    size_t n, fair;
    char ac[RG_SID_SIZE];
    const char *rm1 = "RM00000000000000000000000000000001",
               *rm2 = "RM00000000000000000000000000000002";
    add_account(f->st, 1);
    make_sid(ac, "AC", 1);
    assert_int_equal(rg_tb_outbox_add(f->st, "EV1", ac, rm1, 1, 0), 0);
    assert_int_equal(rg_tb_outbox_add(f->st, "EV2", ac, rm1, 2, 0), 0);
    assert_int_equal(rg_tb_outbox_add(f->st, "EV3", ac, rm2, 3, 0), 0);
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_outbox_heads(f->st, 1000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].event_id, "EV1");
    assert_int_equal(out[0].seq, 0);
    assert_string_equal(out[1].event_id, "EV3");
    assert_int_equal(out[1].seq, 0);
    int64_t ev1 = out[0].id, ev3 = out[1].id;
    assert_int_equal(rg_outbox_heads(other, 1000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 0);
    /* the claimer itself sees them again (a row it did not start) */
    assert_int_equal(rg_outbox_heads(f->st, 1000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rg_outbox_retry(f->st, ev3, 1, 1000), RG_OK);
    assert_int_equal(rg_outbox_heads(other, 1000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].event_id, "EV3");
    assert_int_equal(out[0].attempts, 1);
    /* the first node died: its claim on EV1 lapses */
    assert_int_equal(rg_outbox_heads(other, 1000 + 180000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].event_id, "EV1");
    assert_int_equal(rg_outbox_ack(other, ev1), RG_OK);
    assert_int_equal(rg_outbox_heads(other, 1000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 2); /* and EV3, its own */
    assert_string_equal(out[0].event_id, "EV2");
    assert_int_equal(out[0].seq, 1);
    /* a node that stops (killed: its database session ends) leaves its
     * claims to the others at once */
    assert_int_equal(rg_outbox_heads(f->st, 2000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
    assert_int_equal(n, 0);
    rg_store_close(other);
    for (int i = 0; i < 100; i++) { /* the server ends the session just after the close */
        assert_int_equal(rg_outbox_heads(f->st, 2000, NULL, 0, 8, out, 4, &n, &fair), RG_OK);
        if (n == 2) break;
        usleep(20000);
    }
    assert_int_equal(n, 2);
}

/* Two nodes recording events for one room at once: ids and
 * SequenceNumbers come out in the same order, numbered 0, 1, 2... without
 * a gap or a repeat, so the room's queue is delivered in order. */
typedef struct {
    rg_store *st;
    const char *ac;
    int node, rc;
} recorder;

static void *record_some(void *ud)
{
    recorder *r = ud;
    for (int i = 0; i < 40 && r->rc == 0; i++) {
        char ev[16];
        snprintf(ev, sizeof ev, "EV%d-%d", r->node, i);
        r->rc = rg_tb_outbox_add(r->st, ev, r->ac, "RM00000000000000000000000000000009", i, 0);
    }
    return NULL;
}

static void test_outbox_numbering_two_nodes(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    recorder r[2] = {{f->st, ac, 0, 0}, {NULL, ac, 1, 0}};
    pthread_t t[2];
    add_account(f->st, 1);
    make_sid(ac, "AC", 1);
    assert_int_equal(rg_store_open(f->path, &r[1].st), RG_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, record_some, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(r[0].rc, 0);
    assert_int_equal(r[1].rc, 0);
    int64_t last_id = 0;
    for (int64_t want = 0; want < 80; want++) {
        rg_outbox_row out[1];
        size_t n, fair;
        assert_int_equal(rg_outbox_heads(f->st, 1, NULL, 0, 8, out, 1, &n, &fair), RG_OK);
        assert_int_equal(n, 1);
        assert_int_equal(out[0].seq, want);
        assert_true(out[0].id > last_id);
        last_id = out[0].id;
        assert_int_equal(rg_outbox_ack(f->st, out[0].id), RG_OK);
    }
    rg_store_close(r[1].st);
}

/* One value of a query on another connection (0 when it fails). */
static long count_of(rg_store *st, const char *sql)
{
    PGresult *r = PQexec(st->links[0].conn, sql);
    long n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                 ? strtol(PQgetvalue(r, 0, 0), NULL, 10)
                 : 0;
    PQclear(r);
    return n;
}

/* The client sessions of the database but the asking one's, once the
 * count holds still (a closed handle's backend leaves a moment later). */
static long sessions(rg_store *st)
{
    static const char sql[] = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                              "'client backend' AND pid <> pg_backend_pid()";
    long n = count_of(st, sql), again;
    for (int i = 0; i < 100 && (again = count_of(st, sql)) != n; i++) {
        n = again;
        usleep(20000);
    }
    return n;
}

/* A handle connects its listening connection only when the mark is first
 * asked (listen.c): the CLI's, the heartbeat's and the audit log's
 * handles, which never ask, hold one connection each, not two. */
static void test_listen_on_first_ask(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL, *st = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    long before = sessions(other);
    assert_int_equal(rg_store_open(f->path, &st), RG_OK);
    usleep(100000);
    assert_int_equal(sessions(other), before + 1);
    listening_mark(st);
    assert_int_equal(sessions(other), before + 2);
    rg_store_close(st);
    rg_store_close(other);
}

/* A statement that has no answer within the handle's deadline (here it
 * waits for a lock another session holds) is given up (wait.c): RG_EIO,
 * the store down, the connection broken; the server abandons the waiting
 * statement (client_connection_check_interval, conn.c) though the lock is
 * still held; and the store heals once the database answers again. */
static void test_statement_deadline(void **state)
{
    fixture *f = *state;
    rg_store *holder = NULL, *watcher = NULL;
    assert_int_equal(rg_store_open(f->path, &holder), RG_OK);
    assert_int_equal(rg_store_open(f->path, &watcher), RG_OK);
    assert_int_equal(raw(holder, "BEGIN"), 0);
    assert_int_equal(raw(holder, "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE"), 0);

    f->st->deadline_ms = 300;
    PGresult *r = NULL;
    uint64_t t0 = rg_pg_lock(f->st);
    assert_int_equal(rg_pg_query(f->st, "SELECT count(*) FROM accounts", NULL, 0, &r), RG_EIO);
    rg_pg_unlock(f->st, t0, 0);
    assert_null(r);
    assert_int_equal(PQstatus(f->st->links[0].conn), CONNECTION_BAD);
    assert_int_equal(rg_store_reachable(f->st), 0);
    assert_int_equal(rg_store_ping(f->st), RG_EIO); /* no round trip while down */

    /* the server gives the statement up within about a second */
    static const char waiting[] = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                  "'Lock' AND query = 'SELECT count(*) FROM accounts'";
    int i;
    for (i = 0; i < 100 && count_of(watcher, waiting) > 0; i++)
        usleep(100000);
    int abandoned = i < 100;
    /* the lock released (before the assertion: a failed one would leave
     * the teardown waiting for it): the store heals by itself (a
     * reconnect is tried at most once a second, at the start of a call) */
    assert_int_equal(raw(holder, "COMMIT"), 0);
    assert_true(abandoned);
    f->st->deadline_ms = 10000;
    for (i = 0; i < 100 && rg_store_ping(f->st) != RG_OK; i++)
        usleep(100000);
    assert_true(i < 100);
    assert_int_equal(rg_store_reachable(f->st), 1);
    rg_store_close(watcher);
    rg_store_close(holder);
}

/* rg_pg_query on st, locked, one int8 (or NULL when v < 0) parameter:
 * the int8 it answers (-1 for NULL), or -2 when the statement failed. */
static int64_t plus_one(rg_store *st, int64_t v)
{
    PGresult *r = NULL;
    int64_t out = -2;
    rg_pg_arg a = v < 0 ? RG_PG_NULL : RG_PG_INT(v);
    uint64_t t0 = rg_pg_lock(st);
    if (rg_pg_query(st, "SELECT $1::int8 + 1", &a, 1, &r) == RG_OK)
        out = PQgetisnull(r, 0, 0) ? -1 : rg_pg_int(r, 0, 0, &out) == RG_OK ? out : -2;
    PQclear(r);
    rg_pg_unlock(st, t0, 0);
    return out;
}

static long prepared_count(rg_store *st)
{
    PGresult *r = NULL;
    int64_t n = -1;
    uint64_t t0 = rg_pg_lock(st);
    if (rg_pg_query(st, "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'rg%'", NULL,
                    0, &r) == RG_OK &&
        rg_pg_int(r, 0, 0, &n) != RG_OK)
        n = -1;
    PQclear(r);
    rg_pg_unlock(st, t0, 0);
    return (long)n;
}

/* When "SELECT $1::int8 + 1" was prepared on st's session (both of its
 * statements: with an int8 and with a NULL, whose type the server infers,
 * the same). */
static void prepare_time(rg_store *st, char *out, size_t cap)
{
    PGresult *r = NULL;
    uint64_t t0 = rg_pg_lock(st);
    out[0] = '\0';
    if (rg_pg_query(st,
                    "SELECT string_agg(prepare_time::text, ',' ORDER BY name) FROM "
                    "pg_prepared_statements WHERE statement = 'SELECT $1::int8 + 1'",
                    NULL, 0, &r) == RG_OK &&
        PQntuples(r) == 1)
        assert_int_equal(rg_pg_text(r, 0, 0, out, cap), RG_OK);
    PQclear(r);
    rg_pg_unlock(st, t0, 0);
    assert_true(out[0] != '\0');
}

/* A statement with parameters is prepared once per session (prep.c) and
 * then run by name; the same text with a NULL where an int8 was is
 * another statement; after a reconnect (a new session, none prepared)
 * the statements are prepared again instead of failing as unknown. */
static void test_prepared_statements(void **state)
{
    fixture *f = *state;
    long before = prepared_count(f->st);
    assert_true(before >= 0);
    assert_int_equal(plus_one(f->st, 41), 42);
    assert_int_equal(plus_one(f->st, 1), 2);
    assert_int_equal(prepared_count(f->st), before + 1);
    assert_int_equal(plus_one(f->st, -1), -1);
    assert_int_equal(prepared_count(f->st), before + 2);

    /* prepared again after 8 uses (a plan for the tables as they are
     * then): the same name, a new prepare_time, nothing left behind */
    char first[64], later[64];
    prepare_time(f->st, first, sizeof first);
    for (int k = 0; k < 10; k++)
        assert_int_equal(plus_one(f->st, k), k + 1);
    prepare_time(f->st, later, sizeof later);
    assert_string_not_equal(first, later);
    assert_int_equal(prepared_count(f->st), before + 2);

    /* the session ended from elsewhere: the store heals with a new one */
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)",
             PQbackendPID(f->st->links[0].conn));
    PGresult *r = PQexec(other->links[0].conn, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    rg_store_close(other);
    int i;
    for (i = 0; i < 100 && plus_one(f->st, 6) != 7; i++)
        usleep(100000);
    assert_true(i < 100);
    assert_int_equal(plus_one(f->st, 9), 10);
    assert_int_equal(prepared_count(f->st), 1);
}

/* rg_pg_pipeline: the answers in order; a failed statement's code, the
 * ones after it skipped and the ones before it undone (one implicit
 * transaction up to the sync), the connection usable after; a pipeline
 * whose answer does not come within the deadline gives the connection up
 * (the store heals, as after a late statement). */
static void test_pipeline(void **state)
{
    fixture *f = *state;
    PGresult *r[4];
    int64_t v = 0;
    rg_pg_arg one = RG_PG_INT(1), two = RG_PG_INT(2), name = RG_PG_TEXT("piped", 32);
    const rg_pg_stmt ok[] = {
        {"SELECT $1::int8 + 1", &one, 1},
        {"SELECT $1::int8 * 10", &two, 1},
        {"SELECT 7::int8", NULL, 0},
    };
    uint64_t t0 = rg_pg_lock(f->st);
    assert_int_equal(rg_pg_pipeline(f->st, ok, 3, r), RG_OK);
    assert_int_equal(rg_pg_int(r[0], 0, 0, &v), RG_OK);
    assert_int_equal(v, 2);
    assert_int_equal(rg_pg_int(r[1], 0, 0, &v), RG_OK);
    assert_int_equal(v, 20);
    assert_int_equal(rg_pg_int(r[2], 0, 0, &v), RG_OK);
    assert_int_equal(v, 7);
    for (int i = 0; i < 3; i++)
        PQclear(r[i]);

    assert_int_equal(raw(f->st, "CREATE TABLE piped(name text PRIMARY KEY)"), 0);
    assert_int_equal(raw(f->st, "INSERT INTO piped VALUES ('piped')"), 0);
    const rg_pg_stmt dup[] = {
        {"INSERT INTO piped VALUES ('before')", NULL, 0},
        {"INSERT INTO piped VALUES ($1)", &name, 1},
        {"INSERT INTO piped VALUES ('after')", NULL, 0},
    };
    r[0] = r[1] = r[2] = (PGresult *)1; /* every one set to NULL */
    assert_int_equal(rg_pg_pipeline(f->st, dup, 3, r), RG_EEXIST);
    assert_null(r[0]);
    assert_null(r[1]);
    assert_null(r[2]);
    assert_int_equal(PQpipelineStatus(f->st->links[0].conn), PQ_PIPELINE_OFF);
    assert_int_equal(rg_pg_int_locked(f->st, "SELECT count(*) FROM piped", NULL, 0, &v), RG_OK);
    assert_int_equal(v, 1);
    assert_int_equal(rg_pg_pipeline(f->st, ok, 0, r), RG_EINVAL);
    rg_pg_unlock(f->st, t0, 0);

    rg_store *holder = NULL;
    assert_int_equal(rg_store_open(f->path, &holder), RG_OK);
    assert_int_equal(raw(holder, "BEGIN"), 0);
    assert_int_equal(raw(holder, "LOCK TABLE piped IN ACCESS EXCLUSIVE MODE"), 0);
    f->st->deadline_ms = 300;
    const rg_pg_stmt waits[] = {{"SELECT 1::int8", NULL, 0},
                                {"SELECT count(*) FROM piped", NULL, 0}};
    t0 = rg_pg_lock(f->st);
    assert_int_equal(rg_pg_pipeline(f->st, waits, 2, r), RG_EIO);
    rg_pg_unlock(f->st, t0, 0);
    assert_null(r[0]);
    assert_null(r[1]);
    assert_int_equal(PQstatus(f->st->links[0].conn), CONNECTION_BAD);
    assert_int_equal(rg_store_reachable(f->st), 0);
    assert_int_equal(raw(holder, "COMMIT"), 0);
    rg_store_close(holder);
    f->st->deadline_ms = 10000;
    int i;
    for (i = 0; i < 100 && rg_store_ping(f->st) != RG_OK; i++)
        usleep(100000);
    assert_true(i < 100);
    t0 = rg_pg_lock(f->st);
    assert_int_equal(rg_pg_pipeline(f->st, ok, 3, r), RG_OK);
    assert_int_equal(rg_pg_int(r[1], 0, 0, &v), RG_OK);
    assert_int_equal(v, 20);
    for (i = 0; i < 3; i++)
        PQclear(r[i]);
    rg_pg_unlock(f->st, t0, 0);
}

/* A thread of slot `slot` running one statement through the store. */
typedef struct {
    rg_store *st;
    int slot;
    const char *sql;
    int64_t answer;
    atomic_int done;
} slot_call;

static void *call_in_slot(void *ud)
{
    slot_call *c = ud;
    rg_store_bind_thread(c->slot);
    uint64_t t0 = rg_pg_lock(c->st);
    if (rg_pg_int_locked(c->st, c->sql, NULL, 0, &c->answer) != RG_OK) c->answer = -1;
    rg_pg_unlock(c->st, t0, 0);
    atomic_store(&c->done, 1);
    return NULL;
}

static int64_t in_slot(rg_store *st, int slot, const char *sql)
{
    pthread_t tid;
    slot_call c = {st, slot, sql, -1, 0};
    assert_int_equal(pthread_create(&tid, NULL, call_in_slot, &c), 0);
    pthread_join(tid, NULL);
    return c.answer;
}

static int query_ok(rg_store *st, const char *sql)
{
    return raw_as(st, sql, PGRES_TUPLES_OK);
}

/* A handle with a connection per loop (rg_store_links): each slot's
 * thread has a backend of its own (slots past the links wrap around, slot
 * 0 is the first); a loop whose statement waits does not hold another
 * loop's; a write on any link is the handle's own, so it does not move
 * its change mark. */
static void test_links(void **state)
{
    fixture *f = *state;
    static const char pid[] = "SELECT pg_backend_pid()::int8";
    char location[1024];
    assert_int_equal(rg_tb_pg_location(f->path, location, sizeof location), 0);
    int64_t v = listening_mark(f->st);
    int64_t before = in_slot(f->st, 1, pid);
    assert_int_equal(before, in_slot(f->st, 0, pid)); /* one link: every slot on it */
    assert_int_equal(rg_store_links(f->st, location, 3), RG_OK);
    int64_t p0 = in_slot(f->st, 0, pid), p1 = in_slot(f->st, 1, pid), p2 = in_slot(f->st, 2, pid);
    assert_true(p0 > 0 && p1 > 0 && p2 > 0);
    assert_int_equal(p0, before);
    assert_true(p1 != p0 && p2 != p0 && p1 != p2);
    assert_int_equal(in_slot(f->st, 3, pid), p0);
    assert_int_equal(in_slot(f->st, 4, pid), p1);

    /* slot 1 waits for a lock another client holds; slot 2 goes on */
    rg_store *holder = NULL;
    assert_int_equal(rg_store_open(f->path, &holder), RG_OK);
    assert_int_equal(query_ok(holder, "SELECT pg_advisory_lock(4242)"), 0);
    pthread_t tid;
    slot_call waits = {f->st, 1, "SELECT 7::int8 FROM pg_advisory_lock(4242)", -1, 0};
    assert_int_equal(pthread_create(&tid, NULL, call_in_slot, &waits), 0);
    static const char waiting[] = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                  "'Lock' AND query LIKE 'SELECT 7::int8 FROM pg_advisory_lock%'";
    int i;
    for (i = 0; i < 500 && count_of(holder, waiting) == 0; i++)
        usleep(10000);
    assert_true(i < 500);
    assert_int_equal(in_slot(f->st, 2, "SELECT 5::int8"), 5);
    assert_int_equal(atomic_load(&waits.done), 0);
    assert_int_equal(query_ok(holder, "SELECT pg_advisory_unlock(4242)"), 0);
    pthread_join(tid, NULL);
    assert_int_equal(waits.answer, 7);

    /* an idle loop's link whose session ended is noticed by the
     * readiness ping (no statement of its loop needed) and made again
     * before the ping answers RG_OK */
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)p1);
    assert_int_equal(query_ok(holder, sql), 0);
    for (i = 0; i < 100; i++) { /* pings only: no statement on link 1 */
        int ok = rg_store_ping(f->st) == RG_OK;
        if (ok && atomic_load(&f->st->links[1].own_pid) != p1) break;
        usleep(100000);
    }
    assert_true(i < 100);
    for (int k = 0; k < 3; k++)
        assert_int_equal(atomic_load(&f->st->links[k].down), 0);
    int64_t again = in_slot(f->st, 1, pid);
    assert_true(again > 0 && again != p1);
    assert_int_equal(again, atomic_load(&f->st->links[1].own_pid));
    rg_store_close(holder);

    /* the handle's own writes, on any link, do not move its mark */
    rg_account a;
    memset(&a, 0, sizeof a);
    for (int k = 1; k <= 2; k++) {
        rg_store_bind_thread(k);
        snprintf(a.sid, sizeof a.sid, "AC%032d", 700 + k);
        snprintf(a.friendly_name, sizeof a.friendly_name, "link %d", k);
        a.date_created = 1;
        assert_int_equal(rg_store_account_insert(f->st, &a), RG_OK);
    }
    rg_store_bind_thread(0);
    for (i = 0; i < 30; i++) {
        usleep(10000);
        assert_int_equal(rg_store_change_mark(f->st), v);
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_newer_schema_refused),
        T(test_concurrent_first_open),
        T(test_bad_text_refused),
        T(test_change_mark_any_client),
        T(test_change_mark_own_transactions),
        T(test_change_mark_listens),
        T(test_listen_on_first_ask),
        T(test_change_mark_own_schema),
        T(test_change_mark_quiet_seats),
        T(test_audit_two_nodes),
        T(test_outbox_claims),
        T(test_outbox_numbering_two_nodes),
        T(test_statement_deadline),
        T(test_prepared_statements),
        T(test_pipeline),
        T(test_links),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

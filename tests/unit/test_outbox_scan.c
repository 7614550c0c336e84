/* test_outbox_scan.c - the SQLite outbox's heads scan (store/outbox.h
 * rg_outbox_heads) and its memo of what it looked past (sqlite/outbox.c
 * "the look past the window"): whatever the memo lets the scan jump over,
 * a fair event (an account under its share) is still found.  Rows are
 * written with SQLite directly, as the emit side would. */
#include "store_fixture.h"

#include <sqlite3.h>

#include "store/outbox.h"

#define NOW 1000000000 /* ms: every row is due unless said otherwise */

/* An event of account n's room r, due at next_ms; its id. */
static int64_t put(const char *path, unsigned acct, unsigned room, int64_t next_ms)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char ac[RG_SID_SIZE], rm[RG_SID_SIZE], ev[40];
    static unsigned serial;
    make_sid(ac, "AC", acct);
    make_sid(rm, "RM", acct * 1000 + room);
    snprintf(ev, sizeof ev, "EV%032x", ++serial);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO webhook_outbox(event_id, account_sid, "
                                        "room_sid, event, url, method, params, created, next_ms) "
                                        "VALUES(?1, ?2, ?3, 'room-created', 'http://x/', 'POST', "
                                        "'{}', 1, ?4)",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, ev, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, ac, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, rm, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, next_ms);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    int64_t id = sqlite3_last_insert_rowid(db);
    sqlite3_close(db);
    return id;
}

typedef struct {
    rg_outbox_busy busy[16];
    size_t nbusy;
    rg_outbox_row out[8];
    size_t count, fair;
} scan;

static void heads(fixture *f, scan *sc, int64_t now, size_t per_account, size_t limit)
{
    assert_int_equal(rg_outbox_heads(f->st, now, sc->busy, sc->nbusy, per_account, sc->out, limit,
                                     &sc->count, &sc->fair),
                     RG_OK);
}

/* The rows of the scan become the ones in flight. */
static void start_all(scan *sc)
{
    for (size_t i = 0; i < sc->count; i++) {
        sc->busy[sc->nbusy].id = sc->out[i].id;
        memcpy(sc->busy[sc->nbusy++].account_sid, sc->out[i].account_sid, RG_SID_SIZE);
    }
}

static void finish(scan *sc, int64_t id)
{
    for (size_t i = 0; i < sc->nbusy; i++)
        if (sc->busy[i].id == id) sc->busy[i] = sc->busy[--sc->nbusy];
}

/* Account 1 keeps the dispatcher busy (many rooms); account 2's room has
 * two events, the second behind the first.  While account 2's first is in
 * flight its second is no head, and the scan that reads to the end leaves
 * a memo reaching past it.  Once the first is delivered the second is a
 * head of an account under its share: the scan must find it, even though
 * account 1 is over its share and the memo covers the row. */
static void test_memo_keeps_a_follower_fair(void **state)
{
    fixture *f = *state;
    scan sc = {0};
    int64_t a1 = put(f->path, 1, 1, NOW);
    int64_t b1 = put(f->path, 2, 1, NOW);
    for (unsigned r = 2; r <= 6; r++)
        put(f->path, 1, r, NOW);
    int64_t b2 = put(f->path, 2, 1, NOW); /* account 2's second event, same room */
    for (unsigned r = 7; r <= 12; r++)
        put(f->path, 1, r, NOW);
    heads(f, &sc, NOW, 1, 4); /* share 1: a1 and b1 fair, two of account 1's waiting */
    assert_int_equal(sc.count, 4);
    assert_int_equal(sc.fair, 2);
    assert_int_equal(sc.out[0].id, a1);
    assert_int_equal(sc.out[1].id, b1);
    start_all(&sc);
    finish(&sc, b1);
    assert_int_equal(rg_outbox_ack(f->st, b1), RG_OK);
    heads(f, &sc, NOW + 10, 1, 1); /* one free slot */
    assert_int_equal(sc.count, 1);
    assert_int_equal(sc.fair, 1);
    assert_int_equal(sc.out[0].id, b2);
}

/* What is recorded after the memo lies above it and is read. */
static void test_new_events_are_read(void **state)
{
    fixture *f = *state;
    scan sc = {0};
    for (unsigned r = 1; r <= 8; r++)
        put(f->path, 1, r, NOW);
    heads(f, &sc, NOW, 1, 3);
    assert_int_equal(sc.fair, 1);
    start_all(&sc);
    heads(f, &sc, NOW + 1, 1, 2); /* account 1 over its share: only the back */
    assert_int_equal(sc.fair, 0);
    int64_t c1 = put(f->path, 3, 1, NOW + 2);
    heads(f, &sc, NOW + 3, 1, 2);
    assert_int_equal(sc.fair, 1);
    assert_int_equal(sc.out[0].id, c1);
}

/* An event not due when the memo was made: rescheduled by the dispatcher
 * (rg_outbox_retry), it is found as soon as it falls due; set otherwise (a
 * restart finds it waiting), within the memo's life (1 s).  Both lie past
 * the rows that fill the slots, where the scan may jump. */
static void test_events_falling_due_are_read(void **state)
{
    fixture *f = *state;
    scan sc = {0};
    for (unsigned r = 1; r <= 8; r++)
        put(f->path, 1, r, NOW);
    int64_t d1 = put(f->path, 4, 1, NOW + 60000); /* not due */
    int64_t e1 = put(f->path, 5, 1, NOW + 500);   /* not due either */
    for (unsigned r = 9; r <= 12; r++)
        put(f->path, 1, r, NOW);
    heads(f, &sc, NOW, 1, 3);
    start_all(&sc);
    heads(f, &sc, NOW + 1, 1, 2);
    assert_int_equal(sc.fair, 0);
    assert_int_equal(rg_outbox_retry(f->st, d1, 1, NOW + 100), RG_OK);
    heads(f, &sc, NOW + 100, 1, 2);
    assert_int_equal(sc.fair, 1);
    assert_int_equal(sc.out[0].id, d1);
    start_all(&sc);
    heads(f, &sc, NOW + 1100, 1, 2); /* the memo read at NOW + 100 has expired */
    assert_int_equal(sc.fair, 1);
    assert_int_equal(sc.out[0].id, e1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_memo_keeps_a_follower_fair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_events_are_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_falling_due_are_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_dispatch.c - the store's back-end dispatch (store/ops.h): a call
 * reaches the handle's own table; an operation the table lacks answers
 * RG_EIO and crashes nothing (a batch of seats: every seat refused); a
 * location picks its back end by its scheme, and its printable form hides
 * any password. */
#include "unit.h"

#include <stdlib.h>

#include "core/errors.h"
#include "store/ops.h"

/* A back end of its own: a handle that counts what reached it. */
struct rg_store {
    rg_store_head head;
    int closed, deleted, timers;
    char last_sid[RG_SID_SIZE];
};

static void fake_close(rg_store *st)
{
    st->closed++;
}

static int fake_version(rg_store *st)
{
    (void)st;
    return 42;
}

static int64_t fake_mark(rg_store *st)
{
    (void)st;
    return 7;
}

static void fake_timer(rg_store *st, rg_store_timer_fn fn, void *ud)
{
    (void)fn;
    (void)ud;
    st->timers++;
}

static int fake_key_delete(rg_store *st, const char *sid)
{
    st->deleted++;
    snprintf(st->last_sid, sizeof st->last_sid, "%s", sid);
    return RG_ENOTFOUND;
}

static int fake_heads(rg_store *st, int64_t now_ms, const rg_outbox_busy *busy, size_t nbusy,
                      size_t per_account, rg_outbox_row *out, size_t limit, size_t *count,
                      size_t *fair)
{
    (void)st, (void)now_ms, (void)busy, (void)nbusy, (void)per_account, (void)out, (void)limit;
    *count = 3;
    *fair = 1;
    return RG_OK;
}

static const rg_store_ops fake_ops = {
    .name = "Fake",
    .close = fake_close,
    .schema_version = fake_version,
    .change_mark = fake_mark,
    .set_timer = fake_timer,
    .key_delete = fake_key_delete,
    .outbox_heads = fake_heads,
};

static void test_calls_reach_the_table(void **state)
{
    (void)state;
    rg_store st = {.head = {&fake_ops}};
    size_t count = 0, fair = 0;
    assert_int_equal(rg_store_key_delete(&st, "SKx"), RG_ENOTFOUND);
    assert_int_equal(st.deleted, 1);
    assert_string_equal(st.last_sid, "SKx");
    assert_int_equal(rg_store_schema_version(&st), 42);
    assert_int_equal(rg_store_change_mark(&st), 7);
    rg_store_set_timer(&st, NULL, NULL);
    assert_int_equal(st.timers, 1);
    assert_int_equal(rg_outbox_heads(&st, 0, NULL, 0, 1, NULL, 0, &count, &fair), RG_OK);
    assert_int_equal(count, 3);
    assert_int_equal(fair, 1);
    rg_store_close(&st);
    assert_int_equal(st.closed, 1);
    rg_store_close(NULL); /* like free(NULL) */
}

static void test_missing_ops_fail_cleanly(void **state)
{
    (void)state;
    rg_store st = {.head = {&fake_ops}};
    rg_room room;
    int64_t depth = -1, oldest = -1;
    /* twice: the second call (said already) answers the same */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rg_store_room_get(&st, "AC1", "RM1", &room), RG_EIO);
        assert_int_equal(rg_store_ping(&st), RG_EIO);
        assert_int_equal(rg_outbox_depth(&st, &depth, &oldest), RG_EIO);
    }
    rg_seat seats[3] = {{"RM1", "a", "PA1", 1, 123, NULL, 0},
                        {"RM1", "b", "PA2", 1, 123, NULL, 0},
                        {"RM1", "c", "PA3", 1, 123, NULL, 0}};
    rg_store_participant_join_batch(&st, seats, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(seats[i].rc, RG_EIO);
    assert_int_equal(st.deleted, 0);
}

static void test_location_scheme(void **state)
{
    (void)state;
    assert_true(rg_store_is_postgres("postgres://db.example/roomgate"));
    assert_true(rg_store_is_postgres("postgresql://u@db/roomgate?sslmode=require"));
    assert_false(rg_store_is_postgres("/var/lib/roomgate/roomgate.db"));
    assert_false(rg_store_is_postgres("postgres.db"));
    assert_false(rg_store_is_postgres("./postgres://x"));          /* a path that looks like one */
    assert_false(rg_store_is_postgres("host=127.0.0.1 dbname=x")); /* only URLs */
    assert_false(rg_store_is_postgres(""));
    assert_false(rg_store_is_postgres(NULL));
}

/* A postgres:// location goes to PostgreSQL, never to a file: nothing
 * listens on port 1, so the open fails, and no file was created. */
static void test_postgres_url_is_not_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/rg_dispatch_XXXXXX", cwd[512];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    rg_store *st = (rg_store *)1;
    assert_int_equal(rg_store_open("postgres://127.0.0.1:1/x?connect_timeout=2", &st), RG_EIO);
    assert_null(st);
    assert_int_equal(access("postgres:", F_OK), -1);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(rmdir(dir), 0); /* empty */
}

static void test_location(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(rg_store_location(NULL, "/d", out, sizeof out), RG_OK);
    assert_string_equal(out, "/d/roomgate.db");
    assert_int_equal(rg_store_location("", "/d", out, sizeof out), RG_OK);
    assert_string_equal(out, "/d/roomgate.db");
    assert_int_equal(rg_store_location("postgres://h/db", "/d", out, sizeof out), RG_OK);
    assert_string_equal(out, "postgres://h/db");
    assert_int_equal(rg_store_location(NULL, "/d", out, 8), RG_ETOOBIG);
}

/* What may be printed of a location: never a password. */
static void test_location_safe(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"postgres://rg:pw@db:5432/roomgate", "postgres://rg:***@db:5432/roomgate"},
        {"postgresql://rg:p@ss:w@rd@db/x?sslmode=require",
         "postgresql://rg:***@db/x?sslmode=require"},
        {"postgres://rg@db/x", "postgres://rg@db/x"},
        {"postgres://db/x", "postgres://db/x"},
        {"postgres://:pw@db", "postgres://:***@db"},
        {"postgres://db/x?password=pw&sslmode=verify-full",
         "postgres://db/x?password=***&sslmode=verify-full"},
        {"postgres://u:a@db/x?connect_timeout=2&password=b",
         "postgres://u:***@db/x?connect_timeout=2&password=***"},
        {"postgres://db/x?passwordx=1", "postgres://db/x?passwordx=1"},
        {"postgres://u:a?b@db/x", "postgres://u:***@db/x"},
        {"postgres://db?password=a@b", "postgres://***@b"}, /* libpq: user info */
        {"postgres://u?x:pw@db", "postgres://***:***@db"},
        {"postgres://db/x#frag", "postgres://db/x#frag"},
        {"/var/lib/roomgate/roomgate.db", "/var/lib/roomgate/roomgate.db"},
    };
    char out[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rg_store_location_safe(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    rg_store_location_safe("postgres://u:secret@db/x", out, 12); /* truncated, still safe */
    assert_string_equal(out, "postgres://");
    rg_store_location_safe("postgres://u:secret@db/x", out, 16);
    assert_string_equal(out, "postgres://u:**");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_reach_the_table),
        cmocka_unit_test(test_missing_ops_fail_cleanly),
        cmocka_unit_test(test_location_scheme),
        cmocka_unit_test(test_postgres_url_is_not_a_file),
        cmocka_unit_test(test_location),
        cmocka_unit_test(test_location_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

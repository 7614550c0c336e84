/* test_store.c - the store through its interface (store.h): opening,
 * accounts, keys, commits seen from another handle.  Nothing here knows
 * the back end, so every back end must pass it; the SQLite back end's own
 * tests (schema, migrations, its file) are in test_sqlite.c. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"
#include "store/store.h"
#include "store_fixture.h"

static int count_keys(void *ud, const rg_key_row *k)
{
    assert_true(k->sealed_len > 0);
    (*(int *)ud)++;
    return 0;
}

static int count_accounts(void *ud, const rg_account *a)
{
    assert_int_equal(strlen(a->sid), RG_SID_LEN);
    (*(int *)ud)++;
    return 0;
}

/* ---- schema ---- */

static void test_reopen_keeps_data(void **state)
{
    fixture *f = *state;
    int version = rg_store_schema_version(f->st);
    add_account(f->st, 1);
    rg_store_close(f->st);
    f->st = NULL;
    assert_int_equal(rg_store_open(f->path, &f->st), RG_OK);
    assert_int_equal(rg_store_schema_version(f->st), version);
    rg_account got, want = make_account(1, "acct");
    assert_int_equal(rg_store_account_get(f->st, want.sid, &got), RG_OK);
    assert_memory_equal(&got, &want, sizeof got);
}

static void test_open_missing_dir(void **state)
{
    fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/nope/roomgate.db", f->dir);
    rg_store *st = NULL;
    assert_int_equal(rg_store_open(path, &st), RG_EIO);
    assert_null(st);
}

/* ---- accounts ---- */

static void test_accounts(void **state)
{
    fixture *f = *state;
    rg_account a = make_account(7, "Main account"), got;
    assert_int_equal(rg_store_account_insert(f->st, &a), RG_OK);
    assert_int_equal(rg_store_account_get(f->st, a.sid, &got), RG_OK);
    assert_string_equal(got.sid, a.sid);
    assert_string_equal(got.friendly_name, "Main account");
    assert_memory_equal(got.token_hash, a.token_hash, 32);
    assert_int_equal(got.date_created, a.date_created);

    rg_account dup = make_account(7, "other name");
    assert_int_equal(rg_store_account_insert(f->st, &dup), RG_EEXIST);
    char missing[RG_SID_SIZE];
    make_sid(missing, "AC", 8);
    assert_int_equal(rg_store_account_get(f->st, missing, &got), RG_ENOTFOUND);
}

static void test_name_limits(void **state)
{
    fixture *f = *state;
    rg_account a = make_account(1, ""), got;
    memset(a.friendly_name, 'n', RG_NAME_MAX); /* exactly the maximum, NUL-terminated */
    assert_int_equal(rg_store_account_insert(f->st, &a), RG_OK);
    assert_int_equal(rg_store_account_get(f->st, a.sid, &got), RG_OK);
    assert_int_equal(strlen(got.friendly_name), RG_NAME_MAX);

    rg_account empty = make_account(2, "");
    assert_int_equal(rg_store_account_insert(f->st, &empty), RG_OK);
    assert_int_equal(rg_store_account_get(f->st, empty.sid, &got), RG_OK);
    assert_string_equal(got.friendly_name, "");

    char long_name[RG_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    rg_key_row k = make_key(1, a.sid, 10);
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_OK);
    assert_int_equal(rg_store_key_rename(f->st, k.sid, long_name, 11), RG_EINVAL);
    k.sealed_len = RG_SEALED_MAX + 1;
    make_sid(k.sid, "SK", 2);
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_EINVAL);
}

/* Text that would break string-built SQL is stored and read back as is. */
static void test_injection_names(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {
        "x'); DROP TABLE api_keys; --",
        "\" OR 1=1 --",
        "Robert'); DELETE FROM accounts WHERE ('1'='1",
        "%s%n%x \\ ' \" ; -- /* */",
    };
    for (unsigned i = 0; i < 4; i++) {
        rg_account a = make_account(i + 1, names[i]), got;
        assert_int_equal(rg_store_account_insert(f->st, &a), RG_OK);
        assert_int_equal(rg_store_account_get(f->st, a.sid, &got), RG_OK);
        assert_string_equal(got.friendly_name, names[i]);
        rg_key_row k = make_key(i + 1, a.sid, 5), kgot;
        assert_int_equal(rg_store_key_insert(f->st, &k), RG_OK);
        assert_int_equal(rg_store_key_rename(f->st, k.sid, names[3 - i], 6), RG_OK);
        assert_int_equal(rg_store_key_get(f->st, k.sid, &kgot), RG_OK);
        assert_string_equal(kgot.friendly_name, names[3 - i]);
    }
    /* A SID-shaped lookup with SQL in it finds nothing and harms nothing. */
    rg_key_row k;
    assert_int_equal(rg_store_key_get(f->st, "' OR '1'='1", &k), RG_ENOTFOUND);
    assert_int_equal(rg_store_key_delete(f->st, "' OR '1'='1"), RG_ENOTFOUND);
    int n = 0;
    assert_int_equal(rg_store_key_each(f->st, count_keys, &n), RG_OK);
    assert_int_equal(n, 4);
    n = 0;
    assert_int_equal(rg_store_account_each(f->st, count_accounts, &n), RG_OK);
    assert_int_equal(n, 4);
}

/* ---- keys ---- */

static void test_key_crud(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    make_sid(ac, "AC", 1);
    add_account(f->st, 1);
    rg_key_row k = make_key(1, ac, 100), got;
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_OK);
    assert_int_equal(rg_store_key_get(f->st, k.sid, &got), RG_OK);
    assert_true(got.seq > 0); /* assigned by the store */
    k.seq = got.seq;
    assert_memory_equal(&got, &k, sizeof got);
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_EEXIST);

    assert_int_equal(rg_store_key_rename(f->st, k.sid, "renamed", 150), RG_OK);
    assert_int_equal(rg_store_key_get(f->st, k.sid, &got), RG_OK);
    assert_string_equal(got.friendly_name, "renamed");
    assert_int_equal(got.date_updated, 150);
    assert_int_equal(got.date_created, 100);
    assert_memory_equal(got.sealed, k.sealed, k.sealed_len);

    assert_int_equal(rg_store_key_delete(f->st, k.sid), RG_OK);
    assert_int_equal(rg_store_key_get(f->st, k.sid, &got), RG_ENOTFOUND);
    assert_int_equal(rg_store_key_delete(f->st, k.sid), RG_ENOTFOUND);
    assert_int_equal(rg_store_key_rename(f->st, k.sid, "x", 1), RG_ENOTFOUND);
    int n = 0;
    assert_int_equal(rg_store_key_each(f->st, count_keys, &n), RG_OK);
    assert_int_equal(n, 0);
}

static void test_key_unknown_account(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    make_sid(ac, "AC", 42);
    rg_key_row k = make_key(1, ac, 100);
    assert_int_equal(rg_store_key_insert(f->st, &k), RG_ENOTFOUND);
}

/* Keys 1..5 of account 1 at dates 100, 200, 200, 300, 50, inserted in the
 * order 1, 3, 2, 4, 5, plus a key of account 2.  Newest first, and on the
 * tie the later insertion first (not the greater sid): 4, 2, 3, 1, 5. */
static void seed_keys(rg_store *st, char ac[RG_SID_SIZE])
{
    char other[RG_SID_SIZE];
    make_sid(ac, "AC", 1);
    make_sid(other, "AC", 2);
    add_account(st, 1);
    add_account(st, 2);
    static const int64_t dates[] = {100, 200, 200, 300, 50};
    static const unsigned insertion[] = {1, 3, 2, 4, 5};
    for (unsigned i = 0; i < 5; i++)
        add_key(st, insertion[i], ac, dates[insertion[i] - 1]);
    add_key(st, 9, other, 999);
}

static void expect_page(rg_store *st, const char *ac, size_t offset, size_t limit,
                        const unsigned *want, size_t nwant, int want_more)
{
    rg_key_row rows[8];
    size_t count = 99;
    int more = -1;
    assert_int_equal(rg_store_key_list(st, ac, offset, limit, rows, &count, &more), RG_OK);
    assert_int_equal(count, nwant);
    assert_int_equal(more, want_more);
    for (size_t i = 0; i < nwant; i++) {
        char sid[RG_SID_SIZE];
        make_sid(sid, "SK", want[i]);
        assert_string_equal(rows[i].sid, sid);
        assert_string_equal(rows[i].account_sid, ac);
    }
}

static void test_key_list(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    seed_keys(f->st, ac);
    static const unsigned order[] = {4, 2, 3, 1, 5};
    expect_page(f->st, ac, 0, 8, order, 5, 0);
    expect_page(f->st, ac, 0, 5, order, 5, 0); /* exactly all: no more */
    expect_page(f->st, ac, 0, 2, order, 2, 1);
    expect_page(f->st, ac, 2, 2, order + 2, 2, 1);
    expect_page(f->st, ac, 4, 2, order + 4, 1, 0);
    expect_page(f->st, ac, 5, 2, NULL, 0, 0);
    expect_page(f->st, ac, 100, 2, NULL, 0, 0);
    expect_page(f->st, ac, 0, 0, NULL, 0, 1);
    char nobody[RG_SID_SIZE];
    make_sid(nobody, "AC", 77);
    expect_page(f->st, nobody, 0, 8, NULL, 0, 0);
}

/* The paging rule's bounds (store/page.h), the same on every back end: a
 * limit or offset SQL's int64 cannot hold, or no rows to fill, is
 * RG_EINVAL with an empty answer. */
static void test_page_bounds(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    rg_key_row rows[8];
    size_t count = 99;
    int more = -1;
    seed_keys(f->st, ac);
    assert_int_equal(rg_store_key_list(f->st, ac, 0, (size_t)INT64_MAX, rows, &count, &more),
                     RG_EINVAL);
    assert_int_equal(count, 0);
    assert_int_equal(more, 0);
    count = 99, more = -1;
    assert_int_equal(rg_store_key_list(f->st, ac, (size_t)INT64_MAX + 1, 2, rows, &count, &more),
                     RG_EINVAL);
    assert_int_equal(count, 0);
    assert_int_equal(more, 0);
    assert_int_equal(rg_store_key_list(f->st, ac, 0, 2, NULL, &count, &more), RG_EINVAL);
    /* the largest offset it takes: past every row */
    assert_int_equal(rg_store_key_list(f->st, ac, (size_t)INT64_MAX, 2, rows, &count, &more),
                     RG_OK);
    assert_int_equal(count, 0);
    assert_int_equal(more, 0);
    /* no rows asked for: no buffer needed, and the answer still says more */
    assert_int_equal(rg_store_key_list(f->st, ac, 0, 0, NULL, &count, &more), RG_OK);
    assert_int_equal(more, 1);
}

static void test_key_newest(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE], sid[RG_SID_SIZE];
    seed_keys(f->st, ac);
    rg_key_row k;
    assert_int_equal(rg_store_key_newest(f->st, ac, &k), RG_OK);
    make_sid(sid, "SK", 4);
    assert_string_equal(k.sid, sid);
    assert_int_equal(rg_store_key_delete(f->st, sid), RG_OK);
    assert_int_equal(rg_store_key_newest(f->st, ac, &k), RG_OK);
    make_sid(sid, "SK", 2); /* the tie at 200 goes to the later insertion */
    assert_string_equal(k.sid, sid);
    char nobody[RG_SID_SIZE];
    make_sid(nobody, "AC", 77);
    assert_int_equal(rg_store_key_newest(f->st, nobody, &k), RG_ENOTFOUND);
}

static int stop_at_two(void *ud, const rg_key_row *k)
{
    (void)k;
    return ++(*(int *)ud) == 2 ? 42 : 0;
}

static void test_each(void **state)
{
    fixture *f = *state;
    char ac[RG_SID_SIZE];
    seed_keys(f->st, ac);
    int n = 0;
    assert_int_equal(rg_store_key_each(f->st, count_keys, &n), RG_OK);
    assert_int_equal(n, 6);
    n = 0;
    assert_int_equal(rg_store_account_each(f->st, count_accounts, &n), RG_OK);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(rg_store_key_each(f->st, stop_at_two, &n), 42);
    assert_int_equal(n, 2);
    /* The store is usable again after an early stop. */
    assert_int_equal(rg_store_key_newest(f->st, ac, &(rg_key_row){0}), RG_OK);
}

/* ---- cross-connection behaviour ---- */

/* The mark once it holds still for 50 ms (within 5 s): PostgreSQL's
 * learns of other sessions' commits from notifications, which arrive just
 * after the commit, and moves once when its listener starts after the
 * open (store/pg/listen.c); SQLite's is still at once. */
static int64_t settled_mark(rg_store *st)
{
    int64_t v = rg_store_change_mark(st), w;
    for (int i = 0; i < 100; i++) {
        usleep(50000);
        if ((w = rg_store_change_mark(st)) == v) return v;
        v = w;
    }
    return v;
}

static void test_change_mark(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    int64_t v1 = settled_mark(f->st);
    assert_true(v1 >= 0);
    assert_int_equal(rg_store_change_mark(f->st), v1); /* stable while idle */
    add_account(other, 1);
    int64_t v2 = moved_from(f->st, v1);
    assert_true(v2 >= 0 && v2 != v1);
    /* A commit on the same connection does not move it: in-process writers
     * reload the cache themselves. */
    add_account(f->st, 2);
    assert_int_equal(rg_store_change_mark(f->st), v2);
    rg_account a;
    char sid[RG_SID_SIZE];
    make_sid(sid, "AC", 2);
    assert_int_equal(rg_store_account_get(other, sid, &a), RG_OK);
    rg_store_close(other);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reopen_keeps_data),
        T(test_open_missing_dir),
        T(test_accounts),
        T(test_name_limits),
        T(test_injection_names),
        T(test_key_crud),
        T(test_key_unknown_account),
        T(test_key_list),
        T(test_page_bounds),
        T(test_key_newest),
        T(test_each),
        T(test_change_mark),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_watch.c - the change watcher (store/watch.h): one question to the
 * store per check, every listener told once per commit made through
 * another handle, in order, never for this handle's own commits; and the
 * key cache, as a listener, picking up a key the CLI created. */
#include "store_fixture.h"

#include "app/provision.h"
#include "store/keycache.h"
#include "store/watch.h"

typedef struct {
    int calls;
    int64_t mark;
    int order; /* value of *seq when called */
    int *seq;
} heard;

static void listener(void *ud, int64_t mark)
{
    heard *h = ud;
    h->calls++;
    h->mark = mark;
    h->order = (*h->seq)++;
}

static void test_fan_out(void **state)
{
    fixture *f = *state;
    rg_store *other = NULL;
    rg_watch *w = NULL;
    int seq = 0;
    heard a = {.seq = &seq}, b = {.seq = &seq};
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_watch_new(f->st, &w), RG_OK);
    assert_int_equal(rg_watch_listen(w, listener, &a), RG_OK);
    assert_int_equal(rg_watch_listen(w, listener, &b), RG_OK);

    assert_int_equal(rg_watch_check(w), 0); /* nothing committed */
    assert_int_equal(a.calls + b.calls, 0);

    add_account(other, 1); /* another process (the CLI) commits */
    assert_int_equal(rg_watch_check(w), 1);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(a.order, 0); /* in registration order */
    assert_int_equal(b.order, 1);
    assert_int_equal(a.mark, rg_store_change_mark(f->st));
    assert_int_equal(b.mark, a.mark);

    assert_int_equal(rg_watch_check(w), 0); /* told once per change */
    add_account(f->st, 2);                  /* this handle's own commit */
    assert_int_equal(rg_watch_check(w), 0);
    assert_int_equal(a.calls, 1);

    add_account(other, 3);
    add_account(other, 4); /* two commits between checks: one call */
    assert_int_equal(rg_watch_check(w), 1);
    assert_int_equal(a.calls, 2);
    assert_int_equal(b.calls, 2);
    assert_int_equal(a.mark, rg_store_change_mark(f->st));

    rg_watch_free(w);
    rg_store_close(other);
}

static void test_limits(void **state)
{
    fixture *f = *state;
    rg_watch *w = NULL;
    int seq = 0;
    heard h = {.seq = &seq};
    /* no watcher (the CLI, a unit test around one cache): nothing to do */
    assert_int_equal(rg_watch_listen(NULL, listener, &h), RG_OK);
    assert_int_equal(rg_watch_new(f->st, &w), RG_OK);
    for (int i = 0; i < RG_WATCH_MAX; i++)
        assert_int_equal(rg_watch_listen(w, listener, &h), RG_OK);
    assert_int_equal(rg_watch_listen(w, listener, &h), RG_ENOMEM);
    rg_watch_free(w);
    rg_watch_free(NULL);
}

/* The key cache listens: a key created by another process is in it after
 * the next check, also where no miss would have looked (the account's
 * newest key, for minting with the auth token). */
static void test_keycache_listens(void **state)
{
    fixture *f = *state;
    static const uint8_t master[RG_MASTER_KEY_LEN] = {7, 7, 7};
    rg_store *other = NULL;
    rg_watch *w = NULL;
    rg_keycache *kc = NULL;
    rg_key_row row;
    rg_key_view view;
    char ac[RG_SID_SIZE], token[RG_AUTH_TOKEN_LEN + 1], secret[RG_KEY_SECRET_LEN + 1];
    char sk[RG_SID_SIZE];
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_watch_new(f->st, &w), RG_OK);
    assert_int_equal(rg_keycache_new(f->st, master, &kc), RG_OK);
    assert_int_equal(rg_watch_listen(w, rg_keycache_changed, kc), RG_OK);
    uint64_t gen = rg_keycache_generation(kc);

    assert_int_equal(rg_provision_account(other, master, "cli", 10, ac, token), RG_OK);
    assert_int_equal(rg_provision_key(other, master, ac, "cli key", RG_KEY_MAIN, 10, &row, secret),
                     RG_OK);
    assert_int_equal(rg_keycache_newest_key(kc, ac, sk, &view), -1); /* not yet told */
    assert_int_equal(rg_watch_check(w), 1);
    assert_int_equal(rg_keycache_newest_key(kc, ac, sk, &view), 0);
    assert_string_equal(sk, row.sid);
    assert_int_equal(view.secret_len, RG_KEY_SECRET_LEN);
    assert_memory_equal(view.secret, secret, RG_KEY_SECRET_LEN);
    assert_true(rg_keycache_generation(kc) != gen);

    /* deleted there: gone here after the next check */
    assert_int_equal(rg_store_key_delete(other, row.sid), RG_OK);
    assert_int_equal(rg_watch_check(w), 1);
    assert_int_equal(rg_keycache_newest_key(kc, ac, sk, &view), -1);

    rg_keycache_free(kc);
    rg_watch_free(w);
    rg_store_close(other);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_fan_out),
        T(test_limits),
        T(test_keycache_listens),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_keycache.c - the in-memory account/key cache over a real store. */
#include "unit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "core/errors.h"
#include "store/keycache.h"

typedef struct {
    char dir[64];
    char path[96];
    rg_store *st;
    rg_keycache *kc;
    uint8_t master[RG_MASTER_KEY_LEN];
} fixture;

static const char TOKEN[] = "0123456789abcdef0123456789abcdef";

static void sid_of(char out[RG_SID_SIZE], const char *prefix, unsigned n)
{
    snprintf(out, RG_SID_SIZE, "%s%032x", prefix, n);
}

/* Each key's secret is derived from its number, so tests can recompute it. */
static void secret_of(char out[40], unsigned n)
{
    snprintf(out, 40, "secret-%08u-abcdefghijklmnopqrstu", n);
}

static void add_account(rg_store *st, unsigned n)
{
    rg_account a;
    memset(&a, 0, sizeof a);
    sid_of(a.sid, "AC", n);
    strcpy(a.friendly_name, "acct");
    rg_token_hash(TOKEN, strlen(TOKEN), a.token_hash);
    a.date_created = 1;
    assert_int_equal(rg_store_account_insert(st, &a), RG_OK);
}

/* Builds a key row whose secret is sealed under master with aad = aad_sid
 * (normally the key's own SID), as provisioning does.  No cmocka asserts:
 * the reloader thread uses it too. */
static int seal_key_row(const uint8_t *master, unsigned n, unsigned account, int64_t created,
                        const char *aad_sid, rg_key_row *k)
{
    memset(k, 0, sizeof *k);
    sid_of(k->sid, "SK", n);
    sid_of(k->account_sid, "AC", account);
    k->date_created = k->date_updated = created;
    char secret[40];
    secret_of(secret, n);
    uint8_t nonce[12];
    if (RAND_bytes(nonce, sizeof nonce) != 1) return RG_ECRYPTO;
    const char *aad = aad_sid ? aad_sid : k->sid;
    return rg_seal(master, nonce, aad, strlen(aad), (const uint8_t *)secret, strlen(secret),
                   k->sealed, sizeof k->sealed, &k->sealed_len);
}

static void add_key_sealed(rg_store *st, const uint8_t *master, unsigned n, unsigned account,
                           int64_t created, const char *aad_sid)
{
    rg_key_row k;
    assert_int_equal(seal_key_row(master, n, account, created, aad_sid, &k), RG_OK);
    assert_int_equal(rg_store_key_insert(st, &k), RG_OK);
}

static void add_key(fixture *f, rg_store *st, unsigned n, unsigned account, int64_t created)
{
    add_key_sealed(st, f->master, n, account, created, NULL);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    strcpy(f->dir, "/tmp/rg_kc_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/roomgate.db", f->dir);
    for (size_t i = 0; i < sizeof f->master; i++)
        f->master[i] = (uint8_t)(0x80 + i);
    if (rg_store_open(f->path, &f->st) != RG_OK) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rg_keycache_free(f->kc);
    rg_store_close(f->st);
    rg_test_remove_db(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Account 1 with keys 1 (t=100) and 2 (t=200); account 2 with no keys. */
static void seed(fixture *f)
{
    add_account(f->st, 1);
    add_account(f->st, 2);
    add_key(f, f->st, 1, 1, 100);
    add_key(f, f->st, 2, 1, 200);
    assert_int_equal(rg_keycache_new(f->st, f->master, &f->kc), RG_OK);
}

static int key_present(rg_keycache *kc, unsigned n)
{
    char sid[RG_SID_SIZE];
    sid_of(sid, "SK", n);
    rg_key_view v;
    return rg_keycache_lookup_key(kc, sid, &v) == 0;
}

/* ---- lookups ---- */

static void test_lookup(void **state)
{
    fixture *f = *state;
    seed(f);
    char sid[RG_SID_SIZE], ac[RG_SID_SIZE], secret[40];
    sid_of(sid, "SK", 1);
    sid_of(ac, "AC", 1);
    secret_of(secret, 1);
    rg_key_view v;
    assert_int_equal(rg_keycache_lookup_key(f->kc, sid, &v), 0);
    assert_string_equal(v.account_sid, ac);
    assert_int_equal(v.secret_len, strlen(secret));
    assert_memory_equal(v.secret, secret, v.secret_len);

    sid_of(sid, "SK", 3);
    assert_int_equal(rg_keycache_lookup_key(f->kc, sid, &v), -1);
    assert_int_equal(rg_keycache_lookup_key(f->kc, "", &v), -1);
    assert_int_equal(rg_keycache_lookup_key(f->kc, NULL, &v), -1);
    assert_int_equal(rg_keycache_lookup_key(f->kc, ac, &v), -1); /* an account is not a key */
    char longer[64];
    sid_of(sid, "SK", 1);
    snprintf(longer, sizeof longer, "%sX", sid); /* a valid SID plus one byte */
    assert_int_equal(rg_keycache_lookup_key(f->kc, longer, &v), -1);
}

static void test_check_account(void **state)
{
    fixture *f = *state;
    seed(f);
    char ac[RG_SID_SIZE], bad[sizeof TOKEN];
    sid_of(ac, "AC", 1);
    size_t n = strlen(TOKEN);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, TOKEN, n), 0);
    memcpy(bad, TOKEN, sizeof bad);
    bad[n - 1] ^= 1;
    assert_int_equal(rg_keycache_check_account(f->kc, ac, bad, n), -1);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, TOKEN, n - 1), -1);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, "", 0), -1);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, NULL, 0), -1);
    sid_of(ac, "AC", 9); /* unknown account, right token */
    assert_int_equal(rg_keycache_check_account(f->kc, ac, TOKEN, n), -1);
    assert_int_equal(rg_keycache_check_account(f->kc, NULL, TOKEN, n), -1);
}

static void test_check_key(void **state)
{
    fixture *f = *state;
    seed(f);
    char sid[RG_SID_SIZE], ac[RG_SID_SIZE], secret[40], out[RG_SID_SIZE] = "untouched";
    sid_of(sid, "SK", 2);
    sid_of(ac, "AC", 1);
    secret_of(secret, 2);
    size_t n = strlen(secret);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, n, out), 0);
    assert_string_equal(out, ac);

    strcpy(out, "untouched");
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, n - 1, out), -1);
    char longer[RG_SECRET_MAX + 40];
    memset(longer, 'z', sizeof longer);
    memcpy(longer, secret, n);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, longer, n + 1, out), -1);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, longer, sizeof longer, out), -1);
    secret[0] ^= 1;
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, n, out), -1);
    secret[0] ^= 1;
    char other[40];
    secret_of(other, 1); /* key 1's secret does not open key 2 */
    assert_int_equal(rg_keycache_check_key(f->kc, sid, other, strlen(other), out), -1);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, "", 0, out), -1);
    sid_of(sid, "SK", 9);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, n, out), -1);
    assert_string_equal(out, "untouched");
}

static void test_newest_key(void **state)
{
    fixture *f = *state;
    seed(f);
    char ac[RG_SID_SIZE], want[RG_SID_SIZE], got[RG_SID_SIZE], secret[40];
    rg_key_view v;
    sid_of(ac, "AC", 1);
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), 0);
    sid_of(want, "SK", 2);
    assert_string_equal(got, want);
    secret_of(secret, 2);
    assert_memory_equal(v.secret, secret, strlen(secret));

    /* Same date as key 2: the later insertion wins (not the greater SID),
     * as in the store. */
    add_key(f, f->st, 7, 1, 200);
    add_key(f, f->st, 0, 1, 200);
    assert_int_equal(rg_keycache_reload(f->kc), RG_OK);
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), 0);
    sid_of(want, "SK", 0);
    assert_string_equal(got, want);
    rg_key_row row;
    assert_int_equal(rg_store_key_newest(f->st, ac, &row), RG_OK);
    assert_string_equal(row.sid, want);

    sid_of(ac, "AC", 2); /* no keys */
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), -1);
    sid_of(ac, "AC", 9); /* no account */
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), -1);
}

/* ---- reloads ---- */

static void test_delete_then_reload(void **state)
{
    fixture *f = *state;
    seed(f);
    char sid[RG_SID_SIZE], ac[RG_SID_SIZE], got[RG_SID_SIZE], secret[40], out[RG_SID_SIZE];
    sid_of(sid, "SK", 2);
    sid_of(ac, "AC", 1);
    secret_of(secret, 2);
    assert_int_equal(rg_store_key_delete(f->st, sid), RG_OK);
    assert_int_equal(rg_keycache_reload(f->kc), RG_OK);
    assert_false(key_present(f->kc, 2));
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), -1);
    rg_key_view v;
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), 0); /* falls back to key 1 */
    sid_of(sid, "SK", 1);
    assert_string_equal(got, sid);
    assert_true(key_present(f->kc, 1));
}

static void test_poll_sees_other_connection(void **state)
{
    fixture *f = *state;
    seed(f);
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK); /* nothing changed */
    add_account(other, 3);
    add_key(f, other, 3, 3, 300);
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK);
    assert_true(key_present(f->kc, 3));
    char ac[RG_SID_SIZE], sid[RG_SID_SIZE];
    sid_of(ac, "AC", 3);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, TOKEN, strlen(TOKEN)), 0);

    sid_of(sid, "SK", 3);
    assert_int_equal(rg_store_key_delete(other, sid), RG_OK);
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK);
    assert_false(key_present(f->kc, 3));
    rg_store_close(other);
}

/* Issue 10 ("Also"): a key or account another process (the CLI) has just
 * committed works at the next check, without waiting for the poll. */
static void test_miss_consults_store(void **state)
{
    fixture *f = *state;
    seed(f);
    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    add_account(other, 3);
    add_key(f, other, 3, 3, 300);
    char ac[RG_SID_SIZE], sid[RG_SID_SIZE], secret[40], out[RG_SID_SIZE];
    sid_of(ac, "AC", 3);
    sid_of(sid, "SK", 3);
    secret_of(secret, 3);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), 0);
    assert_string_equal(out, ac);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, TOKEN, strlen(TOKEN)), 0);
    assert_int_equal(rg_keycache_key_type(f->kc, sid), RG_KEY_STANDARD);

    add_account(other, 4); /* an account alone, and a key looked up by token validation */
    sid_of(ac, "AC", 4);
    assert_int_equal(rg_keycache_check_account(f->kc, ac, TOKEN, strlen(TOKEN)), 0);
    add_key(f, other, 5, 4, 500);
    assert_true(key_present(f->kc, 5));
    /* a wrong secret for a new key is still wrong */
    add_key(f, other, 6, 4, 600);
    sid_of(sid, "SK", 6);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), -1);
    rg_store_close(other);
}

static int64_t frozen_ms(void)
{
    return 1000;
}

/* The negative cache: with nothing committed elsewhere a miss reads no
 * row; after a commit elsewhere one unknown SID is read once, not once per
 * request; distinct unknown SIDs are read at most RG_KEYCACHE_MISS_READS
 * times in a (frozen) second. */
static void test_negative_cache_bounds_reads(void **state)
{
    fixture *f = *state;
    seed(f);
    rg_keycache_set_clock(f->kc, frozen_ms);
    char sid[RG_SID_SIZE], secret[40], out[RG_SID_SIZE];
    secret_of(secret, 1);
    for (unsigned i = 0; i < 1000; i++) {
        sid_of(sid, "SK", 0x10000 + i);
        assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), -1);
    }
    assert_int_equal(rg_keycache_store_reads(f->kc), 0);

    rg_store *other = NULL;
    assert_int_equal(rg_store_open(f->path, &other), RG_OK);
    add_account(other, 7); /* change mark moves; the poll has not run */
    sid_of(sid, "SK", 0x999);
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), -1);
    assert_int_equal(rg_keycache_store_reads(f->kc), 1);
    sid_of(sid, "AC", 0x999);
    for (unsigned i = 0; i < 100; i++)
        assert_int_equal(rg_keycache_check_account(f->kc, sid, TOKEN, strlen(TOKEN)), -1);
    assert_int_equal(rg_keycache_store_reads(f->kc), 2);

    for (unsigned i = 0; i < 5000; i++) {
        sid_of(sid, "SK", 0x20000 + i);
        assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), -1);
    }
    assert_true(rg_keycache_store_reads(f->kc) <= RG_KEYCACHE_MISS_READS);
    assert_true(rg_keycache_store_reads(f->kc) >= 100);
    /* the poll catches up, and misses are free again */
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK);
    uint64_t before = rg_keycache_store_reads(f->kc);
    sid_of(sid, "SK", 0x30000);
    assert_int_equal(rg_keycache_check_key(f->kc, sid, secret, strlen(secret), out), -1);
    assert_int_equal(rg_keycache_store_reads(f->kc), before);
    /* the budget is exhausted at the frozen time: a key created now is
     * found by the poll, as before this change */
    add_key(f, other, 8, 7, 800);
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK);
    assert_true(key_present(f->kc, 8));
    rg_store_close(other);
}

/* poll reacts to other connections only; own writes need reload (which is
 * what in-process writers call). */
static void test_poll_ignores_own_writes(void **state)
{
    fixture *f = *state;
    seed(f);
    add_key(f, f->st, 5, 1, 500);
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK);
    assert_false(key_present(f->kc, 5));
    assert_int_equal(rg_keycache_reload(f->kc), RG_OK);
    assert_true(key_present(f->kc, 5));
}

/* A key sealed for another row or under another master key is skipped;
 * the rest of the cache loads. */
static void test_bad_seal_skipped(void **state)
{
    fixture *f = *state;
    add_account(f->st, 1);
    add_key(f, f->st, 1, 1, 100);
    char moved[RG_SID_SIZE];
    sid_of(moved, "SK", 1);
    add_key_sealed(f->st, f->master, 2, 1, 200, moved); /* aad of key 1 */
    uint8_t wrong[RG_MASTER_KEY_LEN];
    memset(wrong, 0x11, sizeof wrong);
    add_key_sealed(f->st, wrong, 3, 1, 300, NULL);
    assert_int_equal(rg_keycache_new(f->st, f->master, &f->kc), RG_OK);
    assert_true(key_present(f->kc, 1));
    assert_false(key_present(f->kc, 2));
    assert_false(key_present(f->kc, 3));
    char ac[RG_SID_SIZE], got[RG_SID_SIZE], want[RG_SID_SIZE];
    rg_key_view v;
    sid_of(ac, "AC", 1);
    sid_of(want, "SK", 1);
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), 0);
    assert_string_equal(got, want);
}

static void test_empty_and_many(void **state)
{
    fixture *f = *state;
    assert_int_equal(rg_keycache_new(f->st, f->master, &f->kc), RG_OK);
    assert_false(key_present(f->kc, 1));
    add_account(f->st, 1);
    for (unsigned i = 1; i <= 500; i++)
        add_key(f, f->st, i, 1, i);
    assert_int_equal(rg_keycache_reload(f->kc), RG_OK);
    for (unsigned i = 1; i <= 500; i++)
        assert_true(key_present(f->kc, i));
    assert_false(key_present(f->kc, 501));
    char ac[RG_SID_SIZE], got[RG_SID_SIZE], want[RG_SID_SIZE];
    rg_key_view v;
    sid_of(ac, "AC", 1);
    sid_of(want, "SK", 500);
    assert_int_equal(rg_keycache_newest_key(f->kc, ac, got, &v), 0);
    assert_string_equal(got, want);
}

/* ---- concurrency ---- */

#define READERS 4
#define RELOADS 100

typedef struct {
    fixture *f;
    atomic_int failures;
    atomic_int stop;
} race;

/* Key 1 is never touched: every lookup of it must succeed, whatever the
 * reloader is doing.  Readers run until the reloader is done, so the two
 * overlap for the whole test. */
static void *reader(void *arg)
{
    race *r = arg;
    char sid[RG_SID_SIZE], ac[RG_SID_SIZE], secret[40], out[RG_SID_SIZE], got[RG_SID_SIZE];
    sid_of(sid, "SK", 1);
    sid_of(ac, "AC", 1);
    secret_of(secret, 1);
    for (long i = 0; i < 100 || !atomic_load(&r->stop); i++) {
        rg_key_view v;
        int bad = rg_keycache_lookup_key(r->f->kc, sid, &v) != 0 ||
                  memcmp(v.secret, secret, strlen(secret)) != 0 ||
                  rg_keycache_check_key(r->f->kc, sid, secret, strlen(secret), out) != 0 ||
                  rg_keycache_check_account(r->f->kc, ac, TOKEN, strlen(TOKEN)) != 0 ||
                  rg_keycache_newest_key(r->f->kc, ac, got, &v) != 0;
        if (bad) atomic_fetch_add(&r->failures, 1);
        key_present(r->f->kc, 2); /* churned: either answer is fine */
    }
    return NULL;
}

/* Deletes and re-adds key 2 through a second connection, and alternates
 * reload and poll, so generations are swapped while readers run. */
static void *reloader(void *arg)
{
    race *r = arg;
    rg_store *other = NULL;
    if (rg_store_open(r->f->path, &other) != RG_OK) {
        atomic_fetch_add(&r->failures, 1);
        atomic_store(&r->stop, 1);
        return NULL;
    }
    char sid[RG_SID_SIZE];
    sid_of(sid, "SK", 2);
    for (int i = 0; i < RELOADS; i++) {
        rg_key_row k;
        if (i % 2 == 0 && rg_store_key_get(r->f->st, sid, &k) == RG_OK) {
            if (rg_store_key_delete(other, sid) != RG_OK) atomic_fetch_add(&r->failures, 1);
        } else if (i % 2 == 0) {
            if (seal_key_row(r->f->master, 2, 1, 200, NULL, &k) != RG_OK ||
                rg_store_key_insert(other, &k) != RG_OK)
                atomic_fetch_add(&r->failures, 1);
        }
        int rc = i % 3 == 0 ? rg_keycache_poll(r->f->kc) : rg_keycache_reload(r->f->kc);
        if (rc != RG_OK) atomic_fetch_add(&r->failures, 1);
    }
    rg_store_close(other);
    atomic_store(&r->stop, 1);
    return NULL;
}

static void test_concurrent_reload(void **state)
{
    fixture *f = *state;
    seed(f);
    race r = {.f = f};
    pthread_t readers[READERS], writer;
    for (int i = 0; i < READERS; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, reader, &r), 0);
    assert_int_equal(pthread_create(&writer, NULL, reloader, &r), 0);
    for (int i = 0; i < READERS; i++)
        pthread_join(readers[i], NULL);
    pthread_join(writer, NULL);
    assert_int_equal(atomic_load(&r.failures), 0);
    /* Once quiet, the cache agrees with the store. */
    assert_int_equal(rg_keycache_poll(f->kc), RG_OK);
    char sid[RG_SID_SIZE];
    rg_key_row k;
    sid_of(sid, "SK", 2);
    assert_int_equal(key_present(f->kc, 2), rg_store_key_get(f->st, sid, &k) == RG_OK);
    assert_true(key_present(f->kc, 1));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_lookup),
        T(test_check_account),
        T(test_check_key),
        T(test_miss_consults_store),
        T(test_negative_cache_bounds_reads),
        T(test_newest_key),
        T(test_delete_then_reload),
        T(test_poll_sees_other_connection),
        T(test_poll_ignores_own_writes),
        T(test_bad_seal_skipped),
        T(test_empty_and_many),
        T(test_concurrent_reload),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_rowcache.c - the in-memory row cache: hits, misses, replacement,
 * generations (no stale row cached after a change), capacity, threads. */
#include "unit.h"

#include <pthread.h>
#include <stdio.h>

#include "store/rowcache.h"

typedef struct {
    int64_t a;
    char s[24];
} row;

static rg_rowcache *make(size_t cap)
{
    rg_rowcache *c = NULL;
    assert_int_equal(rg_rowcache_new(sizeof(row), cap, 0x1234, &c), 0);
    return c;
}

static void test_get_put(void **state)
{
    (void)state;
    rg_rowcache *c = make(16);
    row r = {42, "forty-two"}, out;
    assert_int_equal(rg_rowcache_get(c, "k1", &out), -1);
    rg_rowcache_put(c, "k1", &r, rg_rowcache_gen(c));
    memset(&out, 0, sizeof out);
    assert_int_equal(rg_rowcache_get(c, "k1", &out), 0);
    assert_int_equal(out.a, 42);
    assert_string_equal(out.s, "forty-two");
    assert_int_equal(rg_rowcache_get(c, "k2", &out), -1);
    assert_int_equal(rg_rowcache_get(c, "k", &out), -1);
    assert_int_equal(rg_rowcache_get(c, "k10", &out), -1);
    /* replace in place */
    r.a = 7;
    rg_rowcache_put(c, "k1", &r, rg_rowcache_gen(c));
    assert_int_equal(rg_rowcache_get(c, "k1", &out), 0);
    assert_int_equal(out.a, 7);
    rg_rowcache_free(c);
}

/* A row read before a change must not be cached after it. */
static void test_generations(void **state)
{
    (void)state;
    rg_rowcache *c = make(16);
    row r = {1, "old"}, out;
    uint64_t g = rg_rowcache_gen(c);
    rg_rowcache_del(c, "other"); /* any change, even of another key */
    rg_rowcache_put(c, "k", &r, g);
    assert_int_equal(rg_rowcache_get(c, "k", &out), -1);
    g = rg_rowcache_gen(c);
    rg_rowcache_clear(c);
    rg_rowcache_put(c, "k", &r, g);
    assert_int_equal(rg_rowcache_get(c, "k", &out), -1);
    g = rg_rowcache_gen(c);
    rg_rowcache_put(c, "k", &r, g);
    assert_int_equal(rg_rowcache_get(c, "k", &out), 0);
    rg_rowcache_del(c, "k");
    assert_int_equal(rg_rowcache_get(c, "k", &out), -1);
    rg_rowcache_put(c, "a", &r, rg_rowcache_gen(c));
    rg_rowcache_put(c, "b", &r, rg_rowcache_gen(c));
    rg_rowcache_clear(c);
    assert_int_equal(rg_rowcache_get(c, "a", &out), -1);
    assert_int_equal(rg_rowcache_get(c, "b", &out), -1);
    rg_rowcache_free(c);
}

/* A full cache starts over instead of growing. */
static void test_capacity(void **state)
{
    (void)state;
    rg_rowcache *c = make(8);
    row r = {0, ""}, out;
    char key[16];
    int present = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        r.a = i;
        rg_rowcache_put(c, key, &r, rg_rowcache_gen(c));
        assert_int_equal(rg_rowcache_get(c, key, &out), 0);
        assert_int_equal(out.a, i);
    }
    for (int i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        present += rg_rowcache_get(c, key, &out) == 0;
    }
    assert_true(present >= 1 && present <= 8);
    rg_rowcache_free(c);
}

static void test_keys(void **state)
{
    (void)state;
    rg_rowcache *c = make(8);
    row r = {5, "x"}, out;
    char big[RG_ROWCACHE_KEY_MAX + 10], key[RG_ROWCACHE_KEY_MAX + 1];
    memset(big, 'k', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rg_rowcache_put(c, big, &r, rg_rowcache_gen(c)); /* too long: not cached */
    assert_int_equal(rg_rowcache_get(c, big, &out), -1);
    assert_int_equal(rg_rowcache_key(key, "AC01", "room"), 0);
    assert_int_equal(memcmp(key, "AC01\x1froom", 10), 0);
    /* the separator keeps (account, id) pairs apart */
    char k2[RG_ROWCACHE_KEY_MAX + 1];
    assert_int_equal(rg_rowcache_key(k2, "AC0", "1\x1froom"), 0);
    rg_rowcache_put(c, key, &r, rg_rowcache_gen(c));
    assert_int_equal(rg_rowcache_get(c, key, &out), 0);
    big[300] = '\0';
    assert_int_equal(rg_rowcache_key(key, "AC0123456789abcdef0123456789abcdef", big), -1);
    rg_rowcache_free(c);
    assert_int_equal(rg_rowcache_new(0, 8, 0, &c), -1);
    assert_null(c);
    rg_rowcache_free(NULL);
}

static void *hammer(void *arg)
{
    rg_rowcache *c = arg;
    row r = {0, "t"}, out;
    char key[16];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k%d", i % 64);
        r.a = i % 64;
        if (i % 3 == 0)
            rg_rowcache_put(c, key, &r, rg_rowcache_gen(c));
        else if (i % 97 == 0)
            rg_rowcache_del(c, key);
        else if (rg_rowcache_get(c, key, &out) == 0 && out.a != i % 64)
            return (void *)1;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    rg_rowcache *c = make(32);
    pthread_t t[4];
    void *ret;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, c), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &ret);
        assert_null(ret);
    }
    rg_rowcache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_put),  cmocka_unit_test(test_generations),
        cmocka_unit_test(test_capacity), cmocka_unit_test(test_keys),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

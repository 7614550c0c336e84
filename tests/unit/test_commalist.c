/* test_commalist.c - core/commalist.c: the one splitter of comma-separated
 * option values (--cors-origins, --playback-validator-accounts, host lists). */
#include "unit.h"

#include "core/commalist.h"

typedef struct {
    char seen[8][32];
    int n;
    int stop_at; /* return 7 on this entry (-1: never) */
} collect;

static int add(void *ud, const char *s, size_t n)
{
    collect *c = ud;
    assert_true(n < sizeof c->seen[0] && c->n < 8);
    memcpy(c->seen[c->n], s, n);
    c->seen[c->n][n] = '\0';
    return c->n++ == c->stop_at ? 7 : 0;
}

static void test_trims_and_splits(void **state)
{
    collect c = {.stop_at = -1};
    (void)state;
    assert_int_equal(rg_commalist_each(" a.example ,b,, c d ,", add, &c), 0);
    assert_int_equal(c.n, 4); /* a trailing comma ends the list */
    assert_string_equal(c.seen[0], "a.example");
    assert_string_equal(c.seen[1], "b");
    assert_string_equal(c.seen[2], ""); /* empty entries are passed on */
    assert_string_equal(c.seen[3], "c d");
}

static void test_stops_and_empty(void **state)
{
    collect c = {.stop_at = 1};
    (void)state;
    assert_int_equal(rg_commalist_each("x,y,z", add, &c), 7);
    assert_int_equal(c.n, 2);
    c.n = 0;
    assert_int_equal(rg_commalist_each(NULL, add, &c), 0);
    assert_int_equal(rg_commalist_each("", add, &c), 0);
    assert_int_equal(c.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trims_and_splits),
        cmocka_unit_test(test_stops_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_importq.c - the import threads: one running import per account,
 * other accounts on the other threads, the per-account queue limit, flush
 * and stop running what is queued. */
#include "unit.h"

#include <pthread.h>

#include "playback/importq.h"

/* A job whose work waits on a gate when gated, and records its order. */
typedef struct {
    rg_defer d; /* first: work gets &d */
    rg_import_job j;
    int gated;
    int started, ended;
} job;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int open_gate, clock_;

static void work(rg_defer *d)
{
    job *x = (job *)d;
    pthread_mutex_lock(&mu);
    x->started = ++clock_;
    pthread_cond_broadcast(&cv);
    while (x->gated && !open_gate)
        pthread_cond_wait(&cv, &mu);
    x->ended = ++clock_;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void init(job *x, const char *account, int gated)
{
    memset(x, 0, sizeof *x);
    x->d.work = work;
    x->j.d = &x->d;
    snprintf(x->j.account, sizeof x->j.account, "%s", account);
    x->gated = gated;
}

/* Waits (without a clock: the workers signal every change) until x ran. */
static void wait_started(job *x)
{
    pthread_mutex_lock(&mu);
    while (!x->started)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void wait_ended(job *x)
{
    pthread_mutex_lock(&mu);
    while (!x->ended)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void set_gate(int v)
{
    pthread_mutex_lock(&mu);
    open_gate = v;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

#define AC_A "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define AC_B "ACbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void test_one_per_account(void **state)
{
    (void)state;
    rg_importq *q = rg_importq_start(2);
    job a1, a2, b1;
    assert_non_null(q);
    set_gate(0);
    init(&a1, AC_A, 1);
    init(&a2, AC_A, 0);
    init(&b1, AC_B, 0);
    assert_int_equal(rg_importq_push(q, &a1.j), 0);
    wait_started(&a1);
    assert_int_equal(rg_importq_push(q, &a2.j), 0);
    assert_int_equal(rg_importq_push(q, &b1.j), 0);
    /* B runs on the free thread while A's first is held; A's second waits
     * for it although a thread was free when it was queued */
    wait_ended(&b1);
    pthread_mutex_lock(&mu);
    assert_int_equal(a2.started, 0);
    assert_int_equal(a1.ended, 0);
    pthread_mutex_unlock(&mu);
    set_gate(1);
    rg_importq_flush(q);
    assert_true(a2.started > a1.ended);
    rg_importq_stop(q);
}

static void test_per_account_limit(void **state)
{
    (void)state;
    rg_importq *q = rg_importq_start(1);
    job a[RG_IMPORTS_PER_ACCOUNT + 1], b;
    assert_non_null(q);
    set_gate(0);
    init(&a[0], AC_A, 1);
    assert_int_equal(rg_importq_push(q, &a[0].j), 0);
    wait_started(&a[0]);
    for (int i = 1; i < RG_IMPORTS_PER_ACCOUNT; i++) {
        init(&a[i], AC_A, 0);
        assert_int_equal(rg_importq_push(q, &a[i].j), 0);
    }
    /* running + queued = the limit: the next of A is refused, B's is not */
    init(&a[RG_IMPORTS_PER_ACCOUNT], AC_A, 0);
    assert_int_equal(rg_importq_push(q, &a[RG_IMPORTS_PER_ACCOUNT].j), -1);
    init(&b, AC_B, 0);
    assert_int_equal(rg_importq_push(q, &b.j), 0);
    set_gate(1);
    rg_importq_flush(q);
    for (int i = 0; i < RG_IMPORTS_PER_ACCOUNT; i++)
        assert_true(a[i].ended > 0);
    assert_int_equal(a[RG_IMPORTS_PER_ACCOUNT].started, 0);
    assert_true(b.ended > 0);
    /* in order within the account */
    for (int i = 1; i < RG_IMPORTS_PER_ACCOUNT; i++)
        assert_true(a[i].started > a[i - 1].ended);
    rg_importq_stop(q);
}

static void test_stop_runs_the_queue(void **state)
{
    (void)state;
    rg_importq *q = rg_importq_start(3);
    job x[5];
    assert_non_null(q);
    set_gate(1);
    for (int i = 0; i < 5; i++) {
        init(&x[i], i % 2 ? AC_A : AC_B, 0);
        assert_int_equal(rg_importq_push(q, &x[i].j), 0);
    }
    rg_importq_stop(q);
    for (int i = 0; i < 5; i++)
        assert_true(x[i].ended > 0);
    assert_null(rg_importq_start(0));
    assert_null(rg_importq_start(RG_IMPORT_THREADS_MAX + 1));
    rg_importq_flush(NULL);
    rg_importq_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_per_account),
        cmocka_unit_test(test_per_account_limit),
        cmocka_unit_test(test_stop_runs_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

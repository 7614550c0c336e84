/* test_fiber.c - handlers on fibers of a loop (http/fiber.h) and the lock
 * they share (store/yield.h), without a database: a handler here "waits
 * for its statement" the way store/pg/wait.c does, on one end of a
 * socket pair the test writes to when it wants the answer to come. */
#include "unit.h"

#include <poll.h>
#include <sys/socket.h>

#include "http/fiber.h"
#include "store/yield.h"

typedef struct {
    h2o_loop_t *loop;
    rg_fibers *fs;
    h2o_req_t req[4];
    rg_call call[4];
    int sv[2];     /* [0]: the "connection" the handlers wait on; [1]: the test's end */
    rg_ylock lock; /* the connection's lock */
    char order[16];
    int norder;
    int done[4];
} fixture;

static fixture *X;

static void note(char what)
{
    X->order[X->norder++] = what;
}

/* As wait.c: give the loop back when the caller may, else block. */
static void await_byte(void)
{
    const rg_yield *y = rg_yield_get();
    char b;
    while (recv(X->sv[0], &b, 1, MSG_DONTWAIT) != 1) {
        if (y != NULL && y->can_wait()) {
            y->wait_fd(X->sv[0], POLLIN);
        } else {
            struct pollfd p = {X->sv[0], POLLIN, 0};
            poll(&p, 1, 5000);
        }
    }
}

/* A statement on the connection: take it, wait for the answer, give it. */
static void statement(rg_call *c)
{
    int i = (int)(c - X->call);
    rg_ylock_take(&X->lock);
    note((char)('A' + i));
    await_byte();
    note((char)('a' + i));
    rg_ylock_give(&X->lock);
    X->done[i] = 1;
}

static void instant(rg_call *c)
{
    X->done[c - X->call] = 1;
}

static int setup(void **state)
{
    fixture *x = calloc(1, sizeof *x);
    x->loop = h2o_evloop_create();
    x->fs = rg_fibers_new(x->loop, 3, NULL);
    for (int i = 0; i < 4; i++) {
        h2o_mem_init_pool(&x->req[i].pool);
        x->call[i].req = &x->req[i];
    }
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, x->sv), 0);
    rg_ylock_init(&x->lock);
    X = x;
    *state = x;
    return 0;
}

static void run_until_done(fixture *x, int n)
{
    for (int turn = 0; turn < 200; turn++) {
        int all = 1;
        for (int i = 0; i < n; i++)
            all &= x->done[i];
        if (all) return;
        h2o_evloop_run(x->loop, 10);
    }
    fail_msg("the fibers did not end");
}

static int teardown(void **state)
{
    fixture *x = *state;
    for (int i = 0; i < 4; i++)
        h2o_mem_clear_pool(&x->req[i].pool);
    rg_fibers_free(x->fs);
    for (int i = 0; i < 3; i++)
        h2o_evloop_run(x->loop, 0); /* the watchers' sockets are freed */
    h2o_evloop_destroy(x->loop);
    close(x->sv[0]);
    close(x->sv[1]);
    rg_ylock_destroy(&x->lock);
    free(x);
    X = NULL;
    return 0;
}

static void test_runs_to_its_end(void **state)
{
    fixture *x = *state;
    assert_int_equal(rg_fiber_call(x->fs, &x->call[0], instant), 0);
    assert_true(x->done[0]);
    assert_null(rg_yield_get()->self()); /* back on the loop's stack */
}

/* The handler waits: rg_fiber_call returns to the loop at once, and the
 * handler goes on where it was once the answer is there. */
static void test_wait_gives_the_loop_back(void **state)
{
    fixture *x = *state;
    rg_fiber_call(x->fs, &x->call[0], statement);
    assert_false(x->done[0]);
    assert_string_equal(x->order, "A");
    h2o_evloop_run(x->loop, 0);
    assert_false(x->done[0]); /* nothing to read yet: still waiting */
    assert_int_equal(write(x->sv[1], "1", 1), 1);
    run_until_done(x, 1);
    assert_string_equal(x->order, "Aa");
}

/* Three handlers of one loop want the one connection: the later two park
 * (the loop is not blocked: rg_fiber_call returns) and run in order. */
static void test_parked_take_turns(void **state)
{
    fixture *x = *state;
    for (int i = 0; i < 3; i++)
        rg_fiber_call(x->fs, &x->call[i], statement);
    assert_string_equal(x->order, "A");
    assert_int_equal(write(x->sv[1], "123", 3), 3);
    run_until_done(x, 3);
    assert_string_equal(x->order, "AaBbCc");
}

/* Code on the loop's own stack (the hub's seat batch) needs the
 * connection a waiting fiber holds: it runs that fiber to its release,
 * the fiber's rest comes at the loop's next turn. */
static void test_loop_stack_drives_the_holder(void **state)
{
    fixture *x = *state;
    rg_fiber_call(x->fs, &x->call[0], statement);
    assert_int_equal(write(x->sv[1], "1", 1), 1);
    rg_ylock_take(&X->lock); /* without drive: a deadlock, this thread on itself */
    note('L');
    assert_string_equal(x->order, "AaL");
    assert_false(x->done[0]); /* released, not yet resumed */
    rg_ylock_give(&X->lock);
    run_until_done(x, 1);
}

/* The request goes away (h2o frees its pool) while its handler waits:
 * the handler is run to its end there and then, its waits blocking. */
static void test_gone_request_finishes_now(void **state)
{
    fixture *x = *state;
    rg_fiber_call(x->fs, &x->call[0], statement);
    rg_fiber_call(x->fs, &x->call[1], statement); /* parked behind it */
    assert_int_equal(write(x->sv[1], "12", 2), 2);
    h2o_mem_clear_pool(&x->req[1].pool); /* the parked one's client leaves */
    assert_true(x->call[1].gone);
    assert_true(x->done[1]); /* it drove the holder, then ran */
    assert_string_equal(x->order, "AaBb");
    run_until_done(x, 2);
    h2o_mem_init_pool(&x->req[1].pool);
}

/* At most max fibers alive: the next handler is refused, not run on the
 * loop's stack (where it would block the loop). */
static void test_no_more_than_max(void **state)
{
    fixture *x = *state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(rg_fiber_call(x->fs, &x->call[i], statement), 0);
    assert_int_equal(rg_fiber_call(x->fs, &x->call[3], instant), -1);
    assert_false(x->done[3]);
    assert_int_equal(write(x->sv[1], "123", 3), 3);
    run_until_done(x, 3);
    assert_int_equal(rg_fiber_call(x->fs, &x->call[3], instant), 0); /* a fiber is free again */
    assert_true(x->done[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_runs_to_its_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_gives_the_loop_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parked_take_turns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_stack_drives_the_holder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gone_request_finishes_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_more_than_max, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

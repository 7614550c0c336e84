/* test_modules.c - the module list of `serve` (cli/modules.c, http/module.h):
 * every option row belongs to a module (or the server shell), names are
 * unique, the route table is the modules' routes in list order, the list
 * keeps the orders the lifecycle depends on; and the lifecycle itself over
 * stand-in modules (start order, a failed start, signals blocked). */
#include "unit.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/modules.h"
#include "cli/serve_options.h"

static int index_of(const char *name)
{
    for (int i = 0; rg_serve_modules[i] != NULL; i++)
        if (strcmp(rg_serve_modules[i]->name, name) == 0) return i;
    return -1;
}

/* Each row's section is the server's or a module's, and each module's
 * section has rows: an option cannot be read by nobody. */
static void test_options_belong_to_modules(void **state)
{
    (void)state;
    for (size_t i = 0; i < rg_serve_nopts; i++) {
        const rg_opt_section *sec = rg_serve_opts[i].section;
        int owned = sec == &rg_server_options;
        for (int m = 0; rg_serve_modules[m] != NULL; m++)
            owned += rg_serve_modules[m]->options == sec;
        if (owned != 1)
            fail_msg("--%s: its section belongs to %d owners", rg_serve_opts[i].name, owned);
    }
    for (int m = 0; rg_serve_modules[m] != NULL; m++) {
        int rows = 0;
        if (rg_serve_modules[m]->options == NULL) continue;
        for (size_t i = 0; i < rg_serve_nopts; i++)
            rows += rg_serve_opts[i].section == rg_serve_modules[m]->options;
        if (rows == 0)
            fail_msg("module %s: an option section without options", rg_serve_modules[m]->name);
    }
}

/* A few options and the module that reads them. */
static void test_option_owners(void **state)
{
    static const struct {
        const char *opt, *module;
    } want[] = {{"consultation-margin", "consultations"},
                {"room-timeout-unit", "rooms"},
                {"metrics-listen", "metrics"},
                {"lobby-timeout", "signal"},
                {"turn-secret", "turn"},
                {"link-ttl", "playback"},
                {"mint-rate", "limits"},
                {"twilio-video", "web"}};
    (void)state;
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const rg_opt *o =
            rg_opts_find(rg_serve_opts, rg_serve_nopts, want[k].opt, strlen(want[k].opt));
        int m = index_of(want[k].module);
        assert_non_null(o);
        assert_true(m >= 0);
        assert_ptr_equal(o->section, rg_serve_modules[m]->options);
    }
}

static void test_names_unique(void **state)
{
    (void)state;
    for (int i = 0; rg_serve_modules[i] != NULL; i++) {
        assert_non_null(rg_serve_modules[i]->name);
        assert_int_equal(index_of(rg_serve_modules[i]->name), i);
    }
}

/* The flat table: every module's routes, in list order then table order,
 * ended by a zeroed row. */
static void test_route_table(void **state)
{
    int n = 0, k = 0;
    rg_route *t = rg_modules_routes(rg_serve_modules, &n);
    (void)state;
    assert_non_null(t);
    for (int m = 0; rg_serve_modules[m] != NULL; m++)
        for (const rg_route *r = rg_serve_modules[m]->routes; r && r->method; r++, k++) {
            assert_true(k < n);
            assert_ptr_equal(t[k].fn, r->fn);
            assert_string_equal(t[k].pattern, r->pattern);
            assert_int_equal(t[k].flags, r->flags);
        }
    assert_int_equal(k, n);
    assert_null(t[n].method);
    assert_int_equal(rg_route_find(t, h2o_iovec_init(H2O_STRLIT("/healthz")),
                                   h2o_iovec_init(H2O_STRLIT("HEAD"))),
                     rg_route_find(t, h2o_iovec_init(H2O_STRLIT("/healthz")),
                                   h2o_iovec_init(H2O_STRLIT("GET"))));
    assert_int_equal(
        rg_route_find(t, h2o_iovec_init(H2O_STRLIT("/nope")), h2o_iovec_init(H2O_STRLIT("GET"))),
        -1);
    free(t);
}

/* The orders the lifecycle relies on (cli/modules.c): keys start first of
 * the modules that start; playback starts before the caches, signaling and
 * limits (so it stops after them, and a loop's playback flushes its
 * deferred work before the loop's signaling goes). */
static void test_orders(void **state)
{
    int first_start = -1;
    (void)state;
    for (int i = 0; rg_serve_modules[i] != NULL && first_start < 0; i++)
        if (rg_serve_modules[i]->start) first_start = i;
    assert_int_equal(first_start, index_of("keys"));
    assert_true(index_of("playback") < index_of("caches"));
    assert_true(index_of("playback") < index_of("signal"));
    assert_true(index_of("playback") < index_of("limits"));
    assert_true(index_of("rooms") < index_of("playback"));
}

/* ---- rg_modules_start / rg_modules_stop over stand-in modules ----------- */

static char trail[64]; /* "+a+b-b-a": starts and stops in order */
static int fail_b, blocked_in_start;

static void note(char op, char name)
{
    size_t n = strlen(trail);
    if (n + 2 < sizeof trail) trail[n] = op, trail[n + 1] = name, trail[n + 2] = '\0';
}

static int sigterm_blocked(void)
{
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    return sigismember(&cur, SIGTERM) == 1 && sigismember(&cur, SIGINT) == 1;
}

static int start_a(rg_app *app)
{
    (void)app;
    blocked_in_start += sigterm_blocked();
    note('+', 'a');
    return 0;
}
static int start_b(rg_app *app)
{
    (void)app;
    blocked_in_start += sigterm_blocked();
    note('+', 'b');
    return fail_b;
}
static int start_c(rg_app *app)
{
    (void)app;
    note('+', 'c');
    return 0;
}
static void stop_a(rg_app *app)
{
    (void)app;
    note('-', 'a');
}
static void stop_b(rg_app *app)
{
    (void)app;
    note('-', 'b');
}
static void stop_c(rg_app *app)
{
    (void)app;
    note('-', 'c');
}

static const rg_module mod_a = {.name = "a", .start = start_a, .stop = stop_a};
static const rg_module mod_b = {.name = "b", .start = start_b, .stop = stop_b};
static const rg_module mod_none = {.name = "none"}; /* no hooks at all */
static const rg_module mod_c = {.name = "c", .start = start_c, .stop = stop_c};
static const rg_module mod_unlisted = {.name = "unlisted"};
static const rg_module *const fakes[] = {&mod_a, &mod_none, &mod_b, &mod_c, NULL};

static void test_lifecycle(void **state)
{
    rg_app app;
    int ok, n;
    (void)state;
    memset(&app, 0, sizeof app);
    app.modules = fakes;
    trail[0] = '\0', fail_b = 0, blocked_in_start = 0;
    n = rg_modules_start(&app, &ok);
    assert_int_equal(ok, 1);
    assert_int_equal(n, 4);
    rg_modules_stop(&app, n);
    assert_string_equal(trail, "+a+b+c-c-b-a");
    assert_int_equal(blocked_in_start, 2); /* every signal blocked in a start */
    assert_false(sigterm_blocked());       /* and the caller's mask back after */
}

/* A failed start is stopped itself (it may hold part of its state), then
 * those before it; those after it never start. */
static void test_failed_start(void **state)
{
    rg_app app;
    int ok, n;
    (void)state;
    memset(&app, 0, sizeof app);
    app.modules = fakes;
    trail[0] = '\0', fail_b = 1;
    n = rg_modules_start(&app, &ok);
    assert_int_equal(ok, 0);
    assert_int_equal(n, 3);
    rg_modules_stop(&app, n);
    assert_string_equal(trail, "+a+b-b-a");
    assert_false(sigterm_blocked());
}

/* Each listed module has its own per-loop slot, by its place in the list;
 * an unlisted one has none. */
static void test_worker_state(void **state)
{
    rg_app app;
    rg_worker w;
    (void)state;
    memset(&app, 0, sizeof app);
    memset(&w, 0, sizeof w);
    app.modules = fakes;
    w.app = &app;
    assert_ptr_equal(rg_worker_state(&w, &mod_a), &w.state[0]);
    assert_ptr_equal(rg_worker_state(&w, &mod_b), &w.state[2]);
    assert_ptr_equal(rg_worker_state(&w, &mod_c), &w.state[3]);
    *rg_worker_state(&w, &mod_b) = &app;
    assert_ptr_equal(w.state[2], &app);
    assert_null(w.state[0]);
    assert_null(rg_worker_state(&w, &mod_unlisted));
}

/* More modules than rg_worker has slots for: nothing starts. */
static void test_too_many_modules(void **state)
{
    const rg_module *many[RG_MODULES_MAX + 2];
    rg_app app;
    int ok, n;
    (void)state;
    for (int i = 0; i <= RG_MODULES_MAX; i++)
        many[i] = i == 0 ? &mod_a : &mod_none;
    many[RG_MODULES_MAX + 1] = NULL;
    memset(&app, 0, sizeof app);
    app.modules = many;
    trail[0] = '\0', fail_b = 0;
    n = rg_modules_start(&app, &ok);
    assert_int_equal(ok, 0);
    assert_int_equal(n, 0);
    assert_string_equal(trail, ""); /* mod_a did not start */
    many[RG_MODULES_MAX] = NULL;    /* exactly as many as there are slots */
    n = rg_modules_start(&app, &ok);
    assert_int_equal(ok, 1);
    assert_int_equal(n, RG_MODULES_MAX);
    rg_modules_stop(&app, n);
    assert_string_equal(trail, "+a-a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_belong_to_modules),
        cmocka_unit_test(test_option_owners),
        cmocka_unit_test(test_names_unique),
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_orders),
        cmocka_unit_test(test_lifecycle),
        cmocka_unit_test(test_failed_start),
        cmocka_unit_test(test_worker_state),
        cmocka_unit_test(test_too_many_modules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

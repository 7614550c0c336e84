/* api/health.c - GET /healthz: the process is up and its loop answers;
 * GET /readyz: and it should be sent traffic (not draining, store readable). */
#include <stdio.h>

#include "core/errors.h"
#include "http/metrics.h"
#include "http/module.h"
#include "signal/signal.h"

/* How old /readyz's view of the store may be.  A load balancer polls every
 * few seconds; a flood of anonymous /readyz must not take the store's
 * mutex from authenticated requests (docs/security.md, second round). */
#define READY_PERIOD_MS 500

void rg_h_health(rg_call *c)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    rg_reply_raw(c, 200, ok, sizeof ok - 1);
}

/* The store check: one real read on the shared connection, on the main
 * thread's tick every READY_PERIOD_MS whatever the requests (one at a time
 * by construction); /readyz only reads its outcome. */
static void ready_ping(rg_app *app)
{
    int ok = rg_store_ping(app->store) == RG_OK;
    atomic_store_explicit(&app->store_ok, ok, memory_order_relaxed);
    rg_metrics_ready_check(app->metrics);
}

static void ready_tick(void *ud, int64_t now)
{
    (void)now;
    ready_ping(ud);
}

static int health_start(rg_app *app)
{
    ready_ping(app); /* a value before the first tick */
    if (rg_app_add_poller(app, ready_tick, app, READY_PERIOD_MS) != 0) {
        fprintf(stderr, "roomgate: too many pollers\n");
        return -1;
    }
    return 0;
}

/* Draining first: a server on its way out is not ready whatever its store
 * says. */
void rg_h_ready(rg_call *c)
{
    static const char ready[] = "{\"status\":\"ready\"}";
    static const char draining[] = "{\"status\":\"draining\"}";
    static const char nostore[] = "{\"status\":\"store unavailable\"}";
    /* still 200: a load balancer that took every node out when Redis
     * fails would stop what each node can still serve alone */
    static const char degraded[] = "{\"status\":\"degraded\",\"redis\":\"unreachable\"}";
    if (atomic_load_explicit(&c->w->app->draining, memory_order_relaxed))
        rg_reply_raw(c, 503, draining, sizeof draining - 1);
    else if (!atomic_load_explicit(&c->w->app->store_ok, memory_order_relaxed))
        rg_reply_raw(c, 503, nostore, sizeof nostore - 1);
    else if (rg_signal_degraded(c->w->app))
        rg_reply_raw(c, 200, degraded, sizeof degraded - 1);
    else
        rg_reply_raw(c, 200, ready, sizeof ready - 1);
}

static const rg_route routes[] = {
    {"GET", "/healthz", rg_h_health, 0},
    {"GET", "/readyz", rg_h_ready, 0},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_health = {.name = "health", .start = health_start, .routes = routes};

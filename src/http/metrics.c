/* metrics.c - counters per loop thread, summed and written on scrape
 * (metrics.h), and the metrics listener: one more thread with its own h2o
 * loop on its own socket, so a scrape never queues behind API traffic and
 * /metrics is never reachable on the public listener. */
#include "http/metrics.h"

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/token.h"
#include "http/call.h"
#include "http/module.h"

#ifndef RG_VERSION
#define RG_VERSION "0.1.0"
#endif
extern const char rg_build_commit[]; /* buildinfo.c, made by the Makefile */

static const char *const methods[] = {"GET",   "POST", "DELETE",  "PUT",
                                      "PATCH", "HEAD", "OPTIONS", "other"};
#define NMETHODS (sizeof methods / sizeof methods[0])
/* What the server answers; anything else counts as "other". */
static const int statuses[] = {101, 200, 201, 202, 204, 206, 301, 302, 304, 400,
                               401, 403, 404, 405, 406, 408, 409, 410, 412, 413,
                               415, 416, 422, 429, 500, 501, 502, 503, 504};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1)
/* Request durations, seconds. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBOUNDS (sizeof bounds / sizeof bounds[0])
/* RG_TOK_* codes a validation can answer, valid first. */
static const int tok_codes[] = {RG_TOK_VALID,        RG_TOK_INVALID,       RG_TOK_BAD_ISSUER,
                                RG_TOK_EXPIRED,      RG_TOK_NOT_YET_VALID, RG_TOK_REVOKED,
                                RG_TOK_BAD_SIGNATURE};
#define NTOK (sizeof tok_codes / sizeof tok_codes[0] + 1)
static const char *const sig_types[] = {"invalid",        "join", "signal",
                                        "entry_response", "mute", "kick"};
#define NSIG (sizeof sig_types / sizeof sig_types[0])
static const char *const join_outcomes[RG_MJOIN_N] = {"joined", "waiting", "refused", "error"};
static const char *const formats[RG_MFMT_N] = {"twilio", "videosdk", "unknown"};
static const char *const limits[RG_MLIMIT_N] = {"auth", "playback", "mint", "conns"};
static const char *const store_ops[RG_MSTORE_N] = {"read", "write"};
static const char *const hook_outcomes[RG_MHOOK_N] = {"delivered", "retried", "failed"};

typedef struct {
    rg_mctr buckets[NBOUNDS + 1];
    rg_mctr sum_us;
} hist;

struct rg_wmetrics {
    int nroutes;       /* the server's routes + sdk, demo, unmatched */
    rg_mctr *requests; /* [route][method][status] */
    hist *durations;   /* [route] */
    rg_mctr ws_open;   /* may go "negative" on one thread: a gauge summed over all */
    rg_mctr ws_closed;
    rg_mctr sig[NSIG];
    rg_mctr joins[RG_MJOIN_N];
    rg_mctr minted[RG_MFMT_N][2]; /* [format][refused, minted] */
    rg_mctr validated[RG_MFMT_N][NTOK];
    rg_mctr limited[RG_MLIMIT_N];
    rg_mctr accept_paused;
    rg_mctr conns_open; /* the loop's client connections: opened, closed */
    rg_mctr conns_closed;
    rg_mctr db_waits; /* requests that waited for the database on a fiber: begun, ended */
    rg_mctr db_waits_ended;
};

typedef struct rg_metrics {
    const rg_route *routes; /* the server's table: route slot -> pattern */
    int nthreads;
    rg_wmetrics *w;
    /* the metrics listener */
    pthread_t tid;
    int fd, running;
    atomic_int stop;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    sem_t ready;
    hist store[RG_MSTORE_N];  /* written under the store's lock (one writer) */
    rg_mctr hook[RG_MHOOK_N]; /* the webhook dispatcher's thread is the one writer */
    rg_mctr outbox_depth, outbox_age;
    rg_mctr ready_checks; /* store pings for /readyz (main thread) */
} rg_metrics;

int rg_metrics_start(rg_app *app, int nthreads)
{
    rg_metrics *m = calloc(1, sizeof *m);
    int nr = app->nroutes + 3;
    if (m == NULL) return -1;
    m->routes = app->routes;
    m->nthreads = nthreads;
    m->fd = -1;
    if ((m->w = calloc((size_t)nthreads, sizeof *m->w)) == NULL) goto fail;
    for (int i = 0; i < nthreads; i++) {
        rg_wmetrics *w = &m->w[i];
        w->nroutes = nr;
        w->requests = calloc((size_t)nr * NMETHODS * NSTATUS, sizeof *w->requests);
        w->durations = calloc((size_t)nr, sizeof *w->durations);
        if (w->requests == NULL || w->durations == NULL) goto fail;
    }
    app->metrics = m;
    return 0;
fail:
    app->metrics = m;
    rg_metrics_stop(app);
    return -1;
}

void rg_metrics_stop(rg_app *app)
{
    rg_metrics *m = app->metrics;
    if (m == NULL) return;
    for (int i = 0; m->w && i < m->nthreads; i++) {
        free(m->w[i].requests);
        free(m->w[i].durations);
    }
    free(m->w);
    free(m);
    app->metrics = NULL;
}

rg_wmetrics *rg_metrics_worker(rg_app *app, int i)
{
    return app->metrics && i < app->metrics->nthreads ? &app->metrics->w[i] : NULL;
}

/* ---- hooks -------------------------------------------------------------- */

static size_t method_slot(const char *m, size_t len)
{
    for (size_t i = 0; i + 1 < NMETHODS; i++)
        if (strlen(methods[i]) == len && memcmp(methods[i], m, len) == 0) return i;
    return NMETHODS - 1;
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (statuses[i] == status) return i;
    return NSTATUS - 1;
}

/* Route slot -> index in the arrays: the table's routes, then sdk, demo,
 * unmatched. */
static int route_index(const rg_wmetrics *m, int route)
{
    if (route >= 0 && route < m->nroutes - 3) return route;
    if (route == RG_MROUTE_SDK) return m->nroutes - 3;
    if (route == RG_MROUTE_DEMO) return m->nroutes - 2;
    return m->nroutes - 1;
}

void rg_metrics_request(rg_wmetrics *m, int route, const char *method, size_t mlen, int status,
                        uint64_t micros)
{
    int r;
    size_t b = 0;
    if (m == NULL) return;
    r = route_index(m, route);
    rg_mc_add(&m->requests[((size_t)r * NMETHODS + method_slot(method, mlen)) * NSTATUS +
                           status_slot(status)],
              1);
    while (b < NBOUNDS && (double)micros > bounds[b] * 1e6)
        b++;
    rg_mc_add(&m->durations[r].buckets[b], 1);
    rg_mc_add(&m->durations[r].sum_us, micros);
}

void rg_metrics_ws(rg_wmetrics *m, int delta)
{
    if (m != NULL) rg_mc_add(delta > 0 ? &m->ws_open : &m->ws_closed, 1);
}

void rg_metrics_db_wait(rg_wmetrics *m, int delta)
{
    if (m != NULL) rg_mc_add(delta > 0 ? &m->db_waits : &m->db_waits_ended, 1);
}

void rg_metrics_conn(rg_wmetrics *m, int delta)
{
    if (m != NULL) rg_mc_add(delta > 0 ? &m->conns_open : &m->conns_closed, 1);
}

void rg_metrics_sig_message(rg_wmetrics *m, int type)
{
    if (m != NULL) rg_mc_add(&m->sig[type > 0 && (size_t)type < NSIG ? type : 0], 1);
}

void rg_metrics_join(rg_wmetrics *m, int outcome)
{
    if (m != NULL && outcome >= 0 && outcome < RG_MJOIN_N) rg_mc_add(&m->joins[outcome], 1);
}

void rg_metrics_minted(rg_wmetrics *m, int format, int ok)
{
    if (m != NULL && format >= 0 && format < RG_MFMT_N) rg_mc_add(&m->minted[format][!!ok], 1);
}

int rg_metrics_format_of_cached(const char *json, size_t len)
{
    static const char needle[] = "\"permissions\"";
    return memmem(json, len, needle, sizeof needle - 1) != NULL ? RG_MFMT_VIDEOSDK : RG_MFMT_TWILIO;
}

void rg_metrics_validated(rg_wmetrics *m, int format, int code)
{
    size_t i = 0;
    if (m == NULL || format < 0 || format >= RG_MFMT_N) return;
    while (i + 1 < NTOK && tok_codes[i] != code)
        i++;
    rg_mc_add(&m->validated[format][i], 1);
}

void rg_metrics_limited(rg_wmetrics *m, int limit)
{
    if (m != NULL && limit >= 0 && limit < RG_MLIMIT_N) rg_mc_add(&m->limited[limit], 1);
}

void rg_metrics_accept_paused(rg_wmetrics *m)
{
    if (m != NULL) rg_mc_add(&m->accept_paused, 1);
}

/* ---- the store's timer ------------------------------------------------- */

static void on_store_op(void *ud, int write, uint64_t micros)
{
    hist *h = &((rg_metrics *)ud)->store[write ? RG_MSTORE_WRITE : RG_MSTORE_READ];
    size_t b = 0;
    while (b < NBOUNDS && (double)micros > bounds[b] * 1e6)
        b++;
    rg_mc_add(&h->buckets[b], 1);
    rg_mc_add(&h->sum_us, micros);
}

/* ---- the scrape --------------------------------------------------------- */

static uint64_t ld(const rg_mctr *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Counter i of the rg_wmetrics field at off, summed over threads. */
static uint64_t sum_at(const rg_metrics *m, size_t off, size_t i)
{
    uint64_t v = 0;
    for (int k = 0; k < m->nthreads; k++)
        v += ld((const rg_mctr *)((const char *)&m->w[k] + off) + i);
    return v;
}

/* What a gauge kept as two counters (up, down: fields of rg_wmetrics)
 * says, over every thread. */
static uint64_t gauge_of(const rg_metrics *m, size_t up, size_t down)
{
    uint64_t u = sum_at(m, up, 0), d = sum_at(m, down, 0);
    return u >= d ? u - d : 0;
}

/* A counter family with one label over a fixed set, summed over threads;
 * off: the field's offset in rg_wmetrics (an array of n rg_mctr). */
static void one_label(rg_mtext *t, const rg_metrics *m, const char *name, const char *help,
                      const char *label, const char *const *values, size_t n, size_t off)
{
    rg_mtext_family(t, name, "counter", help);
    for (size_t i = 0; i < n; i++) {
        rg_mlabel l = {label, values[i]};
        rg_mtext_u64(t, name, &l, 1, sum_at(m, off, i));
    }
}

static const char *route_name(const rg_route *routes, int r, int nroutes)
{
    if (r < nroutes - 3) return routes[r].pattern;
    if (r == nroutes - 3) return "/sdk/*";
    if (r == nroutes - 2) return "/demo/*";
    return "unmatched";
}

static void write_requests(rg_mtext *t, const rg_metrics *m)
{
    int nr = m->w[0].nroutes;
    char code[8];
    rg_mtext_family(t, "roomgate_http_requests_total", "counter",
                    "HTTP requests answered, by route pattern, method and status.");
    for (int r = 0; r < nr; r++)
        for (size_t me = 0; me < NMETHODS; me++)
            for (size_t st = 0; st < NSTATUS; st++) {
                uint64_t v = 0;
                size_t i = ((size_t)r * NMETHODS + me) * NSTATUS + st;
                for (int k = 0; k < m->nthreads; k++)
                    v += ld(&m->w[k].requests[i]);
                if (v == 0) continue; /* series appear once they happen */
                if (st + 1 < NSTATUS)
                    snprintf(code, sizeof code, "%d", statuses[st]);
                else
                    snprintf(code, sizeof code, "other");
                rg_mlabel l[3] = {{"route", route_name(m->routes, r, nr)},
                                  {"method", methods[me]},
                                  {"status", code}};
                rg_mtext_u64(t, "roomgate_http_requests_total", l, 3, v);
            }
    rg_mtext_family(t, "roomgate_http_request_duration_seconds", "histogram",
                    "Time from the request's first byte to the end of its response, by route.");
    for (int r = 0; r < nr; r++) {
        uint64_t c[NBOUNDS + 1] = {0}, sum = 0, total = 0;
        for (int k = 0; k < m->nthreads; k++) {
            for (size_t b = 0; b <= NBOUNDS; b++)
                c[b] += ld(&m->w[k].durations[r].buckets[b]);
            sum += ld(&m->w[k].durations[r].sum_us);
        }
        for (size_t b = 0; b <= NBOUNDS; b++)
            total += c[b];
        if (total == 0) continue;
        rg_mlabel l = {"route", route_name(m->routes, r, nr)};
        rg_mtext_histogram(t, "roomgate_http_request_duration_seconds", &l, 1, bounds, c, NBOUNDS,
                           sum);
    }
}

static void write_tokens(rg_mtext *t, const rg_metrics *m)
{
    char code[16];
    static const char *const mint_outcomes[2] = {"refused", "minted"};
    rg_mtext_family(t, "roomgate_tokens_minted_total", "counter",
                    "Access tokens asked for with accepted credentials, by format and outcome "
                    "(refused: a rate limit or bad parameters).");
    for (int f = 0; f < RG_MFMT_N - 1; f++)
        for (int o = 1; o >= 0; o--) {
            uint64_t v = 0;
            for (int k = 0; k < m->nthreads; k++)
                v += ld(&m->w[k].minted[f][o]);
            rg_mlabel l[2] = {{"format", formats[f]}, {"outcome", mint_outcomes[o]}};
            rg_mtext_u64(t, "roomgate_tokens_minted_total", l, 2, v);
        }
    rg_mtext_family(t, "roomgate_tokens_validated_total", "counter",
                    "Tokens checked by the validate route, by format and outcome (valid or the "
                    "error code).");
    for (int f = 0; f < RG_MFMT_N; f++)
        for (size_t i = 0; i < NTOK; i++) {
            uint64_t v = 0;
            for (int k = 0; k < m->nthreads; k++)
                v += ld(&m->w[k].validated[f][i]);
            if (i == 0)
                snprintf(code, sizeof code, "valid");
            else if (i + 1 < NTOK)
                snprintf(code, sizeof code, "%d", tok_codes[i]);
            else
                snprintf(code, sizeof code, "other");
            rg_mlabel l[2] = {{"format", formats[f]}, {"outcome", code}};
            rg_mtext_u64(t, "roomgate_tokens_validated_total", l, 2, v);
        }
}

static void write_signaling(rg_mtext *t, const rg_metrics *m)
{
    rg_mtext_family(t, "roomgate_websocket_connections", "gauge",
                    "Open WebSocket connections, by protocol.");
    rg_mlabel l = {"protocol", "roomgate"};
    rg_mtext_u64(t, "roomgate_websocket_connections", &l, 1,
                 gauge_of(m, offsetof(rg_wmetrics, ws_open), offsetof(rg_wmetrics, ws_closed)));
    one_label(t, m, "roomgate_signaling_messages_total",
              "Signaling messages received, by type (invalid: not a known message).", "type",
              sig_types, NSIG, offsetof(rg_wmetrics, sig));
    one_label(t, m, "roomgate_signaling_joins_total",
              "Signaling joins, by outcome (waiting: in a lobby).", "outcome", join_outcomes,
              RG_MJOIN_N, offsetof(rg_wmetrics, joins));
}

static void write_store(rg_mtext *t, const rg_metrics *m)
{
    rg_mtext_family(t, "roomgate_store_operation_duration_seconds", "histogram",
                    "Time the database was held by one store call, by kind (write: a "
                    "transaction).");
    for (int o = 0; o < RG_MSTORE_N; o++) {
        uint64_t c[NBOUNDS + 1];
        for (size_t b = 0; b <= NBOUNDS; b++)
            c[b] = ld(&m->store[o].buckets[b]);
        rg_mlabel l = {"operation", store_ops[o]};
        rg_mtext_histogram(t, "roomgate_store_operation_duration_seconds", &l, 1, bounds, c,
                           NBOUNDS, ld(&m->store[o].sum_us));
    }
}

void rg_metrics_webhook(rg_metrics *m, int outcome)
{
    if (m && outcome >= 0 && outcome < RG_MHOOK_N) rg_mc_add(&m->hook[outcome], 1);
}

void rg_metrics_outbox(rg_metrics *m, uint64_t depth, uint64_t oldest_age)
{
    if (!m) return;
    atomic_store_explicit(&m->outbox_depth, depth, memory_order_relaxed);
    atomic_store_explicit(&m->outbox_age, oldest_age, memory_order_relaxed);
}

void rg_metrics_ready_check(rg_metrics *m)
{
    if (m) rg_mc_add(&m->ready_checks, 1);
}

static void write_webhooks(rg_mtext *t, const rg_metrics *m)
{
    rg_mtext_family(t, "roomgate_webhook_deliveries_total", "counter",
                    "Status callback delivery attempts, by outcome (failed: given up).");
    for (int i = 0; i < RG_MHOOK_N; i++) {
        rg_mlabel l = {"outcome", hook_outcomes[i]};
        rg_mtext_u64(t, "roomgate_webhook_deliveries_total", &l, 1, ld(&m->hook[i]));
    }
    rg_mtext_family(t, "roomgate_webhook_outbox_events", "gauge",
                    "Status callback events waiting for delivery.");
    rg_mtext_u64(t, "roomgate_webhook_outbox_events", NULL, 0, ld(&m->outbox_depth));
    rg_mtext_family(t, "roomgate_webhook_outbox_oldest_age_seconds", "gauge",
                    "Age of the oldest waiting status callback event (0: none).");
    rg_mtext_u64(t, "roomgate_webhook_outbox_oldest_age_seconds", NULL, 0, ld(&m->outbox_age));
}

/* Each loop's open connections (http/spread.h shares them out), and the
 * accept pauses. */
static void write_conns(rg_mtext *t, const rg_metrics *m)
{
    uint64_t paused = 0;
    rg_mtext_family(t, "roomgate_http_connections", "gauge",
                    "Open client connections (HTTP and WebSocket), by event loop.");
    for (int k = 0; k < m->nthreads; k++) {
        char loop[16];
        uint64_t open = ld(&m->w[k].conns_open), closed = ld(&m->w[k].conns_closed);
        snprintf(loop, sizeof loop, "%d", k);
        rg_mlabel l = {"loop", loop};
        rg_mtext_u64(t, "roomgate_http_connections", &l, 1, open >= closed ? open - closed : 0);
        paused += ld(&m->w[k].accept_paused);
    }
    rg_mtext_family(t, "roomgate_accept_paused_total", "counter",
                    "Times accepting paused because accept failed for want of descriptors or "
                    "kernel memory (EMFILE, ENFILE, ENOBUFS, ENOMEM).");
    rg_mtext_u64(t, "roomgate_accept_paused_total", NULL, 0, paused);
}

/* Requests that gave their loop back while PostgreSQL answered (fibers). */
static void write_db_waits(rg_mtext *t, const rg_metrics *m)
{
    rg_mtext_family(t, "roomgate_db_waiting_requests", "gauge",
                    "Requests whose handler waits for PostgreSQL on a fiber, its loop serving "
                    "others meanwhile.");
    rg_mtext_u64(
        t, "roomgate_db_waiting_requests", NULL, 0,
        gauge_of(m, offsetof(rg_wmetrics, db_waits), offsetof(rg_wmetrics, db_waits_ended)));
    rg_mtext_family(t, "roomgate_db_waits_total", "counter",
                    "Requests that waited for PostgreSQL on a fiber (once each).");
    rg_mtext_u64(t, "roomgate_db_waits_total", NULL, 0,
                 sum_at(m, offsetof(rg_wmetrics, db_waits), 0));
}

/* The whole exposition; t->oom when it could not be built. */
static void render(rg_mtext *t, const rg_metrics *m)
{
    rg_mlabel build[2] = {{"version", RG_VERSION}, {"commit", rg_build_commit}};
    rg_mtext_family(t, "roomgate_build_info", "gauge", "The running build (value 1).");
    rg_mtext_u64(t, "roomgate_build_info", build, 2, 1);
    write_requests(t, m);
    write_tokens(t, m);
    write_signaling(t, m);
    one_label(t, m, "roomgate_rate_limited_total",
              "Requests refused by a rate limit (429), by limit.", "limit", limits, RG_MLIMIT_N,
              offsetof(rg_wmetrics, limited));
    write_conns(t, m);
    write_db_waits(t, m);
    write_store(t, m);
    rg_mtext_family(t, "roomgate_readiness_checks_total", "counter",
                    "Store reads done for /readyz (by a timer, whatever the requests).");
    rg_mtext_u64(t, "roomgate_readiness_checks_total", NULL, 0, ld(&m->ready_checks));
    write_webhooks(t, m);
}

/* ---- the listener ------------------------------------------------------- */

static int on_metrics(h2o_handler_t *self, h2o_req_t *req)
{
    rg_metrics *m = *(rg_metrics **)(self + 1);
    rg_mtext t = {0};
    static h2o_generator_t gen = {NULL, NULL};
    if (!h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT("/metrics")))
        return -1; /* 404 from h2o */
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        h2o_send_error_405(req, "Method Not Allowed", "GET only\n", 0);
        return 0;
    }
    render(&t, m);
    if (t.oom) {
        rg_mtext_free(&t);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/plain; version=0.0.4; charset=utf-8"));
    h2o_iovec_t body = h2o_strdup(&req->pool, t.buf, t.len);
    rg_mtext_free(&t);
    h2o_start_response(req, &gen);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    rg_metrics *m = listener->data;
    h2o_socket_t *sock;
    if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL) return;
    h2o_accept(&m->accept_ctx, sock);
}

/* Context and listener are made on the thread that runs them, as server.c
 * does (h2o ties socket buffers to the creating thread's allocator). */
static void *run(void *arg)
{
    rg_metrics *m = arg;
    h2o_context_init(&m->ctx, h2o_evloop_create(), &m->config);
    m->accept_ctx.ctx = &m->ctx;
    m->accept_ctx.hosts = m->config.hosts;
    m->listener = h2o_evloop_socket_create(m->ctx.loop, m->fd, H2O_SOCKET_FLAG_DONT_READ);
    m->listener->data = m;
    h2o_socket_read_start(m->listener, on_accept);
    sem_post(&m->ready);
    while (!atomic_load(&m->stop))
        h2o_evloop_run(m->ctx.loop, 100);
    h2o_socket_read_stop(m->listener);
    h2o_socket_close(m->listener);
    h2o_context_request_shutdown(&m->ctx);
    m->ctx.http1.req_timeout.timeout = 100;
    for (int i = 0; i < 20; i++)
        h2o_evloop_run(m->ctx.loop, 10);
    h2o_timeout_unlink(&m->ctx.http2._graceful_shutdown_timeout);
    h2o_context_dispose(&m->ctx);
    free(m->ctx.queue); /* h2o 2.2's dispose destroys the queue but leaks it */
    h2o_evloop_destroy(m->ctx.loop);
    return NULL;
}

int rg_metrics_listener_start(rg_app *app, int fd)
{
    rg_metrics *m = app->metrics;
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    h2o_handler_t *h;
    if (m == NULL) return -1;
    m->fd = fd;
    h2o_config_init(&m->config);
    m->config.server_name = h2o_iovec_init(H2O_STRLIT("roomgate"));
    host = h2o_config_register_host(&m->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    h = h2o_create_handler(path, sizeof *h + sizeof m);
    h->on_req = on_metrics;
    *(rg_metrics **)(h + 1) = m;
    sem_init(&m->ready, 0, 0);
    if (pthread_create(&m->tid, NULL, run, m) != 0) {
        h2o_config_dispose(&m->config);
        sem_destroy(&m->ready);
        return -1;
    }
    sem_wait(&m->ready);
    if (app->store) rg_store_set_timer(app->store, on_store_op, m);
    m->running = 1;
    return 0;
}

void rg_metrics_listener_stop(rg_app *app)
{
    rg_metrics *m = app->metrics;
    if (m == NULL || !m->running) return;
    atomic_store(&m->stop, 1);
    pthread_join(m->tid, NULL);
    h2o_config_dispose(&m->config);
    sem_destroy(&m->ready);
    if (app->store) rg_store_set_timer(app->store, NULL, NULL);
    m->running = 0;
}

/* ---- module ------------------------------------------------------------ */

const rg_opt_section rg_metrics_options = {"server", "a server option"};

/* Only with --metrics-listen: without it every hook sees NULL.  The
 * listener itself starts with the loops (server.c): it needs their fd. */
static int metrics_start(rg_app *app)
{
    if (app->cfg.metrics_host[0] == '\0' || rg_metrics_start(app, app->cfg.threads) == 0) return 0;
    fprintf(stderr, "roomgate: cannot allocate the metrics\n");
    return 1;
}

const rg_module rg_mod_metrics = {.name = "metrics",
                                  .options = &rg_metrics_options,
                                  .start = metrics_start,
                                  .stop = rg_metrics_stop};

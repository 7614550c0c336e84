/* metrics.h - the counters behind GET /metrics (--metrics-listen).
 *
 * Each loop thread owns an rg_wmetrics and is its only writer: the hot
 * paths do a relaxed load and store (a plain add on every CPU we run on),
 * no lock and no shared cache line.  The scrape, on the metrics listener's
 * own thread, sums the threads' counters with relaxed loads; a scrape
 * racing an increment sees it or not, never a torn value.  Store timings
 * come from any thread (loops, job threads) and use relaxed fetch-adds.
 * Without --metrics-listen nothing is allocated and every hook is one NULL
 * test.  Labels are fixed sets (route patterns, methods, status codes, ...):
 * never a path, a SID or an identity. */
#ifndef RG_HTTP_METRICS_H
#define RG_HTTP_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "http/app.h"

typedef atomic_uint_fast64_t rg_mctr;

/* Single-writer increment (the owning loop thread only). */
static inline void rg_mc_add(rg_mctr *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

enum { RG_MJOIN_JOINED, RG_MJOIN_WAITING, RG_MJOIN_REFUSED, RG_MJOIN_ERROR, RG_MJOIN_N };
enum { RG_MFMT_TWILIO, RG_MFMT_VIDEOSDK, RG_MFMT_UNKNOWN, RG_MFMT_N };
enum { RG_MLIMIT_AUTH, RG_MLIMIT_PLAYBACK, RG_MLIMIT_MINT, RG_MLIMIT_CONNS, RG_MLIMIT_N };
enum { RG_MSTORE_READ, RG_MSTORE_WRITE, RG_MSTORE_N };
enum { RG_MHOOK_DELIVERED, RG_MHOOK_RETRIED, RG_MHOOK_FAILED, RG_MHOOK_N };

typedef struct rg_wmetrics rg_wmetrics;

/* Creates app->metrics for nthreads loops (only with --metrics-listen). */
int rg_metrics_start(rg_app *app, int nthreads);
void rg_metrics_stop(rg_app *app);
/* Loop i's counters, or NULL without metrics. */
rg_wmetrics *rg_metrics_worker(rg_app *app, int i);

/* Hooks (each a no-op on NULL). */
/* A finished request: its route slot (rg_metrics_route), the request's
 * method, status and duration. */
void rg_metrics_request(rg_wmetrics *m, int route, const char *method, size_t mlen, int status,
                        uint64_t micros);
void rg_metrics_ws(rg_wmetrics *m, int delta); /* a signaling WebSocket opened (+1) / gone (-1) */
void rg_metrics_sig_message(rg_wmetrics *m, int type); /* rg_sig_type, 0: invalid */
void rg_metrics_join(rg_wmetrics *m, int outcome);     /* RG_MJOIN_* */
/* A mint: ok = 1 when the token was made, 0 when refused (rate limit,
 * bad parameters) after the credentials were accepted. */
void rg_metrics_minted(rg_wmetrics *m, int format, int ok);
/* A validation answer: code 0 (valid) or an RG_TOK_* error. */
void rg_metrics_validated(rg_wmetrics *m, int format, int code);
void rg_metrics_limited(rg_wmetrics *m, int limit); /* RG_MLIMIT_* */
/* A request began (delta 1) or ended (-1) waiting for the database on its
 * loop's fiber (http/fiber.h): counted once per request, at its first
 * wait. */
void rg_metrics_db_wait(rg_wmetrics *m, int delta);
/* A client connection of this loop opened (delta 1) or closed (-1). */
void rg_metrics_conn(rg_wmetrics *m, int delta);
/* accept failed for want of descriptors or memory and the listener paused */
void rg_metrics_accept_paused(rg_wmetrics *m);
/* The format of a cached positive validate answer (the verdict cache keeps
 * the body only): VideoSDK grants carry "permissions", Twilio's do not. */
int rg_metrics_format_of_cached(const char *json, size_t len);

/* Status callbacks (the dispatcher's thread; NULL m is a no-op): one
 * attempt's outcome (RG_MHOOK_*), and the outbox's depth and the age of
 * its oldest event in seconds, as last read. */
struct rg_metrics;
void rg_metrics_webhook(struct rg_metrics *m, int outcome);
void rg_metrics_outbox(struct rg_metrics *m, uint64_t depth, uint64_t oldest_age);
/* One store read done for /readyz (api/health.c's timer). */
void rg_metrics_ready_check(struct rg_metrics *m);

/* Route slots: the index in the server's route table (rg_route_find over
 * app->routes), or these for what the table does not route (static files,
 * no match). */
#define RG_MROUTE_SDK (-2)
#define RG_MROUTE_DEMO (-3)

/* Runs the metrics listener (its own thread and h2o loop, serving only
 * GET /metrics) until rg_metrics_listener_stop.  -1 when it cannot. */
int rg_metrics_listener_start(rg_app *app, int fd);
void rg_metrics_listener_stop(rg_app *app);

#endif

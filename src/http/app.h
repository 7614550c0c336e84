/* app.h - what every request handler can reach.
 *
 * rg_app is built once by `serve` and is read-only afterwards, except
 * through objects that own their locking (the store, the key cache).  Each
 * event-loop thread has an rg_worker with its own HMAC context and log
 * buffer, so the hot paths share nothing mutable. */
#ifndef RG_HTTP_APP_H
#define RG_HTTP_APP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hmac.h"
#include "core/sid.h"
#include "crypto/seal.h"
#include "http/limitcfg.h"
#include "hook/config.h"
#include "playback/config.h"
#include "signal/config.h"
#include "turn/config.h"
#include "store/keycache.h"
#include "store/revcache.h"
#include "store/store.h"

typedef struct {
    char listen_host[256];
    unsigned short listen_port; /* 0: pick a free port */
    int threads;
    int demo;
    const char *tls_cert, *tls_key;
    size_t max_body;
    const char *data_dir;
    const char *db;               /* --db: the store's location; NULL: DATA/roomgate.db */
    const char *web_dir;          /* static files for /demo/ and /sdk/; NULL: none */
    const char *twilio_video_dir; /* twilio-video's dist/, at /vendor/twilio-video/; NULL: none */
    const char *config_file;      /* --config: `key = value` lines (cli/serve_options.c) */
    int access_log;               /* one JSON line per request on stderr */
    long consultation_margin;     /* seconds a consultation opens early / tokens outlive it */
    rg_playback_config playback;  /* recordings, /sec_rec, /media (playback/config.h) */
    int room_timeout_unit;        /* seconds per "minute" of room timeouts: 60 (tests: less) */
    rg_signal_config signal;      /* WebSocket signaling (signal/config.h) */
    rg_turn_config turn;          /* STUN/TURN servers and secrets (turn/config.h) */
    rg_limit_config limits;       /* HTTP rate limits (http/limitcfg.h) */
    rg_hook_config hook;          /* status callback delivery (hook/config.h) */
    int drain_grace;              /* seconds SIGTERM's drain may take (server.c) */
    int node_timeout;             /* seconds a silent node keeps its seats (app/nodes.h) */
    int db_timeout;               /* seconds a PostgreSQL statement is awaited (pg/wait.c) */
    int db_connections;           /* PostgreSQL connections of the loops (store.h rg_store_links) */
    char metrics_host[256];       /* --metrics-listen; "" when off */
    unsigned short metrics_port;  /* 0: pick a free port */
} rg_serve_config;

/* Periodic work for the main thread's 100 ms tick (server.c), e.g. the
 * room timers and cache reloads.  Registered before the server starts. */
typedef struct {
    void (*fn)(void *ud, int64_t now);
    void *ud;
    int period_ms;
    int64_t next_ms; /* monotonic ms of the next run; the server's */
} rg_poller;
#define RG_MAX_POLLERS 16

typedef struct {
    rg_serve_config cfg;
    rg_store *store;
    rg_keycache *keys;
    uint8_t master[RG_MASTER_KEY_LEN];
    char demo_account[RG_SID_SIZE]; /* set with --demo */
    rg_revcache *revocations;       /* kicks, for validation without disk I/O */
    struct rg_watch *changes; /* commits by other processes, told to the caches (store/watch.h) */
    rg_poller pollers[RG_MAX_POLLERS];
    int npollers;
    struct rg_playback *pb;     /* recording playback state (playback/playback.h) */
    struct rg_hotcache *hot;    /* VideoSDK rooms and consultations in memory (store/hotcache.h) */
    struct rg_sig_hub *signal;  /* signaling rooms across loops (signal/signal.h) */
    struct rg_limits *limits;   /* HTTP rate limits (http/limits.h) */
    struct rg_metrics *metrics; /* --metrics-listen (http/metrics.h); NULL when off */
    struct rg_hook *hook;       /* status callback dispatcher (hook/hook.h) */
    struct rg_node *node;       /* this process in the store's nodes table (app/nodes.h) */
    atomic_int draining;        /* SIGTERM seen: /readyz 503, no new WebSockets */
    atomic_int store_ok;        /* the last readiness ping answered (api/health.c) */
    const struct rg_module *const *modules; /* every feature, NULL-terminated (http/module.h) */
    const struct rg_route *routes;          /* their routes, one flat table (http/router.h) */
    int nroutes;
} rg_app;

/* Registers fn to run on the main thread about every period_ms (at least
 * the 100 ms tick), with now in unix seconds; -1 when the table is full. */
static inline int rg_app_add_poller(rg_app *app, void (*fn)(void *ud, int64_t now), void *ud,
                                    int period_ms)
{
    if (app->npollers == RG_MAX_POLLERS) return -1;
    app->pollers[app->npollers++] = (rg_poller){fn, ud, period_ms, 0};
    return 0;
}

#define RG_MODULES_MAX 32 /* entries of app->modules (http/module.h) */

/* Per-loop state: what every module shares on a loop (the deferral
 * queue's receiver, the HMAC context, the counters), owned and set up by
 * the server (http/server.c) before any module's loop_init, and one
 * opaque slot per module for what it keeps per loop (validate's verdicts,
 * playback's and signaling's loop state), set by its loop_init, freed by
 * its loop_dispose and found with rg_worker_state (http/module.h): the
 * shell never knows their types. */
typedef struct rg_worker {
    rg_app *app;
    rg_hmac *hmac;
    int index;
    struct st_h2o_multithread_receiver_t *defer_rx; /* completions of deferred work (http/defer.h);
                                                       the server's */
    struct rg_wmetrics *metrics; /* this loop's counters (http/metrics.h); NULL: off */
    struct rg_fibers *fibers;    /* handlers that wait for PostgreSQL (http/fiber.h); NULL: none */
    void *state[RG_MODULES_MAX]; /* by the module's place in app->modules */
} rg_worker;

#endif

/* app.h - what every request handler can reach.
 *
 * rg_app is built once by `serve` and is read-only afterwards, except
 * through objects that own their locking (the store, the key cache).  Each
 * event-loop thread has an rg_worker with its own HMAC context and log
 * buffer, so the hot paths share nothing mutable. */
#ifndef RG_HTTP_APP_H
#define RG_HTTP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "core/hmac.h"
#include "core/sid.h"
#include "crypto/seal.h"
#include "http/pbconfig.h"
#include "http/sigconfig.h"
#include "http/turncfg.h"
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
    const char *web_dir; /* static files for /demo/ and /sdk/ */
    int access_log;      /* one JSON line per request on stderr */
    long consultation_margin; /* seconds a consultation opens early / tokens outlive it */
    rg_playback_config playback; /* recordings, /sec_rec, /media (http/pbconfig.h) */
    int room_timeout_unit;    /* seconds per "minute" of room timeouts: 60 (tests: less) */
    rg_signal_config signal;  /* WebSocket signaling (http/sigconfig.h) */
    rg_turn_config turn;      /* STUN/TURN servers and secrets (http/turncfg.h) */
} rg_serve_config;

/* Periodic work for the main thread's 100 ms tick (server.c), e.g. the
 * room timers and cache reloads.  Registered before the server starts. */
typedef struct {
    void (*fn)(void *ud, int64_t now);
    void *ud;
    int period_ms;
    int64_t next_ms; /* monotonic ms of the next run; the server's */
} rg_poller;
#define RG_MAX_POLLERS 8

typedef struct {
    rg_serve_config cfg;
    rg_store *store;
    rg_keycache *keys;
    uint8_t master[RG_MASTER_KEY_LEN];
    char demo_account[RG_SID_SIZE]; /* set with --demo */
    rg_revcache *revocations;       /* kicks, for validation without disk I/O */
    rg_poller pollers[RG_MAX_POLLERS];
    int npollers;
    struct rg_playback *pb; /* recording playback state (http/playback.h) */
    struct rg_hotcache *hot; /* VideoSDK rooms and consultations in memory (http/hotcache.h) */
    struct rg_sig_hub *signal; /* signaling rooms across loops (http/signal.h) */
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

/* Per-thread state.  Owned by the server thread that runs the loop. */
typedef struct rg_worker {
    rg_app *app;
    rg_hmac *hmac;
    int index;
    struct rg_verdict_cache *verdicts; /* validate answers (core/verdict.h) */
    struct rg_pb_thread *pb; /* this loop's playback state (http/playback.h) */
    struct rg_sig_thread *sig; /* this loop's signaling connections (http/signal.h) */
} rg_worker;

#endif

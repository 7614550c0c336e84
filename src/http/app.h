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
#include "store/keycache.h"
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
} rg_serve_config;

typedef struct {
    rg_serve_config cfg;
    rg_store *store;
    rg_keycache *keys;
    uint8_t master[RG_MASTER_KEY_LEN];
    char demo_account[RG_SID_SIZE]; /* set with --demo */
} rg_app;

/* Per-thread state.  Owned by the server thread that runs the loop. */
typedef struct rg_worker {
    rg_app *app;
    rg_hmac *hmac;
    int index;
    struct rg_logbuf *log;
} rg_worker;

#endif

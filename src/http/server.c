/* server.c - one h2o event loop per thread, all accepting from one
 * listening socket (each loop polls its own dup of it).
 *
 * Not one SO_REUSEPORT socket per loop: the kernel lets any process of the
 * same user join such a group, so a second `roomgate serve` on the same
 * address started "fine" and took half the connections.  One socket bound
 * without SO_REUSEPORT makes bind() itself refuse (EADDRINUSE) while anyone
 * else listens there, with no window between a check and the bind; the
 * cost is that every loop wakes for each new connection and one wins the
 * accept, which for a loop per core is noise.
 *
 * The main thread owns signals: it blocks them everywhere, waits for one
 * with sigtimedwait (polling the key cache for writes by other processes
 * every 100 ms meanwhile), then raises app->draining (/readyz answers 503,
 * WebSocket upgrades 503) and `stopping`.  Each loop notices within one
 * turn and drains in two steps, both within --drain-grace seconds:
 *  1. its signaling connections get a `reconnect` hint; it keeps serving
 *     (and accepting: a load balancer sees /readyz fail) until they have
 *     all gone or half the grace period has passed, then closes the rest;
 *  2. it closes its listener, asks h2o to close idle connections, and runs
 *     until its last connection is gone or the grace period is over.
 * A loop without WebSockets goes straight to step 2, as a plain HTTP
 * server should. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "http/accesslog.h"
#include "http/connlimit.h"
#include "http/conns.h"
#include "http/defer.h"
#include "http/fiber.h"
#include "http/metrics.h"
#include "http/module.h"
#include "http/server.h"
#include "store/store.h"
#include "http/spread.h"

/* HTTP/2 requests of one connection that run at once (the rest wait). */
#define RG_H2_MAX_REQUESTS 16

typedef struct server server;

typedef struct {
    rg_worker w; /* what handlers see */
    server *srv;
    pthread_t tid;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_receiver_t defer_rx; /* w.defer_rx: deferred answers of this loop */
    int fd;
    rg_conns conns;            /* every open connection (conns.h) */
    uint64_t accept_resume_ms; /* accepting paused until then (0: not paused) */
    rg_logbuf log;
    sem_t ready; /* posted by the loop thread once init_loop ran */
    int init_rc;
} loop_thread;

struct server {
    rg_app *app;
    h2o_globalconf_t config;
    h2o_hostconf_t *host; /* the one host of config */
    SSL_CTX *ssl_ctx;
    loop_thread *threads;
    int nthreads;
    atomic_int stopping;
    rg_connlimit *conns; /* --max-conns-per-ip; NULL: no limit */
    rg_spread *spread;   /* which loop owns a new connection */
};

static loop_thread *thread_of(h2o_req_t *req)
{
    return H2O_STRUCT_FROM_MEMBER(loop_thread, ctx, req->conn->ctx);
}

/* The request's call, on its pool, tied to its loop's worker. */
static rg_call *call_of(h2o_req_t *req)
{
    loop_thread *t = thread_of(req);
    rg_call *c = h2o_mem_alloc_pool(&req->pool, sizeof *c);
    memset(c, 0, sizeof *c);
    c->req = req;
    c->w = &t->w;
    c->now = (int64_t)(h2o_now(t->ctx.loop) / 1000);
    return c;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    rg_route_dispatch(call_of(req));
    return 0;
}

/* In front of a module's static files when it has an allow function (the
 * demo pages: a foreign Host is answered there, 403): -1 goes on to the
 * file handler, the next one. */
typedef struct {
    h2o_handler_t super;
    rg_files_allow_fn allow;
} files_guard;

static int on_files_req(h2o_handler_t *self, h2o_req_t *req)
{
    return ((files_guard *)self)->allow(call_of(req)) == 0 ? -1 : 0;
}

static void on_log(h2o_logger_t *self, h2o_req_t *req)
{
    (void)self;
    rg_accesslog_append(&thread_of(req)->log, req);
}

/* The metrics logger: one per path configuration, knowing which kind of
 * route it serves (the API table, or the static files). */
typedef struct {
    h2o_logger_t super;
    int route; /* RG_MROUTE_SDK, RG_MROUTE_DEMO, or 0: look it up in the table */
} metrics_logger;

static void on_metrics_log(h2o_logger_t *self, h2o_req_t *req)
{
    metrics_logger *ml = (metrics_logger *)self;
    struct timeval end = req->timestamps.response_end_at;
    const struct timeval *begin = &req->timestamps.request_begin_at;
    int64_t us;
    int route = ml->route;
    if (end.tv_sec == 0) gettimeofday(&end, NULL);
    us = (int64_t)(end.tv_sec - begin->tv_sec) * 1000000 + (end.tv_usec - begin->tv_usec);
    if (route == 0)
        route = rg_route_find(thread_of(req)->w.app->routes, req->path_normalized, req->method);
    rg_metrics_request(thread_of(req)->w.metrics, route, req->method.base, req->method.len,
                       req->res.status, us > 0 ? (uint64_t)us : 0);
}

/* The refused connections of the last minute, one line (not one each). */
static void log_refused(void *ud, int64_t now)
{
    uint64_t n = rg_connlimit_take_refused(ud);
    (void)now;
    if (n > 0)
        fprintf(stderr,
                "roomgate: refused %llu connections over --max-conns-per-ip in the last minute\n",
                (unsigned long long)n);
}

/* Out of descriptors (EMFILE/ENFILE) or kernel memory, accept fails and
 * leaves the connection queued, so the listener stays readable and the
 * loop would spin on it at full CPU for as long as the flood holds its
 * connections.  Stop polling the listener for a tenth of a second
 * instead; run_loop resumes it (queued clients wait, nothing is lost). */
#define RG_ACCEPT_PAUSE_MS 100

/* A connection this loop owns (http/spread.h): its socket is made here,
 * on the loop's thread, which h2o ties its buffers to. */
static void adopt(void *ud, int fd)
{
    loop_thread *t = ud;
    h2o_socket_t *sock =
        h2o_evloop_socket_create(t->ctx.loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
    /* counted before TLS or any byte is read: an answer (a 429) to an
     * address over --max-conns-per-ip would cost a handshake */
    if (rg_conns_add(&t->conns, sock) != 0) {
        rg_metrics_limited(t->w.metrics, RG_MLIMIT_CONNS);
        return;
    }
    h2o_accept(&t->accept_ctx, sock);
}

/* What h2o_evloop_socket_accept does, short of making the socket, which
 * the owning loop does (TCP_NODELAY comes from the listening socket). */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    loop_thread *t = listener->data;
    int fd;
    if (err != NULL) return;
    fd = accept4(h2o_socket_get_fd(listener), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            rg_metrics_accept_paused(t->w.metrics);
            h2o_socket_read_stop(listener);
            t->accept_resume_ms = h2o_now(t->ctx.loop) + RG_ACCEPT_PAUSE_MS;
        }
        return;
    }
    if (rg_spread_give(t->srv->spread, t->w.index, fd) == 0) adopt(t, fd);
}

/* A listening socket on host:port; port 0 picks one.  SO_REUSEADDR only
 * lets the bind reuse a port whose old connections linger in TIME_WAIT: it
 * never admits a second listener.  TCP_NODELAY is set here because h2o's evloop accepts with
 * accept4 and relies on the accepted socket inheriting it: without it Nagle held a relayed
 * WebSocket message back until the peer acknowledged the one before (milliseconds of tail latency).
 */
static int open_listener(const char *host, unsigned short port, unsigned short *bound)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *ai;
    char pstr[8];
    int fd, one = 1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    snprintf(pstr, sizeof pstr, "%u", port);
    if (getaddrinfo(host, pstr, &hints, &ai) != 0) return -1;
    /* Non-blocking from the start: every loop is woken for a new
     * connection and all but one find the queue empty (EAGAIN, which
     * h2o's accept turns into "nothing") instead of blocking in accept. */
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        errno = e;
        return -1;
    }
    freeaddrinfo(ai);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The long-lived connections (WebSockets) of every module on this loop:
 * how many are open; with close_in_ms >= 0, after hinting them to move. */
static int open_conns(loop_thread *t, int close_in_ms)
{
    int n = 0;
    for (const rg_module *const *m = t->srv->app->modules; *m != NULL; m++) {
        if (close_in_ms >= 0 && (*m)->loop_drain)
            n += (*m)->loop_drain(&t->w, close_in_ms);
        else if (close_in_ms < 0 && (*m)->loop_open)
            n += (*m)->loop_open(&t->w);
    }
    return n;
}

/* Step 1: hint the WebSockets to move, serve on while they do. */
static void drain_websockets(loop_thread *t, int64_t start, int grace_ms)
{
    int64_t leave_by = start + grace_ms / 2;
    if (open_conns(t, grace_ms / 2) > 0) {
        do {
            h2o_evloop_run(t->ctx.loop, 50);
            rg_accesslog_flush(&t->log);
        } while (open_conns(t, -1) > 0 && mono_ms() < leave_by);
    }
    /* the ones that stayed (signaling: 53000, close 1001) */
    for (const rg_module *const *m = t->srv->app->modules; *m != NULL; m++)
        if ((*m)->loop_close) (*m)->loop_close(&t->w);
}

/* Step 2: stop accepting, let h2o close idle keep-alive connections, and
 * turn the loop until the in-flight ones are done or the deadline passes. */
static void drain(loop_thread *t)
{
    int grace_ms = t->srv->app->cfg.drain_grace * 1000;
    int64_t start = mono_ms(), deadline = start + grace_ms;
    drain_websockets(t, start, grace_ms);
    h2o_socket_read_stop(t->listener);
    h2o_socket_close(t->listener);
    t->listener = NULL;
    rg_spread_close(t->srv->spread, t->w.index, t->ctx.loop); /* given ones arrive first */
    h2o_context_request_shutdown(&t->ctx);
    /* h2o 2.2 leaves idle keep-alive connections open until their request
     * timeout (10 s, counted from when they began to wait): the HTTP/1 ones
     * are closed here, on every turn as requests in flight finish (h2o
     * keeps no connection alive after a request read once shutdown was
     * asked); a request whose body is arriving is let finish (conns.h).
     * HTTP/2 connections get a GOAWAY and a one second idle timeout. */
    t->ctx.http2.idle_timeout.timeout = 1000;
    do {
        rg_conns_close_idle(&t->conns);
        h2o_evloop_run(t->ctx.loop, t->conns.n > 0 ? 100 : 0);
        rg_accesslog_flush(&t->log);
    } while (t->conns.n > 0 && mono_ms() < deadline);
    if (t->conns.n > 0)
        fprintf(stderr, "roomgate: %zu connections still open after --drain-grace, closed\n",
                t->conns.n);
    /* h2o asserts that no timer is pending when the context is disposed:
     * cancel HTTP/2's GOAWAY re-send timer (armed by request_shutdown) and
     * let closed sockets be released on the next turns */
    h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
    for (int i = 0; i < 3; i++)
        h2o_evloop_run(t->ctx.loop, 0);
}

/* A request began or ended waiting for PostgreSQL on a fiber (/metrics). */
static void count_db_wait(rg_call *c, int delta)
{
    rg_metrics_db_wait(c->w->metrics, delta);
}

/* The context, the loop's shared machinery, every module's loop state and
 * the listener are made on the loop's own thread: h2o 2.2 ties a socket's
 * buffers to the allocator of the thread that created it (thread-local),
 * and the context's inter-thread queue reads through such a socket.  Made
 * on the main thread, every loop's queue would share the main thread's
 * free list: a data race as soon as other threads post to the loops
 * (deferred answers do). */
static int init_loop(loop_thread *t)
{
    server *s = t->srv;
    h2o_context_init(&t->ctx, h2o_evloop_create(), &s->config);
    h2o_multithread_register_receiver(t->ctx.queue, &t->defer_rx, rg_defer_on_messages);
    t->w.defer_rx = &t->defer_rx;
    /* PostgreSQL answers over the network: handlers wait for it on fibers,
     * and the loop serves others meanwhile (http/fiber.h).  SQLite answers
     * from the page cache or the disk in microseconds; a fiber would cost
     * more than it saves. */
    if (s->app->cfg.db && rg_store_is_postgres(s->app->cfg.db) &&
        (t->w.fibers = rg_fibers_new(t->ctx.loop, RG_FIBERS_MAX, count_db_wait)) == NULL)
        return -1;
    for (const rg_module *const *m = s->app->modules; *m != NULL; m++)
        if ((*m)->loop_init && (*m)->loop_init(&t->w, &t->ctx) != 0) return -1;
    rg_spread_open(s->spread, t->w.index, t->ctx.queue, adopt, t);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = s->config.hosts;
    t->accept_ctx.ssl_ctx = s->ssl_ctx;
    t->listener = h2o_evloop_socket_create(t->ctx.loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);
    return 0;
}

/* The mirror of init_loop, also on the loop's thread: the sockets it
 * closes return their buffers to this thread's allocator.  Modules go in
 * list order (http/module.h), before the context: they unregister from its
 * queue; the deferral queue goes after them, as they may still deliver on
 * it. */
static void dispose_loop(loop_thread *t)
{
    rg_spread_close(t->srv->spread, t->w.index, t->ctx.loop); /* a loop that never drained */
    for (const rg_module *const *m = t->srv->app->modules; *m != NULL; m++)
        if ((*m)->loop_dispose) (*m)->loop_dispose(&t->w);
    h2o_multithread_unregister_receiver(t->ctx.queue, &t->defer_rx);
    t->w.defer_rx = NULL;
    rg_fibers_free(t->w.fibers); /* every request is gone: so are their fibers */
    t->w.fibers = NULL;
    h2o_context_dispose(&t->ctx);
    free(t->ctx.queue); /* h2o 2.2's dispose destroys the queue but leaks it */
    h2o_evloop_destroy(t->ctx.loop);
}

static void *run_loop(void *arg)
{
    loop_thread *t = arg;
    rg_store_bind_thread((int)t->w.index + 1); /* its own store connection (store.h) */
    t->init_rc = init_loop(t);
    sem_post(&t->ready);
    if (t->init_rc != 0) return NULL;
    while (!atomic_load(&t->srv->stopping)) {
        h2o_evloop_run(t->ctx.loop, 100);
        rg_accesslog_flush(&t->log);
        if (t->accept_resume_ms != 0 && h2o_now(t->ctx.loop) >= t->accept_resume_ms) {
            t->accept_resume_ms = 0;
            h2o_socket_read_start(t->listener, on_accept);
        }
    }
    drain(t);
    rg_accesslog_flush(&t->log);
    dispose_loop(t);
    return NULL;
}

static SSL_CTX *make_ssl_ctx(const rg_serve_config *cfg)
{
    SSL_CTX *ssl = SSL_CTX_new(TLS_server_method());
    if (ssl == NULL) return NULL;
    SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION);
    SSL_CTX_set_options(ssl, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ssl, cfg->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl) != 1) {
        SSL_CTX_free(ssl);
        return NULL;
    }
    h2o_ssl_register_alpn_protocols(ssl, h2o_http2_alpn_protocols);
    return ssl;
}

static void add_metrics_logger(h2o_pathconf_t *path, const rg_app *app, int route)
{
    metrics_logger *ml;
    if (app->metrics == NULL) return;
    ml = (metrics_logger *)h2o_create_logger(path, sizeof *ml);
    ml->super.log_access = on_metrics_log;
    ml->route = route;
}

static void add_logger(h2o_pathconf_t *path, int enabled)
{
    h2o_logger_t *logger;
    if (!enabled) return;
    logger = h2o_create_logger(path, sizeof *logger);
    logger->log_access = on_log;
}

/* A module's static directory (rg_files_add_fn, http/module.h), ud the
 * server; registered before "/" so the prefix wins.  Counted in /metrics
 * under the demo pages' label when guarded, else under the SDK's. */
static void add_files(void *ud, const char *prefix, const char *dir, rg_files_allow_fn allow)
{
    server *s = ud;
    static const char *index_files[] = {"index.html", NULL};
    h2o_pathconf_t *path;
    if (access(dir, R_OK | X_OK) != 0) return;
    path = h2o_config_register_path(s->host, prefix, 0);
    if (allow) {
        files_guard *g = (files_guard *)h2o_create_handler(path, sizeof *g);
        g->super.on_req = on_files_req;
        g->allow = allow;
    }
    /* the path's map (the host's, shared): NULL would build a map of its
     * own, ~1,000 types, for each directory */
    h2o_file_register(path, dir, index_files, path->mimemap, 0);
    add_logger(path, s->app->cfg.access_log);
    add_metrics_logger(path, s->app, allow ? RG_MROUTE_DEMO : RG_MROUTE_SDK);
}

static void setup_config(server *s)
{
    const rg_serve_config *cfg = &s->app->cfg;
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    h2o_handler_t *handler;
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("roomgate"));
    /* One limit for every route, checked by h2o before any handler (and so
     * before any credential) runs: h2o 2.2 holds a whole body in memory,
     * so this is what an anonymous request can make us hold.  Large
     * recordings come in --max-body pieces over tus (playback/tus.c). */
    s->config.max_request_entity_size = cfg->max_body;
    /* HTTP/2 over TLS only (ALPN): no cleartext upgrade or prior knowledge,
     * so a cleartext connection is HTTP/1 (conns.c relies on it) */
    s->config.http1.upgrade_to_http2 = 0;
    /* HTTP/2: at most this many requests of one connection run at once
     * (h2o's default is 100, what 2.2 advertises and cannot change); see
     * docs/security.md "Connections per address". */
    s->config.http2.max_concurrent_requests_per_connection = RG_H2_MAX_REQUESTS;
    host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    s->host = host;
    for (const rg_module *const *m = s->app->modules; *m != NULL; m++)
        if ((*m)->files) (*m)->files(s->app, add_files, s);
    path = h2o_config_register_path(host, "/", 0);
    handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    add_logger(path, cfg->access_log);
    add_metrics_logger(path, s->app, 0);
}

static int start_thread(server *s, int i, int fd)
{
    loop_thread *t = &s->threads[i];
    t->srv = s;
    t->w.app = s->app;
    t->w.index = i;
    t->log.fd = STDERR_FILENO;
    t->fd = fd;
    t->conns.lim = s->conns;
    t->conns.count = rg_spread_count(s->spread, i);
    t->w.metrics = rg_metrics_worker(s->app, i);
    t->conns.metrics = t->w.metrics;
    if ((t->w.hmac = rg_hmac_new()) == NULL) return -1;
    sem_init(&t->ready, 0, 0);
    if (pthread_create(&t->tid, NULL, run_loop, t) != 0) return -1;
    sem_wait(&t->ready);
    if (t->init_rc == 0) return 0;
    pthread_join(t->tid, NULL);
    return -1;
}

static void stop_thread(loop_thread *t)
{
    pthread_join(t->tid, NULL);
    rg_hmac_free(t->w.hmac);
}

static int listen_on(const char *host, unsigned short port, const char *flag, int *fd,
                     unsigned short *bound)
{
    int v6 = strchr(host, ':') != NULL;
    *bound = port;
    if ((*fd = open_listener(host, port, bound)) >= 0) return 0;
    if (errno == EADDRINUSE)
        fprintf(stderr,
                "roomgate: cannot listen on %s%s%s:%u: another process is already listening "
                "there (a roomgate started earlier?); stop it or choose another %s\n",
                v6 ? "[" : "", host, v6 ? "]" : "", port, flag);
    else
        fprintf(stderr, "roomgate: cannot listen on %s%s%s:%u: %s\n", v6 ? "[" : "", host,
                v6 ? "]" : "", port, strerror(errno));
    return -1;
}

int rg_server_listen(const rg_serve_config *cfg, rg_listener *l)
{
    l->metrics_fd = -1;
    if (listen_on(cfg->listen_host, cfg->listen_port, "--listen", &l->fd, &l->port) != 0) return -1;
    if (cfg->metrics_host[0] != '\0' &&
        listen_on(cfg->metrics_host, cfg->metrics_port, "--metrics-listen", &l->metrics_fd,
                  &l->metrics_port) != 0) {
        rg_listener_close(l);
        return -1;
    }
    return 0;
}

void rg_listener_close(rg_listener *l)
{
    if (l->fd >= 0) close(l->fd);
    if (l->metrics_fd >= 0) close(l->metrics_fd);
    l->fd = l->metrics_fd = -1;
}

/* One descriptor per loop, all for the same socket: each loop registers
 * and finally closes its own, and the socket stops listening when the
 * last is closed.  Consumes l->fd. */
static int share_listener(rg_listener *l, int n, int *fds)
{
    fds[0] = l->fd;
    l->fd = -1;
    for (int i = 1; i < n; i++) {
        if ((fds[i] = fcntl(fds[0], F_DUPFD_CLOEXEC, 0)) < 0) {
            fprintf(stderr, "roomgate: cannot share the listening socket: %s\n", strerror(errno));
            while (i-- > 0)
                close(fds[i]);
            return -1;
        }
    }
    return 0;
}

/* Runs the registered pollers that are due (rg_app_add_poller). */
static void run_pollers(rg_app *app)
{
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t ms = (int64_t)mono.tv_sec * 1000 + mono.tv_nsec / 1000000;
    for (int i = 0; i < app->npollers; i++) {
        rg_poller *p = &app->pollers[i];
        if (ms < p->next_ms) continue;
        p->next_ms = ms + p->period_ms;
        p->fn(p->ud, (int64_t)time(NULL));
    }
}

/* Waits for SIGTERM/SIGINT; meanwhile runs the pollers (the change
 * watcher, which tells the caches what other processes committed; room
 * timers...). */
static void wait_for_signal(server *s, const sigset_t *set)
{
    struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) break;
        run_pollers(s->app);
    }
    atomic_store(&s->app->draining, 1); /* before the loops start draining */
    atomic_store(&s->stopping, 1);
}

static void announce(const server *s, unsigned short port, unsigned short metrics_port)
{
    const char *host = s->app->cfg.listen_host, *mhost = s->app->cfg.metrics_host;
    int v6 = strchr(host, ':') != NULL;
    /* before the main line, which tells a supervisor (and the tests) that
     * the server is up */
    if (s->app->metrics != NULL)
        printf("roomgate: metrics on http://%s%s%s:%u/metrics\n", strchr(mhost, ':') ? "[" : "",
               mhost, strchr(mhost, ':') ? "]" : "", metrics_port);
    printf("roomgate: listening on %s://%s%s%s:%u/\n", s->ssl_ctx ? "https" : "http", v6 ? "[" : "",
           host, v6 ? "]" : "", port);
    fflush(stdout);
}

int rg_server_run(rg_app *app, rg_listener *l)
{
    server s = {.app = app, .nthreads = app->cfg.threads > 0 ? app->cfg.threads : 1};
    int fds[256], started = 0, rc = 0, metrics = 0;
    unsigned short port = l->port, metrics_port = l->metrics_port;
    sigset_t set;
    if (s.nthreads > 256) s.nthreads = 256;
    if (app->cfg.tls_cert && (s.ssl_ctx = make_ssl_ctx(&app->cfg)) == NULL) {
        fprintf(stderr, "roomgate: cannot load the TLS certificate or key\n");
        rg_listener_close(l);
        return 1;
    }
    if (share_listener(l, s.nthreads, fds) != 0) {
        SSL_CTX_free(s.ssl_ctx);
        return 1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every loop thread */
    signal(SIGPIPE, SIG_IGN);
    setup_config(&s);
    if (app->cfg.limits.max_conns_per_ip > 0 &&
        ((s.conns = rg_connlimit_new(app->cfg.limits.max_conns_per_ip)) == NULL ||
         rg_app_add_poller(app, log_refused, s.conns, 60000) != 0)) {
        fprintf(stderr, "roomgate: cannot set up --max-conns-per-ip\n");
        rg_connlimit_free(s.conns);
        s.conns = NULL;
        rc = 1;
    }
    if (rc == 0 && (s.spread = rg_spread_new(s.nthreads)) == NULL) rc = 1;
    s.threads = rc ? NULL : calloc((size_t)s.nthreads, sizeof *s.threads);
    for (; s.threads && started < s.nthreads; started++)
        if (start_thread(&s, started, fds[started]) != 0) break;
    if (started == s.nthreads && app->metrics != NULL) {
        if (rg_metrics_listener_start(app, l->metrics_fd) == 0) {
            l->metrics_fd = -1; /* the metrics thread's now */
            metrics = 1;
        } else {
            fprintf(stderr, "roomgate: cannot start the metrics listener\n");
            started = -started - 1; /* stop the loops, fail */
        }
    }
    if (started == s.nthreads) {
        announce(&s, port, metrics_port);
        wait_for_signal(&s, &set);
    } else if (started < 0) {
        started = -started - 1;
        rc = 1;
    } else {
        fprintf(stderr, "roomgate: cannot start the event loops\n");
        rc = 1;
    }
    atomic_store(&s.stopping, 1);
    for (int i = 0; i < started; i++)
        stop_thread(&s.threads[i]);
    if (metrics) rg_metrics_listener_stop(app); /* last: it counted the drain too */
    for (int i = started; i < s.nthreads; i++)
        close(fds[i]);
    free(s.threads);
    rg_connlimit_free(s.conns); /* every socket is closed: nothing counted is left */
    rg_spread_free(s.spread);
    h2o_config_dispose(&s.config);
    SSL_CTX_free(s.ssl_ctx);
    return rc;
}

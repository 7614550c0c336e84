/* server.c - one h2o event loop per thread, each with its own SO_REUSEPORT
 * listener so the kernel spreads connections without a shared accept lock.
 *
 * The main thread owns signals: it blocks them everywhere, waits for one
 * with sigtimedwait (polling the key cache for writes by other processes
 * every 100 ms meanwhile), then raises `stopping`.  Each loop notices within
 * one turn, closes its listener, asks h2o to close idle connections, and
 * runs until its last connection is gone or the drain deadline passes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/verdict.h"
#include "http/accesslog.h"
#include "http/router.h"
#include "http/playback.h"
#include "http/server.h"
#include "http/signal.h"

/* Cached validate answers per loop thread: 4096 slots of ~2 KiB. */
#define RG_VERDICT_SLOTS 4096

typedef struct server server;

typedef struct {
    rg_worker w; /* what handlers see */
    server *srv;
    pthread_t tid;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    int fd;
    size_t nconn;
    rg_logbuf log;
    sem_t ready; /* posted by the loop thread once init_loop ran */
    int init_rc;
} loop_thread;

struct server {
    rg_app *app;
    h2o_globalconf_t config;
    SSL_CTX *ssl_ctx;
    loop_thread *threads;
    int nthreads;
    atomic_int stopping;
};

static loop_thread *thread_of(h2o_req_t *req)
{
    return H2O_STRUCT_FROM_MEMBER(loop_thread, ctx, req->conn->ctx);
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    loop_thread *t = thread_of(req);
    rg_call *c = h2o_mem_alloc_pool(&req->pool, sizeof *c);
    (void)self;
    memset(c, 0, sizeof *c);
    c->req = req;
    c->w = &t->w;
    c->now = (int64_t)(h2o_now(t->ctx.loop) / 1000);
    rg_route_dispatch(c);
    return 0;
}

static void on_log(h2o_logger_t *self, h2o_req_t *req)
{
    (void)self;
    rg_accesslog_append(&thread_of(req)->log, req);
}

static void on_sock_close(void *data)
{
    ((loop_thread *)data)->nconn--;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    loop_thread *t = listener->data;
    h2o_socket_t *sock;
    if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL) return;
    t->nconn++;
    sock->on_close.cb = on_sock_close;
    sock->on_close.data = t;
    h2o_accept(&t->accept_ctx, sock);
}

/* A listening socket on host:port with SO_REUSEPORT; port 0 picks one.
 * TCP_NODELAY is set here because h2o's evloop accepts with accept4 and
 * relies on the accepted socket inheriting it: without it Nagle held a
 * relayed WebSocket message back until the peer acknowledged the one
 * before (milliseconds of tail latency). */
static int open_listener(const char *host, unsigned short port, unsigned short *bound)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *ai;
    char pstr[8];
    int fd, one = 1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    snprintf(pstr, sizeof pstr, "%u", port);
    if (getaddrinfo(host, pstr, &hints, &ai) != 0) return -1;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        if (fd >= 0) close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Stop accepting, let h2o close idle keep-alive connections, and turn the
 * loop until the in-flight ones are done or the deadline passes. */
static void drain(loop_thread *t)
{
    time_t deadline = time(NULL) + RG_DRAIN_SECONDS;
    rg_signal_thread_drain(&t->w); /* WebSockets are told and closed */
    h2o_socket_read_stop(t->listener);
    h2o_socket_close(t->listener);
    t->listener = NULL;
    h2o_context_request_shutdown(&t->ctx);
    /* h2o 2.2 leaves idle keep-alive connections open until their idle
     * timeout (10 s): shorten it to one second, which closes connections
     * idle for longer at once and still lets a request whose body is
     * arriving finish (requests being processed hold no idle timer) */
    t->ctx.http1.req_timeout.timeout = 1000;
    t->ctx.http2.idle_timeout.timeout = 1000;
    do {
        h2o_evloop_run(t->ctx.loop, t->nconn > 0 ? 100 : 0);
        rg_accesslog_flush(&t->log);
    } while (t->nconn > 0 && time(NULL) < deadline);
    /* h2o asserts that no timer is pending when the context is disposed:
     * cancel HTTP/2's GOAWAY re-send timer (armed by request_shutdown) and
     * let closed sockets be released on the next turns */
    h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
    for (int i = 0; i < 3; i++)
        h2o_evloop_run(t->ctx.loop, 0);
}

/* The context, the playback state and the listener are made on the loop's
 * own thread: h2o 2.2 ties a socket's buffers to the allocator of the
 * thread that created it (thread-local), and the context's inter-thread
 * queue reads through such a socket.  Made on the main thread, every
 * loop's queue would share the main thread's free list: a data race as
 * soon as other threads post to the loops (deferred answers do). */
static int init_loop(loop_thread *t)
{
    server *s = t->srv;
    h2o_context_init(&t->ctx, h2o_evloop_create(), &s->config);
    if (s->app->pb && rg_playback_thread_init(&t->w, &t->ctx) != 0) return -1;
    if (rg_signal_thread_init(&t->w, &t->ctx) != 0) return -1;
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = s->config.hosts;
    t->accept_ctx.ssl_ctx = s->ssl_ctx;
    t->listener = h2o_evloop_socket_create(t->ctx.loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);
    return 0;
}

/* The mirror of init_loop, also on the loop's thread: the sockets it
 * closes return their buffers to this thread's allocator. */
static void dispose_loop(loop_thread *t)
{
    rg_playback_thread_dispose(&t->w);
    rg_signal_thread_dispose(&t->w); /* before the context: it unregisters from its queue */
    h2o_context_dispose(&t->ctx);
    free(t->ctx.queue); /* h2o 2.2's dispose destroys the queue but leaks it */
    h2o_evloop_destroy(t->ctx.loop);
}

static void *run_loop(void *arg)
{
    loop_thread *t = arg;
    t->init_rc = init_loop(t);
    sem_post(&t->ready);
    if (t->init_rc != 0) return NULL;
    while (!atomic_load(&t->srv->stopping)) {
        h2o_evloop_run(t->ctx.loop, 100);
        rg_accesslog_flush(&t->log);
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

static void add_logger(h2o_pathconf_t *path, int enabled)
{
    h2o_logger_t *logger;
    if (!enabled) return;
    logger = h2o_create_logger(path, sizeof *logger);
    logger->log_access = on_log;
}

/* Static files (the browser SDK, the demo page) come from libh2o's file
 * handler: it does ETags, ranges and path normalisation, so no path is
 * ever built from the request here.  Registered before "/" so the prefix
 * wins. */
static void add_static(h2o_hostconf_t *host, const char *prefix, const rg_serve_config *cfg,
                       const char *sub)
{
    static const char *index_files[] = {"index.html", NULL};
    char dir[4096];
    h2o_pathconf_t *path;
    snprintf(dir, sizeof dir, "%s/%s", cfg->web_dir, sub);
    if (access(dir, R_OK | X_OK) != 0) return;
    path = h2o_config_register_path(host, prefix, 0);
    h2o_file_register(path, dir, index_files, NULL, 0);
    add_logger(path, cfg->access_log);
}

static void setup_config(server *s)
{
    const rg_serve_config *cfg = &s->app->cfg;
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;
    h2o_handler_t *handler;
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("roomgate"));
    s->config.max_request_entity_size = s->app->pb ? rg_playback_body_limit(s->app) : cfg->max_body;
    host = h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    add_static(host, "/sdk", cfg, "sdk");
    if (cfg->demo) add_static(host, "/demo", cfg, "demo");
    path = h2o_config_register_path(host, "/", 0);
    handler = h2o_create_handler(path, sizeof *handler);
    handler->on_req = on_req;
    add_logger(path, cfg->access_log);
}

static int start_thread(server *s, int i, int fd)
{
    loop_thread *t = &s->threads[i];
    t->srv = s;
    t->w.app = s->app;
    t->w.index = i;
    t->log.fd = STDERR_FILENO;
    t->fd = fd;
    if ((t->w.hmac = rg_hmac_new()) == NULL ||
        (t->w.verdicts = rg_verdict_cache_new(RG_VERDICT_SLOTS)) == NULL)
        return -1;
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
    rg_verdict_cache_free(t->w.verdicts);
}

/* Opens every listener first, so a bad address fails before any thread
 * starts, and the port printed is the one every thread serves. */
static int open_all(server *s, int *fds, unsigned short *port)
{
    const rg_serve_config *cfg = &s->app->cfg;
    *port = cfg->listen_port;
    for (int i = 0; i < s->nthreads; i++) {
        if ((fds[i] = open_listener(cfg->listen_host, *port, port)) < 0) {
            fprintf(stderr, "roomgate: cannot listen on %s:%u: %s\n", cfg->listen_host, *port,
                    strerror(errno));
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

/* Waits for SIGTERM/SIGINT; meanwhile picks up key changes made by other
 * processes (the CLI) on the same database and runs the other pollers
 * (revocations, room timers). */
static void wait_for_signal(server *s, const sigset_t *set)
{
    struct timespec tick = {0, 100 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) break;
        rg_keycache_poll(s->app->keys);
        run_pollers(s->app);
    }
    atomic_store(&s->stopping, 1);
}

static void announce(const server *s, unsigned short port)
{
    const char *host = s->app->cfg.listen_host;
    int v6 = strchr(host, ':') != NULL;
    printf("roomgate: listening on %s://%s%s%s:%u/\n", s->ssl_ctx ? "https" : "http", v6 ? "[" : "",
           host, v6 ? "]" : "", port);
    fflush(stdout);
}

int rg_server_run(rg_app *app)
{
    server s = {.app = app, .nthreads = app->cfg.threads > 0 ? app->cfg.threads : 1};
    int fds[256], started = 0, rc = 0;
    unsigned short port;
    sigset_t set;
    if (s.nthreads > 256) s.nthreads = 256;
    if (app->cfg.tls_cert && (s.ssl_ctx = make_ssl_ctx(&app->cfg)) == NULL) {
        fprintf(stderr, "roomgate: cannot load the TLS certificate or key\n");
        return 1;
    }
    if (open_all(&s, fds, &port) != 0) {
        SSL_CTX_free(s.ssl_ctx);
        return 1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every loop thread */
    signal(SIGPIPE, SIG_IGN);
    setup_config(&s);
    s.threads = calloc((size_t)s.nthreads, sizeof *s.threads);
    for (; s.threads && started < s.nthreads; started++)
        if (start_thread(&s, started, fds[started]) != 0) break;
    if (started == s.nthreads) {
        announce(&s, port);
        wait_for_signal(&s, &set);
    } else {
        fprintf(stderr, "roomgate: cannot start the event loops\n");
        rc = 1;
    }
    atomic_store(&s.stopping, 1);
    for (int i = 0; i < started; i++)
        stop_thread(&s.threads[i]);
    for (int i = started; i < s.nthreads; i++)
        close(fds[i]);
    free(s.threads);
    h2o_config_dispose(&s.config);
    SSL_CTX_free(s.ssl_ctx);
    return rc;
}

/* signal_load.c - load client for the signaling benchmark (bench/signal.sh,
 * bench/README.md "Signaling"): speaks the protocol of docs/signaling.md to
 * any server (roomgate, bench/peer-node/signal.js), one JSON line out.
 *
 *   signal_load idle  URL PID N                 server RSS per idle connection
 *   signal_load relay URL PID ROOMS RATE SECS   relay latency and server CPU
 *   signal_load joins URL PID N                 join rate (connect + join)
 *
 * With BENCH_PROTO=twilio (idle and joins only) it speaks Twilio's
 * protocol on GET /signaling instead (docs/migrate-from-twilio.md): a
 * hello carrying a connect, joined at `connected`; heartbeats are ignored.
 *
 * Why C: the Node client it replaced shared the two cores with the server
 * and its own event loop dominated the latency it measured (p99 2.6 ms
 * against 1.2 ms for the same server, and 17.7k of the 20k messages/s).  This one is one thread on
 * edge-triggered epoll (one epoll_ctl per connection), reads every socket
 * into one shared buffer (a connection keeps only a partial frame's bytes),
 * and finds a relayed message's send time without a JSON parser.
 *
 * Tokens are Twilio-format, minted with core/token.c from BENCH_KEY_SID,
 * BENCH_KEY_SECRET and BENCH_ACCOUNT; BENCH_RUN prefixes the room names;
 * BENCH_URL_B sends each room's second member to another node (multinode.sh).
 * BENCH_ROOM_SIZE (2) participants share a room in idle and joins;
 * BENCH_TRACKS=1 makes each Twilio participant publish an audio and a
 * video track.
 * 127.0.0.1 only.  Exits 0 only when the whole run succeeded. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/hmac.h"
#include "core/token.h"
#include "core/wsframe.h"

#define DEADLINE_S 120        /* for the whole run (a relay's SECS on top) */
#define MAX_MESSAGE (1 << 20) /* from the server; more is a protocol error */
#define MAX_HANDSHAKE 8192    /* bytes of the 101 response's header */
#define FRAME_MAX 4096        /* our largest payload: a join with its token */
#define CLOSE_WAIT_NS 3000000000LL
#define CANDIDATE "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host"

enum { ST_FREE, ST_CONNECTING, ST_UPGRADING, ST_JOINING, ST_JOINED, ST_CLOSING };

typedef struct {
    int fd;
    int state; /* ST_* */
    int index; /* in g.conns: names its identity and room */
    char sid[64];
    int met; /* knows its room's other member (BENCH_URL_B: nodes learn of each other) */
    int64_t started; /* clock_ns() at connect: a join's latency runs from it */
    char accept[RG_WS_ACCEPT_SIZE]; /* the Sec-WebSocket-Accept we expect */
    rg_ws_reader rd;
    uint8_t *pend; /* an incomplete frame (or 101 header) carried over */
    size_t pend_len;
    uint8_t *out; /* what the socket did not take yet */
    size_t out_len;
} conn;

static struct {
    const char *mode, *key_sid, *secret, *account;
    int twilio;         /* BENCH_PROTO=twilio: Twilio's envelope and connect */
    int room_size;      /* idle and joins: BENCH_ROOM_SIZE (2) participants per room */
    const char *tracks; /* Twilio: what each one publishes (BENCH_TRACKS=1: audio, video) */
    char run[128], host[80], path[256];
    struct sockaddr_in addr;
    struct sockaddr_in addr_b; /* BENCH_URL_B, when has_b */
    char host_b[80];
    int has_b;
    int unmet; /* relay with has_b: connections that do not know their peer yet */
    int pid, ep, timer;
    rg_hmac *hmac;
    int64_t deadline, t_base;
    int64_t real_base; /* CLOCK_REALTIME at start: relay stamps count from it */
    uint64_t rng;
    conn *conns; /* the pool: n connections, at most conc joining at once */
    int n, next, inflight, conc, unjoined, open;
    int rooms; /* relay */
    double total_rate;
    uint64_t sent, received;
    int64_t send_t0;
    int measuring;
    int64_t *lat; /* ns, recorded while measuring */
    size_t nlat, lat_cap;
    int64_t *join_lat; /* joins: each connection's connect-to-joined, ns */
} g;

/* Every socket is read into this, so a connection holds no read buffer. */
static uint8_t scratch[2 * MAX_MESSAGE + 65536];

static _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("signal_load: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Relay latency runs on CLOCK_REALTIME, the clock of the kernel's receive
 * timestamps (SO_TIMESTAMPNS), counted from g.real_base. */
static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - g.real_base;
}

/* xorshift64: masks and handshake keys need no cryptographic randomness. */
static uint32_t rnd(void)
{
    g.rng ^= g.rng << 13;
    g.rng ^= g.rng >> 7;
    g.rng ^= g.rng << 17;
    return (uint32_t)(g.rng >> 32);
}

static long long round_ll(double x)
{
    return x < 0 ? -(long long)(-x + 0.5) : (long long)(x + 0.5);
}

/* ---- setup ------------------------------------------------------------- */

/* url's address into *addr and its HOST:PORT into hostport; its path
 * into g.path when path is set. */
static void parse_url_into(const char *url, struct sockaddr_in *addr, char *hostport, size_t cap,
                           int path)
{
    char host[64];
    unsigned port = 0;
    int end = 0;
    if (sscanf(url, "ws://%63[^:/]:%u%n", host, &port, &end) != 2 || port == 0 || port > 65535 ||
        (url[end] != '/' && url[end] != '\0') || strlen(url + end) >= sizeof g.path)
        die("URL must be ws://127.x.x.x:PORT/PATH, not %s", url);
    if (path) snprintf(g.path, sizeof g.path, "%s", url[end] ? url + end : "/");
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    /* loopback only: this client must never load anyone else's server */
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1 || ntohl(addr->sin_addr.s_addr) >> 24 != 127)
        die("only 127.x.x.x or localhost, not %s", host);
    snprintf(hostport, cap, "%s:%u", host, port);
}

static void parse_url(const char *url)
{
    parse_url_into(url, &g.addr, g.host, sizeof g.host, 1);
    /* BENCH_URL_B: the odd connections (each room's second member) go to
     * another node there (bench/multinode.sh), so every room spans two */
    const char *b = getenv("BENCH_URL_B");
    if (b != NULL && *b != '\0') {
        parse_url_into(b, &g.addr_b, g.host_b, sizeof g.host_b, 0);
        g.has_b = 1;
    }
}

static void read_env(void)
{
    g.twilio = getenv("BENCH_PROTO") && strcmp(getenv("BENCH_PROTO"), "twilio") == 0;
    g.room_size = getenv("BENCH_ROOM_SIZE") ? atoi(getenv("BENCH_ROOM_SIZE")) : 2;
    if (g.room_size < 1) die("BENCH_ROOM_SIZE: a number of participants, 1 or more");
    g.tracks = getenv("BENCH_TRACKS") && strcmp(getenv("BENCH_TRACKS"), "1") == 0
                   ? "{\"id\":\"a0d9c1e2-mic\",\"kind\":\"audio\",\"name\":\"mic\","
                     "\"enabled\":true,\"priority\":\"standard\"},{\"id\":\"b7e3f4a5-cam\","
                     "\"kind\":\"video\",\"name\":\"cam\",\"enabled\":true,"
                     "\"priority\":\"standard\"}"
                   : "";
    g.key_sid = getenv("BENCH_KEY_SID");
    g.secret = getenv("BENCH_KEY_SECRET");
    g.account = getenv("BENCH_ACCOUNT");
    if (!g.key_sid || !*g.key_sid || !g.secret || !*g.secret || !g.account || !*g.account)
        die("BENCH_KEY_SID, BENCH_KEY_SECRET and BENCH_ACCOUNT must be set");
    const char *run = getenv("BENCH_RUN");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (run && *run)
        snprintf(g.run, sizeof g.run, "%s", run);
    else /* like Date.now() */
        snprintf(g.run, sizeof g.run, "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- the server process, as /proc shows it ------------------------------ */

static void proc_read(const char *what, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", g.pid, what);
    FILE *f = fopen(path, "r");
    if (f == NULL) die("cannot read %s", path);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
}

static long rss_kib(void)
{
    char buf[4096];
    proc_read("status", buf, sizeof buf);
    const char *p = strstr(buf, "VmRSS:");
    if (p == NULL) die("no VmRSS for pid %d", g.pid);
    return strtol(p + 6, NULL, 10);
}

static long cpu_ticks(void)
{
    char buf[1024];
    unsigned long ut, st;
    proc_read("stat", buf, sizeof buf);
    /* utime and stime are fields 14 and 15; the name before ") " may hold spaces */
    const char *p = strrchr(buf, ')');
    if (p == NULL ||
        sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %lu", &ut, &st) != 2)
        die("cannot parse /proc/%d/stat", g.pid);
    return (long)(ut + st);
}

/* ---- connections ----------------------------------------------------- */

static void conn_close(conn *c)
{
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->state = ST_FREE;
    rg_ws_reader_clear(&c->rd);
    free(c->pend);
    free(c->out);
    c->pend = c->out = NULL;
    c->pend_len = c->out_len = 0;
    g.open--;
}

/* An error or EOF is expected only after our close frame; before, the run
 * is not valid. */
static void conn_lost(conn *c, const char *why)
{
    if (c->state != ST_CLOSING) die("connection %d (%s): %s", c->index, c->sid, why);
    conn_close(c);
}

/* Bytes the socket took: 0 when full, or failed after our close (the read
 * side then sees the end). */
static size_t try_send(conn *c, const uint8_t *p, size_t n)
{
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN && c->state != ST_CLOSING)
        die("connection %d: send: %s", c->index, strerror(errno));
    return w < 0 ? 0 : (size_t)w;
}

/* Sends what is queued; the rest waits for the next EPOLLOUT edge. */
static void out_flush(conn *c)
{
    size_t w = try_send(c, c->out, c->out_len);
    memmove(c->out, c->out + w, c->out_len - w);
    c->out_len -= w;
}

static void send_raw(conn *c, const uint8_t *p, size_t n)
{
    size_t w = c->out_len ? 0 : try_send(c, p, n); /* usually all of it, no copy */
    if (w == n) return;
    uint8_t *grown = realloc(c->out, c->out_len + n - w);
    if (grown == NULL) die("out of memory");
    memcpy(grown + c->out_len, p + w, n - w);
    c->out = grown;
    c->out_len += n - w;
}

/* A client frame: masked, as RFC 6455 requires of clients. */
static void send_frame(conn *c, int opcode, const void *payload, size_t len)
{
    static uint8_t buf[RG_WS_HEADER_MAX + FRAME_MAX];
    uint32_t r = rnd();
    uint8_t mask[4];
    if (len > FRAME_MAX) die("frame of %zu bytes", len);
    memcpy(mask, &r, sizeof mask);
    size_t h = rg_ws_header_write(buf, opcode, len, mask);
    memcpy(buf + h, payload, len);
    rg_ws_mask(buf + h, len, mask, 0);
    send_raw(c, buf, h + len);
}

static void send_upgrade(conn *c)
{
    uint8_t raw[16];
    char key[32], req[512];
    for (size_t k = 0; k < sizeof raw; k += 4) {
        uint32_t r = rnd();
        memcpy(raw + k, &r, 4);
    }
    size_t klen = rg_b64_encode(key, raw, sizeof raw);
    if (rg_ws_accept_key(c->accept, key, klen) != RG_OK) die("SHA-1 failed");
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n\r\n",
                     g.path, g.has_b && (c->index & 1) ? g.host_b : g.host, key);
    c->state = ST_UPGRADING;
    send_raw(c, (const uint8_t *)req, (size_t)n);
}

/* Identity and room of connection i, as the JS client names them. */
static void names(int i, char *id, size_t idcap, char *room, size_t roomcap)
{
    if (g.mode[0] == 'r') { /* a<r> and b<r> in relay-RUN-<r> */
        snprintf(id, idcap, "%c%d", i & 1 ? 'b' : 'a', i / 2);
        snprintf(room, roomcap, "relay-%s-%d", g.run, i / 2);
        return;
    }
    const char *tag = g.mode[0] == 'i' ? "idle" : "joins"; /* rooms of BENCH_ROOM_SIZE */
    snprintf(id, idcap, "%c%d", g.mode[0] == 'i' ? 'u' : 'j', i);
    snprintf(room, roomcap, "%s-%s-%d", tag, g.run, i / g.room_size);
}

static void send_join(conn *c)
{
    char id[32], room[200], tok[2048], msg[2600];
    size_t tlen;
    names(c->index, id, sizeof id, room, sizeof room);
    rg_twilio_claims cl = {g.account, g.key_sid, (const uint8_t *)g.secret, strlen(g.secret),
                           id,        room,      (int64_t)time(NULL),       3600};
    if (rg_token_mint_twilio(g.hmac, &cl, tok, sizeof tok, &tlen) != RG_OK)
        die("cannot mint a token (check BENCH_KEY_SID, BENCH_KEY_SECRET, BENCH_ACCOUNT)");
    int n = g.twilio ? snprintf(msg, sizeof msg,
                                "{\"type\":\"hello\",\"id\":\"%d\",\"timeout\":5000,"
                                "\"version\":2,\"body\":{\"type\":\"connect\",\"version\":2,"
                                "\"name\":\"%s\",\"token\":\"%s\",\"participant\":{"
                                "\"revision\":1,\"tracks\":[%s]},\"peer_connections\":[]}}",
                                c->index, room, tok, g.tracks)
                     : snprintf(msg, sizeof msg, "{\"type\":\"join\",\"token\":\"%s\"}", tok);
    c->state = ST_JOINING;
    send_frame(c, RG_WS_OP_TEXT, msg, (size_t)n);
}

static void conn_start(int i)
{
    conn *c = &g.conns[i];
    int one = 1;
    c->index = i;
    c->started = clock_ns();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket: %s", strerror(errno));
    /* a relayed message is one small frame: no Nagle delay on top */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    /* edge-triggered for both directions: never an epoll_ctl again */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl: %s", strerror(errno));
    rg_ws_reader_init(&c->rd, 0 /* frames from a server */, MAX_MESSAGE);
    c->state = ST_CONNECTING;
    g.open++;
    const struct sockaddr_in *to = g.has_b && (i & 1) ? &g.addr_b : &g.addr;
    if (connect(c->fd, (const struct sockaddr *)to, sizeof *to) == 0)
        send_upgrade(c);
    else if (errno != EINPROGRESS)
        die("connect to %s: %s", g.host, strerror(errno));
}

static void pool_fill(void)
{
    while (g.inflight < g.conc && g.next < g.n) {
        g.inflight++;
        conn_start(g.next++);
    }
}

/* ---- what the server sends -------------------------------------------- */

static void on_relayed(int64_t latency_ns)
{
    g.received++;
    if (g.measuring && g.nlat < g.lat_cap) g.lat[g.nlat++] = latency_ns;
}

/* The send time in a relayed signal as the server writes it, compact:
 * {"type":"signal","from":"PA..","data":{"t":123,...}}, found without a JSON
 * parser.  0 when the text is not of that shape (the slow path decides). */
static int relay_time(const uint8_t *p, size_t len, int64_t *t)
{
    static const char head[] = "{\"type\":\"signal\",";
    const uint8_t *end = p + len;
    if (len < sizeof head - 1 || memcmp(p, head, sizeof head - 1) != 0) return 0;
    const uint8_t *d = memmem(p, len, "\"data\":{", 8);
    const uint8_t *q = d ? memmem(d, (size_t)(end - d), "\"t\":", 4) : NULL;
    if (q == NULL) return 0;
    const uint8_t *digits = q += 4;
    int64_t v = 0;
    while (q < end && *q >= '0' && *q <= '9' && q - digits < 18)
        v = v * 10 + (*q++ - '0');
    if (q == digits || q == end || (*q != ',' && *q != '}')) return 0;
    *t = v;
    return 1;
}

static void on_joined_as(conn *c, json_t *m, const uint8_t *p, size_t len);

/* A Twilio envelope's room message is of this type. */
static int body_is(json_t *m, const char *type)
{
    const char *t = json_string_value(json_object_get(json_object_get(m, "body"), "type"));
    return t != NULL && strcmp(t, type) == 0;
}

static void on_joined(conn *c, json_t *m, const uint8_t *p, size_t len)
{
    if (g.twilio) {
        /* Twilio's envelope: the welcome and heartbeats say nothing of the
         * join; `connected` (in a msg) is its joined, an error its refusal */
        const char *et = json_string_value(json_object_get(m, "type"));
        json_t *body = json_object_get(m, "body");
        const char *bt = json_string_value(json_object_get(body, "type"));
        if (et && (strcmp(et, "welcome") == 0 || strcmp(et, "heartbeat") == 0)) return;
        if (bt == NULL || strcmp(bt, "connected") != 0)
            die("connection %d: connect refused: %.*s", c->index, (int)len, (const char *)p);
        m = json_pack("{s:s, s:O}", "type", "joined", "participant",
                      json_object_get(body, "participant"));
        on_joined_as(c, m, p, len);
        json_decref(m);
        return;
    }
    on_joined_as(c, m, p, len);
}

/* c knows its peer: a relay to it will not be refused as unknown. */
static void met(conn *c)
{
    if (c->met) return;
    c->met = 1;
    g.unmet--;
}

static void on_joined_as(conn *c, json_t *m, const uint8_t *p, size_t len)
{
    const char *type = json_string_value(json_object_get(m, "type"));
    const char *sid = json_string_value(json_object_get(json_object_get(m, "participant"), "sid"));
    if (type == NULL || strcmp(type, "joined") != 0 || sid == NULL || strlen(sid) >= sizeof c->sid)
        die("connection %d: join refused: %.*s", c->index, (int)len, (const char *)p);
    memcpy(c->sid, sid, strlen(sid) + 1);
    c->state = ST_JOINED;
    if (g.join_lat != NULL) g.join_lat[c->index] = clock_ns() - c->started;
    if (json_array_size(json_object_get(m, "participants")) > 0) met(c);
    g.inflight--;
    g.unjoined--;
    pool_fill();
}

/* stamp: when the kernel queued the bytes on the socket, on the clock of "t". */
static void on_message(conn *c, const uint8_t *p, size_t len, int64_t stamp)
{
    int64_t t;
    if (c->state == ST_JOINED && relay_time(p, len, &t)) {
        on_relayed(stamp - t);
        return;
    }
    if (c->state == ST_CLOSING) return;
    json_t *m = json_loadb((const char *)p, len, 0, NULL);
    const char *type = json_string_value(json_object_get(m, "type"));
    if (type == NULL) die("connection %d: unreadable message: %.*s", c->index, (int)len, p);
    if (c->state == ST_JOINING) {
        on_joined(c, m, p, len);
    } else if (g.twilio && strcmp(type, "msg") == 0 && body_is(m, "error")) {
        die("connection %d (%s): server error: %.*s", c->index, c->sid, (int)len, p);
    } else if (strcmp(type, "error") == 0) {
        die("connection %d (%s): server error: %.*s", c->index, c->sid, (int)len, p);
    } else if (strcmp(type, "signal") == 0) { /* not in the compact form, but ours */
        json_t *jt = json_object_get(json_object_get(m, "data"), "t");
        if (json_is_number(jt)) on_relayed(stamp - (int64_t)json_number_value(jt));
    } else if (strcmp(type, "participant_joined") == 0) {
        met(c);
    } /* participant_left and the like: nothing to do */
    json_decref(m);
}

static void on_event(conn *c, const rg_ws_event *ev, int64_t stamp)
{
    switch (ev->kind) {
    case RG_WS_EV_MESSAGE:
        on_message(c, ev->data, ev->len, stamp);
        return;
    case RG_WS_EV_PING: /* ev->data is in scratch: send_frame copies it first */
        send_frame(c, RG_WS_OP_PONG, ev->data, ev->len);
        return;
    case RG_WS_EV_CLOSE: /* after ours, the server's answer; wait for its EOF */
        if (c->state == ST_CLOSING) return;
        die("connection %d (%s): closed by the server, status %u %.*s", c->index, c->sid,
            ev->status, (int)ev->len, ev->data);
    case RG_WS_EV_ERROR:
        die("connection %d: bad frame from the server: %s", c->index, ev->why);
    default: /* NONE, PONG */
        return;
    }
}

/* Keeps p[0..n) (an incomplete frame) for the next read; usually n is 0. */
static void keep(conn *c, const uint8_t *p, size_t n)
{
    free(c->pend);
    c->pend = n ? malloc(n) : NULL;
    if (n && c->pend == NULL) die("out of memory");
    if (n) memcpy(c->pend, p, n);
    c->pend_len = n;
}

/* The 101 response: anything else, or a wrong accept key, ends the run. */
static void on_upgrade_reply(conn *c, const uint8_t *p, size_t len)
{
    char h[MAX_HANDSHAKE + 1];
    memcpy(h, p, len);
    h[len] = '\0';
    if (strncmp(h, "HTTP/1.1 101", 12) != 0)
        die("connection %d: upgrade refused: %.*s", c->index, (int)strcspn(h, "\r\n"), h);
    const char *a = strcasestr(h, "\r\nSec-WebSocket-Accept:");
    if (a == NULL) die("connection %d: no Sec-WebSocket-Accept", c->index);
    a += 23;
    a += strspn(a, " \t");
    if (strncmp(a, c->accept, RG_WS_ACCEPT_SIZE - 1) != 0)
        die("connection %d: wrong Sec-WebSocket-Accept", c->index);
    send_join(c);
}

/* Handles buf[0..n), the carried-over bytes first. */
static void consume(conn *c, uint8_t *buf, size_t n, int64_t stamp)
{
    size_t off = 0;
    if (c->state == ST_UPGRADING) {
        const uint8_t *end = memmem(buf, n, "\r\n\r\n", 4);
        if (end == NULL && n > MAX_HANDSHAKE) die("connection %d: header too long", c->index);
        if (end == NULL) {
            keep(c, buf, n);
            return;
        }
        off = (size_t)(end + 4 - buf); /* any bytes after it are frames */
        on_upgrade_reply(c, buf, off);
    }
    while (off < n) {
        rg_ws_event ev;
        size_t used;
        rg_ws_event_kind k = rg_ws_read(&c->rd, buf + off, n - off, &used, &ev);
        off += used; /* also with NONE: the fragments it stored are consumed */
        if (k == RG_WS_EV_NONE) break;
        on_event(c, &ev, stamp);
    }
    keep(c, buf + off, n - off);
}

/* drain: the peer hung up or failed, so read to the end; otherwise a short
 * read means the socket is empty (epoll(7)) and saves an EAGAIN call. */
/* One read, with the time the kernel queued its bytes on the socket: that,
 * not the time this loop came around to the socket after the batch's
 * earlier events, is when the relayed message reached the peer. */
static ssize_t read_stamped(conn *c, uint8_t *buf, size_t cap, int64_t *stamp)
{
    union {
        char bytes[CMSG_SPACE(sizeof(struct timespec))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {buf, cap};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.bytes,
                        .msg_controllen = sizeof ctl.bytes};
    ssize_t r = recvmsg(c->fd, &mh, 0);
    *stamp = real_ns();
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); r > 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(cm), sizeof ts);
            *stamp = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - g.real_base;
        }
    return r;
}

static void on_readable(conn *c, int drain)
{
    for (;;) {
        size_t have = c->pend_len, room = sizeof scratch - have;
        int64_t stamp;
        ssize_t r = read_stamped(c, scratch + have, room, &stamp);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) return;
        if (r <= 0) {
            conn_lost(c, r == 0 ? "closed by the server" : strerror(errno));
            return;
        }
        if (have) memcpy(scratch, c->pend, have);
        consume(c, scratch, have + (size_t)r, stamp);
        if ((size_t)r < room && !drain) return;
    }
}

static void on_writable(conn *c)
{
    if (c->state == ST_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) die("connect to %s: %s", g.host, strerror(err));
        send_upgrade(c);
    } else if (c->out_len) {
        out_flush(c);
    }
}

/* ---- the loop ---------------------------------------------------------- */

static void send_one(void)
{
    uint64_t k = g.sent++;
    int room = (int)(k % (uint64_t)g.rooms);
    int dir = (int)((k / (uint64_t)g.rooms) & 1); /* each room alternates direction */
    conn *from = &g.conns[2 * room + dir], *to = &g.conns[2 * room + !dir];
    char msg[320];
    int n =
        snprintf(msg, sizeof msg,
                 "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{\"t\":%lld,\"kind\":\"candidate\","
                 "\"candidate\":\"" CANDIDATE "\"}}",
                 to->sid, (long long)real_ns());
    send_frame(from, RG_WS_OP_TEXT, msg, (size_t)n);
}

/* Every millisecond: what is due by now at the total rate, so a late tick
 * is made up for instead of lowering the rate. */
static void on_tick(void)
{
    uint64_t expirations;
    if (read(g.timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
        die("timerfd: %s", strerror(errno));
    double due = (double)(clock_ns() - g.send_t0) * g.total_rate / 1e9;
    while ((double)g.sent < due)
        send_one();
}

static void dispatch(const struct epoll_event *e)
{
    conn *c = e->data.ptr;
    if (c == NULL) {
        on_tick();
        return;
    }
    if (c->state == ST_FREE) return; /* closed earlier in this batch */
    if (e->events & (EPOLLOUT | EPOLLERR)) on_writable(c);
    if (c->state != ST_FREE && (e->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        on_readable(c, (e->events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
}

/* Runs the loop until *left is 0 or the time until (0: none) comes. */
static void run_until(int64_t until, const int *left)
{
    struct epoll_event evs[256];
    for (;;) {
        if (left && *left == 0) return;
        int64_t now = clock_ns(), end = until && until < g.deadline ? until : g.deadline;
        if (now >= g.deadline)
            die("deadline: %d of %d joined, %d open, after %d s", g.n - g.unjoined, g.n, g.open,
                (int)((now - g.t_base) / 1000000000));
        if (until && now >= until) return;
        int k = epoll_wait(g.ep, evs, 256, (int)((end - now + 999999) / 1000000));
        if (k < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < k; i++)
            dispatch(&evs[i]);
    }
}

static void sleep_ms(int ms)
{
    run_until(clock_ns() + (int64_t)ms * 1000000, NULL);
}

/* n connections joined, conc at most connecting or joining at once. */
static void join_all(int n, int conc)
{
    g.conns = calloc((size_t)n, sizeof *g.conns);
    if (g.conns == NULL) die("out of memory");
    g.n = g.unjoined = n;
    g.conc = conc;
    pool_fill();
    run_until(0, &g.unjoined);
}

/* A close frame on each, then up to 3 s for the server to end the TCP
 * connection (its job, RFC 6455 section 7.1.1), then close what is left.
 * A Twilio participant says `disconnect` first, as the SDK's
 * room.disconnect() does: a socket closed without it is a dropped one,
 * whose session the server keeps for session_timeout (30 s), so the
 * phase's seats and rooms would outlive it (and their leaves land 30 s
 * later in whatever phase runs then), where /v1/signal's are freed at the
 * close: the phases after would not start from the same state. */
static void close_all(void)
{
    static const char DISCONNECT[] = "{\"type\":\"msg\",\"body\":{\"type\":\"disconnect\"}}";
    uint8_t payload[RG_WS_CONTROL_MAX];
    size_t len = rg_ws_close_payload(payload, RG_WS_CLOSE_NORMAL, NULL);
    for (int i = 0; i < g.n; i++) {
        if (g.conns[i].state == ST_FREE) continue;
        if (g.twilio && g.conns[i].state == ST_JOINED)
            send_frame(&g.conns[i], RG_WS_OP_TEXT, DISCONNECT, sizeof DISCONNECT - 1);
        g.conns[i].state = ST_CLOSING;
        send_frame(&g.conns[i], RG_WS_OP_CLOSE, payload, len);
    }
    run_until(clock_ns() + CLOSE_WAIT_NS, &g.open);
    if (g.open) fprintf(stderr, "signal_load: %d connections still open after 3 s\n", g.open);
    for (int i = 0; i < g.n; i++)
        if (g.conns[i].state != ST_FREE) conn_close(&g.conns[i]);
    free(g.conns);
    g.conns = NULL;
}

/* ---- modes -------------------------------------------------------------- */

static void mode_idle(int n)
{
    sleep_ms(300);
    long before = rss_kib();
    int64_t t0 = clock_ns();
    join_all(n, 256);
    double secs = (double)(clock_ns() - t0) / 1e9;
    sleep_ms(1000);
    long after = rss_kib();
    close_all();
    printf("{\"mode\":\"idle\",\"connections\":%d,\"rss_before_kib\":%ld,\"rss_after_kib\":%ld,"
           "\"bytes_per_conn\":%lld,\"join_rate\":%lld}\n",
           n, before, after, round_ll((double)(after - before) * 1024 / n), round_ll(n / secs));
}

/* Also the server's CPU per join (up to the last joined, the closes not
 * counted): on a loaded machine the rate varies run to run far more than
 * the work a join costs. */
static int cmp_i64(const void *a, const void *b);

/* A join's latency (connect, upgrade, join, joined) at quantile q, ms. */
static double join_ms(int n, double q)
{
    int i = (int)(q * n);
    return (double)g.join_lat[i < n ? i : n - 1] / 1e6;
}

static void mode_joins(int n)
{
    if ((g.join_lat = calloc((size_t)n, sizeof *g.join_lat)) == NULL) die("out of memory");
    long c0 = cpu_ticks();
    int64_t t0 = clock_ns();
    join_all(n, 64);
    double secs = (double)(clock_ns() - t0) / 1e9;
    long c1 = cpu_ticks();
    close_all();
    qsort(g.join_lat, (size_t)n, sizeof *g.join_lat, cmp_i64);
    printf("{\"mode\":\"joins\",\"joins\":%d,\"seconds\":%.2f,\"joins_per_s\":%lld,"
           "\"server_cpu_us_per_join\":%lld,\"join_p50_ms\":%.3f,\"join_p99_ms\":%.3f}\n",
           n, secs, round_ll(n / secs),
           round_ll(1e6 * (double)(c1 - c0) / sysconf(_SC_CLK_TCK) / n), join_ms(n, 0.5),
           join_ms(n, 0.99));
    free(g.join_lat);
    g.join_lat = NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The p-quantile of the sorted latencies in ms, as JSON ("null" if none). */
static const char *quantile(char *buf, size_t cap, double p)
{
    if (g.nlat == 0) return "null";
    size_t i = (size_t)(p * (double)g.nlat);
    snprintf(buf, cap, "%.3f", (double)g.lat[i < g.nlat ? i : g.nlat - 1] / 1e6);
    return buf;
}

/* Sends are paced on 250 us ticks (five messages a tick at 20k/s): coarser
 * ticks send synchronized bursts, which a thousand independent rooms do
 * not, and the queueing behind each burst would be measured as latency. */
#define TICK_NS 250000

static void start_sending(void)
{
    struct itimerspec every = {{0, TICK_NS}, {0, TICK_NS}};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    g.timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (g.timer < 0 || timerfd_settime(g.timer, 0, &every, NULL) != 0 ||
        epoll_ctl(g.ep, EPOLL_CTL_ADD, g.timer, &ev) != 0)
        die("timerfd: %s", strerror(errno));
    g.send_t0 = clock_ns();
}

static void mode_relay(int rooms, double rate, double secs)
{
    g.rooms = rooms;
    g.total_rate = rooms * rate;
    g.lat_cap = (size_t)(g.total_rate * (secs + 2) * 2) + 1024; /* twice what is due */
    if ((g.lat = malloc(g.lat_cap * sizeof *g.lat)) == NULL) die("out of memory");
    g.unmet = 2 * rooms;
    join_all(2 * rooms, 128);
    /* across nodes a member may enter before its node heard of the other */
    if (g.has_b) run_until(0, &g.unmet);
    start_sending();
    sleep_ms(2000); /* warm-up */
    g.measuring = 1;
    long c0 = cpu_ticks();
    int64_t t0 = clock_ns();
    uint64_t s0 = g.sent, r0 = g.received;
    sleep_ms((int)(secs * 1000));
    long c1 = cpu_ticks();
    double wall = (double)(clock_ns() - t0) / 1e9;
    uint64_t s1 = g.sent, r1 = g.received;
    g.measuring = 0;
    close(g.timer); /* also leaves the epoll set */
    sleep_ms(200);
    close_all();
    qsort(g.lat, g.nlat, sizeof *g.lat, cmp_i64);
    char p50[32], p99[32], max[32];
    printf("{\"mode\":\"relay\",\"rooms\":%d,\"rate_per_room\":%g,\"sent_per_s\":%lld,"
           "\"relayed_per_s\":%lld,\"p50_ms\":%s,\"p99_ms\":%s,\"max_ms\":%s,"
           "\"server_cpu_pct\":%lld}\n",
           rooms, rate, round_ll((double)(s1 - s0) / wall), round_ll((double)(r1 - r0) / wall),
           quantile(p50, sizeof p50, 0.5), quantile(p99, sizeof p99, 0.99),
           quantile(max, sizeof max, 1),
           round_ll(100.0 * (double)(c1 - c0) / sysconf(_SC_CLK_TCK) / wall));
    free(g.lat);
}

/* argv[i] as a positive number, or dflt when absent. */
static double arg(int argc, char **argv, int i, double dflt)
{
    char *end;
    if (i >= argc) return dflt;
    double v = strtod(argv[i], &end);
    if (end == argv[i] || *end != '\0' || !(v > 0) || v > 1e9) die("bad argument: %s", argv[i]);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 4) die("usage: signal_load idle|relay|joins URL PID [ARGS...]");
    g.mode = argv[1];
    parse_url(argv[2]);
    g.pid = (int)arg(argc, argv, 3, 0);
    read_env();
    raise_nofile();
    g.t_base = clock_ns();
    g.real_base = 0;
    g.real_base = real_ns(); /* "t" counts from here: under 2^53 for a JS peer */
    g.rng = (uint64_t)g.t_base ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15u;
    g.deadline = g.t_base + (int64_t)DEADLINE_S * 1000000000;
    g.hmac = rg_hmac_new();
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    if (g.hmac == NULL || g.ep < 0) die("setup failed");
    if (strcmp(g.mode, "idle") == 0) {
        mode_idle((int)arg(argc, argv, 4, 10000));
    } else if (strcmp(g.mode, "joins") == 0) {
        mode_joins((int)arg(argc, argv, 4, 2000));
    } else if (strcmp(g.mode, "relay") == 0 && g.twilio) {
        die("relay: roomgate's protocol only");
    } else if (strcmp(g.mode, "relay") == 0) {
        double secs = arg(argc, argv, 6, 8);
        g.deadline += (int64_t)(secs * 1e9);
        mode_relay((int)arg(argc, argv, 4, 1000), arg(argc, argv, 5, 20), secs);
    } else {
        die("mode: idle | relay | joins");
    }
    fflush(stdout);
    rg_hmac_free(g.hmac);
    close(g.ep);
    return ferror(stdout) ? 1 : 0;
}

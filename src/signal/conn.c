/* signal/conn.c - a signaling WebSocket connection of any wire protocol
 * (signal/conn.h): the upgrade and its limits, keepalive, the join
 * deadline, sending and closing. */
#include "signal/conn.h"

#include <arpa/inet.h>
#include <h2o/websocket.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/ratetab.h"
#include "http/fiber.h"
#include "http/metrics.h"

/* ---- held messages ------------------------------------------------------- */

/* A peer's messages are handled in the order it sent them, after its
 * join: those that come while its seat awaits the durable commit of its
 * room (a few milliseconds; clients wait for the answer to their join
 * anyway) are kept, at most SIG_HELD_MAX, and handled when it is over. */
#define SIG_HELD_MAX 16

typedef struct sig_held {
    struct sig_held *next;
    size_t len;
    uint8_t data[];
} sig_held;

static int hold(sig_conn *c, const uint8_t *data, size_t len)
{
    sig_held *h;
    if (c->nheld >= SIG_HELD_MAX || (h = malloc(sizeof *h + len)) == NULL) return -1;
    h->next = NULL;
    h->len = len;
    memcpy(h->data, data, len);
    if (c->held == NULL) c->held_tail = &c->held;
    *c->held_tail = h;
    c->held_tail = &h->next;
    c->nheld++;
    return 0;
}

static void drop_held(sig_conn *c)
{
    for (sig_held *h = c->held, *next; h != NULL; h = next) {
        next = h->next;
        free(h);
    }
    c->held = NULL;
    c->nheld = 0;
}

/* What was held, in order, until a seat asked for waits again. */
static void drain(void *arg)
{
    sig_conn *c = arg;
    sig_held *h;
    for (;;) {
        if (c->p.seat_queued) rg_hub_seats_run(c->p.t); /* a join's seat first */
        if ((h = c->held) == NULL || c->p.durable_wait) break;
        c->held = h->next;
        c->nheld--;
        if (!c->closing && !c->dead) c->wire->on_text(c, h->data, h->len);
        free(h);
    }
    c->fiber = NULL;
    if (c->destroy_after) rg_sig_reap(c); /* gone while it waited: from the loop's stack */
}

/* ---- fibers ---------------------------------------------------------------
 *
 * On PostgreSQL (the loop has fibers, http/fiber.h) a connection's
 * messages are handled on a fiber: a join's admission read, Twilio's ice
 * and sync checks and a host's kick wait for the database there, and the
 * loop goes on (the seats and leaves are the hub's writer's).  Each
 * message is held first; one fiber at a time takes a connection's held
 * messages in order, so what follows a message that waits is handled
 * after it.  A connection that goes while its fiber waits is freed when
 * the fiber is done (rg_sig_conn_destroy), its other messages dropped;
 * only when the loop ends is the fiber run to its end at once. */

/* task(c) on a fiber of c's loop (c->fiber while it waits), or here when
 * none can be had, as without them.  Its last act is drain. */
static void on_fiber(sig_conn *c, void (*task)(void *arg))
{
    rg_fibers *fs = c->p.t->w->fibers;
    rg_fiber *f;
    int rc = fs != NULL ? rg_fiber_spawn(fs, task, c, &f) : -1;
    if (rc == 1) c->fiber = f;
    if (rc < 0) task(c);
}

static void run_held(sig_conn *c)
{
    if (c->fiber == NULL) on_fiber(c, drain); /* else the one running takes them in turn */
}

/* The hub's work for c that may wait for the store (a join admitted
 * again), on c's fiber: then, what it held. */
static void run_later(void *arg)
{
    sig_conn *c = arg;
    void (*fn)(rg_hub_peer *) = c->later_fn;
    c->later_fn = NULL;
    fn(&c->p);
    drain(c); /* what it held, unless it holds on (its seat to come) */
}

static void later(rg_hub_peer *p, void (*fn)(rg_hub_peer *p))
{
    sig_conn *c = (sig_conn *)p;
    if (c->fiber != NULL) { /* busy: here */
        fn(p);
        return;
    }
    c->later_fn = fn;
    on_fiber(c, run_later);
}

/* The seat is answered (entered or refused): what was held, in order. */
static void on_resumed(rg_hub_peer *p)
{
    sig_conn *c = (sig_conn *)p;
    if (!c->p.durable_wait && c->held != NULL) run_held(c);
}

/* ---- life ---------------------------------------------------------------- */

void rg_sig_conn_destroy(sig_conn *c)
{
    rg_sig_thread *t = c->p.t;
    if (c->fiber != NULL) { /* a message of it waits on its fiber */
        c->dead = 1;        /* what it holds is dropped, what it sends goes nowhere */
        if (!t->ending) {   /* the fiber goes on without the loop; c goes after it */
            c->destroy_after = 1;
            return;
        }
        rg_fiber_finish(c->fiber); /* the loop ends: now, its waits blocking */
    }
    rg_hub_leave(&c->p);
    drop_held(c);
    rg_metrics_ws(t->w->metrics, -1);
    if (h2o_timeout_is_linked(&c->ping_entry)) h2o_timeout_unlink(&c->ping_entry);
    if (h2o_timeout_is_linked(&c->lobby_entry)) h2o_timeout_unlink(&c->lobby_entry);
    if (h2o_timeout_is_linked(&c->reap_entry)) h2o_timeout_unlink(&c->reap_entry);
    rg_hub_peer_detach(&c->p);
    rg_hub_ip_release(t->hub, c->p.addr);
    rg_ws_free(c->ws);
    if (c->wire->dispose) c->wire->dispose(c);
    free(c->p.identity);
    free(c);
}

void rg_sig_conn_destroy_peer(rg_hub_peer *p)
{
    rg_sig_conn_destroy((sig_conn *)p);
}

int rg_sig_conn_is_open(const rg_hub_peer *p)
{
    const sig_conn *c = (const sig_conn *)p;
    return !c->closing && !c->dead && c->ws != NULL;
}

/* A connection is never freed where it was found wanting (inside a message
 * handler, under a room's lock): it is marked, and freed from a timer. */
static void on_reap(h2o_timeout_entry_t *e)
{
    rg_sig_conn_destroy(H2O_STRUCT_FROM_MEMBER(sig_conn, reap_entry, e));
}

void rg_sig_reap(sig_conn *c)
{
    c->dead = 1;
    if (!h2o_timeout_is_linked(&c->reap_entry))
        h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->reap_timeout, &c->reap_entry);
}

/* ---- sending --------------------------------------------------------- */

void rg_sig_send(sig_conn *c, const char *text, size_t len)
{
    if (c->closing || c->dead || c->ws == NULL) return;
    /* over the backlog it does not read: drop it rather than grow (a send
     * that fails because the peer is closing is left to on_closed, which
     * may keep a session) */
    if (rg_ws_send(c->ws, RG_WS_OP_TEXT, text, len) != 0 && !rg_ws_closing(c->ws)) rg_sig_reap(c);
}

void rg_sig_send_str(sig_conn *c, char *text)
{
    if (text != NULL) rg_sig_send(c, text, strlen(text));
    free(text);
}

void rg_sig_close(sig_conn *c, uint16_t status)
{
    if (c->closing || c->dead || c->ws == NULL) return;
    c->closing = 1;
    rg_ws_close(c->ws, status, NULL); /* after what is queued: the error saying why */
    /* the peer has a second to read it and answer the close */
    if (h2o_timeout_is_linked(&c->ping_entry)) h2o_timeout_unlink(&c->ping_entry);
    h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->close_timeout, &c->ping_entry);
}

/* A deactivated VideoSDK room closes with its own application code (RFC
 * 6455 leaves 4000-4999 to applications), so a client that missed the
 * error message still learns the room is gone for good; every other
 * refusal is a policy violation. */
uint16_t rg_sig_close_status(int code)
{
    return code == RG_VSDK_ROOM_DISABLED ? (uint16_t)RG_VSDK_ROOM_DISABLED : RG_WS_CLOSE_POLICY;
}

void rg_sig_fail(sig_conn *c, int code, const char *message)
{
    c->p.proto->fail(&c->p, code, message);
}

/* ---- keepalive and the join deadline ----------------------------------- */

static void on_ping(h2o_timeout_entry_t *e)
{
    sig_conn *c = H2O_STRUCT_FROM_MEMBER(sig_conn, ping_entry, e);
    if (c->closing || c->dead) {
        rg_sig_conn_destroy(c); /* the close handshake ran out of time */
        return;
    }
    if (rg_ws_heard(c->ws)) c->missed = 0;
    if (c->missed >= c->p.t->w->app->cfg.signal.ping_misses) {
        /* a dead peer: its leave tells the others (participant_left) */
        rg_sig_conn_destroy(c);
        return;
    }
    c->missed++;
    if (c->wire->on_tick)
        c->wire->on_tick(c);
    else if (rg_ws_ping(c->ws) != 0)
        rg_sig_reap(c);
    h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->ping_timeout, &c->ping_entry);
}

static void on_lobby(h2o_timeout_entry_t *e)
{
    sig_conn *c = H2O_STRUCT_FROM_MEMBER(sig_conn, lobby_entry, e);
    if (c->p.state == RG_SIGST_NEW) {
        /* the same deadline holds a connection that never joins */
        rg_sig_fail(c, RG_SIG_E_TIMEOUT, "No join message in time");
        return;
    }
    if (c->p.state != RG_SIGST_LOBBY) return;
    rg_hub_lobby_expired(&c->p);
    rg_sig_fail(c, RG_SIG_E_TIMEOUT, "Nobody answered the request to join in time");
}

void rg_sig_join(sig_conn *c, const char *token, size_t len, const char *room)
{
    int lobby = rg_hub_admit(&c->p, token, len, room);
    if (lobby < 0) return; /* told why, closing */
    if (h2o_timeout_is_linked(&c->lobby_entry)) h2o_timeout_unlink(&c->lobby_entry);
    rg_hub_enter(&c->p, lobby);
}

void rg_sig_wait(sig_conn *c)
{
    h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->lobby_timeout, &c->lobby_entry);
}

void rg_sig_admitted(sig_conn *c, int allowed)
{
    if (c->p.state != RG_SIGST_LOBBY) return;
    if (h2o_timeout_is_linked(&c->lobby_entry)) h2o_timeout_unlink(&c->lobby_entry);
    rg_hub_admitted(&c->p, allowed);
    if (!allowed) rg_sig_close(c, 1000); /* nothing failed: the host said no */
}

/* ---- receiving ----------------------------------------------------------- */

static void on_ws_message(rg_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    sig_conn *c = rg_ws_data(ws);
    /* whatever follows a join is handled after its seat, as it was sent */
    if (c->p.seat_queued) rg_hub_seats_run(c->p.t);
    if (c->closing || c->dead) return;
    /* pings count too: each one costs a pong, so a flood of them is
     * refused like a flood of messages (browsers send none of their own) */
    if (!rg_bucket_take(&c->bucket, (int64_t)h2o_now(c->p.t->ctx->loop))) {
        rg_sig_fail(c, RG_SIG_E_RATE, "Too many messages per second");
        return;
    }
    if (opcode == RG_WS_OP_PING || opcode == RG_WS_OP_PONG) return; /* wsconn answers */
    if (opcode != RG_WS_OP_TEXT) {
        rg_sig_fail(c, RG_SIG_E_INVALID_MESSAGE, "Only text frames with JSON are accepted");
        return;
    }
    if (c->p.durable_wait || c->held != NULL || c->p.t->w->fibers != NULL) {
        if (hold(c, data, len) != 0)
            rg_sig_fail(c, RG_SIG_E_RATE, "Too many messages before the join was answered");
        else if (!c->p.durable_wait)
            run_held(c);
        return;
    }
    c->wire->on_text(c, data, len);
}

static void free_ws(void *ws)
{
    rg_ws_free(ws);
}

/* Closed by the peer, a socket error, or after our close.  The socket
 * itself closes once the leave is written and told (hub_leave.c): a
 * client that saw it close finds its participant disconnected. */
static void on_ws_closed(rg_ws *ws)
{
    sig_conn *c = rg_ws_data(ws);
    rg_sig_thread *t = c->p.t;
    c->ws = NULL; /* freed by wsconn.c, or kept until the leave's write */
    if (!c->closing && !c->dead && c->wire->on_closed && c->wire->on_closed(c)) return;
    rg_sig_conn_destroy(c);
    if (rg_ws_keep(ws)) rg_hub_after_leaves(t, free_ws, ws);
}

static const rg_ws_callbacks ws_callbacks = {on_ws_message, on_ws_closed};

/* ---- the upgrade --------------------------------------------------------- */

/* The client address the per-address cap counts: as the HTTP limits
 * (core/ratetab.h), IPv4 as is and IPv6 by its /64, so one customer's
 * 2^64 addresses are one address, not 2^64 budgets. */
static void peer_addr(h2o_req_t *req, uint8_t out[16])
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    rg_ratekey k;
    memset(out, 0, 16);
    if (len > 0 && ss.ss_family == AF_INET)
        rg_ratekey_ip(&k, 4, (const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr);
    else if (len > 0 && ss.ss_family == AF_INET6)
        rg_ratekey_ip(&k, 6, ((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr);
    else
        return;
    memcpy(out, k.b, 16); /* the kind byte and at most 8 address bytes: the rest is 0 */
}

/* Answers why an upgrade cannot be taken (not a WebSocket handshake, the
 * server draining): 1 when answered. */
static int refuse_upgrade(rg_call *call, rg_sig_thread *t, const char *what, const char **key)
{
    if (t == NULL || call->req->version >= 0x200 ||
        h2o_is_websocket_handshake(call->req, key) != 0 || *key == NULL) {
        rg_reply_error(call, 400, RG_SIG_E_INVALID_MESSAGE, "%s", what);
        return 1;
    }
    if (t->draining || atomic_load_explicit(&call->w->app->draining, memory_order_relaxed)) {
        /* the hint told connected clients to go elsewhere: so are new ones */
        h2o_add_header(&call->req->pool, &call->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       H2O_STRLIT("1"));
        rg_reply_error(call, 503, RG_SIG_E_SERVER, "The server is shutting down");
        return 1;
    }
    return 0;
}

/* A new connection on t, its address counted: timers armed, into the
 * hub's list. */
static void conn_init(sig_conn *c, rg_sig_thread *t, const uint8_t addr[16])
{
    const rg_signal_config *cfg = &t->w->app->cfg.signal;
    memcpy(c->p.addr, addr, 16);
    c->ping_entry.cb = on_ping;
    c->lobby_entry.cb = on_lobby;
    c->reap_entry.cb = on_reap;
    c->p.resumed = on_resumed;
    c->p.later = later;
    rg_bucket_init(&c->bucket, (uint32_t)cfg->max_rate, (uint32_t)cfg->max_rate,
                   (int64_t)h2o_now(t->ctx->loop));
    rg_metrics_ws(t->w->metrics, +1);
    h2o_timeout_link(t->ctx->loop, &t->ping_timeout, &c->ping_entry);
    h2o_timeout_link(t->ctx->loop, &t->lobby_timeout, &c->lobby_entry); /* join deadline */
}

sig_conn *rg_sig_accept(rg_call *call, const rg_sig_proto *proto, const sig_wire *wire)
{
    rg_sig_thread *t = rg_sig_loop(call->w);
    const rg_signal_config *cfg = &call->w->app->cfg.signal;
    const char *key = NULL;
    uint8_t addr[16];
    sig_conn *c;
    if (refuse_upgrade(call, t, wire->what, &key)) return NULL;
    peer_addr(call->req, addr);
    if (rg_hub_ip_acquire(t->hub, addr, cfg->max_conns_per_ip) != 0) {
        rg_reply_error(call, 429, RG_SIG_E_RATE,
                       "Too many signaling connections from this address");
        return NULL;
    }
    if ((c = calloc(1, sizeof *c + wire->ext_size)) != NULL) {
        c->wire = wire;
        c->ext = c + 1;
        rg_hub_peer_attach(t, &c->p, proto);
        c->ws = rg_ws_upgrade(call->req, key, (size_t)cfg->max_frame, &ws_callbacks, c);
    }
    if (c == NULL || c->ws == NULL) {
        if (c) rg_hub_peer_detach(&c->p);
        rg_hub_ip_release(t->hub, addr);
        free(c);
        rg_reply_error(call, 503, RG_SIG_E_SERVER, "Out of memory");
        return NULL;
    }
    conn_init(c, t, addr);
    if (t->draining) rg_sig_fail(c, RG_SIG_E_SERVER, "The server is shutting down");
    return c;
}

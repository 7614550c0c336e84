/* signal_conn.c - one WebSocket connection of the signaling server: the
 * upgrade, the per-connection limits (frame size, message rate, backlog,
 * connections per address), keepalive, sending, closing, and the dispatch
 * of checked messages to the join (signal_join.c) and room
 * (signal_room.c) logic.
 *
 * The WebSocket itself (framing, write queue, close handshake) is
 * wsconn.c's.  A connection is freed only from a timer or from wsconn's
 * final on_closed callback, never inside a message handler. */
#include <arpa/inet.h>
#include <h2o/websocket.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"
#include "http/signal_int.h"

static uint32_t hash_sid(const char *sid)
{
    return rg_fnv1a_str(sid) % SIG_CONN_BUCKETS;
}

sig_conn *rg_sig_conn_lookup(rg_sig_thread *t, const char *sid)
{
    for (sig_conn *c = t->conns[hash_sid(sid)]; c; c = c->next)
        if (strcmp(c->sid, sid) == 0) return c;
    return NULL;
}

void rg_sig_conn_index(sig_conn *c)
{
    sig_conn **head = &c->t->conns[hash_sid(c->sid)];
    c->next = *head;
    *head = c;
    c->in_table = 1;
}

static void unindex(sig_conn *c)
{
    if (!c->in_table) return;
    for (sig_conn **p = &c->t->conns[hash_sid(c->sid)]; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    c->in_table = 0;
}

int64_t rg_sig_now(rg_sig_thread *t)
{
    return (int64_t)(h2o_now(t->ctx->loop) / 1000);
}

static void destroy(sig_conn *c)
{
    rg_sig_leave(c);
    if (h2o_timeout_is_linked(&c->ping_entry)) h2o_timeout_unlink(&c->ping_entry);
    if (h2o_timeout_is_linked(&c->lobby_entry)) h2o_timeout_unlink(&c->lobby_entry);
    if (h2o_timeout_is_linked(&c->reap_entry)) h2o_timeout_unlink(&c->reap_entry);
    unindex(c);
    h2o_linklist_unlink(&c->link);
    rg_sig_ip_release(c->t->hub, c->addr);
    rg_ws_free(c->ws);
    free(c->identity);
    free(c);
}

void rg_sig_destroy_all(rg_sig_thread *t)
{
    while (!h2o_linklist_is_empty(&t->all))
        destroy(H2O_STRUCT_FROM_MEMBER(sig_conn, link, t->all.next));
}

/* A connection is never freed where it was found wanting (inside a message
 * handler, under a room's lock): it is marked, and freed from a timer. */
static void on_reap(h2o_timeout_entry_t *e)
{
    destroy(H2O_STRUCT_FROM_MEMBER(sig_conn, reap_entry, e));
}

static void mark_dead(sig_conn *c)
{
    c->dead = 1;
    if (!h2o_timeout_is_linked(&c->reap_entry))
        h2o_timeout_link(c->t->ctx->loop, &c->t->reap_timeout, &c->reap_entry);
}

/* ---- sending --------------------------------------------------------- */

void rg_sig_send(sig_conn *c, const char *text, size_t len)
{
    if (c->closing || c->dead || c->ws == NULL) return;
    /* over the backlog it does not read: drop it rather than grow */
    if (rg_ws_send(c->ws, RG_WS_OP_TEXT, text, len) != 0) mark_dead(c);
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
    h2o_timeout_link(c->t->ctx->loop, &c->t->close_timeout, &c->ping_entry);
}

void rg_sig_fail(sig_conn *c, int code, const char *message)
{
    rg_sig_send_str(c, rg_sig_error_json(code, message));
    rg_sig_close(c, RG_WS_CLOSE_POLICY);
}

/* ---- keepalive ----------------------------------------------------------- */

static void on_ping(h2o_timeout_entry_t *e)
{
    sig_conn *c = H2O_STRUCT_FROM_MEMBER(sig_conn, ping_entry, e);
    if (c->closing || c->dead) {
        destroy(c); /* the close handshake ran out of time */
        return;
    }
    if (rg_ws_heard(c->ws)) c->missed = 0;
    if (c->missed >= c->t->w->app->cfg.signal.ping_misses) {
        /* a dead peer: its leave tells the others (participant_left) */
        destroy(c);
        return;
    }
    c->missed++;
    if (rg_ws_ping(c->ws) != 0) mark_dead(c);
    h2o_timeout_link(c->t->ctx->loop, &c->t->ping_timeout, &c->ping_entry);
}

static void on_lobby(h2o_timeout_entry_t *e)
{
    rg_sig_on_lobby_timeout(H2O_STRUCT_FROM_MEMBER(sig_conn, lobby_entry, e));
}

/* ---- receiving ----------------------------------------------------------- */

static void dispatch(sig_conn *c, const rg_sig_msg *m)
{
    const char *why;
    int fatal;
    if (rg_sig_allowed(c->state, m->type, &why, &fatal) != RG_OK) {
        if (fatal)
            rg_sig_fail(c, RG_SIG_E_INVALID_MESSAGE, why);
        else
            rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_INVALID_MESSAGE, why));
        return;
    }
    switch (m->type) {
    case RG_SIG_JOIN:
        rg_sig_on_join(c, m);
        break;
    case RG_SIG_SIGNAL:
        rg_sig_on_signal(c, m);
        break;
    case RG_SIG_ENTRY_RESPONSE:
        rg_sig_on_entry_response(c, m);
        break;
    case RG_SIG_MUTE:
        rg_sig_on_mute(c, m);
        break;
    case RG_SIG_KICK:
        rg_sig_on_kick(c, m);
        break;
    }
}

static void on_text(sig_conn *c, const uint8_t *text, size_t len)
{
    rg_sig_msg m;
    const char *why;
    if (rg_sig_parse((const char *)text, len, &m, &why) != RG_OK) {
        /* before the join nothing is trusted: a bad first message closes */
        if (c->state == RG_SIGST_NEW)
            rg_sig_fail(c, RG_SIG_E_INVALID_MESSAGE, why);
        else
            rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_INVALID_MESSAGE, why));
        return;
    }
    dispatch(c, &m);
    rg_sig_msg_clear(&m);
}

static void on_ws_message(rg_ws *ws, int opcode, const uint8_t *data, size_t len)
{
    sig_conn *c = rg_ws_data(ws);
    if (c->closing || c->dead) return;
    /* pings count too: each one costs a pong, so a flood of them is
     * refused like a flood of messages (browsers send none of their own) */
    if (!rg_bucket_take(&c->bucket, (int64_t)h2o_now(c->t->ctx->loop))) {
        rg_sig_fail(c, RG_SIG_E_RATE, "Too many messages per second");
        return;
    }
    if (opcode == RG_WS_OP_PING || opcode == RG_WS_OP_PONG) return; /* wsconn answers */
    if (opcode != RG_WS_OP_TEXT) {
        rg_sig_fail(c, RG_SIG_E_INVALID_MESSAGE, "Only text frames with JSON are accepted");
        return;
    }
    on_text(c, data, len);
}

/* Closed by the peer, a socket error, or after our close. */
static void on_ws_closed(rg_ws *ws)
{
    sig_conn *c = rg_ws_data(ws);
    c->ws = NULL; /* freed by wsconn.c */
    destroy(c);
}

static const rg_ws_callbacks ws_callbacks = {on_ws_message, on_ws_closed};

/* ---- the upgrade --------------------------------------------------------- */

/* The client's address as 16 bytes (IPv4 mapped into IPv6). */
static void peer_addr(h2o_req_t *req, uint8_t out[16])
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    memset(out, 0, 16);
    if (len > 0 && ss.ss_family == AF_INET) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    } else if (len > 0 && ss.ss_family == AF_INET6) {
        memcpy(out, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    }
}

void rg_h_signal(rg_call *call)
{
    rg_sig_thread *t = call->w->sig;
    const rg_signal_config *cfg = &call->w->app->cfg.signal;
    const char *key = NULL;
    uint8_t addr[16];
    sig_conn *c;
    if (t == NULL || call->req->version >= 0x200 ||
        h2o_is_websocket_handshake(call->req, &key) != 0 || key == NULL) {
        rg_reply_error(call, 400, RG_SIG_E_INVALID_MESSAGE,
                       "GET /v1/signal is a WebSocket endpoint (HTTP/1.1 Upgrade: websocket)");
        return;
    }
    peer_addr(call->req, addr);
    if (rg_sig_ip_acquire(t->hub, addr, cfg->max_conns_per_ip) != 0) {
        rg_reply_error(call, 429, RG_SIG_E_RATE,
                       "Too many signaling connections from this address");
        return;
    }
    if ((c = calloc(1, sizeof *c)) == NULL) {
        rg_sig_ip_release(t->hub, addr);
        rg_reply_error(call, 503, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    c->t = t;
    memcpy(c->addr, addr, 16);
    c->ping_entry.cb = on_ping;
    c->lobby_entry.cb = on_lobby;
    c->reap_entry.cb = on_reap;
    rg_bucket_init(&c->bucket, (uint32_t)cfg->max_rate, (uint32_t)cfg->max_rate,
                   (int64_t)h2o_now(t->ctx->loop));
    if ((c->ws = rg_ws_upgrade(call->req, key, (size_t)cfg->max_frame, &ws_callbacks, c)) == NULL) {
        rg_sig_ip_release(t->hub, addr);
        free(c);
        rg_reply_error(call, 503, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    h2o_linklist_insert(&t->all, &c->link);
    h2o_timeout_link(t->ctx->loop, &t->ping_timeout, &c->ping_entry);
    h2o_timeout_link(t->ctx->loop, &t->lobby_timeout, &c->lobby_entry); /* join deadline */
    if (t->draining) rg_sig_fail(c, RG_SIG_E_SERVER, "The server is shutting down");
}

void rg_signal_thread_drain(rg_worker *w)
{
    rg_sig_thread *t = w->sig;
    if (t == NULL) return;
    t->draining = 1;
    for (h2o_linklist_t *l = t->all.next; l != &t->all; l = l->next) {
        sig_conn *c = H2O_STRUCT_FROM_MEMBER(sig_conn, link, l);
        rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_SERVER, "The server is shutting down"));
        rg_sig_close(c, RG_WS_CLOSE_GOING_AWAY);
    }
}

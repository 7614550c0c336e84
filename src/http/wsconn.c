/* wsconn.c - a server WebSocket connection on an h2o socket (see
 * wsconn.h).
 *
 * Writing: frames are appended to `out`; when the socket is not writing,
 * `out` becomes `wire` and is handed to h2o_socket_write, which needs the
 * bytes to live until its callback.  Whatever is queued meanwhile goes out
 * in one write when that callback runs, so a burst costs one syscall. */
#include "http/wsconn.h"
#include "http/conns.h"

#include <h2o/http1.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t *bytes;
    size_t len, cap;
} wbuf;

struct rg_ws {
    h2o_socket_t *sock; /* NULL before the upgrade completes and once closed */
    const rg_ws_callbacks *cb;
    void *data;
    rg_ws_reader reader;
    wbuf out, wire;
    unsigned close_sent : 1;     /* our close frame is queued */
    unsigned close_received : 1; /* the peer's close frame arrived */
    unsigned failed : 1;         /* the peer broke the protocol: no more reading */
    unsigned heard : 1;
    unsigned detached : 1;    /* the owner let go before the upgrade completed */
    unsigned in_callback : 1; /* inside on_message or on_closed */
    unsigned free_wanted : 1; /* rg_ws_free from inside a callback */
    unsigned kept : 1;        /* rg_ws_keep: on_closed's owner frees it */
};

static void wbuf_free(wbuf *b)
{
    free(b->bytes);
    memset(b, 0, sizeof *b);
}

static int wbuf_append(wbuf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *grown = realloc(b->bytes, cap);
        if (grown == NULL) return -1;
        b->bytes = grown;
        b->cap = cap;
    }
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
    return 0;
}

/* ---- lifetime ------------------------------------------------------------ */

static void dispose(rg_ws *ws)
{
    if (ws->sock) h2o_socket_close(ws->sock);
    rg_ws_reader_clear(&ws->reader);
    wbuf_free(&ws->out);
    wbuf_free(&ws->wire);
    free(ws);
}

/* The connection is done: the owner hears it once, then ws and its socket
 * go.  The socket closes after the owner's callback, so a peer that sees
 * the close sees what the owner did about it (a participant's row already
 * disconnected, the others told). */
static void finish(rg_ws *ws)
{
    ws->close_sent = 1; /* nothing more goes out */
    if (ws->cb && ws->cb->on_closed) {
        ws->in_callback = 1;
        ws->cb->on_closed(ws);
        ws->in_callback = 0;
    }
    if (ws->kept && !ws->free_wanted) {
        ws->cb = NULL; /* idle until rg_ws_free */
        return;
    }
    dispose(ws);
}

int rg_ws_keep(rg_ws *ws)
{
    if (ws->sock == NULL || h2o_socket_is_writing(ws->sock)) return 0;
    if (h2o_socket_is_reading(ws->sock)) h2o_socket_read_stop(ws->sock);
    ws->kept = 1;
    return 1;
}

void rg_ws_free(rg_ws *ws)
{
    if (ws == NULL) return;
    ws->cb = NULL;
    if (ws->in_callback)
        ws->free_wanted = 1;
    else if (ws->sock == NULL && !ws->detached)
        ws->detached = 1; /* the upgrade's callback frees it */
    else
        dispose(ws);
}

void *rg_ws_data(const rg_ws *ws)
{
    return ws->data;
}

/* ---- writing ------------------------------------------------------------- */

/* Closes once our close frame is written and the peer has answered it (or
 * cannot: it broke the protocol). */
static int finished(rg_ws *ws)
{
    return ws->close_sent && ws->out.len == 0 && ws->wire.len == 0 &&
           (ws->close_received || ws->failed);
}

static void on_written(h2o_socket_t *sock, const char *err);

static void kick(rg_ws *ws)
{
    h2o_iovec_t iov;
    if (ws->sock == NULL || h2o_socket_is_writing(ws->sock) || ws->out.len == 0) return;
    wbuf_free(&ws->wire);
    ws->wire = ws->out;
    memset(&ws->out, 0, sizeof ws->out);
    iov = h2o_iovec_init(ws->wire.bytes, ws->wire.len);
    h2o_socket_write(ws->sock, &iov, 1, on_written);
}

static void on_written(h2o_socket_t *sock, const char *err)
{
    rg_ws *ws = sock->data;
    wbuf_free(&ws->wire);
    if (err != NULL || finished(ws)) {
        finish(ws);
        return;
    }
    kick(ws);
}

static int send_frame(rg_ws *ws, int opcode, const void *data, size_t len)
{
    uint8_t head[RG_WS_HEADER_MAX];
    size_t hlen = rg_ws_header_write(head, opcode, len, NULL);
    size_t before = ws->out.len;
    if (ws->close_sent) return -1;
    /* over the backlog only the close frame still goes: it is small */
    if (opcode != RG_WS_OP_CLOSE && ws->out.len + ws->wire.len + len > RG_WS_MAX_BACKLOG) return -1;
    if (wbuf_append(&ws->out, head, hlen) != 0 || (len && wbuf_append(&ws->out, data, len) != 0)) {
        ws->out.len = before;
        return -1;
    }
    if (opcode == RG_WS_OP_CLOSE) ws->close_sent = 1;
    kick(ws);
    return 0;
}

int rg_ws_send(rg_ws *ws, int opcode, const void *data, size_t len)
{
    return send_frame(ws, opcode, data, len);
}

int rg_ws_closing(const rg_ws *ws)
{
    return ws->close_sent || ws->close_received || ws->failed;
}

int rg_ws_ping(rg_ws *ws)
{
    return send_frame(ws, RG_WS_OP_PING, NULL, 0);
}

void rg_ws_close(rg_ws *ws, uint16_t status, const char *reason)
{
    uint8_t payload[RG_WS_CONTROL_MAX];
    if (ws->close_sent) return;
    if (send_frame(ws, RG_WS_OP_CLOSE, payload, rg_ws_close_payload(payload, status, reason)) != 0)
        ws->failed = 1; /* out of memory: the owner's deadline ends it */
}

int rg_ws_heard(rg_ws *ws)
{
    int h = ws->heard;
    ws->heard = 0;
    return h;
}

/* ---- reading ------------------------------------------------------------- */

/* Hands a frame to the owner; -1 when the owner let go meanwhile. */
static int notify(rg_ws *ws, int opcode, const rg_ws_event *ev)
{
    if (!ws->close_sent && ws->cb && ws->cb->on_message) {
        ws->in_callback = 1;
        ws->cb->on_message(ws, opcode, ev->data, ev->len);
        ws->in_callback = 0;
    }
    return ws->free_wanted ? -1 : 0;
}

/* One event; 0 to go on reading, -1 to stop. */
static int handle(rg_ws *ws, const rg_ws_event *ev)
{
    switch (ev->kind) {
    case RG_WS_EV_MESSAGE:
        return notify(ws, ev->opcode, ev);
    case RG_WS_EV_PING:
        if (notify(ws, RG_WS_OP_PING, ev) != 0) return -1;
        if (!ws->close_sent) send_frame(ws, RG_WS_OP_PONG, ev->data, ev->len);
        return 0;
    case RG_WS_EV_PONG:
        return notify(ws, RG_WS_OP_PONG, ev);
    case RG_WS_EV_CLOSE:
        ws->close_received = 1;
        /* echo the peer's status, as RFC 6455 section 5.5.1 asks */
        if (ev->status == RG_WS_CLOSE_NO_STATUS)
            send_frame(ws, RG_WS_OP_CLOSE, NULL, 0);
        else
            rg_ws_close(ws, ev->status, NULL);
        return -1;
    case RG_WS_EV_ERROR:
        ws->failed = 1;
        rg_ws_close(ws, ev->status, ev->why);
        return -1;
    case RG_WS_EV_NONE:
        break;
    }
    return -1;
}

/* An idle connection should cost little: h2o keeps each socket's input
 * buffer for good, so once everything read is consumed it is given back;
 * the next read takes one from h2o's recycling allocator. */
static void release_input(h2o_socket_t *sock)
{
    if (sock->input->size != 0 || sock->input->capacity == 0) return;
    h2o_buffer_dispose(&sock->input);
    h2o_buffer_init(&sock->input, &h2o_socket_buffer_prototype);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    rg_ws *ws = sock->data;
    if (err != NULL) {
        finish(ws);
        return;
    }
    ws->heard = 1;
    while (!ws->close_received && !ws->failed) {
        rg_ws_event ev;
        size_t used;
        rg_ws_read(&ws->reader, (uint8_t *)sock->input->bytes, sock->input->size, &used, &ev);
        int go_on = handle(ws, &ev);
        if (ws->free_wanted) {
            dispose(ws);
            return;
        }
        h2o_buffer_consume(&sock->input, used);
        if (go_on != 0) break;
    }
    if (ws->close_received || ws->failed) {
        h2o_socket_read_stop(sock);
        h2o_buffer_consume(&sock->input, sock->input->size); /* after a close: ignored */
    }
    release_input(sock);
    if (finished(ws)) finish(ws);
}

/* ---- the upgrade --------------------------------------------------------- */

static void on_upgraded(void *data, h2o_socket_t *sock, size_t reqsize)
{
    rg_ws *ws = data;
    if (sock == NULL) { /* the 101 could not be written */
        if (ws->detached)
            dispose(ws);
        else
            finish(ws);
        return;
    }
    ws->sock = sock;
    sock->data = ws;
    rg_conns_upgraded(sock); /* a drain leaves it to the module's close */
    h2o_buffer_consume(&sock->input, reqsize);
    if (ws->detached) {
        dispose(ws);
        return;
    }
    kick(ws); /* what was queued before the upgrade completed */
    h2o_socket_read_start(sock, on_read);
    if (sock->input->size > 0)
        on_read(sock, NULL); /* frames that came with the request */
    else
        release_input(sock);
}

rg_ws *rg_ws_upgrade(h2o_req_t *req, const char *key, size_t max_message, const rg_ws_callbacks *cb,
                     void *data)
{
    char accept[RG_WS_ACCEPT_SIZE];
    rg_ws *ws;
    /* h2o's key is not NUL-terminated; h2o_is_websocket_handshake checked it is
     * the 24 characters of a base64 16-byte nonce */
    if (rg_ws_accept_key(accept, key, 24) != 0 || (ws = calloc(1, sizeof *ws)) == NULL) return NULL;
    ws->cb = cb;
    ws->data = data;
    rg_ws_reader_init(&ws->reader, 1, max_message);
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-accept"), 0,
                          NULL, accept, strlen(accept));
    h2o_http1_upgrade(req, NULL, 0, on_upgraded, ws);
    return ws;
}

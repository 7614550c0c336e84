/* wsconn.h - a server WebSocket connection on an h2o socket: the upgrade,
 * reading whole messages (framing in core/wsframe.c), a write queue, ping,
 * pong and the close handshake.
 *
 * An idle connection holds no buffer: the input buffer goes back to h2o's
 * recycler once consumed, and the two write buffers (what is queued, what
 * the socket is writing) exist only while there is something to send.
 *
 * Ownership: the owner creates the connection with rg_ws_upgrade and ends
 * it with rg_ws_free, unless on_closed ran first: after on_closed returns
 * the connection is freed here (an rg_ws_free from inside a callback is
 * taken as "free it when the callback returns").  Callbacks never run from
 * inside an rg_ws_* call of the owner's, only from the event loop. */
#ifndef RG_HTTP_WSCONN_H
#define RG_HTTP_WSCONN_H

#include <h2o.h>

#include "core/wsframe.h"

/* Bytes queued to a reader that does not read before sends fail. */
#define RG_WS_MAX_BACKLOG (1024 * 1024)

typedef struct rg_ws rg_ws;

typedef struct {
    /* A whole text or binary message, or a ping or pong (opcode
     * RG_WS_OP_PING/PONG; a ping is answered after the call unless the
     * owner closed): every frame a peer can send many of passes here, so
     * the owner can bound them all.  data is valid during the call. */
    void (*on_message)(rg_ws *ws, int opcode, const uint8_t *data, size_t len);
    /* The socket is gone: the peer closed, an error, or the close handshake
     * ended.  The last callback. */
    void (*on_closed)(rg_ws *ws);
} rg_ws_callbacks;

/* Answers the handshake of req (h2o_is_websocket_handshake gave key) with
 * 101 and takes the socket over once the answer is written.  data is the
 * owner's (rg_ws_data).  NULL when out of memory (nothing was sent). */
rg_ws *rg_ws_upgrade(h2o_req_t *req, const char *key, size_t max_message, const rg_ws_callbacks *cb,
                     void *data);
void *rg_ws_data(const rg_ws *ws);

/* Queues a message; 0, or -1 when the connection is closing or over
 * RG_WS_MAX_BACKLOG (the owner should give up on a peer that does not
 * read).  Written at once when the socket is free, else with what
 * follows. */
int rg_ws_send(rg_ws *ws, int opcode, const void *data, size_t len);
int rg_ws_ping(rg_ws *ws);
/* Whether a close was sent or received (or the socket failed): sends fail
 * from then on, and on_closed follows. */
int rg_ws_closing(const rg_ws *ws);
/* Queues the close frame after what is queued; the socket closes when the
 * peer answers (the owner bounds the wait with rg_ws_free). */
void rg_ws_close(rg_ws *ws, uint16_t status, const char *reason);
/* Closes the socket now, without callbacks; safe at any time. */
void rg_ws_free(rg_ws *ws);
/* From inside on_closed only: the socket is not closed when on_closed
 * returns but stays open, idle (nothing read, nothing written, no more
 * callbacks), until the owner's rg_ws_free, so the peer sees the close
 * only once the owner's work for it is done (signaling: its leave
 * written, signal/hub_leave.c).  1 when kept; 0 when it cannot be (no
 * socket, or a write still in flight): then it is freed as usual. */
int rg_ws_keep(rg_ws *ws);

/* Whether any frame arrived since the last call (keepalive). */
int rg_ws_heard(rg_ws *ws);

#endif

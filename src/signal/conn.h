/* signal/conn.h - one signaling WebSocket connection, whatever its wire
 * protocol: the upgrade, the per-connection limits (frame size, message
 * rate, connections per address), keepalive, sending, closing, and the
 * join deadline.  A protocol (signal/proto_roomgate.c, signal/twilio.c)
 * gives its hub ops (rg_sig_proto, signal/hub.h) and its wire ops
 * (sig_wire, below) to rg_sig_accept.
 *
 * The WebSocket itself (framing, write queue, close handshake) is
 * wsconn.c's.  A connection is freed only from a timer or from wsconn's
 * final on_closed callback, never inside a message handler. */
#ifndef RG_SIGNAL_CONN_H
#define RG_SIGNAL_CONN_H

#include "core/ratelimit.h"
#include "http/wsconn.h"
#include "signal/hub.h"

typedef struct sig_conn sig_conn;

/* What a protocol does with its socket. */
typedef struct sig_wire {
    /* A text frame from the client (within max_frame and max_rate). */
    void (*on_text)(sig_conn *c, const uint8_t *text, size_t len);
    /* The keepalive's turn: NULL sends a WebSocket ping (roomgate's);
     * Twilio's protocol sends its heartbeat message instead. */
    void (*on_tick)(sig_conn *c);
    /* c is being freed: release what c->ext holds.  May be NULL. */
    void (*dispose)(sig_conn *c);
    size_t ext_size;  /* the protocol's per-connection state, zeroed, at c->ext */
    const char *what; /* the 400's message when the request is no WebSocket upgrade */
    /* The socket is gone without a close of ours: 1 keeps c (its session
     * may resume on another socket; the protocol frees it later), 0 frees
     * it now.  May be NULL (0). */
    int (*on_closed)(sig_conn *c);
} sig_wire;

struct sig_conn {
    rg_hub_peer p; /* first: the hub's view of it */
    const sig_wire *wire;
    void *ext;   /* wire->ext_size bytes, after the struct */
    rg_ws *ws;   /* NULL once the socket is gone */
    int closing; /* the close frame is queued */
    int dead;    /* to be destroyed from the reap timer (a peer that does not read) */
    int missed;  /* pings without a pong */
    rg_bucket bucket;
    h2o_timeout_entry_t ping_entry, lobby_entry, reap_entry;
    /* What it sent while its seat awaited the durable commit or the
     * writer (p.durable_wait), or while its messages wait on a fiber,
     * handled after, in order (conn.c "held") */
    struct sig_held *held, **held_tail;
    int nheld;
    /* On PostgreSQL its messages are handled on a fiber of its loop
     * (conn.c "fibers"): the one running them while it waits, else NULL */
    struct rg_fiber *fiber;
    int destroy_after;                /* destroyed while its fiber waited: freed once it is done */
    void (*later_fn)(rg_hub_peer *p); /* the hub's, for its fiber (conn.c later) */
};

/* Accepts the WebSocket upgrade of call for a connection of this
 * protocol, under the common limits; NULL when it answered an HTTP error
 * instead (400, 429, 503). */
sig_conn *rg_sig_accept(rg_call *call, const rg_sig_proto *proto, const sig_wire *wire);
/* Leaves the room, releases the address, frees the ws and c (from a
 * timer or a callback of its own loop, never under a lock). */
void rg_sig_conn_destroy(sig_conn *c);

void rg_sig_send(sig_conn *c, const char *text, size_t len); /* queued, written at once */
void rg_sig_send_str(sig_conn *c, char *text);               /* sends and frees text */
/* Refused or failed: told in the protocol's words (its fail op), closed. */
void rg_sig_fail(sig_conn *c, int code, const char *message);
void rg_sig_close(sig_conn *c, uint16_t status); /* close after what is queued */
/* Frees c from the loop's next turn (never where it was found wanting). */
void rg_sig_reap(sig_conn *c);
/* The close status that goes with an error code (4052 for a deactivated
 * VideoSDK room, else 1008). */
uint16_t rg_sig_close_status(int code);

/* A join (roomgate's join, Twilio's connect): admission, then a seat or
 * the lobby; the join deadline stops. */
void rg_sig_join(sig_conn *c, const char *token, size_t len, const char *room);
/* RG_HUB_WAITING: the guest waits for the lobby's answer (lobby_timeout). */
void rg_sig_wait(sig_conn *c);
/* RG_HUB_ADMIT: the lobby answered; a denial closes (1000). */
void rg_sig_admitted(sig_conn *c, int allowed);

/* Hub ops every protocol shares (rg_sig_proto's is_open and destroy). */
int rg_sig_conn_is_open(const rg_hub_peer *p);
void rg_sig_conn_destroy_peer(rg_hub_peer *p);

#endif

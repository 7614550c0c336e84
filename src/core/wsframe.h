/* wsframe.h - RFC 6455 WebSocket framing, pure: frame headers in and out,
 * masking, and a reader that turns received bytes into whole messages.
 *
 * Why our own and not wslay (which libh2o wraps): wslay keeps two 4 KiB
 * buffers inside every connection's context for as long as it lives, so an
 * idle signaling connection cost over 10 KiB.  This reader keeps no buffer
 * of its own: it works on complete frames in the caller's input buffer
 * (unmasking them in place) and holds bytes only while a fragmented message
 * is being reassembled.  The socket side is src/http/wsconn.c; the load
 * client of bench/ uses the same code as a client.
 *
 * The reader enforces what an endpoint must (RFC 6455 section 5): masked
 * frames from clients and unmasked ones from servers, no RSV bits (no
 * extension is negotiated), known opcodes only, control frames final and at
 * most 125 bytes, continuation frames only inside a fragmented message, a
 * message size limit, valid close codes, and UTF-8 in text messages and
 * close reasons.  A violation ends in RG_WS_EV_ERROR carrying the close
 * status to answer with (1002, 1007 or 1009). */
#ifndef RG_CORE_WSFRAME_H
#define RG_CORE_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

enum {
    RG_WS_OP_CONTINUATION = 0x0,
    RG_WS_OP_TEXT = 0x1,
    RG_WS_OP_BINARY = 0x2,
    RG_WS_OP_CLOSE = 0x8,
    RG_WS_OP_PING = 0x9,
    RG_WS_OP_PONG = 0xa,
};

/* Close status codes (RFC 6455 section 7.4.1). */
enum {
    RG_WS_CLOSE_NORMAL = 1000,
    RG_WS_CLOSE_GOING_AWAY = 1001,
    RG_WS_CLOSE_PROTOCOL = 1002,
    RG_WS_CLOSE_NO_STATUS = 1005, /* never sent: "the close frame had no code" */
    RG_WS_CLOSE_BAD_DATA = 1007,
    RG_WS_CLOSE_POLICY = 1008,
    RG_WS_CLOSE_TOO_BIG = 1009,
};

#define RG_WS_HEADER_MAX 14
#define RG_WS_ACCEPT_SIZE 29 /* base64 of a SHA-1, and a NUL */
#define RG_WS_CONTROL_MAX 125

/* The handshake's Sec-WebSocket-Accept for the client's key[0..len):
 * base64(SHA-1(key + the RFC's GUID)).  RG_OK or RG_ECRYPTO. */
int rg_ws_accept_key(char out[RG_WS_ACCEPT_SIZE], const char *key, size_t len);

typedef struct {
    int fin;
    int rsv;    /* the three RSV bits */
    int opcode; /* RG_WS_OP_* or an unknown value */
    int masked;
    uint8_t mask[4];
    uint64_t len;      /* payload length */
    size_t header_len; /* 2..14 */
} rg_ws_header;

/* Parses the header at p[0..n): 1 when complete (*h filled), 0 when more
 * bytes are needed.  Only the wire format is read here; the rules are the
 * reader's. */
int rg_ws_header_parse(const uint8_t *p, size_t n, rg_ws_header *h);

/* Writes a final frame's header for a payload of len bytes into out, masked
 * with mask when mask is not NULL (clients mask, servers do not); returns
 * its length. */
size_t rg_ws_header_write(uint8_t out[RG_WS_HEADER_MAX], int opcode, uint64_t len,
                          const uint8_t mask[4]);

/* XORs p[0..n) with mask, the payload's byte `offset` being p[0]. */
void rg_ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset);

/* A close frame's payload: the status (big-endian) then up to 123 bytes of
 * reason (ours, so ASCII; NULL for none).  Returns its length. */
size_t rg_ws_close_payload(uint8_t out[RG_WS_CONTROL_MAX], uint16_t status, const char *reason);

typedef enum {
    RG_WS_EV_NONE,    /* need more bytes */
    RG_WS_EV_MESSAGE, /* a whole text or binary message */
    RG_WS_EV_PING,
    RG_WS_EV_PONG,
    RG_WS_EV_CLOSE, /* the peer's close; status 1005 when it gave none */
    RG_WS_EV_ERROR, /* a protocol violation: answer with a close of `status` */
} rg_ws_event_kind;

typedef struct {
    rg_ws_event_kind kind;
    int opcode;          /* MESSAGE: RG_WS_OP_TEXT or RG_WS_OP_BINARY */
    const uint8_t *data; /* the payload; valid until the next rg_ws_read */
    size_t len;
    uint16_t status; /* CLOSE: the peer's; ERROR: ours to send */
    const char *why; /* ERROR: for logs and the close reason */
} rg_ws_event;

typedef struct {
    int from_client;    /* 1 on a server: every frame must be masked */
    size_t max_message; /* over it: RG_WS_EV_ERROR 1009 */
    int frag_opcode;    /* the fragmented message in progress, 0 when none */
    uint8_t *frag;      /* its bytes so far (malloc'd, owned) */
    size_t frag_len, frag_cap;
    int delivered; /* frag was handed out by the last read: reset on the next */
} rg_ws_reader;

void rg_ws_reader_init(rg_ws_reader *r, int from_client, size_t max_message);
/* Frees what a fragmented message holds. */
void rg_ws_reader_clear(rg_ws_reader *r);

/* Reads the next event from buf[0..n), which it may unmask in place.
 * *used is set to the bytes consumed: the event's frame and any fragments
 * stored before it, so it may be more than 0 with RG_WS_EV_NONE too.  The
 * caller drops them once it is done with ev->data.  After RG_WS_EV_ERROR
 * nothing more should be read. */
rg_ws_event_kind rg_ws_read(rg_ws_reader *r, uint8_t *buf, size_t n, size_t *used, rg_ws_event *ev);

#endif

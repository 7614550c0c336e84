/* fuzz_wsframe.c - the WebSocket frame reader (src/core/wsframe.c) fed a
 * byte stream in random chunks, as a socket delivers it.
 *
 * Input: a flags byte (bit 0: the reader is a server reading a client,
 * bits 1-2: the message size limit), eight chunk sizes (1..256 bytes each,
 * used in turn), then the stream.  The stream is read twice: in those
 * chunks, with the consumed bytes dropped after each event as
 * src/http/wsconn.c does, and whole in one buffer.  Both reads must yield
 * the same events: how the bytes arrive must not change what they mean.
 * Every buffer is allocated to its exact size, so ASan sees any read past
 * the bytes received so far.  The header writer is checked against the
 * parser on the side. */
#include "core/wsframe.h"
#include "fuzz.h"

#define MAX_EVENTS 512

typedef struct {
    int kind, opcode;
    size_t len;
    uint16_t status;
    uint32_t sum; /* of the payload: its bytes are read, so ASan checks them */
} event;

typedef struct {
    event ev[MAX_EVENTS];
    size_t count;
    int done; /* a close or an error: nothing more is read */
} trace;

static const size_t limits[4] = {16, 125, 1024, 70000};

static void record(trace *t, const rg_ws_reader *r, const rg_ws_event *ev)
{
    event e = {(int)ev->kind, ev->opcode, ev->len, ev->status, 0};
    for (size_t i = 0; i < ev->len; i++)
        e.sum = e.sum * 31 + ev->data[i];
    switch (ev->kind) {
    case RG_WS_EV_MESSAGE:
        FZ_ASSERT(ev->opcode == RG_WS_OP_TEXT || ev->opcode == RG_WS_OP_BINARY);
        FZ_ASSERT(ev->len <= r->max_message);
        break;
    case RG_WS_EV_PING:
    case RG_WS_EV_PONG:
        FZ_ASSERT(ev->len <= RG_WS_CONTROL_MAX);
        break;
    case RG_WS_EV_CLOSE:
        FZ_ASSERT(ev->len <= RG_WS_CONTROL_MAX - 2);
        break;
    case RG_WS_EV_ERROR:
        FZ_ASSERT(ev->status >= 1002 && ev->status <= 1011 && ev->why);
        break;
    default:
        FZ_ASSERT(0);
    }
    if (t->count < MAX_EVENTS) t->ev[t->count++] = e;
    if (ev->kind == RG_WS_EV_CLOSE || ev->kind == RG_WS_EV_ERROR) t->done = 1;
}

/* Reads every event out of *buf (len *n), dropping what was consumed: the
 * buffer is reallocated to exactly the bytes left. */
static void drain(rg_ws_reader *r, uint8_t **buf, size_t *n, trace *t)
{
    while (!t->done) {
        rg_ws_event ev;
        size_t used;
        rg_ws_event_kind k = rg_ws_read(r, *buf, *n, &used, &ev);
        FZ_ASSERT(used <= *n);
        if (k != RG_WS_EV_NONE) record(t, r, &ev);
        uint8_t *rest = malloc(*n - used + 1);
        if (rest == NULL) abort();
        memcpy(rest, *buf + used, *n - used);
        free(*buf);
        *buf = rest;
        *n -= used;
        if (k == RG_WS_EV_NONE) break;
    }
}

static void check_writer(fz_in *in)
{
    uint8_t hdr[RG_WS_HEADER_MAX], mask[4];
    uint64_t len = 0;
    rg_ws_header h;
    int op = fz_byte(in) & 0xf, masked = op & 1;
    for (int i = 0; i < 8; i++)
        len = len << 8 | fz_byte(in);
    len >>= 1 + fz_byte(in) % 63; /* the top bit must be 0 (RFC 6455 5.2) */
    for (int i = 0; i < 4; i++)
        mask[i] = fz_byte(in);
    size_t n = rg_ws_header_write(hdr, op, len, masked ? mask : NULL);
    FZ_ASSERT(n >= 2 && n <= RG_WS_HEADER_MAX);
    FZ_ASSERT(rg_ws_header_parse(hdr, n, &h) == 1);
    FZ_ASSERT(h.fin == 1 && h.rsv == 0 && h.opcode == op && h.len == len && h.header_len == n);
    FZ_ASSERT(h.masked == masked && (!masked || memcmp(h.mask, mask, 4) == 0));
    FZ_ASSERT(rg_ws_header_parse(hdr, n - 1, &h) == 0);
}

static trace chunked, whole; /* static: too big for a fuzzer's stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t flags = fz_byte(&in), sizes[8];
    int from_client = flags & 1;
    size_t limit = limits[(flags >> 1) & 3];
    rg_ws_reader r;
    uint8_t *buf;
    size_t n = 0, off = 0;

    for (int i = 0; i < 8; i++)
        sizes[i] = fz_byte(&in);
    memset(&chunked, 0, sizeof chunked);
    memset(&whole, 0, sizeof whole);

    /* in chunks */
    rg_ws_reader_init(&r, from_client, limit);
    buf = malloc(1);
    if (buf == NULL) abort();
    for (int i = 0; off < in.n && !chunked.done; i++) {
        size_t c = (size_t)sizes[i % 8] + 1;
        if (c > in.n - off) c = in.n - off;
        uint8_t *more = malloc(n + c);
        if (more == NULL) abort();
        memcpy(more, buf, n);
        memcpy(more + n, in.p + off, c);
        free(buf);
        buf = more;
        n += c;
        off += c;
        drain(&r, &buf, &n, &chunked);
    }
    free(buf);
    rg_ws_reader_clear(&r);

    /* whole */
    rg_ws_reader_init(&r, from_client, limit);
    n = in.n;
    buf = malloc(n + 1);
    if (buf == NULL) abort();
    memcpy(buf, in.p, n);
    drain(&r, &buf, &n, &whole);
    free(buf);
    rg_ws_reader_clear(&r);

    FZ_ASSERT(chunked.count == whole.count);
    for (size_t i = 0; i < chunked.count; i++) {
        const event *a = &chunked.ev[i], *b = &whole.ev[i];
        FZ_ASSERT(a->kind == b->kind && a->opcode == b->opcode && a->len == b->len &&
                  a->status == b->status && a->sum == b->sum);
    }

    check_writer(&(fz_in){data, size});
    return 0;
}

/* wsframe.c - RFC 6455 framing (see wsframe.h). */
#include "core/wsframe.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/jsonw.h"

int rg_ws_accept_key(char out[RG_WS_ACCEPT_SIZE], const char *key, size_t len)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[20];
    unsigned int dlen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha1(), NULL) && EVP_DigestUpdate(md, key, len) &&
             EVP_DigestUpdate(md, guid, sizeof guid - 1) && EVP_DigestFinal_ex(md, digest, &dlen);
    EVP_MD_CTX_free(md);
    if (!ok || dlen != sizeof digest) return RG_ECRYPTO;
    EVP_EncodeBlock((unsigned char *)out, digest, sizeof digest); /* 28 chars and a NUL */
    return RG_OK;
}

int rg_ws_header_parse(const uint8_t *p, size_t n, rg_ws_header *h)
{
    size_t need = 2, ext = 0;
    if (n < 2) return 0;
    h->fin = p[0] >> 7;
    h->rsv = (p[0] >> 4) & 7;
    h->opcode = p[0] & 0x0f;
    h->masked = p[1] >> 7;
    h->len = p[1] & 0x7f;
    if (h->len == 126) ext = 2;
    if (h->len == 127) ext = 8;
    need += ext + (h->masked ? 4 : 0);
    if (n < need) return 0;
    if (ext) {
        h->len = 0;
        for (size_t i = 0; i < ext; i++)
            h->len = (h->len << 8) | p[2 + i];
    }
    if (h->masked)
        memcpy(h->mask, p + 2 + ext, 4);
    else
        memset(h->mask, 0, 4);
    h->header_len = need;
    return 1;
}

size_t rg_ws_header_write(uint8_t out[RG_WS_HEADER_MAX], int opcode, uint64_t len,
                          const uint8_t mask[4])
{
    size_t n = 2;
    out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    if (len < 126) {
        out[1] = (uint8_t)len;
    } else if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        n = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 10;
    }
    if (mask) {
        out[1] |= 0x80;
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

void rg_ws_mask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
    uint8_t m[8];
    uint64_t word;
    size_t i = 0;
    for (int k = 0; k < 8; k++)
        m[k] = mask[(offset + (uint64_t)k) & 3];
    memcpy(&word, m, 8);
    /* eight bytes at a time: the mask repeats every four, so it lines up */
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        v ^= word;
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] ^= m[i & 7];
}

size_t rg_ws_close_payload(uint8_t out[RG_WS_CONTROL_MAX], uint16_t status, const char *reason)
{
    size_t len = reason ? strnlen(reason, RG_WS_CONTROL_MAX - 2) : 0;
    out[0] = (uint8_t)(status >> 8);
    out[1] = (uint8_t)status;
    if (len) memcpy(out + 2, reason, len);
    return 2 + len;
}

/* ---- the reader ---------------------------------------------------------- */

void rg_ws_reader_init(rg_ws_reader *r, int from_client, size_t max_message)
{
    memset(r, 0, sizeof *r);
    r->from_client = from_client;
    r->max_message = max_message;
}

void rg_ws_reader_clear(rg_ws_reader *r)
{
    free(r->frag);
    r->frag = NULL;
    r->frag_len = r->frag_cap = 0;
    r->frag_opcode = 0;
    r->delivered = 0;
}

static rg_ws_event_kind fail(rg_ws_event *ev, uint16_t status, const char *why)
{
    ev->kind = RG_WS_EV_ERROR;
    ev->status = status;
    ev->why = why;
    return ev->kind;
}

static int is_control(int opcode)
{
    return opcode >= RG_WS_OP_CLOSE;
}

/* What the header alone says is wrong, or NULL; *status the close code. */
static const char *header_fault(const rg_ws_reader *r, const rg_ws_header *h, uint16_t *status)
{
    *status = RG_WS_CLOSE_PROTOCOL;
    if (h->rsv) return "RSV bits set, but no extension was negotiated";
    if (h->opcode > RG_WS_OP_BINARY && !is_control(h->opcode)) return "Unknown opcode";
    if (h->opcode > RG_WS_OP_PONG) return "Unknown opcode";
    if (h->masked != r->from_client)
        return r->from_client ? "Frames from a client must be masked"
                              : "Frames from a server must not be masked";
    if (is_control(h->opcode) && (!h->fin || h->len > RG_WS_CONTROL_MAX))
        return "Control frames must be final and at most 125 bytes";
    if (h->opcode == RG_WS_OP_CONTINUATION && r->frag_opcode == 0)
        return "Continuation frame outside a fragmented message";
    if ((h->opcode == RG_WS_OP_TEXT || h->opcode == RG_WS_OP_BINARY) && r->frag_opcode != 0)
        return "New message inside a fragmented one";
    *status = RG_WS_CLOSE_TOO_BIG;
    if (!is_control(h->opcode) &&
        (h->len > r->max_message || r->frag_len + h->len > r->max_message))
        return "Message too big";
    return NULL;
}

static int close_code_valid(unsigned code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

static rg_ws_event_kind on_close(const uint8_t *p, size_t len, rg_ws_event *ev)
{
    ev->kind = RG_WS_EV_CLOSE;
    ev->status = RG_WS_CLOSE_NO_STATUS;
    if (len == 0) return ev->kind;
    if (len == 1) return fail(ev, RG_WS_CLOSE_PROTOCOL, "A close payload of one byte");
    ev->status = (uint16_t)(p[0] << 8 | p[1]);
    if (!close_code_valid(ev->status)) return fail(ev, RG_WS_CLOSE_PROTOCOL, "Bad close code");
    if (!rg_utf8_valid((const char *)p + 2, len - 2))
        return fail(ev, RG_WS_CLOSE_BAD_DATA, "Close reason is not UTF-8");
    ev->data = p + 2;
    ev->len = len - 2;
    return ev->kind;
}

static int frag_append(rg_ws_reader *r, const uint8_t *p, size_t len)
{
    if (r->frag_len + len > r->frag_cap) {
        size_t cap = r->frag_cap ? r->frag_cap : 256;
        while (cap < r->frag_len + len)
            cap *= 2;
        if (cap > r->max_message) cap = r->max_message;
        uint8_t *grown = realloc(r->frag, cap);
        if (grown == NULL) return -1;
        r->frag = grown;
        r->frag_cap = cap;
    }
    if (len) memcpy(r->frag + r->frag_len, p, len);
    r->frag_len += len;
    return 0;
}

static rg_ws_event_kind message(rg_ws_event *ev, int opcode, const uint8_t *p, size_t len)
{
    if (opcode == RG_WS_OP_TEXT && !rg_utf8_valid((const char *)p, len))
        return fail(ev, RG_WS_CLOSE_BAD_DATA, "Text message is not UTF-8");
    ev->kind = RG_WS_EV_MESSAGE;
    ev->opcode = opcode;
    ev->data = p;
    ev->len = len;
    return ev->kind;
}

/* One complete frame at p (header h): its event, or NONE for a fragment
 * that was stored. */
static rg_ws_event_kind frame(rg_ws_reader *r, const rg_ws_header *h, const uint8_t *p,
                              rg_ws_event *ev)
{
    size_t len = (size_t)h->len;
    switch (h->opcode) {
    case RG_WS_OP_PING:
    case RG_WS_OP_PONG:
        ev->kind = h->opcode == RG_WS_OP_PING ? RG_WS_EV_PING : RG_WS_EV_PONG;
        ev->data = p;
        ev->len = len;
        return ev->kind;
    case RG_WS_OP_CLOSE:
        return on_close(p, len, ev);
    case RG_WS_OP_TEXT:
    case RG_WS_OP_BINARY:
        if (h->fin) return message(ev, h->opcode, p, len);
        r->frag_opcode = h->opcode;
        break;
    }
    if (frag_append(r, p, len) != 0) return fail(ev, 1011, "Out of memory");
    if (!h->fin) return RG_WS_EV_NONE;
    r->delivered = 1;
    int opcode = r->frag_opcode;
    r->frag_opcode = 0;
    return message(ev, opcode, r->frag, r->frag_len);
}

rg_ws_event_kind rg_ws_read(rg_ws_reader *r, uint8_t *buf, size_t n, size_t *used, rg_ws_event *ev)
{
    memset(ev, 0, sizeof *ev);
    *used = 0;
    if (r->delivered) rg_ws_reader_clear(r); /* the last message was handed out */
    for (;;) {
        rg_ws_header h;
        uint16_t status;
        const char *why;
        if (!rg_ws_header_parse(buf + *used, n - *used, &h)) return RG_WS_EV_NONE;
        if ((why = header_fault(r, &h, &status)) != NULL) return fail(ev, status, why);
        if (h.len > n - *used - h.header_len) return RG_WS_EV_NONE; /* the rest is coming */
        uint8_t *payload = buf + *used + h.header_len;
        if (h.masked) rg_ws_mask(payload, (size_t)h.len, h.mask, 0);
        *used += h.header_len + (size_t)h.len;
        rg_ws_event_kind k = frame(r, &h, payload, ev);
        if (k != RG_WS_EV_NONE) return k;
    }
}

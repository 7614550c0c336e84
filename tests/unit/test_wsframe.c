/* test_wsframe.c - RFC 6455 framing: headers, masking, the handshake key,
 * and every rule the reader enforces. */
#include "unit.h"

#include <stdlib.h>

#include "core/wsframe.h"

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

/* Appends one frame (masked when mask) to buf at *len. */
static void put_frame(uint8_t *buf, size_t *len, int fin, int opcode, const void *payload, size_t n,
                      const uint8_t *mask)
{
    size_t h = rg_ws_header_write(buf + *len, opcode, n, mask);
    if (!fin) buf[*len] &= 0x7f;
    memcpy(buf + *len + h, payload, n);
    if (mask) rg_ws_mask(buf + *len + h, n, mask, 0);
    *len += h + n;
}

static void test_accept_key(void **state)
{
    (void)state;
    char out[RG_WS_ACCEPT_SIZE];
    /* the example of RFC 6455 section 1.3 */
    assert_int_equal(rg_ws_accept_key(out, "dGhlIHNhbXBsZSBub25jZQ==", 24), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_header_sizes(void **state)
{
    (void)state;
    uint8_t h[RG_WS_HEADER_MAX];
    rg_ws_header p;
    const uint64_t lens[] = {0, 125, 126, 65535, 65536, 1ull << 40};
    const size_t want[] = {2, 2, 4, 4, 10, 10};
    for (size_t i = 0; i < 6; i++) {
        size_t n = rg_ws_header_write(h, RG_WS_OP_BINARY, lens[i], NULL);
        assert_int_equal(n, want[i]);
        assert_int_equal(rg_ws_header_parse(h, n, &p), 1);
        assert_int_equal(p.len, lens[i]);
        assert_int_equal(p.opcode, RG_WS_OP_BINARY);
        assert_int_equal(p.fin, 1);
        assert_int_equal(p.masked, 0);
        assert_int_equal(p.header_len, n);
        assert_int_equal(rg_ws_header_parse(h, n - 1, &p), 0); /* one byte short */
        n = rg_ws_header_write(h, RG_WS_OP_TEXT, lens[i], MASK);
        assert_int_equal(n, want[i] + 4);
        assert_int_equal(rg_ws_header_parse(h, n, &p), 1);
        assert_int_equal(p.masked, 1);
        assert_memory_equal(p.mask, MASK, 4);
    }
}

static void test_mask_offsets(void **state)
{
    (void)state;
    uint8_t a[37], b[37];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 7);
    rg_ws_mask(a, sizeof a, MASK, 0);
    for (size_t i = 0; i < sizeof b; i++)
        b[i] ^= MASK[i & 3];
    assert_memory_equal(a, b, sizeof a);
    /* masking in two pieces at an odd offset gives the same bytes */
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 7);
    rg_ws_mask(a, 5, MASK, 0);
    rg_ws_mask(a + 5, sizeof a - 5, MASK, 5);
    assert_memory_equal(a, b, sizeof a);
}

static void test_message_and_partial(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = 0, used;
    rg_ws_reader r;
    rg_ws_event ev;
    rg_ws_reader_init(&r, 1, 1024);
    put_frame(buf, &len, 1, RG_WS_OP_TEXT, "{\"type\":\"join\"}", 15, MASK);
    /* every prefix is "need more", and consumes nothing */
    for (size_t n = 0; n < len; n++) {
        uint8_t copy[256];
        memcpy(copy, buf, n);
        assert_int_equal(rg_ws_read(&r, copy, n, &used, &ev), RG_WS_EV_NONE);
        assert_int_equal(used, 0);
    }
    assert_int_equal(rg_ws_read(&r, buf, len, &used, &ev), RG_WS_EV_MESSAGE);
    assert_int_equal(used, len);
    assert_int_equal(ev.opcode, RG_WS_OP_TEXT);
    assert_int_equal(ev.len, 15);
    assert_memory_equal(ev.data, "{\"type\":\"join\"}", 15);
    rg_ws_reader_clear(&r);
}

static void test_fragments_and_interleaved_ping(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = 0, used, off = 0;
    rg_ws_reader r;
    rg_ws_event ev;
    rg_ws_reader_init(&r, 1, 1024);
    put_frame(buf, &len, 0, RG_WS_OP_TEXT, "hel", 3, MASK);
    put_frame(buf, &len, 1, RG_WS_OP_PING, "p", 1, MASK);
    put_frame(buf, &len, 0, RG_WS_OP_CONTINUATION, "lo ", 3, MASK);
    put_frame(buf, &len, 1, RG_WS_OP_CONTINUATION, "w\xc3\xb6rld", 6, MASK);
    assert_int_equal(rg_ws_read(&r, buf, len, &used, &ev), RG_WS_EV_PING);
    assert_int_equal(ev.len, 1);
    assert_memory_equal(ev.data, "p", 1);
    off += used;
    assert_int_equal(rg_ws_read(&r, buf + off, len - off, &used, &ev), RG_WS_EV_MESSAGE);
    assert_int_equal(off + used, len);
    assert_int_equal(ev.len, 12);
    assert_memory_equal(ev.data, "hello w\xc3\xb6rld", 12);
    /* the next read lets go of the reassembled message */
    assert_int_equal(rg_ws_read(&r, buf, 0, &used, &ev), RG_WS_EV_NONE);
    assert_null(r.frag);
    rg_ws_reader_clear(&r);
}

static void test_close_frames(void **state)
{
    (void)state;
    uint8_t buf[256], payload[RG_WS_CONTROL_MAX];
    size_t len = 0, used;
    rg_ws_reader r;
    rg_ws_event ev;
    rg_ws_reader_init(&r, 1, 1024);
    size_t n = rg_ws_close_payload(payload, 1000, "bye");
    put_frame(buf, &len, 1, RG_WS_OP_CLOSE, payload, n, MASK);
    assert_int_equal(rg_ws_read(&r, buf, len, &used, &ev), RG_WS_EV_CLOSE);
    assert_int_equal(ev.status, 1000);
    assert_int_equal(ev.len, 3);
    len = 0;
    put_frame(buf, &len, 1, RG_WS_OP_CLOSE, "", 0, MASK);
    assert_int_equal(rg_ws_read(&r, buf, len, &used, &ev), RG_WS_EV_CLOSE);
    assert_int_equal(ev.status, RG_WS_CLOSE_NO_STATUS);
    /* a reserved code, a lone byte, and a reason that is not UTF-8 */
    const struct {
        const char *p;
        size_t n;
        uint16_t status;
    } bad[] = {{"\x03\xed", 2, 1002},
               {"\x03", 1, 1002},
               {"\x03\xe8\xff", 3, 1007},
               {"\x03\xee", 2, 1002},
               {"\x13\x88", 2, 1002}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = 0;
        put_frame(buf, &len, 1, RG_WS_OP_CLOSE, bad[i].p, bad[i].n, MASK);
        assert_int_equal(rg_ws_read(&r, buf, len, &used, &ev), RG_WS_EV_ERROR);
        assert_int_equal(ev.status, bad[i].status);
    }
    /* the close payload is cut to what a control frame holds */
    char longer[300];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(rg_ws_close_payload(payload, 1001, longer), RG_WS_CONTROL_MAX);
    rg_ws_reader_clear(&r);
}

/* One frame built from raw header bytes must be refused with status. */
static void expect_error(rg_ws_reader *r, const uint8_t *frame, size_t n, uint16_t status)
{
    uint8_t copy[64];
    size_t used;
    rg_ws_event ev;
    memcpy(copy, frame, n);
    assert_int_equal(rg_ws_read(r, copy, n, &used, &ev), RG_WS_EV_ERROR);
    assert_int_equal(ev.status, status);
    assert_non_null(ev.why);
}

static void test_protocol_violations(void **state)
{
    (void)state;
    rg_ws_reader r;
    rg_ws_reader_init(&r, 1, 1024);
    const uint8_t rsv[] = {0xc1, 0x80, 1, 2, 3, 4};              /* RSV1 set */
    const uint8_t opcode3[] = {0x83, 0x80, 1, 2, 3, 4};          /* reserved data opcode */
    const uint8_t opcodeb[] = {0x8b, 0x80, 1, 2, 3, 4};          /* reserved control opcode */
    const uint8_t unmasked[] = {0x81, 0x01, 'x'};                /* client frame not masked */
    const uint8_t ping_frag[] = {0x09, 0x80, 1, 2, 3, 4};        /* control frame not final */
    const uint8_t ping_big[] = {0x89, 0xfe, 0, 126, 1, 2, 3, 4}; /* control over 125 */
    const uint8_t cont[] = {0x80, 0x80, 1, 2, 3, 4};             /* continuation of nothing */
    const uint8_t huge[] = {0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4}; /* 4 GiB */
    expect_error(&r, rsv, sizeof rsv, 1002);
    expect_error(&r, opcode3, sizeof opcode3, 1002);
    expect_error(&r, opcodeb, sizeof opcodeb, 1002);
    expect_error(&r, unmasked, sizeof unmasked, 1002);
    expect_error(&r, ping_frag, sizeof ping_frag, 1002);
    expect_error(&r, ping_big, sizeof ping_big, 1002);
    expect_error(&r, cont, sizeof cont, 1002);
    /* refused from the header alone: nothing waits for 4 GiB to arrive */
    expect_error(&r, huge, sizeof huge, 1009);
    rg_ws_reader_clear(&r);

    /* a server's frames must not be masked */
    rg_ws_reader_init(&r, 0, 1024);
    const uint8_t masked[] = {0x81, 0x81, 1, 2, 3, 4, 'x'};
    expect_error(&r, masked, sizeof masked, 1002);
    rg_ws_reader_clear(&r);
}

typedef struct {
    int fin, opcode;
    const char *payload;
    size_t n;
} frame_spec;

/* What a fresh reader with a 100-byte limit makes of the frames. */
static rg_ws_event_kind read_frames(const frame_spec *f, size_t count, rg_ws_event *ev)
{
    uint8_t buf[512];
    size_t len = 0, used;
    rg_ws_reader r;
    rg_ws_reader_init(&r, 1, 100);
    for (size_t i = 0; i < count; i++)
        put_frame(buf, &len, f[i].fin, f[i].opcode, f[i].payload, f[i].n, MASK);
    rg_ws_event_kind k = rg_ws_read(&r, buf, len, &used, ev);
    rg_ws_reader_clear(&r);
    return k;
}

static void test_limits_and_utf8(void **state)
{
    (void)state;
    char big[200];
    rg_ws_event ev;
    memset(big, 'a', sizeof big);
    const struct {
        frame_spec f[2];
        size_t count;
        rg_ws_event_kind kind;
        uint16_t status;
    } cases[] = {
        /* one message over the limit, and fragments adding up to more */
        {{{1, RG_WS_OP_TEXT, big, 101}}, 1, RG_WS_EV_ERROR, 1009},
        {{{0, RG_WS_OP_TEXT, big, 60}, {1, RG_WS_OP_CONTINUATION, big, 60}},
         2,
         RG_WS_EV_ERROR,
         1009},
        /* a new message inside a fragmented one */
        {{{0, RG_WS_OP_TEXT, "a", 1}, {1, RG_WS_OP_TEXT, "b", 1}}, 2, RG_WS_EV_ERROR, 1002},
        /* text must be UTF-8 (an overlong '/' here); binary need not be */
        {{{1, RG_WS_OP_TEXT, "\xc0\xaf", 2}}, 1, RG_WS_EV_ERROR, 1007},
        {{{1, RG_WS_OP_BINARY, "\xc0\xaf", 2}}, 1, RG_WS_EV_MESSAGE, 0},
        /* exactly at the limit is fine */
        {{{1, RG_WS_OP_TEXT, big, 100}}, 1, RG_WS_EV_MESSAGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(read_frames(cases[i].f, cases[i].count, &ev), cases[i].kind);
        assert_int_equal(ev.status, cases[i].status);
    }
}

/* Random bytes never crash the reader, and whatever it consumes is within
 * the input (run under ASan in `make test`). */
static void test_random_input(void **state)
{
    (void)state;
    uint8_t buf[64];
    uint32_t x = 12345;
    for (int round = 0; round < 20000; round++) {
        rg_ws_reader r;
        rg_ws_event ev;
        size_t used, n = (size_t)(x % sizeof buf), off = 0;
        rg_ws_reader_init(&r, round & 1, 48);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (uint8_t)(x >> 16);
        }
        for (;;) {
            rg_ws_event_kind k = rg_ws_read(&r, buf + off, n - off, &used, &ev);
            assert_true(used <= n - off);
            off += used;
            if (k == RG_WS_EV_NONE || k == RG_WS_EV_ERROR || k == RG_WS_EV_CLOSE) break;
        }
        rg_ws_reader_clear(&r);
        x = x * 1103515245u + 12345u;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_header_sizes),
        cmocka_unit_test(test_mask_offsets),
        cmocka_unit_test(test_message_and_partial),
        cmocka_unit_test(test_fragments_and_interleaved_ping),
        cmocka_unit_test(test_close_frames),
        cmocka_unit_test(test_protocol_violations),
        cmocka_unit_test(test_limits_and_utf8),
        cmocka_unit_test(test_random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

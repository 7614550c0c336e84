/* recfmt.c - header layout, segment nonces and range math of encrypted
 * recordings (see recfmt.h for the format). */
#include "core/recfmt.h"

#include <string.h>

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

size_t rg_rec_header_encode(rg_rec_header *h, uint8_t *out, size_t cap)
{
    size_t len = RG_REC_FIXED + h->wrapped_len;
    if (h->wrapped_len == 0 || h->wrapped_len > RG_REC_WRAPPED_MAX || cap < len ||
        h->segment == 0 || !rg_sid_valid(h->sid, strlen(h->sid), "RE"))
        return 0;
    h->header_len = (uint32_t)len;
    memcpy(out, RG_REC_MAGIC, 8);
    put32(out + 8, h->header_len);
    put32(out + 12, h->segment);
    put64(out + 16, h->size);
    memcpy(out + 24, h->nonce, RG_REC_NONCE);
    memcpy(out + 36, h->sid, RG_SID_LEN);
    memcpy(out + 70, h->key_id, RG_REC_KEYID);
    out[102] = (uint8_t)(h->wrapped_len >> 8);
    out[103] = (uint8_t)h->wrapped_len;
    memcpy(out + RG_REC_FIXED, h->wrapped, h->wrapped_len);
    return len;
}

size_t rg_rec_header_decode(const uint8_t *in, size_t n, rg_rec_header *h)
{
    memset(h, 0, sizeof *h);
    if (n < RG_REC_FIXED || memcmp(in, RG_REC_MAGIC, 8) != 0) return 0;
    h->header_len = (uint32_t)get(in + 8, 4);
    h->segment = (uint32_t)get(in + 12, 4);
    h->size = get(in + 16, 8);
    memcpy(h->nonce, in + 24, RG_REC_NONCE);
    memcpy(h->sid, in + 36, RG_SID_LEN);
    h->sid[RG_SID_LEN] = '\0';
    memcpy(h->key_id, in + 70, RG_REC_KEYID);
    h->wrapped_len = (uint16_t)get(in + 102, 2);
    if (h->wrapped_len == 0 || h->wrapped_len > RG_REC_WRAPPED_MAX ||
        h->header_len != RG_REC_FIXED + h->wrapped_len || n < h->header_len || h->segment == 0 ||
        h->segment > (1u << 24) || !rg_sid_valid(h->sid, RG_SID_LEN, "RE") ||
        h->size > (UINT64_C(1) << 50))
        return 0;
    memcpy(h->wrapped, in + RG_REC_FIXED, h->wrapped_len);
    return h->header_len;
}

uint64_t rg_rec_nsegments(uint64_t size, uint32_t segment)
{
    uint64_t n = size / segment + (size % segment != 0);
    return n == 0 ? 1 : n;
}

uint32_t rg_rec_segment_plain(uint64_t size, uint32_t segment, uint64_t i)
{
    uint64_t start = i * segment;
    if (start >= size) return 0;
    return size - start < segment ? (uint32_t)(size - start) : segment;
}

uint64_t rg_rec_segment_offset(const rg_rec_header *h, uint64_t i)
{
    return h->header_len + i * ((uint64_t)h->segment + RG_REC_TAG);
}

uint64_t rg_rec_file_size(const rg_rec_header *h)
{
    return h->header_len + h->size + rg_rec_nsegments(h->size, h->segment) * RG_REC_TAG;
}

void rg_rec_nonce(const uint8_t file_nonce[RG_REC_NONCE], uint64_t i, int last,
                  uint8_t out[RG_REC_NONCE])
{
    memcpy(out, file_nonce, RG_REC_NONCE);
    for (int k = 10; k >= 3; k--, i >>= 8)
        out[k] ^= (uint8_t)i;
    if (last) out[11] ^= 1;
}

/* Digits only, no sign, no overflow; -1 if not a number. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static size_t trim(const char **s, size_t n)
{
    while (n > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, n--;
    while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t'))
        n--;
    return n;
}

rg_range_result rg_range_parse(const char *hdr, size_t n, uint64_t size, uint64_t *first,
                               uint64_t *last)
{
    const char *dash;
    uint64_t a, b;
    if (hdr == NULL) return RG_RANGE_NONE;
    n = trim(&hdr, n);
    if (n < 6 || memcmp(hdr, "bytes=", 6) != 0) return RG_RANGE_NONE;
    hdr += 6, n -= 6;
    n = trim(&hdr, n);
    if (memchr(hdr, ',', n) != NULL || (dash = memchr(hdr, '-', n)) == NULL) return RG_RANGE_NONE;
    if (dash == hdr) { /* suffix: the last b bytes */
        if (parse_u64(dash + 1, n - 1, &b) != 0) return RG_RANGE_NONE;
        if (b == 0 || size == 0) return RG_RANGE_UNSATISFIABLE;
        *first = b >= size ? 0 : size - b;
        *last = size - 1;
        return RG_RANGE_OK;
    }
    if (parse_u64(hdr, (size_t)(dash - hdr), &a) != 0) return RG_RANGE_NONE;
    if ((size_t)(dash - hdr) + 1 == n) {
        b = UINT64_MAX;
    } else if (parse_u64(dash + 1, n - (size_t)(dash - hdr) - 1, &b) != 0 || b < a) {
        return RG_RANGE_NONE;
    }
    if (a >= size) return RG_RANGE_UNSATISFIABLE;
    *first = a;
    *last = b >= size ? size - 1 : b;
    return RG_RANGE_OK;
}

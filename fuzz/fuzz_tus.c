/* fuzz_tus.c - the tus 1.0 request headers (src/core/tus.c):
 * Upload-Metadata, Upload-Offset / Upload-Length, Tus-Resumable and the
 * upload id in the URL.
 *
 * Input: a byte for the pair limit (0..40), a byte for the output buffer
 * (bit 0: the documented RG_TUS_META_BUF size, else a smaller one), then
 * the header value; every parser reads the same value.  Checked: accepted
 * metadata has unique, well-formed keys, stays inside the buffer, is
 * found by rg_tus_meta_get, and re-encoded canonically parses to the same
 * pairs; a too-small buffer is refused, never overrun; a number is
 * accepted only in its one spelling and below 2^63; the version and id
 * checks accept exactly what they document. */
#include <inttypes.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/tus.h"
#include "fuzz.h"

/* "k1 b64,k2 b64,...", malloc'd; *len its length. */
static char *encode(const rg_tus_pair *p, size_t n, size_t *len)
{
    size_t cap = 1, off = 0;
    for (size_t i = 0; i < n; i++)
        cap += p[i].key_len + 2 + (p[i].value_len + 2) / 3 * 4 + 1;
    char *s = malloc(cap);
    if (s == NULL) abort();
    for (size_t i = 0; i < n; i++) {
        if (i) s[off++] = ',';
        memcpy(s + off, p[i].key, p[i].key_len);
        off += p[i].key_len;
        if (p[i].value_len) {
            s[off++] = ' ';
            off += rg_b64_encode(s + off, (const uint8_t *)p[i].value, p[i].value_len);
        }
    }
    s[off] = '\0';
    *len = off;
    return s;
}

static void check_pairs(const rg_tus_pair *p, size_t n, size_t max, const char *buf, size_t cap)
{
    FZ_ASSERT(n <= max && n <= RG_TUS_META_MAX_PAIRS);
    for (size_t i = 0; i < n; i++) {
        FZ_ASSERT(p[i].key_len >= 1 && p[i].key_len <= RG_TUS_KEY_MAX);
        FZ_ASSERT(p[i].key >= buf && p[i].key + p[i].key_len < buf + cap);
        FZ_ASSERT(p[i].value >= buf && p[i].value + p[i].value_len < buf + cap);
        FZ_ASSERT(p[i].key[p[i].key_len] == '\0' && p[i].value[p[i].value_len] == '\0');
        for (size_t k = 0; k < p[i].key_len; k++)
            FZ_ASSERT(p[i].key[k] > 0x20 && p[i].key[k] < 0x7f && p[i].key[k] != ',');
        for (size_t j = 0; j < i; j++)
            FZ_ASSERT(p[j].key_len != p[i].key_len || memcmp(p[j].key, p[i].key, p[i].key_len));
        FZ_ASSERT(rg_tus_meta_get(p, n, p[i].key) == &p[i]);
    }
}

static void check_metadata(const char *s, size_t len, size_t max, int full)
{
    rg_tus_pair pairs[RG_TUS_META_MAX_PAIRS + 8], again[RG_TUS_META_MAX_PAIRS + 8];
    size_t n = 0, m = 0, cap = full ? RG_TUS_META_BUF(len) : len / 2 + 1, elen;
    char *buf = malloc(cap), *buf2;
    if (buf == NULL) abort();
    int rc = rg_tus_parse_metadata(s, len, pairs, max, &n, buf, cap);
    FZ_ASSERT(rc == RG_OK || rc == RG_EINVAL || rc == RG_ETOOBIG);
    if (full) FZ_ASSERT(rc != RG_ETOOBIG);
    if (rc == RG_OK) {
        check_pairs(pairs, n, max, buf, cap);
        char *e = encode(pairs, n, &elen);
        buf2 = malloc(RG_TUS_META_BUF(elen));
        if (buf2 == NULL) abort();
        FZ_ASSERT(rg_tus_parse_metadata(e, elen, again, max, &m, buf2, RG_TUS_META_BUF(elen)) ==
                  RG_OK);
        FZ_ASSERT(m == n);
        for (size_t i = 0; i < n; i++)
            FZ_ASSERT(again[i].key_len == pairs[i].key_len &&
                      memcmp(again[i].key, pairs[i].key, pairs[i].key_len) == 0 &&
                      again[i].value_len == pairs[i].value_len &&
                      memcmp(again[i].value, pairs[i].value, pairs[i].value_len) == 0);
        free(buf2);
        free(e);
    }
    free(buf);
}

static void check_u64(const char *s, size_t len)
{
    uint64_t v = 0;
    char canon[32];
    if (rg_tus_parse_u64(s, len, &v) != RG_OK) return;
    FZ_ASSERT(v <= (uint64_t)INT64_MAX);
    FZ_ASSERT((size_t)snprintf(canon, sizeof canon, "%" PRIu64, v) == len);
    FZ_ASSERT(memcmp(canon, s, len) == 0);
}

static void check_id(const char *s, size_t len)
{
    int ok = len == RG_TUS_ID_LEN;
    for (size_t i = 0; ok && i < len; i++)
        ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
    FZ_ASSERT(rg_tus_id_valid(s, len) == ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    size_t max = fz_byte(&in) % 41;
    int full = fz_byte(&in) & 1;
    char *s = fz_strdup(in.p, in.n);

    check_metadata(s, in.n, max, full);
    check_u64(s, in.n);
    FZ_ASSERT(rg_tus_version_ok(s, in.n) == (in.n == 5 && memcmp(s, "1.0.0", 5) == 0));
    check_id(s, in.n);

    free(s);
    return 0;
}

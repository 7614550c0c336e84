/* tus.c - tus 1.0 header parsing (see tus.h). */
#include "core/tus.h"

#include <string.h>

#include "core/b64.h"
#include "core/errors.h"

static int blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int key_char(unsigned char ch)
{
    return ch > 0x20 && ch < 0x7f && ch != ',';
}

/* One pair s[0..n) (blanks already trimmed) into pairs[i], decoded into
 * buf at *used. */
static int parse_pair(const char *s, size_t n, rg_tus_pair *p, char *buf, size_t cap, size_t *used)
{
    size_t k = 0, vlen;
    while (k < n && key_char((unsigned char)s[k]))
        k++;
    if (k == 0 || k > RG_TUS_KEY_MAX) return RG_EINVAL;
    if (k < n && s[k] != ' ') return RG_EINVAL;
    const char *v = k < n ? s + k + 1 : s + n;
    size_t vn = k < n ? n - k - 1 : 0;
    if (cap - *used < k + 1) return RG_ETOOBIG;
    memcpy(buf + *used, s, k);
    buf[*used + k] = '\0';
    p->key = buf + *used;
    p->key_len = k;
    *used += k + 1;
    if (vn == 0 && k < n) return RG_EINVAL; /* "key " with nothing after the space */
    if (cap - *used < 1) return RG_ETOOBIG;
    if (vn > 0) {
        int rc = rg_b64_decode((uint8_t *)buf + *used, cap - *used - 1, v, vn, &vlen);
        if (rc != RG_OK) return rc;
    } else {
        vlen = 0;
    }
    buf[*used + vlen] = '\0';
    p->value = buf + *used;
    p->value_len = vlen;
    *used += vlen + 1;
    return RG_OK;
}

int rg_tus_parse_metadata(const char *s, size_t len, rg_tus_pair *pairs, size_t max_pairs,
                          size_t *npairs, char *buf, size_t cap)
{
    size_t used = 0, n = 0, i = 0;
    *npairs = 0;
    if (max_pairs > RG_TUS_META_MAX_PAIRS) max_pairs = RG_TUS_META_MAX_PAIRS;
    while (i < len && blank(s[i]))
        i++;
    if (i == len) return RG_OK;
    for (;;) {
        const char *comma = memchr(s + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - s) : len, a = i, b = end;
        while (a < b && blank(s[a]))
            a++;
        while (b > a && blank(s[b - 1]))
            b--;
        if (n == max_pairs) return RG_EINVAL;
        int rc = parse_pair(s + a, b - a, &pairs[n], buf, cap, &used);
        if (rc != RG_OK) return rc;
        for (size_t j = 0; j < n; j++)
            if (pairs[j].key_len == pairs[n].key_len &&
                memcmp(pairs[j].key, pairs[n].key, pairs[n].key_len) == 0)
                return RG_EINVAL;
        n++;
        if (!comma) break;
        i = end + 1;
    }
    *npairs = n;
    return RG_OK;
}

const rg_tus_pair *rg_tus_meta_get(const rg_tus_pair *pairs, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (pairs[i].key_len == kl && memcmp(pairs[i].key, key, kl) == 0) return &pairs[i];
    return NULL;
}

int rg_tus_parse_u64(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 19 || (len > 1 && s[0] == '0')) return RG_EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return RG_EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits fit in 64 bits */
    }
    if (v > (uint64_t)INT64_MAX) return RG_EINVAL;
    *out = v;
    return RG_OK;
}

int rg_tus_version_ok(const char *s, size_t len)
{
    return len == sizeof RG_TUS_VERSION - 1 && memcmp(s, RG_TUS_VERSION, len) == 0;
}

int rg_tus_id_valid(const char *s, size_t len)
{
    if (len != RG_TUS_ID_LEN) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

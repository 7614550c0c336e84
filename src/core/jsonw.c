/* jsonw.c - see jsonw.h.  Written for the mint hot path: strings are copied
 * in runs between the rare bytes that need escaping, integers are formatted
 * by hand (snprintf costs more than the rest of a payload). */
#include "core/jsonw.h"
#include "core/swar.h"

#include <string.h>

void rg_jw_init(rg_jw *w, char *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->overflow = cap == 0;
    if (cap > 0) buf[0] = '\0';
}

void rg_jw_raw(rg_jw *w, const char *s, size_t n)
{
    /* Keep one byte for the NUL so buf is always a C string. */
    if (w->overflow || n >= w->cap - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static bool needs_escape(unsigned char ch)
{
    return ch < 0x20 || ch == '"' || ch == '\\';
}

/* Length of the prefix of s that needs no escaping. */
static size_t plain_prefix(const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = rg_swar_load(s + i);
        if (rg_swar_lt(v, 0x20) | rg_swar_eq(v, '"') | rg_swar_eq(v, '\\')) break;
    }
    while (i < n && !needs_escape((unsigned char)s[i]))
        i++;
    return i;
}

static void escape_byte(rg_jw *w, unsigned char ch)
{
    static const char hex[] = "0123456789abcdef";
    if (ch == '"' || ch == '\\') {
        char e[2] = {'\\', (char)ch};
        rg_jw_raw(w, e, 2);
        return;
    }
    char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 0x0f]};
    rg_jw_raw(w, e, 6);
}

void rg_jw_str(rg_jw *w, const char *s, size_t n)
{
    size_t i = 0;

    rg_jw_lit(w, "\"");
    while (i < n) {
        size_t k = plain_prefix(s + i, n - i);
        rg_jw_raw(w, s + i, k);
        i += k;
        if (i < n) escape_byte(w, (unsigned char)s[i++]);
    }
    rg_jw_lit(w, "\"");
}

void rg_jw_i64(rg_jw *w, int64_t v)
{
    /* Two digits per division: a mint writes four 10-digit numbers. */
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char tmp[24];
    size_t pos = sizeof(tmp);
    /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        tmp[--pos] = pairs[d + 1];
        tmp[--pos] = pairs[d];
    }
    if (u >= 10) {
        tmp[--pos] = pairs[u * 2 + 1];
        tmp[--pos] = pairs[u * 2];
    } else {
        tmp[--pos] = (char)('0' + u);
    }
    if (v < 0) tmp[--pos] = '-';
    rg_jw_raw(w, tmp + pos, sizeof(tmp) - pos);
}

/* Decodes the sequence at s[0..n) (n >= 1).  Returns its length and sets
 * *cp, or 0 when it is malformed.  The ranges of the second byte are those
 * of Unicode's table 3-7, which excludes overlongs and surrogates. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        *cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        *cp = c & 0x0f;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        *cp = c & 0x07;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    return len;
}

/* Length of the prefix of s made of ASCII bytes, printable ones only
 * unless allow_ctl. */
static size_t ascii_prefix(const char *s, size_t n, bool allow_ctl)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v = rg_swar_load(s + i);
        uint64_t bad = v & RG_SWAR_HIGH;
        if (!allow_ctl) bad |= rg_swar_lt(v, 0x20) | rg_swar_eq(v, 0x7f);
        if (bad) break;
    }
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80 || (!allow_ctl && (ch < 0x20 || ch == 0x7f))) break;
    }
    return i;
}

static bool scan(const char *s, size_t n, bool allow_ctl)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = ascii_prefix(s, n, allow_ctl);

    while (i < n) {
        uint32_t cp;
        size_t k = utf8_next(p + i, n - i, &cp);
        if (k == 0) return false;
        if (!allow_ctl && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))) return false;
        i += k;
        i += ascii_prefix(s + i, n - i, allow_ctl);
    }
    return true;
}

bool rg_utf8_valid(const char *s, size_t n)
{
    return scan(s, n, true);
}

bool rg_text_valid(const char *s, size_t n)
{
    return scan(s, n, false);
}

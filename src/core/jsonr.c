/* jsonr.c - see jsonr.h.  A recursive-descent reader over a byte class
 * table; the rules follow jansson's lexer (load.c) one by one, so that
 * what it accepts jansson accepts, with the same values. */
#include "core/jsonr.h"
#include "core/swar.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Byte classes: PLAIN is copied as is inside a string (printable ASCII but
 * '"' and '\\'), WS is JSON whitespace, DIGIT 0-9. */
enum { PLAIN = 1, WS = 2, DIGIT = 4 };
static const uint8_t cls[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 2, 0, 0, /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10 */
    3, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 20 */
    5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 1, 1, 1, /* 30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 50 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 70 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* a0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* b0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* c0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* d0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* e0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* f0 */
};

typedef struct {
    const uint8_t *p, *end;
    const rg_jr_path *paths;
    int npaths;
    rg_jr_val *vals;
    unsigned noncanon; /* bumped by whatever a compact dump writes otherwise */
    int members;       /* object members in the whole document */
    int nkeys;         /* keys of the objects being read, innermost last */
    size_t kused;
    struct {
        const char *text; /* the key's bytes: in the input, or in kbuf if escaped */
        uint32_t hash, len;
    } keys[RG_JR_MAX_MEMBERS];
    char kbuf[RG_JR_MAX_INPUT]; /* decoded escaped keys: never longer than their text */
} parser;

/* Token JSON is compact: the common case, no whitespace, is one test
 * inlined at each of the reader's many call sites. */
static void skip_ws_run(parser *ps)
{
    const uint8_t *p = ps->p;
    while (p < ps->end && (cls[*p] & WS))
        p++;
    ps->noncanon++;
    ps->p = p;
}

static inline void skip_ws(parser *ps)
{
    if (ps->p < ps->end && (cls[*ps->p] & WS)) skip_ws_run(ps);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (bounds checked by the caller). */
static long hex4(const uint8_t *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v << 4 | h;
    }
    return v;
}

static size_t put_utf8(char *d, unsigned long u)
{
    if (u < 0x80) {
        d[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        d[0] = (char)(0xC0 | u >> 6);
        d[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    if (u < 0x10000) {
        d[0] = (char)(0xE0 | u >> 12);
        d[1] = (char)(0x80 | (u >> 6 & 0x3F));
        d[2] = (char)(0x80 | (u & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | u >> 18);
    d[1] = (char)(0x80 | (u >> 12 & 0x3F));
    d[2] = (char)(0x80 | (u >> 6 & 0x3F));
    d[3] = (char)(0x80 | (u & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), or 0:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    unsigned c = p[0];
    size_t n = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (n == 0 || (size_t)(end - p) < n) return 0;
    unsigned long u = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        u = u << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && u < 0x800) || (n == 4 && u < 0x10000) || u > 0x10FFFF ||
        (u >= 0xD800 && u <= 0xDFFF))
        return 0;
    return n;
}

/* One escape after the backslash at *pp; appends its bytes to dst. */
static int unescape(const uint8_t **pp, const uint8_t *end, char *dst, size_t *n)
{
    const uint8_t *p = *pp + 1;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (p >= end) return -1;
    if (*p != 'u') {
        const char *k = *p ? strchr(from, *p) : NULL;
        if (k == NULL) return -1;
        if (dst) dst[*n] = to[k - from];
        (*n)++;
        *pp = p + 1;
        return 0;
    }
    if (end - p < 5) return -1;
    long u = hex4(p + 1), lo;
    p += 5;
    if (u <= 0 || (u >= 0xDC00 && u <= 0xDFFF)) return -1; /* \u0000, lone low surrogate */
    if (u >= 0xD800 && u <= 0xDBFF) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || (lo = hex4(p + 2)) < 0xDC00 ||
            lo > 0xDFFF)
            return -1;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        p += 6;
    }
    char tmp[4];
    size_t k = put_utf8(tmp, (unsigned long)u);
    if (dst) memcpy(dst + *n, tmp, k);
    *n += k;
    *pp = p;
    return 0;
}

/* Past the PLAIN bytes from p.  Eight at a time while a word holds none of
 * the bytes that end a plain run ('"', '\\', a control, a byte >= 0x80):
 * the strings of a token are mostly long plain runs (SIDs, identities), and
 * this was a third of a validation's JSON instructions byte by byte.  The
 * class table decides the last few bytes and the byte that stopped a word,
 * so the two tests must agree: test_jsonr checks every position. */
static const uint8_t *skip_plain(const uint8_t *p, const uint8_t *end)
{
    while (end - p >= 8) {
        uint64_t v = rg_swar_load((const char *)p);
        uint64_t stop =
            rg_swar_eq(v, '"') | rg_swar_eq(v, '\\') | rg_swar_lt(v, 0x20) | (v & RG_SWAR_HIGH);
        if (stop != 0) return p + rg_swar_first(stop);
        p += 8;
    }
    while (p < end && (cls[*p] & PLAIN))
        p++;
    return p;
}

/* The string whose opening quote is at *pp: validated, decoded into dst
 * (NULL: only measured), *pp past the closing quote. */
static int scan_str(const uint8_t **pp, const uint8_t *end, char *dst, size_t *len, bool *esc)
{
    const uint8_t *p = *pp + 1;
    size_t n = 0;
    *esc = false;
    for (;;) {
        const uint8_t *s = p;
        p = skip_plain(p, end);
        if (dst) memcpy(dst + n, s, (size_t)(p - s));
        n += (size_t)(p - s);
        if (p >= end) return -1;
        if (*p == '"') break;
        if (*p == '\\') {
            *esc = true;
            if (unescape(&p, end, dst, &n) != 0) return -1;
        } else if (*p >= 0x80) {
            size_t k = utf8_seq(p, end);
            if (k == 0) return -1;
            if (dst) memcpy(dst + n, p, k);
            n += k;
            p += k;
        } else {
            return -1; /* a control character */
        }
    }
    *pp = p + 1;
    *len = n;
    return 0;
}

/* A number as jansson lexes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?;
 * an integer must fit int64 (strtoll), a real must not overflow (strtod). */
static int scan_number(parser *ps, rg_jr_val *v)
{
    const uint8_t *s = ps->p, *p = s, *end = ps->end;
    bool real = false;
    if (p < end && *p == '-') p++;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && (cls[*p] & DIGIT)) {
        while (p < end && (cls[*p] & DIGIT))
            p++;
    } else {
        return RG_JR_ESYNTAX;
    }
    if (p < end && *p == '.') {
        real = true;
        if (++p >= end || !(cls[*p] & DIGIT)) return RG_JR_ESYNTAX;
        while (p < end && (cls[*p] & DIGIT))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        real = true;
        if (++p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || !(cls[*p] & DIGIT)) return RG_JR_ESYNTAX;
        while (p < end && (cls[*p] & DIGIT))
            p++;
    }
    size_t n = (size_t)(p - s);
    if (n > RG_JR_MAX_NUMBER) return RG_JR_ELIMIT;
    if (real) {
        char text[RG_JR_MAX_NUMBER + 1];
        memcpy(text, s, n);
        text[n] = '\0';
        double d = strtod(text, NULL);
        if (isinf(d)) return RG_JR_ESYNTAX;
        v->type = RG_JR_REAL;
        v->real = d;
        ps->noncanon++; /* %.17g seldom gives the same text */
    } else {
        /* Accumulate negatively: the magnitude of INT64_MIN fits. */
        bool neg = s[0] == '-';
        int64_t acc = 0;
        const uint8_t *q = s + neg;
        /* 18 digits cannot overflow: the time claims (10 digits) take the
         * loop without the bound test. */
        if (p - q <= 18) {
            for (; q < p; q++)
                acc = acc * 10 - (*q - '0');
        }
        for (; q < p; q++) {
            int d = *q - '0';
            /* acc * 10 - d >= INT64_MIN, without a division per digit */
            if (acc < INT64_MIN / 10 || (acc == INT64_MIN / 10 && d > -(INT64_MIN % 10)))
                return RG_JR_ESYNTAX;
            acc = acc * 10 - d;
        }
        if (!neg && acc == INT64_MIN) return RG_JR_ESYNTAX;
        if (neg && n == 2 && s[1] == '0') ps->noncanon++; /* -0 dumps as 0 */
        v->type = RG_JR_INTEGER;
        v->integer = neg ? acc : -acc;
    }
    ps->p = p;
    return RG_JR_OK;
}

static int value(parser *ps, int depth, int self, rg_jr_val *v);

static int find_path(const parser *ps, int parent, const char *k, size_t n)
{
    for (int i = 0; i < ps->npaths; i++) {
        const rg_jr_path *e = &ps->paths[i];
        if (e->parent == parent && e->keylen == n && (n == 0 || e->key[0] == k[0]) &&
            memcmp(e->key, k, n) == 0)
            return i;
    }
    return -1;
}

/* A filter for the duplicate check, in constant time whatever the key's
 * length: its length and its first and last 8 bytes.  Keys that collide are
 * compared in full; RG_JR_MAX_MEMBERS bounds the pairs.  Fixed-size loads
 * only (a memcpy of n bytes into the words was a store the next load had to
 * wait for: 25 % of the reader's samples in perf annotate); a short key is
 * one load masked to its n bytes when 8 bytes are readable there (limit),
 * else gathered byte by byte. */
static uint32_t key_hash(const char *k, size_t n, const char *limit)
{
    uint64_t a = 0, b;
    if (n >= 8) {
        memcpy(&a, k, 8);
        memcpy(&b, k + n - 8, 8);
    } else {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (limit - k >= 8) {
            memcpy(&a, k, 8);
            a &= n == 0 ? 0 : ~0ULL >> (64 - 8 * n);
        } else
#endif
        {
            for (size_t i = 0; i < n; i++)
                a |= (uint64_t)(uint8_t)k[i] << (8 * i);
        }
        b = a;
    }
    (void)limit;
    return (uint32_t)((a * 0x9E3779B97F4A7C15ull ^ b * 0xC2B2AE3D27D4EB4Full ^ n) >> 32);
}

/* One member's key at ps->p: decoded, refused if the object has it. */
static int member_key(parser *ps, int base, const char **key, size_t *klen)
{
    bool esc;
    size_t n;
    const uint8_t *start = ps->p;
    const char *k = (const char *)start + 1, *limit = (const char *)ps->end;
    if (ps->p >= ps->end || *ps->p != '"') return RG_JR_ESYNTAX;
    if (++ps->members > RG_JR_MAX_MEMBERS) return RG_JR_ELIMIT;
    /* A key without escapes is its own text in the input: no copy.  An
     * escaped one (rare) is decoded into kbuf. */
    if (scan_str(&ps->p, ps->end, NULL, &n, &esc) != 0) return RG_JR_ESYNTAX;
    if (esc) {
        char *d = ps->kbuf + ps->kused;
        ps->p = start;
        if (scan_str(&ps->p, ps->end, d, &n, &esc) != 0) return RG_JR_ESYNTAX;
        ps->noncanon++;
        ps->kused += n;
        k = d;
        limit = ps->kbuf + ps->kused;
    }
    uint32_t h = key_hash(k, n, limit);
    for (int i = base; i < ps->nkeys; i++) {
        if (ps->keys[i].hash == h && ps->keys[i].len == n && memcmp(ps->keys[i].text, k, n) == 0)
            return RG_JR_ESYNTAX; /* a duplicate key */
    }
    ps->keys[ps->nkeys].text = k;
    ps->keys[ps->nkeys].hash = h;
    ps->keys[ps->nkeys].len = (uint32_t)n;
    ps->nkeys++;
    *key = k;
    *klen = n;
    return RG_JR_OK;
}

/* The object at ps->p; self is its table entry (-1 top level, -2 none). */
static int object(parser *ps, int depth, int self)
{
    int base = ps->nkeys, rc;
    size_t kbase = ps->kused;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return RG_JR_OK;
    }
    for (;;) {
        const char *k;
        size_t klen;
        if ((rc = member_key(ps, base, &k, &klen)) != RG_JR_OK) return rc;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') return RG_JR_ESYNTAX;
        ps->p++;
        skip_ws(ps);
        int child = self == -2 ? -1 : find_path(ps, self, k, klen);
        if ((rc = value(ps, depth, child < 0 ? -2 : child, child < 0 ? NULL : &ps->vals[child])) !=
            RG_JR_OK)
            return rc;
        skip_ws(ps);
        if (ps->p >= ps->end) return RG_JR_ESYNTAX;
        if (*ps->p == '}') break;
        if (*ps->p != ',') return RG_JR_ESYNTAX;
        ps->p++;
        skip_ws(ps);
    }
    ps->p++;
    /* The keys of a finished object are no longer compared against. */
    ps->nkeys = base;
    ps->kused = kbase;
    return RG_JR_OK;
}

static int array(parser *ps, int depth)
{
    int rc;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return RG_JR_OK;
    }
    for (;;) {
        if ((rc = value(ps, depth, -2, NULL)) != RG_JR_OK) return rc;
        skip_ws(ps);
        if (ps->p >= ps->end) return RG_JR_ESYNTAX;
        if (*ps->p == ']') break;
        if (*ps->p != ',') return RG_JR_ESYNTAX;
        ps->p++;
        skip_ws(ps);
    }
    ps->p++;
    return RG_JR_OK;
}

static int literal(parser *ps, const char *lit, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) return RG_JR_ESYNTAX;
    ps->p += n;
    return RG_JR_OK;
}

/* The value at ps->p (whitespace already skipped), recorded in v. */
static int value(parser *ps, int depth, int self, rg_jr_val *v)
{
    rg_jr_val scratch;
    const uint8_t *start = ps->p;
    unsigned nc = ps->noncanon;
    int rc;
    if (v == NULL) v = &scratch;
    v->escaped = false;
    if (ps->p >= ps->end) return RG_JR_ESYNTAX;
    switch (*ps->p) {
    case '{':
    case '[':
        if (depth + 1 > RG_JR_MAX_DEPTH) return RG_JR_ELIMIT;
        v->type = *ps->p == '{' ? RG_JR_OBJECT : RG_JR_ARRAY;
        rc = *ps->p == '{' ? object(ps, depth + 1, self) : array(ps, depth + 1);
        break;
    case '"': {
        size_t n;
        v->type = RG_JR_STRING;
        rc = scan_str(&ps->p, ps->end, NULL, &n, &v->escaped) == 0 ? RG_JR_OK : RG_JR_ESYNTAX;
        if (v->escaped) ps->noncanon++;
        break;
    }
    case 't':
        v->type = RG_JR_TRUE;
        rc = literal(ps, "true", 4);
        break;
    case 'f':
        v->type = RG_JR_FALSE;
        rc = literal(ps, "false", 5);
        break;
    case 'n':
        v->type = RG_JR_NULL;
        rc = literal(ps, "null", 4);
        break;
    default:
        rc = scan_number(ps, v);
        break;
    }
    if (rc != RG_JR_OK) return rc;
    v->raw = (const char *)start;
    v->raw_len = (size_t)(ps->p - start);
    v->canonical = ps->noncanon == nc;
    return RG_JR_OK;
}

int rg_jr_read(const char *in, size_t n, const rg_jr_path *paths, int npaths, rg_jr_val *vals,
               rg_jr_val *root)
{
    parser ps;
    rg_jr_val top;
    int rc;
    if (vals != NULL) memset(vals, 0, (size_t)npaths * sizeof *vals);
    if (in == NULL) return RG_JR_ESYNTAX;
    if (n > RG_JR_MAX_INPUT) return RG_JR_ELIMIT;
    ps.p = (const uint8_t *)in;
    ps.end = ps.p + n;
    ps.paths = paths;
    ps.npaths = vals != NULL ? npaths : 0;
    ps.vals = vals;
    ps.noncanon = 0;
    ps.members = 0;
    ps.nkeys = 0;
    ps.kused = 0;
    skip_ws(&ps);
    /* jansson's default: only an object or an array at the top. */
    if (ps.p >= ps.end || (*ps.p != '{' && *ps.p != '[')) return RG_JR_ESYNTAX;
    if ((rc = value(&ps, 0, -1, &top)) != RG_JR_OK) goto fail;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        rc = RG_JR_ESYNTAX;
        goto fail;
    }
    if (root != NULL) *root = top;
    return RG_JR_OK;
fail:
    /* Nothing read from a refused document is handed out. */
    if (vals != NULL) memset(vals, 0, (size_t)npaths * sizeof *vals);
    return rc;
}

bool rg_jr_str(const rg_jr_val *v, char *dst, size_t max, size_t *len)
{
    if (v->type != RG_JR_STRING) return false;
    size_t n = v->raw_len - 2;
    if (!v->escaped) {
        if (n > max) return false;
        memcpy(dst, v->raw + 1, n);
    } else {
        char tmp[RG_JR_MAX_INPUT];
        const uint8_t *p = (const uint8_t *)v->raw;
        bool esc;
        if (scan_str(&p, p + v->raw_len, tmp, &n, &esc) != 0 || n > max) return false;
        memcpy(dst, tmp, n);
    }
    dst[n] = '\0';
    if (len != NULL) *len = n;
    return true;
}

bool rg_jr_str_is(const rg_jr_val *v, const char *lit, size_t n)
{
    char tmp[64];
    size_t got;
    if (v->type != RG_JR_STRING || v->raw_len - 2 < n) return false;
    if (!v->escaped) return v->raw_len - 2 == n && memcmp(v->raw + 1, lit, n) == 0;
    return n < sizeof tmp && rg_jr_str(v, tmp, n, &got) && got == n && memcmp(tmp, lit, n) == 0;
}

void rg_jr_iter_init(rg_jr_iter *it, const rg_jr_val *array)
{
    bool ok = array->type == RG_JR_ARRAY;
    it->p = ok ? array->raw + 1 : NULL;
    it->end = ok ? array->raw + array->raw_len - 1 : NULL;
}

int rg_jr_next(rg_jr_iter *it, rg_jr_val *elem)
{
    parser ps;
    if (it->p == NULL) return 0;
    ps.p = (const uint8_t *)it->p;
    ps.end = (const uint8_t *)it->end;
    ps.paths = NULL;
    ps.npaths = 0;
    ps.vals = NULL;
    ps.noncanon = 0;
    ps.members = 0;
    ps.nkeys = 0;
    ps.kused = 0;
    skip_ws(&ps);
    if (ps.p < ps.end && *ps.p == ',') {
        ps.p++;
        skip_ws(&ps);
    }
    /* The array was read whole before: its elements parse again. */
    if (ps.p >= ps.end || value(&ps, 1, -2, elem) != RG_JR_OK) {
        it->p = NULL;
        return 0;
    }
    it->p = (const char *)ps.p;
    return 1;
}

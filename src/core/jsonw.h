/* jsonw.h - a minimal JSON text appender for building token payloads
 * without an allocator or a DOM: append raw text, escaped strings and
 * integers into a caller-owned buffer.  An append that does not fit sets
 * `overflow` and every later append is a no-op, so a builder checks once at
 * the end.  Pure; no allocation. */
#ifndef RG_CORE_JSONW_H
#define RG_CORE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;
    size_t cap;
    size_t len;
    bool overflow;
} rg_jw;

void rg_jw_init(rg_jw *w, char *buf, size_t cap);

/* Appends n bytes verbatim (JSON punctuation, pre-escaped keys). */
void rg_jw_raw(rg_jw *w, const char *s, size_t n);
#define rg_jw_lit(w, lit) rg_jw_raw((w), (lit), sizeof(lit) - 1)

/* Appends s (n bytes) as a quoted JSON string: '"' and '\\' are
 * backslash-escaped, bytes below 0x20 become \u00XX, everything else is
 * copied.  The result is valid JSON whenever s is valid UTF-8; callers
 * check that with rg_utf8_valid first. */
void rg_jw_str(rg_jw *w, const char *s, size_t n);

/* Appends a decimal integer. */
void rg_jw_i64(rg_jw *w, int64_t v);

/* True when s (n bytes) is well-formed UTF-8: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
bool rg_utf8_valid(const char *s, size_t n);

/* True when s is well-formed UTF-8 without control characters (C0, DEL,
 * C1): the rule for identities, room names and ids. */
bool rg_text_valid(const char *s, size_t n);

#endif

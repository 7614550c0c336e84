/* jsonr.h - a small, table-driven JSON claim reader for token headers and
 * payloads: one pass, no allocation, no DOM.
 *
 * It validates the whole document by jansson's rules as json_loadb(...,
 * JSON_REJECT_DUPLICATES) applies them (an object or array at the top,
 * duplicate keys at any level refused, strict number, string, escape and
 * UTF-8 syntax, no \u0000, no lone surrogate, integers within int64, reals
 * that do not overflow, nothing but whitespace after the value) and is
 * stricter in two ways.  A NUL byte is refused wherever it is (jansson
 * 2.14 skips one right after a number or a literal: "[1\0]" loads).  And
 * limits (RG_JR_ELIMIT): input over RG_JR_MAX_INPUT
 * bytes, nesting over RG_JR_MAX_DEPTH, more than RG_JR_MAX_MEMBERS object
 * members in the document, a number over RG_JR_MAX_NUMBER characters.
 * fuzz/fuzz_jsonr.c checks the agreement with jansson on every input.
 *
 * What it reads is a table of paths (rg_jr_path): a key and the index of
 * its parent entry (-1 = the top-level object).  Each found value is
 * recorded in the matching rg_jr_val: its type and raw span, plus the
 * number for numbers.  Strings are decoded on demand (rg_jr_str). */
#ifndef RG_CORE_JSONR_H
#define RG_CORE_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_JR_MAX_INPUT 8192
#define RG_JR_MAX_DEPTH 16
#define RG_JR_MAX_MEMBERS 128
#define RG_JR_MAX_NUMBER 64

enum { RG_JR_OK = 0, RG_JR_ESYNTAX = -1, RG_JR_ELIMIT = -2 };

typedef enum {
    RG_JR_ABSENT = 0,
    RG_JR_OBJECT,
    RG_JR_ARRAY,
    RG_JR_STRING,
    RG_JR_INTEGER,
    RG_JR_REAL,
    RG_JR_TRUE,
    RG_JR_FALSE,
    RG_JR_NULL,
} rg_jr_type;

typedef struct {
    int parent; /* index of the parent entry in the same table, -1 = top level */
    const char *key;
    size_t keylen;
} rg_jr_path;
#define RG_JR_PATH(parent, lit)                                                                    \
    {                                                                                              \
        (parent), (lit), sizeof(lit) - 1                                                           \
    }

typedef struct {
    rg_jr_type type;
    const char *raw; /* the value's text, quotes included for a string */
    size_t raw_len;
    /* The raw text is exactly what jansson's JSON_COMPACT dump of the value
     * writes: no whitespace, no escape, no real, no -0 inside. */
    bool canonical;
    bool escaped; /* a string with a backslash escape */
    int64_t integer;
    double real;
} rg_jr_val;

/* Reads in (n bytes).  vals[i] receives the value at paths[i] (type
 * RG_JR_ABSENT when there is none); root, if not NULL, the whole document.
 * Returns RG_JR_OK, RG_JR_ESYNTAX (jansson refuses it too) or RG_JR_ELIMIT. */
int rg_jr_read(const char *in, size_t n, const rg_jr_path *paths, int npaths, rg_jr_val *vals,
               rg_jr_val *root);

/* Decodes a string value into dst (max bytes + NUL).  False when v is not a
 * string or its decoded length exceeds max. */
bool rg_jr_str(const rg_jr_val *v, char *dst, size_t max, size_t *len);

/* True when v is a string whose decoded bytes are lit (n bytes). */
bool rg_jr_str_is(const rg_jr_val *v, const char *lit, size_t n);

/* The elements of an array value read by rg_jr_read, in order. */
typedef struct {
    const char *p, *end;
} rg_jr_iter;
void rg_jr_iter_init(rg_jr_iter *it, const rg_jr_val *array);
/* 1 and the next element in *elem, or 0 at the end. */
int rg_jr_next(rg_jr_iter *it, rg_jr_val *elem);

#endif

/* fuzz.h - shared by the libFuzzer targets in this directory: a fixed key
 * store and clock (the same values as tests/unit/token_fixtures.h, so the
 * seeds in corpus/ validate), a small cursor over the input bytes, and a
 * bare request for the targets that parse what a handler reads.
 *
 * Every target defines LLVMFuzzerTestOneInput and nothing else that
 * libFuzzer needs, so the same file links with clang's -fsanitize=fuzzer
 * (make fuzz) or with fuzz/replay.c (make test replays the corpus). */
#ifndef RG_FUZZ_H
#define RG_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmac.h"
#include "core/token.h"
#include "http/call.h"

#define FZ_NOW 1700000000LL
#define FZ_SK "SK00000000000000000000000000000001"
#define FZ_AC "AC00000000000000000000000000000001"
#define FZ_SECRET "0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: say which and abort, so libFuzzer
 * keeps the input as a crash. */
#define FZ_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* One HMAC context for the process (the server has one per thread). */
static inline rg_hmac *fz_hmac(void)
{
    static rg_hmac *h;
    if (h == NULL && (h = rg_hmac_new()) == NULL) abort();
    return h;
}

/* The key store: FZ_SK of FZ_AC, nothing else. */
static inline int fz_lookup(void *ud, const char *sid, rg_key_view *out)
{
    (void)ud;
    if (strcmp(sid, FZ_SK) != 0) return -1;
    memset(out, 0, sizeof *out);
    memcpy(out->account_sid, FZ_AC, sizeof FZ_AC);
    out->secret_len = sizeof FZ_SECRET - 1;
    memcpy(out->secret, FZ_SECRET, out->secret_len);
    return 0;
}

/* Consumes the input from the front: control bytes first, the rest is the
 * payload.  Past the end every byte reads as 0. */
typedef struct {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline uint8_t fz_byte(fz_in *in)
{
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

/* A NUL-terminated malloc'd copy of p[0..n) (aborts when out of memory). */
static inline char *fz_strdup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL) abort();
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A call over an empty request (*req, zeroed, with its pool) as a handler
 * sees one before reading anything: no server, no loop.  fz_call_close
 * clears the pool and frees the call. */
static inline rg_call *fz_call_open(h2o_req_t *req)
{
    rg_call *c = calloc(1, sizeof *c);
    if (c == NULL) abort();
    memset(req, 0, sizeof *req);
    h2o_mem_init_pool(&req->pool);
    c->req = req;
    return c;
}

static inline void fz_call_close(rg_call *c)
{
    h2o_mem_clear_pool(&c->req->pool);
    free(c);
}

#endif

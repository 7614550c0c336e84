/* fuzz_basic.c - HTTP Basic credentials (rg_auth_basic_parts in
 * src/http/auth.c) and the base64 decoders under them (src/core/b64.c).
 *
 * Input: the Authorization header's value.  Checked: user and password
 * come out NUL-terminated, without NUL bytes, and re-encode to what was
 * sent; whatever either base64 decoder accepts re-encodes to bytes that
 * decode back to the same value. */
#include "core/b64.h"
#include "core/errors.h"
#include "fuzz.h"

static void check_b64(const char *s, size_t n)
{
    uint8_t *dec = malloc(n + 4), *again = malloc(n + 4);
    char *enc = malloc(n * 2 + 8);
    size_t dl, al, el;
    if (dec == NULL || again == NULL || enc == NULL) abort();
    if (rg_b64_decode(dec, n + 3, s, n, &dl) == RG_OK) {
        FZ_ASSERT(dl <= n);
        el = rg_b64_encode(enc, dec, dl);
        FZ_ASSERT(rg_b64_decode(again, n + 3, enc, el, &al) == RG_OK);
        FZ_ASSERT(al == dl && memcmp(again, dec, dl) == 0);
    }
    if (rg_b64url_decode(dec, n + 3, s, n, &dl) == RG_OK) {
        FZ_ASSERT(dl <= n);
        el = rg_b64url_encode(enc, dec, dl);
        FZ_ASSERT(el == rg_b64url_len(dl) && el <= n);
        FZ_ASSERT(rg_b64url_decode(again, n + 3, enc, el, &al) == RG_OK);
        FZ_ASSERT(al == dl && memcmp(again, dec, dl) == 0);
    }
    free(dec);
    free(again);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    h2o_req_t req;
    rg_call *c = fz_call_open(&req);
    char *value = fz_strdup(data, size);
    const char *user, *pass;
    size_t ulen, plen;

    h2o_add_header(&req.pool, &req.headers, H2O_TOKEN_AUTHORIZATION, NULL, value, size);
    if (rg_auth_basic_parts(c, &user, &ulen, &pass, &plen) == 0) {
        FZ_ASSERT(user[ulen] == '\0' && pass[plen] == '\0');
        FZ_ASSERT(strlen(user) == ulen && strlen(pass) == plen);
        FZ_ASSERT(size > 6 && ulen + plen + 1 <= size);
    }
    check_b64(value, size);

    fz_call_close(c);
    free(value);
    return 0;
}

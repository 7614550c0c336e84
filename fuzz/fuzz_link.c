/* fuzz_link.c - the signed media link's query (GET /media/{RE}?exp=&nonce=
 * &sig=): parsed as playback/media.c does (rg_params_parse on the query, then
 * rg_param), verified by rg_link_verify (src/core/link.c) under a fixed key
 * at FZ_NOW.
 *
 * Input: a mode byte, then the query string.  Odd mode appends the right
 * signature for the query's exp and nonce (when exp is a number), so the
 * paths behind the signature check get fuzzed too.  Checked: an accepted
 * link says its expiry truthfully, and no link verifies for another
 * recording. */
#include <inttypes.h>

#include "core/link.h"
#include "fuzz.h"

#define SID "RE00000000000000000000000000000001"
#define OTHER "RE00000000000000000000000000000002"

static const uint8_t KEY[RG_LINK_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const char *const P_EXP[] = {"exp", NULL};
static const char *const P_NONCE[] = {"nonce", NULL};
static const char *const P_SIG[] = {"sig", NULL};

static rg_link_status verify(rg_call *c, const char *sid, int64_t *exp)
{
    size_t el = 0, nl = 0, sl = 0;
    const char *e = rg_param(c, P_EXP, &el), *n = rg_param(c, P_NONCE, &nl),
               *s = rg_param(c, P_SIG, &sl);
    return rg_link_verify(fz_hmac(), KEY, sid, e, el, n, nl, s, sl, FZ_NOW, exp);
}

/* "<query>&sig=<the signature for its exp and nonce>", or NULL. */
static char *signed_query(rg_call *c, const char *q, size_t n, int64_t *signed_exp, size_t *len)
{
    const char *e = rg_param(c, P_EXP, NULL), *nonce = rg_param(c, P_NONCE, NULL);
    char sig[RG_LINK_SIG_LEN + 1], *end, *out;
    long long exp;
    if (e == NULL || nonce == NULL || strlen(nonce) > 64) return NULL;
    exp = strtoll(e, &end, 10);
    if (*end != '\0' || rg_link_sign(fz_hmac(), KEY, SID, exp, nonce, sig) != 0) return NULL;
    if ((out = malloc(n + sizeof sig + 6)) == NULL) abort();
    memcpy(out, q, n);
    memcpy(out + n, "&sig=", 5);
    memcpy(out + n + 5, sig, sizeof sig);
    *signed_exp = exp;
    *len = n + 5 + RG_LINK_SIG_LEN;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t mode = fz_byte(&in);
    char *q = fz_strdup(in.p, in.n), *sq = NULL;
    int64_t exp = 0, signed_exp = INT64_MIN;
    size_t sqlen = 0;
    h2o_req_t req;
    rg_call *c = fz_call_open(&req);

    if (rg_params_parse(c, q, in.n, 0) != 0) goto done;
    if ((mode & 1) && (sq = signed_query(c, q, in.n, &signed_exp, &sqlen)) != NULL) {
        c->nparams = 0;
        if (rg_params_parse(c, sq, sqlen, 0) != 0) goto done;
    }
    rg_link_status st = verify(c, SID, &exp);
    if (st == RG_LINK_OK) FZ_ASSERT(exp >= FZ_NOW);
    if (st == RG_LINK_EXPIRED) FZ_ASSERT(exp < FZ_NOW);
    if (st != RG_LINK_BAD && sq != NULL) FZ_ASSERT(exp == signed_exp);
    FZ_ASSERT(verify(c, OTHER, &exp) == RG_LINK_BAD);

done:
    fz_call_close(c);
    free(q);
    free(sq);
    return 0;
}

/* fuzz_params.c - request parameters (src/http/params.c): form data, as in
 * a query string or a form body, and JSON bodies, parsed into the request
 * pool the way rg_call_params does, then looked up as the handlers do.
 *
 * Input: a mode byte (bit 0: the payload is a JSON body, else form data;
 * bit 1: a query string, the same bytes as form data, is parsed first, so
 * the two lists merge), then the payload.  Checked: every value is
 * NUL-terminated at its length, a JSON string with a NUL is flagged, never
 * more than RG_MAX_PARAMS are kept, and lookups find the last of a name. */
#include "core/jsonw.h"
#include "fuzz.h"

static const char *const P_IDENTITY[] = {"Identity", "identity", NULL};
static const char *const P_TTL[] = {"Ttl", NULL};

static void check(rg_call *c, int json)
{
    FZ_ASSERT(c->nparams <= RG_MAX_PARAMS);
    for (size_t i = 0; i < c->nparams; i++) {
        const rg_param_kv *p = &c->params[i];
        FZ_ASSERT(p->name.base != NULL && p->name.base[p->name.len] == '\0');
        if (p->bad_type) continue;
        FZ_ASSERT(p->value.base != NULL && p->value.base[p->value.len] == '\0');
        if (json) FZ_ASSERT(memchr(p->value.base, '\0', p->value.len) == NULL);
        (void)rg_text_valid(p->value.base, p->value.len);
    }
    size_t len = 0;
    const char *v = rg_param(c, P_IDENTITY, &len);
    if (v != NULL) FZ_ASSERT(v[len] == '\0');
    (void)rg_param(c, P_TTL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t mode = fz_byte(&in);
    int json = mode & 1;
    char *text = fz_strdup(in.p, in.n);
    h2o_req_t req;
    rg_call *c = fz_call_open(&req);

    if ((mode & 2) == 0 || rg_params_parse(c, text, in.n, 0) == 0) {
        size_t before = c->nparams;
        if (rg_params_parse(c, text, in.n, json) == 0)
            check(c, json);
        else
            FZ_ASSERT(c->nparams <= RG_MAX_PARAMS && c->nparams >= before);
    }

    fz_call_close(c);
    free(text);
    return 0;
}

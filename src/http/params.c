/* params.c - request parameters: the query string and the body, form-encoded
 * (Twilio's clients) or JSON (everyone else), flattened into one list of
 * NUL-terminated name/value strings in the request pool.
 *
 * Lookups scan from the end, so a body parameter overrides a query one. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/swar.h"
#include "core/sid.h"
#include "http/call.h"

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* application/x-www-form-urlencoded decoding ('+' is a space).  Returns -1
 * on a malformed or NUL-producing escape. */
static int form_decode(h2o_mem_pool_t *pool, const char *s, size_t n, h2o_iovec_t *out)
{
    char *d = h2o_mem_alloc_pool(pool, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            d[j++] = ' ';
        } else if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n) return -1;
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
            d[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[j++] = s[i];
        }
    }
    d[j] = '\0';
    *out = h2o_iovec_init(d, j);
    return 0;
}

static int add_param(rg_call *c, h2o_iovec_t name, h2o_iovec_t value, int bad_type)
{
    if (c->nparams == RG_MAX_PARAMS) return -1;
    c->params[c->nparams++] = (rg_param_kv){name, value, bad_type};
    return 0;
}

static int parse_form(rg_call *c, const char *s, size_t n)
{
    const char *end = s + n;
    while (s < end) {
        const char *amp = memchr(s, '&', (size_t)(end - s));
        const char *stop = amp ? amp : end;
        if (stop > s) {
            const char *eq = memchr(s, '=', (size_t)(stop - s));
            const char *vs = eq ? eq + 1 : stop;
            h2o_iovec_t name, value;
            if (form_decode(&c->req->pool, s, (size_t)((eq ? eq : stop) - s), &name) != 0 ||
                form_decode(&c->req->pool, vs, (size_t)(stop - vs), &value) != 0 ||
                add_param(c, name, value, 0) != 0)
                return -1;
        }
        s = stop + 1;
    }
    return 0;
}

static h2o_iovec_t pool_str(rg_call *c, const char *s, size_t n)
{
    char *d = h2o_mem_alloc_pool(&c->req->pool, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return h2o_iovec_init(d, n);
}

/* One JSON member as a string value; arrays, objects and strings with an
 * embedded NUL are kept as "bad type" so the handler can answer 400. */
static int add_json_member(rg_call *c, const char *key, json_t *v)
{
    char num[64];
    h2o_iovec_t name = pool_str(c, key, strlen(key)), value = {NULL, 0};
    int bad = 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (strlen(json_string_value(v)) != json_string_length(v))
            bad = 1;
        else
            value = pool_str(c, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        value = pool_str(c, num, strlen(num));
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        value = pool_str(c, num, strlen(num));
        break;
    case JSON_TRUE:
        value = pool_str(c, "true", 4);
        break;
    case JSON_FALSE:
        value = pool_str(c, "false", 5);
        break;
    case JSON_NULL:
        return 0; /* null is "absent" */
    default:
        bad = 1;
    }
    return add_param(c, name, value, bad);
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A string of printable ASCII without escapes at *pp; its bytes. */
static int plain_str(const char **pp, const char *end, const char **s, size_t *n)
{
    const char *p = *pp;
    if (p >= end || *p != '"') return 0;
    *s = ++p;
    /* eight bytes at a time up to the first that ends or spoils a plain
     * string (a token is ~400 bytes: bytewise this was 3.6 % of a cached
     * POST validate's server CPU); the loop below decides that byte */
    while (end - p >= 8) {
        uint64_t v = rg_swar_load(p);
        uint64_t stop = rg_swar_eq(v, '"') | rg_swar_eq(v, '\\') | rg_swar_eq(v, 0x7f) |
                        rg_swar_lt(v, 0x20) | (v & RG_SWAR_HIGH);
        if (stop != 0) {
            p += rg_swar_first(stop);
            break;
        }
        p += 8;
    }
    while (p < end && *p != '"') {
        if (*p < 0x20 || *p > 0x7e || *p == '\\') return 0;
        p++;
    }
    if (p >= end) return 0;
    *n = (size_t)(p - *s);
    *pp = p + 1;
    return 1;
}

/* The common body, a flat object of plain ASCII strings such as
 * {"token":"eyJ..."}, read without a DOM: jansson lexes a token's 400 chars
 * one by one and would cost more than validating it.  Returns 1 with the
 * members added exactly as jansson's path adds them, or 0 having added
 * nothing when the body is anything else (escapes, non-ASCII, other
 * values, duplicate keys, too many, bad syntax): jansson then decides. */
static int parse_flat_json(rg_call *c, const char *s, size_t n)
{
    const char *p = s, *end = s + n, *k, *v;
    size_t kn, vn, start = c->nparams;
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return 0;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') return skip_ws(p + 1, end) == end;
    for (;;) {
        if (!plain_str(&p, end, &k, &kn)) break;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') break;
        p = skip_ws(p + 1, end);
        if (!plain_str(&p, end, &v, &vn) || c->nparams == RG_MAX_PARAMS) break;
        size_t i = start;
        while (i < c->nparams &&
               !(c->params[i].name.len == kn && memcmp(c->params[i].name.base, k, kn) == 0))
            i++;
        if (i < c->nparams) break; /* a duplicate: jansson refuses the body */
        add_param(c, pool_str(c, k, kn), pool_str(c, v, vn), 0);
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}' && skip_ws(p + 1, end) == end) return 1;
        break;
    }
    c->nparams = start;
    return 0;
}

static int parse_json(rg_call *c, const char *s, size_t n)
{
    json_error_t err;
    json_t *root, *v;
    const char *key;
    int rc = 0;
    if (parse_flat_json(c, s, n)) return 0;
    root = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    json_object_foreach(root, key, v)
    {
        if ((rc = add_json_member(c, key, v)) != 0) break;
    }
    json_decref(root);
    return rc;
}

static int body_is_json(rg_call *c)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i != -1) {
        h2o_iovec_t ct = c->req->headers.entries[i].value;
        return h2o_strstr(ct.base, ct.len, H2O_STRLIT("json")) != SIZE_MAX;
    }
    for (size_t k = 0; k < c->req->entity.len; k++)
        if (!isspace((unsigned char)c->req->entity.base[k])) return c->req->entity.base[k] == '{';
    return 0;
}

static int parse_query(rg_call *c)
{
    h2o_req_t *req = c->req;
    if (req->query_at != SIZE_MAX &&
        parse_form(c, req->path.base + req->query_at + 1, req->path.len - req->query_at - 1)) {
        rg_reply_error(c, 400, 21601, "Malformed query string");
        return -1;
    }
    return 0;
}

int rg_call_query_params(rg_call *c)
{
    if (c->params_parsed) return 0;
    c->params_parsed = 1;
    return parse_query(c);
}

int rg_call_params(rg_call *c)
{
    h2o_req_t *req = c->req;
    if (c->params_parsed) return 0;
    c->params_parsed = 1;
    if (parse_query(c) != 0) return -1;
    if (req->entity.base == NULL || req->entity.len == 0) return 0;
    if (body_is_json(c) ? parse_json(c, req->entity.base, req->entity.len)
                        : parse_form(c, req->entity.base, req->entity.len)) {
        rg_reply_error(c, 400, 21601,
                       "Malformed request body: expected a JSON object or form data");
        return -1;
    }
    return 0;
}

static const rg_param_kv *find_param(rg_call *c, const char *const *names)
{
    for (size_t i = c->nparams; i-- > 0;)
        for (const char *const *n = names; *n != NULL; n++)
            if (rg_iov_eq(c->params[i].name, *n)) return &c->params[i];
    return NULL;
}

const char *rg_param(rg_call *c, const char *const *names, size_t *len)
{
    const rg_param_kv *p = find_param(c, names);
    if (p == NULL || p->bad_type) return NULL;
    if (len) *len = p->value.len;
    return p->value.base;
}

int rg_param_int(rg_call *c, const char *const *names, int64_t min, int64_t max, int64_t dflt,
                 int64_t *out)
{
    const rg_param_kv *p = find_param(c, names);
    char *end;
    long long v;
    if (p == NULL) {
        *out = dflt;
        return 0;
    }
    if (p->bad_type || p->value.len == 0 || p->value.len > 19) goto bad;
    for (size_t i = 0; i < p->value.len; i++)
        if (!isdigit((unsigned char)p->value.base[i]) && !(i == 0 && p->value.base[0] == '-'))
            goto bad;
    v = strtoll(p->value.base, &end, 10);
    if (*end != '\0' || v < min || v > max) goto bad;
    *out = v;
    return 0;
bad:
    rg_reply_error(c, 400, 21603, "Invalid parameter %s: expected an integer from %lld to %lld",
                   names[0], (long long)min, (long long)max);
    return -1;
}

int rg_param_text(rg_call *c, const char *const *names, int required, size_t maxlen,
                  const char **out)
{
    const rg_param_kv *p = find_param(c, names);
    *out = NULL;
    if (p == NULL || (!p->bad_type && p->value.len == 0 && required == RG_PARAM_OPTIONAL)) {
        if (required != RG_PARAM_REQUIRED) return 0;
        rg_reply_error(c, 400, 21602, "Missing required parameter %s", names[0]);
        return -1;
    }
    if (p->bad_type || p->value.len == 0 || p->value.len > maxlen ||
        !rg_text_valid(p->value.base, p->value.len)) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter %s: 1 to %zu bytes of UTF-8 without control characters",
                       names[0], maxlen);
        return -1;
    }
    *out = p->value.base;
    return 0;
}

const char *rg_arg_text(rg_call *c, size_t i, size_t maxlen)
{
    h2o_iovec_t a;
    if (i >= c->nargs) return NULL;
    a = c->args[i];
    if (a.len == 0 || a.len > maxlen || !rg_text_valid(a.base, a.len)) return NULL;
    return pool_str(c, a.base, a.len).base;
}

int rg_arg_sid(rg_call *c, size_t i, const char prefix[2], char sid[RG_SID_SIZE])
{
    if (i >= c->nargs || !rg_sid_valid(c->args[i].base, c->args[i].len, prefix)) return -1;
    memcpy(sid, c->args[i].base, RG_SID_LEN);
    sid[RG_SID_LEN] = '\0';
    return 0;
}

int rg_params_parse(rg_call *c, const char *s, size_t n, int json)
{
    return json ? parse_json(c, s, n) : parse_form(c, s, n);
}

/* page.c - Page/PageSize read with their bounds, the base of the links in
 * an answer (--public-url, a vouched Host, else relative), the demo's
 * loopback-Host check, one page of a store listing turned to JSON items,
 * and Twilio's page objects (v1 with its filters percent-encoded, and the
 * 2010 API's) with their paging URLs.  Contract: page.h. */
#include "api/page.h"

#include <ctype.h>
#include <stdio.h>

#include "core/errors.h"

static const char *const P_PAGE_SIZE[] = {"PageSize", "page_size", NULL};
static const char *const P_PAGE[] = {"Page", "page", NULL};

int rg_page_params_upto(rg_call *c, rg_page *pg, int64_t max_size)
{
    if (rg_param_int(c, P_PAGE_SIZE, 1, max_size, max_size < 50 ? max_size : 50, &pg->size) != 0 ||
        rg_param_int(c, P_PAGE, 0, 1000000, 0, &pg->page) != 0)
        return -1;
    return 0;
}

int rg_page_params(rg_call *c, rg_page *pg)
{
    return rg_page_params_upto(c, pg, 1000);
}

/* host, host:port, [v6]:port: letters, digits and . - _ : [ ] only. */
static int authority_ok(h2o_iovec_t a)
{
    if (a.len == 0 || a.len > 255) return 0;
    for (size_t i = 0; i < a.len; i++) {
        unsigned char ch = (unsigned char)a.base[i];
        if (!isalnum(ch) && !strchr(".-_:[]", ch)) return 0;
    }
    return 1;
}

int rg_host_vouched(rg_call *c)
{
    const rg_serve_config *cfg = &c->w->app->cfg;
    rg_host h;
    return rg_req_host(c->req, &h) == 0 &&
           (rg_host_is_loopback(&h) || rg_host_is(&h, cfg->listen_host) ||
            (cfg->playback.allowed_hosts && rg_host_in_list(&h, cfg->playback.allowed_hosts)));
}

const char *rg_base_url(rg_call *c)
{
    h2o_req_t *req = c->req;
    const char *pub = c->w->app->cfg.playback.public_url;
    const h2o_url_scheme_t *scheme = req->scheme ? req->scheme : req->input.scheme;
    const char *name = scheme == &H2O_URL_SCHEME_HTTPS ? "https" : "http";
    size_t cap;
    char *buf;
    if (pub != NULL) { /* the operator's name for us, whatever the request says */
        size_t n = strlen(pub);
        while (n > 0 && pub[n - 1] == '/')
            n--;
        return h2o_strdup(&req->pool, pub, n).base;
    }
    /* a Host nobody vouched for: links relative to wherever the client
     * sent this request, never to a name it chose */
    if (!rg_host_vouched(c) || !authority_ok(req->authority)) return "";
    cap = strlen(name) + 3 + req->authority.len + 1;
    buf = h2o_mem_alloc_pool(&req->pool, cap);
    snprintf(buf, cap, "%s://%.*s", name, (int)req->authority.len, req->authority.base);
    return buf;
}

int rg_req_host(h2o_req_t *req, rg_host *out)
{
    return rg_host_parse(req->authority.base, req->authority.len, out);
}

int rg_demo_host_check(rg_call *c)
{
    rg_host h;
    if (rg_req_host(c->req, &h) == 0 && rg_host_is_loopback(&h)) return 0;
    rg_reply_error(c, 403, 20403,
                   "The demo answers only a loopback Host (localhost, 127.0.0.1, [::1]); "
                   "open it as http://localhost:PORT/");
    return -1;
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static size_t put_encoded(char *dst, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            dst[n++] = (char)ch;
        } else {
            dst[n++] = '%';
            dst[n++] = hex[ch >> 4];
            dst[n++] = hex[ch & 15];
        }
    }
    return n;
}

/* base + path + "?" + filters + "PageSize=..&Page=..", in the pool. */
static json_t *page_url(rg_call *c, const char *base, const char *path, const char *const *filters,
                        int64_t size, int64_t page)
{
    size_t cap = strlen(base) + strlen(path) + 64, n;
    for (const char *const *f = filters; f[0]; f += 2)
        if (f[1]) cap += strlen(f[0]) + 3 * strlen(f[1]) + 2;
    char *buf = h2o_mem_alloc_pool(&c->req->pool, cap);
    n = (size_t)snprintf(buf, cap, "%s%s?", base, path);
    for (const char *const *f = filters; f[0]; f += 2) {
        if (!f[1]) continue;
        n += (size_t)snprintf(buf + n, cap - n, "%s=", f[0]);
        n += put_encoded(buf + n, f[1]);
        buf[n++] = '&';
    }
    snprintf(buf + n, cap - n, "PageSize=%lld&Page=%lld", (long long)size, (long long)page);
    return json_string(buf);
}

json_t *rg_page_json(rg_call *c, const char *key, json_t *items, const char *path,
                     const char *const *filters, const rg_page *pg, int more)
{
    const char *base = rg_base_url(c);
    json_t *meta = json_pack("{s:I, s:I, s:o, s:o, s:s}", "page", (json_int_t)pg->page, "page_size",
                             (json_int_t)pg->size, "first_page_url",
                             page_url(c, base, path, filters, pg->size, 0), "url",
                             page_url(c, base, path, filters, pg->size, pg->page), "key", key);
    json_object_set_new(meta, "previous_page_url",
                        pg->page > 0 ? page_url(c, base, path, filters, pg->size, pg->page - 1)
                                     : json_null());
    json_object_set_new(meta, "next_page_url",
                        more ? page_url(c, base, path, filters, pg->size, pg->page + 1)
                             : json_null());
    return json_pack("{s:o, s:o}", key, items, "meta", meta);
}

void rg_page_rows_init(rg_call *c, const rg_page *pg, size_t row_size, rg_page_rows *r)
{
    r->row_size = row_size;
    r->offset = (size_t)(pg->page * pg->size);
    r->limit = (size_t)pg->size;
    r->rows = h2o_mem_alloc_pool(&c->req->pool, row_size * r->limit);
    r->count = 0;
    r->more = 0;
}

json_t *rg_page_items(rg_call *c, int rc, const char *what, const rg_page_rows *r,
                      rg_row_json_fn row_json, const void *ud)
{
    json_t *items = rc == RG_OK ? json_array() : NULL;
    if (items == NULL) {
        rg_reply_error(c, 503, 20500, "Could not %s; try again", what);
        return NULL;
    }
    for (size_t i = 0; i < r->count; i++)
        json_array_append_new(items, row_json(c, (const char *)r->rows + i * r->row_size, ud));
    return items;
}

json_t *rg_page_json_2010(rg_call *c, const char *key, json_t *items, const char *path,
                          const rg_page *pg, size_t count, int more)
{
    static const char *const none[] = {NULL};
    int64_t start = pg->page * pg->size;
    json_t *body =
        json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o}", key, items, "page", (json_int_t)pg->page,
                  "page_size", (json_int_t)pg->size, "start", (json_int_t)start, "end",
                  (json_int_t)(start + (int64_t)count - (count ? 1 : 0)), "uri",
                  page_url(c, "", path, none, pg->size, pg->page), "first_page_uri",
                  page_url(c, "", path, none, pg->size, 0));
    json_object_set_new(body, "previous_page_uri",
                        pg->page > 0 ? page_url(c, "", path, none, pg->size, pg->page - 1)
                                     : json_null());
    json_object_set_new(body, "next_page_uri",
                        more ? page_url(c, "", path, none, pg->size, pg->page + 1) : json_null());
    return body;
}

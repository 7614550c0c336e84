/* router.c - a flat route table matched segment by segment.
 *
 * A few dozen routes do not need a trie; a linear scan over short patterns
 * is faster than anything clever.  The table is every module's routes in
 * list order (rg_modules_routes, made once at start; `roomgate routes`
 * prints it). */
#include <stdio.h>

#include "http/router.h"

#include "http/fiber.h"

/* Matches one pattern segment against one path segment. */
static int match_segment(const char *pat, size_t plen, const char *seg, size_t slen, rg_call *c)
{
    const char *close;
    size_t suffix;
    if (plen == 0 || pat[0] != '{') return plen == slen && memcmp(pat, seg, slen) == 0;
    close = memchr(pat, '}', plen);
    suffix = plen - (size_t)(close - pat) - 1;
    if (slen <= suffix || memcmp(seg + slen - suffix, close + 1, suffix) != 0) return 0;
    if (c->nargs == RG_MAX_ARGS) return 0;
    c->args[c->nargs++] = h2o_iovec_init(seg, slen - suffix);
    return 1;
}

static int match_path(const char *pattern, h2o_iovec_t path, rg_call *c)
{
    const char *p = pattern, *s = path.base, *pend = pattern + strlen(pattern),
               *send = path.base + path.len;
    c->nargs = 0;
    while (p < pend && s < send) {
        const char *pn, *sn;
        if (*p != '/' || *s != '/') return 0;
        p++, s++;
        pn = memchr(p, '/', (size_t)(pend - p));
        sn = memchr(s, '/', (size_t)(send - s));
        if (!pn) pn = pend;
        if (!sn) sn = send;
        if (!match_segment(p, (size_t)(pn - p), s, (size_t)(sn - s), c)) return 0;
        p = pn, s = sn;
    }
    return p == pend && s == send;
}

static int method_is(h2o_iovec_t m, const char *want)
{
    if (rg_iov_eq(m, want)) return 1;
    return rg_iov_eq(m, "HEAD") && strcmp(want, "GET") == 0;
}

int rg_route_find(const rg_route *routes, h2o_iovec_t path, h2o_iovec_t method)
{
    rg_call scratch; /* match_path's captures land here */
    scratch.nargs = 0;
    for (int i = 0; routes[i].method != NULL; i++)
        if (match_path(routes[i].pattern, path, &scratch) && method_is(method, routes[i].method))
            return i;
    return -1;
}

void rg_route_dispatch(rg_call *c)
{
    char allow[64] = "";
    size_t alen = 0;
    for (const rg_route *r = c->w->app->routes; r->method != NULL; r++) {
        if (!match_path(r->pattern, c->req->path_normalized, c)) continue;
        if (method_is(c->req->method, r->method)) {
            if (!c->w->fibers || (r->flags & (RG_ROUTE_WS | RG_ROUTE_LOOP)))
                r->fn(c);
            else if (rg_fiber_call(c->w->fibers, c, r->fn) != 0) /* may wait for the store */
                rg_reply_error(c, 503, 20500,
                               "Too many requests are waiting for the database; try again");
            return;
        }
        alen += (size_t)snprintf(allow + alen, sizeof allow - alen, "%s%s", alen ? ", " : "",
                                 r->method);
        if (alen >= sizeof allow) alen = sizeof allow - 1;
    }
    if (alen > 0) {
        h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       h2o_strdup(&c->req->pool, allow, alen).base, alen);
        rg_reply_error(c, 405, 20004, "Method not allowed");
        return;
    }
    rg_reply_error(c, 404, 20404, "The requested resource was not found");
}

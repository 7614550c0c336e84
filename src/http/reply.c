/* reply.c - JSON answers and Twilio-shaped errors.
 *
 * Every answer is sent in one piece from the request pool.  Answers are
 * marked no-store: most of them carry tokens or secrets. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonw.h"
#include "core/timefmt.h"
#include "http/call.h"

static const char *reason_of(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Error" : "Internal Server Error";
    }
}

static void send_body(rg_call *c, int status, const char *body, size_t len)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_req_t *req = c->req;
    if (c->gone) return; /* its client left while a fiber waited (http/fiber.h) */
    h2o_iovec_t buf = h2o_iovec_init(body, len);
    req->res.status = status;
    req->res.reason = reason_of(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    if (len > 0 || status != 204)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/json; charset=utf-8"));
    req->res.content_length = len;
    h2o_start_response(req, &generator);
    h2o_send(req, &buf, len ? 1 : 0, H2O_SEND_STATE_FINAL);
}

void rg_reply_pooled(rg_call *c, int status, const char *body, size_t len)
{
    send_body(c, status, body, len);
}

void rg_reply_raw(rg_call *c, int status, const char *json, size_t len)
{
    char *copy = h2o_mem_alloc_pool(&c->req->pool, len + 1);
    memcpy(copy, json, len);
    copy[len] = '\n';
    send_body(c, status, copy, len + 1);
}

/* One pass in the common case: dump into a pool buffer that fits most
 * answers, and only when it does not, dump again into one of exact size. */
size_t rg_json_dump_pool(rg_call *c, json_t *v, char **out)
{
    size_t cap = 2048, len;
    char *buf = h2o_mem_alloc_pool(&c->req->pool, cap);
    len = json_dumpb(v, buf, cap - 1, JSON_COMPACT);
    if (len > cap - 1) {
        buf = h2o_mem_alloc_pool(&c->req->pool, len + 1);
        json_dumpb(v, buf, len, JSON_COMPACT);
    }
    buf[len] = '\0';
    *out = buf;
    return len;
}

void rg_reply_json(rg_call *c, int status, json_t *body)
{
    char *buf;
    size_t len = rg_json_dump_pool(c, body, &buf);
    json_decref(body);
    buf[len] = '\n'; /* replaces the NUL: the body is sent with its length */
    send_body(c, status, buf, len + 1);
}

void rg_reply_empty(rg_call *c, int status)
{
    send_body(c, status, "", 0);
}

/* A 503 of the store's (20500) while its database server is out of reach
 * says so: the client learns it is an outage to wait out, not a bug. */
static const char STORE_DOWN[] = " (the store is unavailable: its database cannot be reached)";

void rg_reply_error(rg_call *c, int status, int code, const char *fmt, ...)
{
    char msg[512], info[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status == 503 && code == 20500 && n >= 0 && (size_t)n + sizeof STORE_DOWN <= sizeof msg &&
        c->w && c->w->app && c->w->app->store && !rg_store_reachable(c->w->app->store))
        memcpy(msg + n, STORE_DOWN, sizeof STORE_DOWN);
    snprintf(info, sizeof info, "https://www.twilio.com/docs/errors/%d", code);
    rg_reply_json(c, status,
                  json_pack("{s:i, s:s, s:s, s:i}", "code", code, "message", msg, "more_info", info,
                            "status", status));
}

/* The path is percent-decoded: it is echoed only when it is valid text
 * (jansson refuses invalid UTF-8, and control bytes help nobody). */
void rg_reply_not_found(rg_call *c)
{
    h2o_iovec_t path = c->req->path_normalized;
    size_t n = path.len > 128 ? 128 : path.len;
    while (n > 0 && !rg_utf8_valid(path.base, n)) /* do not cut a character in two */
        n--;
    if (n == 0 || !rg_text_valid(path.base, n)) {
        rg_reply_error(c, 404, 20404, "The requested resource was not found");
        return;
    }
    rg_reply_error(c, 404, 20404, "The requested resource %.*s was not found", (int)n, path.base);
}

const char *rg_fmt_iso8601(rg_call *c, int64_t t)
{
    return rg_time_iso8601(t, h2o_mem_alloc_pool(&c->req->pool, RG_TIMEFMT_SIZE));
}

const char *rg_fmt_rfc2822(rg_call *c, int64_t t)
{
    return rg_time_rfc2822(t, h2o_mem_alloc_pool(&c->req->pool, RG_TIMEFMT_SIZE));
}

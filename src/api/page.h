/* page.h - absolute URLs and the paging of Twilio's v1 APIs (Video):
 *   {"rooms": [...], "meta": {"page", "page_size", "first_page_url",
 *    "previous_page_url", "next_page_url", "url", "key": "rooms"}}
 * Twilio's client libraries follow meta.next_page_url as given, so the
 * URLs are absolute: --public-url, or the request's scheme and a Host the
 * operator vouches for; for any other Host they are relative. */
#ifndef RG_API_PAGE_H
#define RG_API_PAGE_H

#include "core/hostname.h"
#include "http/call.h"

typedef struct {
    int64_t page, size; /* Page (0..), PageSize (1..1000, default 50) */
} rg_page;

/* Reads Page and PageSize; answers 400 and returns -1 when out of range. */
int rg_page_params(rg_call *c, rg_page *pg);
/* The same with PageSize 1..max_size (a list of large rows): the 400's
 * message names that bound, so the document, the error and the behaviour
 * agree. */
int rg_page_params_upto(rg_call *c, rg_page *pg, int64_t max_size);

/* 1 when the request's Host is one the operator vouches for: loopback,
 * the --listen address, or an entry of --allowed-hosts (docs/security.md
 * "Host header"). */
int rg_host_vouched(rg_call *c);

/* The base of every link in an answer (paging URLs, a resource's url and
 * links; a pool or static string, no trailing '/'): --public-url when set;
 * else "http(s)://Host" when rg_host_vouched; else "" so the links are
 * relative (a path), never to a name the client chose (docs/security.md
 * "Links in answers"). */
const char *rg_base_url(rg_call *c);

/* The request's Host (HTTP/2's :authority), parsed exactly as
 * core/hostname.h says; -1 when absent or malformed. */
int rg_req_host(h2o_req_t *req, rg_host *out);

/* The anonymous --demo routes (GET /token and GET /get-token without
 * credentials, /demo-api/recordings, the /demo/ pages) answer loopback Host
 * names only, so DNS rebinding (attacker.example resolving to 127.0.0.1)
 * cannot reach them from a web page.  0 when the request may go on; else
 * answers 403 / 20403 and returns -1. */
int rg_demo_host_check(rg_call *c);

/* The page object: {key: items, "meta": {...}}.  path is the route
 * ("/v1/Rooms"); filters is a NULL-terminated list of name, value pairs
 * repeated in the URLs (pairs with a NULL value are skipped; values are
 * percent-encoded).  Steals items. */
json_t *rg_page_json(rg_call *c, const char *key, json_t *items, const char *path,
                     const char *const *filters, const rg_page *pg, int more);

/* One page of a store listing.  rg_page_rows_init gives room for the
 * page's rows (pg->size of row_size bytes, in the request's pool) and the
 * window the store's list call reads (offset, limit); that call sets count
 * and more (1: another page follows). */
typedef struct {
    void *rows;
    size_t row_size, offset, limit;
    size_t count;
    int more;
} rg_page_rows;

void rg_page_rows_init(rg_call *c, const rg_page *pg, size_t row_size, rg_page_rows *r);

/* One row as JSON (NULL without memory); ud is the caller's, passed on. */
typedef json_t *(*rg_row_json_fn)(rg_call *c, const void *row, const void *ud);

/* The items of a page the store read with result rc: a JSON array of
 * row_json(c, row, ud) for each of r's count rows.  NULL after answering
 * 503 / 20500 "Could not <what>; try again" when rc is not RG_OK (or
 * without memory). */
json_t *rg_page_items(rg_call *c, int rc, const char *what, const rg_page_rows *r,
                      rg_row_json_fn row_json, const void *ud);

/* The page object of Twilio's 2010 API (the Keys resource):
 * {key: items, "page", "page_size", "start", "end", "uri",
 *  "first_page_uri", "previous_page_uri", "next_page_uri"}, count being
 * how many items the page holds.  Its URIs are relative (path plus
 * PageSize and Page), as Twilio's are.  Steals items. */
json_t *rg_page_json_2010(rg_call *c, const char *key, json_t *items, const char *path,
                          const rg_page *pg, size_t count, int more);

#endif

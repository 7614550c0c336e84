/* page.h - absolute URLs and the paging of Twilio's v1 APIs (Video):
 *   {"rooms": [...], "meta": {"page", "page_size", "first_page_url",
 *    "previous_page_url", "next_page_url", "url", "key": "rooms"}}
 * Twilio's client libraries follow meta.next_page_url as given, so the
 * URLs are absolute, built from the request's scheme and Host. */
#ifndef RG_HTTP_PAGE_H
#define RG_HTTP_PAGE_H

#include "http/call.h"

typedef struct {
    int64_t page, size; /* Page (0..), PageSize (1..1000, default 50) */
} rg_page;

/* Reads Page and PageSize; answers 400 and returns -1 when out of range. */
int rg_page_params(rg_call *c, rg_page *pg);

/* "http://host:port" or "https://...", from the request (pool string).  A
 * Host header with characters no host name has is replaced by
 * "localhost", so it cannot smuggle anything into the links. */
const char *rg_base_url(rg_call *c);

/* The page object: {key: items, "meta": {...}}.  path is the route
 * ("/v1/Rooms"); filters is a NULL-terminated list of name, value pairs
 * repeated in the URLs (pairs with a NULL value are skipped; values are
 * percent-encoded).  Steals items. */
json_t *rg_page_json(rg_call *c, const char *key, json_t *items, const char *path,
                     const char *const *filters, const rg_page *pg, int more);

#endif

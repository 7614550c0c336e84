/* router.h - a generic router: method + path pattern -> handler, over the
 * table the modules' routes make (http/module.h). */
#ifndef RG_HTTP_ROUTER_H
#define RG_HTTP_ROUTER_H

#include "http/call.h"

/* What a route is, for the server and for readers (`roomgate routes
 * --flags` prints them; tests/api/routes.test.js holds each to what the
 * route does). */
enum {
    /* answers 401 without credentials in Authorization (Basic, or a token;
     * /token without --demo too); /sec_rec and /media carry theirs in the
     * query (a token parameter, a signed link) */
    RG_ROUTE_AUTH = 1,
    RG_ROUTE_BODY = 2, /* may take a large body (up to --max-body): uploads */
    RG_ROUTE_WS = 4,   /* a WebSocket upgrade (refused while draining) */
    /* answers through h2o itself (a stream, a redirect), not rg_reply_*:
     * runs on the loop's own stack, never on a fiber (http/fiber.h), as
     * do the WebSocket upgrades */
    RG_ROUTE_LOOP = 8,
};

typedef struct rg_route {
    const char *method;  /* "GET", "POST", "DELETE" */
    const char *pattern; /* "/v1/Accounts/{AC}/Tokens/validate"; "{X}" is one segment,
                            "{X}.json" one segment ending in .json */
    rg_handler_fn fn;
    unsigned flags; /* RG_ROUTE_* */
} rg_route;

/* Finds the route for c->req in the server's table (c->w->app->routes,
 * every module's routes: http/module.h), fills c->args and calls it;
 * answers 404/405 itself when nothing matches. */
void rg_route_dispatch(rg_call *c);
/* The index in routes (ended by a zeroed row) of what dispatch would call,
 * -1 for none (for /metrics: requests are counted by route pattern, never
 * by path). */
int rg_route_find(const rg_route *routes, h2o_iovec_t path, h2o_iovec_t method);

#endif

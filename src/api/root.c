/* api/root.c - the web module: the static files of --web (and
 * --twilio-video) and GET /, the first URL `make run` prints.  With the
 * demo pages served GET / redirects to them; otherwise a small page says
 * what this is and where to go (a JSON 404 there only puzzled newcomers). */
#include <stdio.h>
#include <unistd.h>

#include "api/page.h"
#include "http/module.h"

static const char page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>roomgate</title><link rel=\"icon\" href=\"data:,\"></head><body>\n"
    "<h1>roomgate</h1>\n"
    "<p>A self-hosted access server for video rooms: Twilio-compatible API keys, "
    "access tokens (Twilio Video and VideoSDK formats), token validation, rooms, "
    "signaling and recordings.</p>\n<ul>\n"
    "<li><a href=\"/healthz\">/healthz</a>: liveness</li>\n"
    "<li>/demo/, /demo/tokens.html, /demo/player.html: the demo pages, served with "
    "<code>roomgate serve --demo</code> (<code>make run</code> does)</li>\n"
    "<li>the REST contract: docs/api.md and docs/openapi.yaml in the source tree; "
    "README.md for a first hour</li>\n</ul>\n</body></html>\n";

/* The demo pages are served when --demo is on and web/demo exists (see
 * root_files below); the path is built from configuration only. */
static int demo_served(const rg_app *app)
{
    char dir[4096];
    if (!app->cfg.demo || app->cfg.web_dir == NULL) return 0;
    snprintf(dir, sizeof dir, "%s/demo", app->cfg.web_dir);
    return access(dir, R_OK | X_OK) == 0;
}

void rg_h_root(rg_call *c)
{
    static h2o_generator_t generator = {NULL, NULL};
    h2o_req_t *req = c->req;
    h2o_iovec_t body = h2o_iovec_init(page, sizeof page - 1);
    if (demo_served(c->w->app)) {
        h2o_send_redirect(req, 302, "Found", H2O_STRLIT("/demo/"));
        return;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/html; charset=utf-8"));
    req->res.content_length = body.len;
    h2o_start_response(req, &generator);
    h2o_send(req, &body, 1, H2O_SEND_STATE_FINAL);
}

/* The web directory's parts (--web): the browser SDK, the examples, the
 * Twilio SDK bundle they load (--twilio-video), and with --demo the
 * demo pages, for loopback Hosts only (rg_demo_host_check answers the
 * others). */
static void web_dir(const rg_app *app, rg_files_add_fn add, void *ud, const char *prefix,
                    const char *sub, rg_files_allow_fn allow)
{
    char dir[4096];
    if (app->cfg.web_dir == NULL) return;
    snprintf(dir, sizeof dir, "%s/%s", app->cfg.web_dir, sub);
    add(ud, prefix, dir, allow);
}

static void root_files(const rg_app *app, rg_files_add_fn add, void *ud)
{
    web_dir(app, add, ud, "/sdk", "sdk", NULL);
    web_dir(app, add, ud, "/examples", "examples", NULL);
    if (app->cfg.twilio_video_dir) add(ud, "/vendor/twilio-video", app->cfg.twilio_video_dir, NULL);
    if (app->cfg.demo) web_dir(app, add, ud, "/demo", "demo", rg_demo_host_check);
}

static const rg_route routes[] = {
    {"GET", "/", rg_h_root, RG_ROUTE_LOOP},
    {NULL, NULL, NULL, 0},
};

const rg_opt_section rg_web_options = {"server", "a server option"};

const rg_module rg_mod_web = {
    .name = "web", .options = &rg_web_options, .routes = routes, .files = root_files};

/* api/turn.c - TURN credentials over REST: Twilio's Network Traversal Service
 * token (POST /2010-04-01/Accounts/{AC}/Tokens.json) and GET /v1/turn.
 *
 * Both answer 503/20503 when the server has no TURN secret and URI: a
 * client that asks for TURN credentials would otherwise get a STUN-only
 * list and fail later, behind a symmetric NAT, with no hint why.  (The
 * signaling `joined` message, which does not ask for TURN, just carries the
 * STUN entries in that case.) */
#include <inttypes.h>
#include <stdio.h>

#include "core/errors.h"
#include "http/module.h"
#include "turn/ice.h"

static const char *const P_IDENTITY[] = {"identity", "Identity", NULL};
static const char *const P_TTL[] = {"ttl", "Ttl", NULL};
static const char *const P_TTL_NTS[] = {"Ttl", "ttl", NULL}; /* Twilio's name first */

static int turn_ready(rg_call *c)
{
    if (rg_turn_enabled(&c->w->app->cfg.turn)) return 0;
    rg_reply_error(c, 503, 20503,
                   "TURN is not configured on this server: start it with --turn-uri and "
                   "--turn-secret (or --turn-secret-file, ROOMGATE_TURN_SECRETS)");
    return -1;
}

static int mint(rg_call *c, const char *identity, int64_t ttl, rg_turn_cred *cred)
{
    if (rg_turn_mint(c->w->app, identity, c->now, ttl, cred) == RG_OK) return 0;
    rg_reply_error(c, 400, 21603, "Could not mint a TURN credential from these parameters");
    return -1;
}

/* Twilio's ice_servers: one entry per URI, with `url` (legacy) and `urls`
 * as strings; credentials on the TURN entries only. */
static json_t *nts_servers(const rg_turn_config *t, const rg_turn_cred *cred)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < t->nstun + t->nturn; i++) {
        int turn = i >= t->nstun;
        const char *uri = turn ? t->turn_uris[i - t->nstun] : t->stun_uris[i];
        json_t *e = json_pack("{s:s, s:s}", "url", uri, "urls", uri);
        if (e != NULL && turn)
            json_object_update_new(e, json_pack("{s:s, s:s}", "username", cred->username,
                                                "credential", cred->password));
        if (json_array_append_new(a, e) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* POST /2010-04-01/Accounts/{AC}/Tokens.json, optional Ttl (default
 * --turn-ttl).  Twilio's NTS has no identity: the username names the
 * account, and Twilio writes ttl as a string. */
void rg_h_nts_token(rg_call *c)
{
    const rg_turn_config *t = &c->w->app->cfg.turn;
    rg_principal p;
    rg_turn_cred cred;
    int64_t ttl;
    char ttl_s[24];
    const char *date;
    json_t *servers;
    if (rg_auth_basic(c, &c->args[0], &p) != 0 || rg_call_params(c) != 0 ||
        rg_param_int(c, P_TTL_NTS, 1, RG_TURN_MAX_TTL, t->ttl, &ttl) != 0 || turn_ready(c) != 0 ||
        mint(c, p.account_sid, ttl, &cred) != 0)
        return;
    if ((servers = nts_servers(t, &cred)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    snprintf(ttl_s, sizeof ttl_s, "%" PRId64, ttl);
    date = rg_fmt_rfc2822(c, c->now);
    rg_reply_json(c, 201,
                  json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "account_sid", p.account_sid,
                            "date_created", date, "date_updated", date, "ice_servers", servers,
                            "password", cred.password, "ttl", ttl_s, "username", cred.username));
}

/* GET /v1/turn?identity=&ttl= */
void rg_h_turn(rg_call *c)
{
    const rg_turn_config *t = &c->w->app->cfg.turn;
    rg_principal p;
    rg_turn_cred cred;
    const char *identity;
    int64_t ttl;
    json_t *servers, *uris;
    if (rg_auth_basic(c, NULL, &p) != 0 || rg_call_params(c) != 0 ||
        rg_param_text(c, P_IDENTITY, 1, RG_IDENTITY_MAX, &identity) != 0 ||
        rg_param_int(c, P_TTL, 1, RG_TURN_MAX_TTL, t->ttl, &ttl) != 0 || turn_ready(c) != 0 ||
        mint(c, identity, ttl, &cred) != 0)
        return;
    servers = rg_turn_ice_json(t, &cred);
    uris = rg_turn_uri_array(t->turn_uris, t->nturn);
    if (servers == NULL || uris == NULL) {
        json_decref(servers);
        json_decref(uris);
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    rg_reply_json(c, 200,
                  json_pack("{s:s, s:s, s:I, s:o, s:o}", "username", cred.username, "password",
                            cred.password, "ttl", (json_int_t)ttl, "uris", uris, "ice_servers",
                            servers));
}

const rg_opt_section rg_turn_options = {"STUN/TURN (coturn use-auth-secret)", "a TURN option"};

static const rg_route routes[] = {
    {"POST", "/2010-04-01/Accounts/{AC}/Tokens.json", rg_h_nts_token, RG_ROUTE_AUTH},
    {"GET", "/v1/turn", rg_h_turn, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_turn = {.name = "turn", .options = &rg_turn_options, .routes = routes};

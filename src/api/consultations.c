/* api/consultations.c - 1:1 consultations (seed 001): POST /v1/Consultations,
 * GET and DELETE /v1/Consultations/{id}, POST /v1/Consultations/{id}/Tokens.
 *
 * Basic auth (account credentials or an API key); a consultation belongs to
 * the caller's account and another account's is 404.  The token route is
 * the product: it asks core/consultation.c whether this identity with this
 * detail id may enter now, makes sure the consultation's `go` room (max 2)
 * exists, and mints a Twilio token whose grant names that room only. */
#include <stdio.h>

#include "app/consultations.h"
#include "core/errors.h"
#include "core/timefmt.h"
#include "store/hotcache.h"
#include "api/page.h"
#include "http/module.h"
#include "store/consultations.h"

static const char *const P_ID[] = {"consultation_id", "ConsultationId", NULL};
static const char *const P_DETAIL[] = {"detail_id", "DetailId", NULL};
static const char *const P_CLIENT[] = {"client_identity", "ClientIdentity", NULL};
static const char *const P_PROVIDER[] = {"provider_identity", "ProviderIdentity", NULL};
static const char *const P_STARTS[] = {"starts_at", "StartsAt", NULL};
static const char *const P_ENDS[] = {"ends_at", "EndsAt", NULL};
static const char *const P_IDENTITY[] = {"identity", "Identity", NULL};
static const char *const P_TTL[] = {"ttl", "Ttl", NULL};

static void store_failed(rg_call *c)
{
    rg_reply_error(c, 503, 20500, "The consultation store is unavailable; try again");
}

/* A required RFC 3339 time parameter. */
static int read_time(rg_call *c, const char *const *names, int64_t *out)
{
    const char *v;
    size_t len;
    if (rg_param_text(c, names, 1, 64, &v) != 0) return -1;
    len = strlen(v);
    if (rg_time_parse_iso8601(v, len, out) == 0) return 0;
    rg_reply_error(c, 400, 21603,
                   "Invalid parameter %s: an ISO 8601 date-time with a zone, e.g. "
                   "2026-11-23T10:00:00Z",
                   names[0]);
    return -1;
}

/* The consultation named in the path, within the caller's account. */
static int load(rg_call *c, const rg_principal *p, rg_consultation *k)
{
    h2o_iovec_t a = c->args[0];
    char id[RG_CONSULT_ID_MAX + 1] = "";
    int valid = rg_consult_id_valid(a.base, a.len), rc = RG_ENOTFOUND;
    if (valid) {
        memcpy(id, a.base, a.len);
        id[a.len] = '\0';
        rc = rg_hot_consultation_get(c->w->app->hot, c->w->app->store, p->account_sid, id, k);
    }
    if (rc == RG_OK) return 0;
    /* Only a well-formed id is echoed: anything else may not be UTF-8. */
    if (rc == RG_ENOTFOUND)
        rg_reply_error(c, 404, 20404, "The requested consultation %s was not found",
                       valid ? id : "");
    else
        store_failed(c);
    return -1;
}

void rg_h_consultations_create(rg_call *c)
{
    rg_principal p;
    rg_consultation k;
    rg_consult_terms t;
    const char *id, *detail, *client, *provider, *why;
    int rc;
    memset(&k, 0, sizeof k);
    if (rg_auth_basic(c, NULL, &p) != 0 || rg_call_params(c) != 0 ||
        rg_param_text(c, P_ID, 1, RG_CONSULT_ID_MAX, &id) != 0 ||
        rg_param_text(c, P_DETAIL, 1, RG_CONSULT_ID_MAX, &detail) != 0 ||
        rg_param_text(c, P_CLIENT, 1, RG_IDENTITY_MAX, &client) != 0 ||
        rg_param_text(c, P_PROVIDER, 1, RG_IDENTITY_MAX, &provider) != 0 ||
        read_time(c, P_STARTS, &k.starts_at) != 0 || read_time(c, P_ENDS, &k.ends_at) != 0)
        return;
    t = (rg_consult_terms){.client_identity = client,
                           .provider_identity = provider,
                           .detail_id = detail,
                           .starts_at = k.starts_at,
                           .ends_at = k.ends_at};
    if ((why = rg_consult_check_new(id, &t)) != NULL) {
        rg_reply_error(c, 400, 21603, "%s", why);
        return;
    }
    memcpy(k.account_sid, p.account_sid, RG_SID_SIZE);
    snprintf(k.consultation_id, sizeof k.consultation_id, "%s", id);
    snprintf(k.detail_id, sizeof k.detail_id, "%s", detail);
    snprintf(k.client_identity, sizeof k.client_identity, "%s", client);
    snprintf(k.provider_identity, sizeof k.provider_identity, "%s", provider);
    rc = rg_app_consultation_create(c->w->app, &k, c->now);
    if (rc == RG_EEXIST) {
        rg_reply_error(c, 409, RG_CONSULT_EXISTS, "A consultation with consultation_id %s exists",
                       id);
        return;
    }
    if (rc != RG_OK) {
        store_failed(c);
        return;
    }
    rg_reply_json(c, 201, rg_consult_to_json(&k, rg_base_url(c)));
}

void rg_h_consultation_fetch(rg_call *c)
{
    rg_principal p;
    rg_consultation k;
    if (rg_auth_basic(c, NULL, &p) != 0 || load(c, &p, &k) != 0) return;
    rg_reply_json(c, 200, rg_consult_to_json(&k, rg_base_url(c)));
}

/* Cancelling also ends the room and revokes the tokens already minted for
 * it (app/consultations.h). */
void rg_h_consultation_cancel(rg_call *c)
{
    rg_principal p;
    rg_consultation k;
    if (rg_auth_basic(c, NULL, &p) != 0 || load(c, &p, &k) != 0) return;
    if (rg_app_consultation_cancel(c->w->app, p.account_sid, k.sid, c->now, &k) != RG_OK) {
        store_failed(c);
        return;
    }
    rg_reply_json(c, 200, rg_consult_to_json(&k, rg_base_url(c)));
}

/* The consultation's in-progress go room, created on first use.  A room of
 * another type that squats the name would admit more than two: refused. */
static int ensure_room(rg_call *c, const rg_consultation *k)
{
    int rc = rg_app_consultation_room(c->w->app, k, c->now);
    if (rc == RG_OK) return 0;
    if (rc == RG_EGONE) /* cancelled through another node a moment ago */
        rg_reply_error(c, 410, (int)RG_CONSULT_CANCELLED, "%s",
                       rg_consult_message(RG_CONSULT_CANCELLED));
    else if (rc == RG_EEXIST)
        rg_reply_error(c, 409, 53113,
                       "Room %s exists and is not a go room; complete it to use this "
                       "consultation",
                       k->consultation_id);
    else
        store_failed(c);
    return -1;
}

void rg_h_consultation_token(rg_call *c)
{
    rg_principal p;
    rg_consultation k;
    rg_consult_terms t;
    rg_consult_verdict v;
    const char *identity, *detail;
    int64_t want, ttl;
    char *tok;
    size_t len;
    if (rg_auth_basic(c, NULL, &p) != 0 || rg_call_params(c) != 0 ||
        rg_param_text(c, P_IDENTITY, 1, RG_IDENTITY_MAX, &identity) != 0 ||
        rg_param_text(c, P_DETAIL, 1, RG_CONSULT_ID_MAX, &detail) != 0 ||
        rg_param_int(c, P_TTL, 1, RG_TOKEN_MAX_TTL, RG_CONSULT_DEFAULT_TTL, &want) != 0 ||
        load(c, &p, &k) != 0)
        return;
    t = rg_consult_terms_of(&k);
    v = rg_consult_admit(&t, identity, detail, c->now, c->w->app->cfg.consultation_margin, want,
                         &ttl);
    if (v != RG_CONSULT_ADMIT) {
        rg_reply_error(c, v == RG_CONSULT_CANCELLED ? 410 : 403, (int)v, "%s",
                       rg_consult_message(v));
        return;
    }
    tok = h2o_mem_alloc_pool(&c->req->pool, RG_TOKEN_BUF);
    if (ensure_room(c, &k) != 0 ||
        rg_mint_twilio(c, &p, identity, k.consultation_id, ttl, tok, &len) != 0)
        return;
    rg_reply_token(c, identity, k.consultation_id, tok, len, rg_fmt_iso8601(c, c->now + ttl));
}

const rg_opt_section rg_consultations_options = {"server", "a server option"};

static const rg_route routes[] = {
    {"POST", "/v1/Consultations", rg_h_consultations_create, RG_ROUTE_AUTH},
    {"GET", "/v1/Consultations/{id}", rg_h_consultation_fetch, RG_ROUTE_AUTH},
    {"DELETE", "/v1/Consultations/{id}", rg_h_consultation_cancel, RG_ROUTE_AUTH},
    {"POST", "/v1/Consultations/{id}/Tokens", rg_h_consultation_token, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_consultations = {
    .name = "consultations", .options = &rg_consultations_options, .routes = routes};

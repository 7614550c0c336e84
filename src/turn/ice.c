/* turn/ice.c - the ice_servers list (see turn/ice.h). */
#include "turn/ice.h"

#include "core/errors.h"

json_t *rg_turn_uri_array(const char (*uris)[RG_TURN_URI_MAX + 1], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (json_array_append_new(a, json_string(uris[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int rg_turn_mint(const rg_app *app, const char *identity, int64_t now, int64_t ttl,
                 rg_turn_cred *out)
{
    const rg_turn_config *t = &app->cfg.turn;
    if (!rg_turn_enabled(t)) return RG_EINVAL;
    return rg_turn_credential(t->secrets[0], t->secret_lens[0], identity, now, ttl, out);
}

json_t *rg_turn_ice_json(const rg_turn_config *cfg, const rg_turn_cred *cred)
{
    json_t *servers = json_array(), *urls;
    if (servers == NULL) return NULL;
    if (cfg->nstun > 0) {
        if ((urls = rg_turn_uri_array(cfg->stun_uris, cfg->nstun)) == NULL ||
            json_array_append_new(servers, json_pack("{s:o}", "urls", urls)) != 0)
            goto fail;
    }
    if (cred != NULL && cfg->nturn > 0) {
        if ((urls = rg_turn_uri_array(cfg->turn_uris, cfg->nturn)) == NULL ||
            json_array_append_new(servers,
                                  json_pack("{s:o, s:s, s:s}", "urls", urls, "username",
                                            cred->username, "credential", cred->password)) != 0)
            goto fail;
    }
    return servers;
fail:
    json_decref(servers);
    return NULL;
}

json_t *rg_turn_ice_servers(const rg_app *app, const char *identity, int64_t now)
{
    rg_turn_cred cred;
    if (!rg_turn_enabled(&app->cfg.turn)) return rg_turn_ice_json(&app->cfg.turn, NULL);
    if (rg_turn_mint(app, identity, now, app->cfg.turn.ttl, &cred) != RG_OK) return NULL;
    return rg_turn_ice_json(&app->cfg.turn, &cred);
}

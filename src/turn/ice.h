/* turn/ice.h - STUN/TURN servers for clients: the `ice_servers` list that the
 * signaling `joined` message and the TURN REST routes hand out.
 *
 * Credentials are coturn's `use-auth-secret` ones (core/turn.h), signed with
 * the first configured secret; configuration is in turn/config.h. */
#ifndef RG_TURN_ICE_H
#define RG_TURN_ICE_H

#include <jansson.h>
#include <stdint.h>

#include "core/turn.h"
#include "http/app.h"

/* A new JSON array for RTCPeerConnection's iceServers:
 *   [{"urls":["stun:..."]}, {"urls":["turn:..."],"username":"<exp>:<identity>",
 *     "credential":"<base64 HMAC-SHA1>"}]
 * STUN URIs come without credentials; the TURN entry (one entry with every
 * --turn-uri) is present only when TURN is configured, valid for
 * app->cfg.turn.ttl seconds from now.  identity is a validated identity
 * (1..RG_IDENTITY_MAX bytes).  Empty array when nothing is configured; NULL
 * only when out of memory or identity is invalid.  The caller owns the result. */
json_t *rg_turn_ice_servers(const rg_app *app, const char *identity, int64_t now);

/* The credential for identity, valid for ttl seconds (1..RG_TURN_MAX_TTL)
 * from now, signed with the first secret.  RG_OK, RG_EINVAL (bad identity
 * or ttl, or TURN not configured), RG_ECRYPTO. */
int rg_turn_mint(const rg_app *app, const char *identity, int64_t now, int64_t ttl,
                 rg_turn_cred *out);

/* The ice_servers array for an already minted credential (NULL: STUN
 * entries only); the shape of rg_turn_ice_servers(). */
json_t *rg_turn_ice_json(const rg_turn_config *cfg, const rg_turn_cred *cred);

/* A JSON array of strings from a URI list of rg_turn_config; NULL on OOM. */
json_t *rg_turn_uri_array(const char (*uris)[RG_TURN_URI_MAX + 1], size_t n);

#endif

/* turn/config.h - the STUN/TURN settings of `serve` (README "TURN"; the options
 * are in cli/serve_options.c): the URIs handed to clients, the coturn shared
 * secrets and the credential lifetime.
 *
 * Everything is copied into fixed arrays so the config owns no heap memory;
 * the secrets are wiped by rg_turn_config_wipe() when serve ends.  Secrets
 * are never printed, not even in error messages. */
#ifndef RG_TURN_CONFIG_H
#define RG_TURN_CONFIG_H

#include <stddef.h>

#include "core/turn.h"

#define RG_TURN_MAX_URIS 8
#define RG_TURN_MAX_SECRETS 8

typedef struct {
    char turn_uris[RG_TURN_MAX_URIS][RG_TURN_URI_MAX + 1];
    char stun_uris[RG_TURN_MAX_URIS][RG_TURN_URI_MAX + 1];
    char secrets[RG_TURN_MAX_SECRETS][RG_TURN_SECRET_MAX + 1]; /* [0] signs */
    size_t secret_lens[RG_TURN_MAX_SECRETS];
    size_t nturn, nstun, nsecrets;
    long ttl; /* default lifetime of credentials, seconds */
} rg_turn_config;

/* Defaults (no servers, ttl 3600). */
void rg_turn_config_init(rg_turn_config *cfg);
/* Add one URI (turn: 1 for --turn-uri, 0 for --stun-uri) or one secret of
 * len bytes; 0, or -1 with *why set to a message that never holds the value. */
int rg_turn_add_uri(rg_turn_config *cfg, int turn, const char *uri, size_t len, const char **why);
int rg_turn_add_secret(rg_turn_config *cfg, const char *s, size_t len, const char **why);
/* Secrets one per line from a regular file not readable by others. */
int rg_turn_read_secret_file(rg_turn_config *cfg, const char *path, const char **why);
/* TURN URIs and secrets go together.  0, or -1 with *why set. */
int rg_turn_config_check(const rg_turn_config *cfg, const char **why);
/* 1 when TURN credentials can be handed out. */
static inline int rg_turn_enabled(const rg_turn_config *cfg)
{
    return cfg->nturn > 0 && cfg->nsecrets > 0;
}
void rg_turn_config_wipe(rg_turn_config *cfg);

#endif

/* turncfg.h - the `serve` options of STUN/TURN (README "TURN"): the URIs
 * handed to clients, the coturn shared secrets and the credential lifetime.
 *
 * Everything is copied into fixed arrays so the config owns no heap memory;
 * the secrets are wiped by rg_turn_config_wipe() when serve ends.  Secrets
 * are never printed, not even in error messages. */
#ifndef RG_HTTP_TURNCFG_H
#define RG_HTTP_TURNCFG_H

#include <getopt.h>
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
    long ttl;            /* default lifetime of credentials, seconds */
    unsigned from_flags; /* bit (1 << option): set by a flag, so the environment is ignored */
} rg_turn_config;

#define RG_TURN_OPT_BASE 1200
#define RG_TURN_OPTS                                                                               \
    {"turn-uri", required_argument, NULL, RG_TURN_OPT_BASE + 0},                                   \
        {"stun-uri", required_argument, NULL, RG_TURN_OPT_BASE + 1},                               \
        {"turn-secret", required_argument, NULL, RG_TURN_OPT_BASE + 2},                            \
        {"turn-secret-file", required_argument, NULL, RG_TURN_OPT_BASE + 3},                       \
    {                                                                                              \
        "turn-ttl", required_argument, NULL, RG_TURN_OPT_BASE + 4                                  \
    }

extern const char rg_turn_usage[];

/* Defaults (no servers, ttl 3600). */
void rg_turn_config_init(rg_turn_config *cfg);
/* 1 when ch was one of ours (stored), 0 when not ours, -1 on a bad value
 * with *why set to a message that does not contain the value. */
int rg_turn_option(rg_turn_config *cfg, int ch, const char *arg, const char **why);
/* After the flags: ROOMGATE_TURN_URIS, ROOMGATE_STUN_URIS,
 * ROOMGATE_TURN_SECRETS, ROOMGATE_TURN_SECRET_FILE and ROOMGATE_TURN_TTL for
 * whatever no flag set, then the consistency checks (TURN URIs and secrets go
 * together).  0, or -1 with *why set. */
int rg_turn_config_finish(rg_turn_config *cfg, const char **why);
/* 1 when TURN credentials can be handed out. */
static inline int rg_turn_enabled(const rg_turn_config *cfg)
{
    return cfg->nturn > 0 && cfg->nsecrets > 0;
}
void rg_turn_config_wipe(rg_turn_config *cfg);

#endif

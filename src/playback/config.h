/* playback/config.h - the settings of secure recording playback (options: cli/serve_options.c; see
 * playback.h for what they drive; README "Configuration" for each one). */
#ifndef RG_PLAYBACK_CONFIG_H
#define RG_PLAYBACK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *public_key, *private_key, *twilio_key; /* PEM paths */
    const char *import_dir;
    const char *cors_origins; /* comma-separated; NULL = none */
    const char *validator_url;
    const char *validator_accounts; /* comma-separated AC sids; NULL = none */
    const char *public_url;         /* base of media_url; default from the request */
    const char *allowed_hosts; /* Host values media_url may name besides loopback and --listen */
    long link_ttl;             /* seconds */
    int single_use;
    long validator_timeout_ms;
    uint64_t max_import;     /* {path} imports and tus uploads (streamed to/from disk) */
    const char *audit_head;  /* the audit chain's head file; NULL = DATA/audit.head */
    unsigned import_threads; /* --import-threads */
} rg_playback_config;

#endif

/* pbconfig.h - the `serve` options of secure recording playback (see
 * playback.h for what they drive; README "Configuration" for each one). */
#ifndef RG_HTTP_PBCONFIG_H
#define RG_HTTP_PBCONFIG_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *public_key, *private_key, *twilio_key; /* PEM paths */
    const char *import_dir;
    const char *cors_origins; /* comma-separated; NULL = none */
    const char *validator_url;
    const char *public_url; /* base of media_url; default from the request */
    long link_ttl;          /* seconds */
    int single_use;
    long validator_timeout_ms;
    size_t max_upload;   /* raw upload bodies (RAM-buffered by h2o 2.2) */
    uint64_t max_import; /* {path} imports (streamed from disk) */
} rg_playback_config;

/* getopt_long entries and their handler for `serve`. */
#define RG_PLAYBACK_OPT_BASE 1100
#define RG_PLAYBACK_OPTS                                                                           \
    {"recording-public-key", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 0},                   \
        {"recording-private-key", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 1},              \
        {"twilio-private-key", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 2},                 \
        {"import-dir", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 3},                         \
        {"cors-origins", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 4},                       \
        {"playback-validator", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 5},                 \
        {"validator-timeout", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 6},                  \
        {"link-ttl", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 7},                           \
        {"single-use-links", no_argument, NULL, RG_PLAYBACK_OPT_BASE + 8},                         \
        {"max-upload", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 9},                         \
        {"max-import", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 10},                        \
    {                                                                                              \
        "public-url", required_argument, NULL, RG_PLAYBACK_OPT_BASE + 11                           \
    }

extern const char rg_playback_usage[];
/* Defaults, then ROOMGATE_* variables. */
void rg_playback_config_init(rg_playback_config *cfg);
/* 1 when ch was one of ours (stored), 0 when not ours, -1 bad value. */
int rg_playback_option(rg_playback_config *cfg, int ch, const char *arg);

#endif

/* hook/config.h - the settings of status callback delivery (options:
 * cli/serve_options.c; README "Configuration", docs/webhooks.md). */
#ifndef RG_HOOK_CONFIG_H
#define RG_HOOK_CONFIG_H

typedef struct {
    int allow_private; /* --webhook-allow-private: loopback, private, link-local targets */
    int timeout_ms;    /* one attempt, connect to last byte (default 10000) */
    int max_age;       /* seconds an event is retried before it is given up (default 86400) */
    int retry_base_ms; /* first retry delay; doubled per attempt, jittered (default 1000) */
    int max_inflight;  /* deliveries under way at once, one per room (default 64) */
    int nice;          /* the dispatcher thread's nice increment (default 10, 0..19) */
} rg_hook_config;

#endif

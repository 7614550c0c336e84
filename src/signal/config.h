/* signal/config.h - the settings of the signaling server (options: cli/serve_options.c; README
 * "Signaling", docs/signaling.md): room auto-creation, the lobby's wait,
 * keepalive and the per-connection limits. */
#ifndef RG_SIGNAL_CONFIG_H
#define RG_SIGNAL_CONFIG_H

#include <stddef.h>

#include "core/redisurl.h"

typedef struct {
    int auto_create;      /* a join creates a missing room (default 1) */
    int lobby_timeout;    /* seconds a guest may wait (default 120) */
    int ping_interval_ms; /* WebSocket ping period (default 20000) */
    int ping_misses;      /* unanswered pings before a peer is dropped (default 2) */
    size_t max_frame;     /* largest message accepted, bytes (default 65536) */
    int max_rate;         /* messages per second per connection (default 50) */
    int max_conns_per_ip; /* WebSocket connections per client address; 0 = no limit */
    int join_burst;       /* joins of one identity in one room at once; 0 = no limit (default 10) */
    int join_interval_ms; /* then one per this (default 1000) */
    rg_redis_url redis;   /* --redis: fan-out between nodes; host "" when off */
} rg_signal_config;

#endif

/* sigconfig.h - the `serve` options of the signaling server (README
 * "Signaling", docs/signaling.md): room auto-creation, the lobby's wait,
 * keepalive and the per-connection limits. */
#ifndef RG_HTTP_SIGCONFIG_H
#define RG_HTTP_SIGCONFIG_H

#include <getopt.h>
#include <stddef.h>

typedef struct {
    int auto_create;      /* a join creates a missing room (default 1) */
    int lobby_timeout;    /* seconds a guest may wait (default 120) */
    int ping_interval_ms; /* WebSocket ping period (default 20000) */
    int ping_misses;      /* unanswered pings before a peer is dropped (default 2) */
    size_t max_frame;     /* largest message accepted, bytes (default 65536) */
    int max_rate;         /* messages per second per connection (default 50) */
    int max_conns_per_ip; /* WebSocket connections per client address; 0 = no limit */
} rg_signal_config;

#define RG_SIGNAL_OPT_BASE 1300
#define RG_SIGNAL_OPTS                                                                             \
    {"no-auto-create-rooms", no_argument, NULL, RG_SIGNAL_OPT_BASE + 0},                           \
        {"lobby-timeout", required_argument, NULL, RG_SIGNAL_OPT_BASE + 1},                        \
        {"signal-ping-interval", required_argument, NULL, RG_SIGNAL_OPT_BASE + 2},                 \
        {"signal-ping-misses", required_argument, NULL, RG_SIGNAL_OPT_BASE + 3},                   \
        {"signal-max-frame", required_argument, NULL, RG_SIGNAL_OPT_BASE + 4},                     \
        {"signal-max-rate", required_argument, NULL, RG_SIGNAL_OPT_BASE + 5},                      \
    {                                                                                              \
        "signal-max-conns-per-ip", required_argument, NULL, RG_SIGNAL_OPT_BASE + 6                 \
    }

extern const char rg_signal_usage[];

/* Defaults, then the ROOMGATE_* variables (flags parsed later win). */
void rg_signal_config_init(rg_signal_config *cfg);
/* 1 when ch was one of ours (stored), 0 when not ours, -1 bad value. */
int rg_signal_option(rg_signal_config *cfg, int ch, const char *arg);

#endif

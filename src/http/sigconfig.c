/* sigconfig.c - flags and ROOMGATE_* variables of the signaling server. */
#include "http/sigconfig.h"

#include <stdlib.h>
#include <string.h>

const char rg_signal_usage[] =
    "signaling (WebSocket GET /v1/signal):\n"
    "  --no-auto-create-rooms  a join to a missing room fails (53106) instead of\n"
    "              creating it (env ROOMGATE_AUTO_CREATE_ROOMS=0)\n"
    "  --lobby-timeout SECONDS  how long an ask_join guest waits for an answer\n"
    "              (env ROOMGATE_LOBBY_TIMEOUT, default 120, 1..86400)\n"
    "  --signal-ping-interval MS  WebSocket ping period (env\n"
    "              ROOMGATE_SIGNAL_PING_INTERVAL, default 20000, 100..3600000)\n"
    "  --signal-ping-misses N  unanswered pings before a peer is dropped (env\n"
    "              ROOMGATE_SIGNAL_PING_MISSES, default 2, 1..100)\n"
    "  --signal-max-frame BYTES  largest message (env ROOMGATE_SIGNAL_MAX_FRAME,\n"
    "              default 65536, 1024..16777216)\n"
    "  --signal-max-rate N  messages per second per connection, then an error and\n"
    "              close (env ROOMGATE_SIGNAL_MAX_RATE, default 50, 1..100000)\n"
    "  --signal-max-conns-per-ip N  WebSocket connections per client address (env\n"
    "              ROOMGATE_SIGNAL_MAX_CONNS_PER_IP, default 256, 0 = no limit)\n";

/* A decimal in [min, max]; -1 when not. */
static int parse_num(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    if (s == NULL || *s < '0' || *s > '9') return -1;
    v = strtol(s, &end, 10);
    if (*end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int set(rg_signal_config *cfg, int which, const char *arg)
{
    long v = 0;
    switch (which) {
    case 0:
        cfg->auto_create = 0;
        return 1;
    case 1:
        if (parse_num(arg, 1, 86400, &v) != 0) return -1;
        cfg->lobby_timeout = (int)v;
        return 1;
    case 2:
        if (parse_num(arg, 100, 3600000, &v) != 0) return -1;
        cfg->ping_interval_ms = (int)v;
        return 1;
    case 3:
        if (parse_num(arg, 1, 100, &v) != 0) return -1;
        cfg->ping_misses = (int)v;
        return 1;
    case 4:
        if (parse_num(arg, 1024, 16 << 20, &v) != 0) return -1;
        cfg->max_frame = (size_t)v;
        return 1;
    case 5:
        if (parse_num(arg, 1, 100000, &v) != 0) return -1;
        cfg->max_rate = (int)v;
        return 1;
    case 6:
        if (parse_num(arg, 0, 10000000, &v) != 0) return -1;
        cfg->max_conns_per_ip = (int)v;
        return 1;
    }
    return 0;
}

static const char *const ENV[] = {
    NULL,
    "ROOMGATE_LOBBY_TIMEOUT",
    "ROOMGATE_SIGNAL_PING_INTERVAL",
    "ROOMGATE_SIGNAL_PING_MISSES",
    "ROOMGATE_SIGNAL_MAX_FRAME",
    "ROOMGATE_SIGNAL_MAX_RATE",
    "ROOMGATE_SIGNAL_MAX_CONNS_PER_IP",
};

void rg_signal_config_init(rg_signal_config *cfg)
{
    const char *v = getenv("ROOMGATE_AUTO_CREATE_ROOMS");
    cfg->auto_create = !(v && strcmp(v, "0") == 0);
    cfg->lobby_timeout = 120;
    cfg->ping_interval_ms = 20000;
    cfg->ping_misses = 2;
    cfg->max_frame = 65536;
    cfg->max_rate = 50;
    cfg->max_conns_per_ip = 256;
    /* a malformed variable keeps the default; flags are checked strictly */
    for (int i = 1; i < (int)(sizeof ENV / sizeof ENV[0]); i++)
        if ((v = getenv(ENV[i])) != NULL && *v) set(cfg, i, v);
}

int rg_signal_option(rg_signal_config *cfg, int ch, const char *arg)
{
    if (ch < RG_SIGNAL_OPT_BASE || ch > RG_SIGNAL_OPT_BASE + 6) return 0;
    return set(cfg, ch - RG_SIGNAL_OPT_BASE, arg);
}

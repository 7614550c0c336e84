/* cmd_serve.c - `roomgate serve`: configuration from flags and environment,
 * then the server. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/consultation.h"
#include "core/errors.h"
#include "http/hotcache.h"
#include "http/rooms_app.h"
#include "http/playback.h"
#include "http/server.h"
#include "http/signal.h"
#include "http/turncfg.h"

static const char usage[] =
    "usage: roomgate serve [--listen HOST:PORT] [--threads N] [--demo]\n"
    "                      [--tls-cert FILE --tls-key FILE] [--max-body BYTES]\n"
    "                      [--web DIR] [--data DIR]\n"
    "  --listen    address to serve on (env ROOMGATE_LISTEN, default 127.0.0.1:8080;\n"
    "              port 0 picks a free port; [::1]:8080 for IPv6)\n"
    "  --threads   event loops (env ROOMGATE_THREADS, default: number of cores)\n"
    "  --demo      mint anonymous demo tokens on GET /token and GET /get-token\n"
    "              for the demo page\n"
    "              (loopback addresses only; needs `roomgate demo init`)\n"
    "  --tls-cert, --tls-key  PEM files: serve HTTPS with HTTP/2\n"
    "  --max-body  request body limit in bytes (env ROOMGATE_MAX_BODY, default 2097152)\n"
    "  --web       static files for /demo/ and /sdk/ (default ./web)\n"
    "  --access-log on|off  one JSON line per request on stderr (env ROOMGATE_ACCESS_LOG,\n"
    "              default on)\n"
    "  --consultation-margin SECONDS  a consultation's room opens this long before its\n"
    "              start, and its tokens may outlive its end by as much (env\n"
    "              ROOMGATE_CONSULTATION_MARGIN, default 600, 0..86400)\n"
    "  --room-timeout-unit SECONDS  length of the \"minute\" in rooms' EmptyRoomTimeout and\n"
    "              UnusedRoomTimeout; a testing knob (env ROOMGATE_ROOM_TIMEOUT_UNIT,\n"
    "              default 60, 1..60)\n";

/* HOST:PORT, [V6]:PORT. */
static int parse_listen(const char *s, rg_serve_config *cfg)
{
    const char *colon = strrchr(s, ':');
    const char *h = s, *he;
    char *end;
    long port;
    if (colon == NULL) return -1;
    he = colon;
    if (s[0] == '[') {
        if (colon == s || colon[-1] != ']') return -1;
        h = s + 1, he = colon - 1;
    }
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535) return -1;
    if ((size_t)(he - h) >= sizeof cfg->listen_host || he == h) return -1;
    memcpy(cfg->listen_host, h, (size_t)(he - h));
    cfg->listen_host[he - h] = '\0';
    cfg->listen_port = (unsigned short)port;
    return 0;
}

static int is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static long env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* Seconds, 0..86400; absent or empty gives the default. */
static int parse_margin(const char *s, long *out)
{
    char *end;
    long v;
    *out = RG_CONSULT_DEFAULT_MARGIN;
    if (s == NULL || *s == '\0') return 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || *s == '-' || *s == '+' || v < 0 || v > RG_CONSULT_MAX_MARGIN) return -1;
    *out = v;
    return 0;
}

/* An integer in [lo, hi]; absent or empty gives dflt.  -1 when malformed. */
static int parse_bounded(const char *s, long lo, long hi, long dflt, long *out)
{
    char *end;
    long v;
    *out = dflt;
    if (s == NULL || *s == '\0') return 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || *s == '-' || *s == '+' || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, rg_serve_config *cfg)
{
    static const struct option longopts[] = {
        RG_CLI_COMMON_OPTS,
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"demo", no_argument, NULL, 'd'},
        {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},
        {"max-body", required_argument, NULL, 'm'},
        {"web", required_argument, NULL, 'w'},
        {"access-log", required_argument, NULL, 'L'},
        {"consultation-margin", required_argument, NULL, 'M'},
        {"room-timeout-unit", required_argument, NULL, 'U'},
        RG_PLAYBACK_OPTS,
        RG_SIGNAL_OPTS,
        RG_TURN_OPTS,
        {NULL, 0, NULL, 0},
    };
    const char *listen = getenv("ROOMGATE_LISTEN"), *alog = getenv("ROOMGATE_ACCESS_LOG");
    const char *margin = getenv("ROOMGATE_CONSULTATION_MARGIN");
    const char *unit = getenv("ROOMGATE_ROOM_TIMEOUT_UNIT");
    long unit_seconds;
    const char *why = NULL;
    int ch, pb, tc;
    cfg->threads = (int)env_long("ROOMGATE_THREADS", sysconf(_SC_NPROCESSORS_ONLN));
    cfg->max_body = (size_t)env_long("ROOMGATE_MAX_BODY", 2 * 1024 * 1024);
    cfg->web_dir = "web";
    rg_playback_config_init(&cfg->playback);
    rg_turn_config_init(&cfg->turn);
    rg_signal_config_init(&cfg->signal);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'D': cfg->data_dir = optarg; break;
        case 'l': listen = optarg; break;
        case 't': cfg->threads = atoi(optarg); break;
        case 'd': cfg->demo = 1; break;
        case 'c': cfg->tls_cert = optarg; break;
        case 'k': cfg->tls_key = optarg; break;
        case 'm': cfg->max_body = (size_t)strtoul(optarg, NULL, 10); break;
        case 'w': cfg->web_dir = optarg; break;
        case 'L': alog = optarg; break;
        case 'M': margin = optarg; break;
        case 'U': unit = optarg; break;
        case 'h':
            fputs(usage, stdout), fputs(rg_playback_usage, stdout), fputs(rg_turn_usage, stdout);
            fputs(rg_signal_usage, stdout);
            return -1;
        default:
            if ((pb = rg_playback_option(&cfg->playback, ch, optarg)) > 0) break;
            if ((tc = rg_turn_option(&cfg->turn, ch, optarg, &why)) > 0) break;
            if (tc < 0) return rg_cli_usage_error(usage, "%s", why);
            if ((tc = rg_signal_option(&cfg->signal, ch, optarg)) > 0) break;
            if (tc < 0) return rg_cli_usage_error(usage, "bad value for a signaling option");
            return rg_cli_usage_error(usage, pb < 0 ? "bad value for a recording option"
                                                    : "bad option");
        }
    }
    if (alog == NULL || *alog == '\0' || strcmp(alog, "on") == 0) cfg->access_log = 1;
    else if (strcmp(alog, "off") != 0)
        return rg_cli_usage_error(usage, "--access-log must be on or off");
    if (parse_listen(listen && *listen ? listen : "127.0.0.1:8080", cfg) != 0)
        return rg_cli_usage_error(usage, "--listen must be HOST:PORT");
    if (cfg->threads < 1 || cfg->threads > 256)
        return rg_cli_usage_error(usage, "--threads must be 1..256");
    if (cfg->max_body < 1024) return rg_cli_usage_error(usage, "--max-body must be >= 1024");
    if (parse_margin(margin, &cfg->consultation_margin) != 0)
        return rg_cli_usage_error(usage, "--consultation-margin must be 0..86400 seconds");
    if (parse_bounded(unit, 1, 60, 60, &unit_seconds) != 0)
        return rg_cli_usage_error(usage, "--room-timeout-unit must be 1..60 seconds");
    cfg->room_timeout_unit = (int)unit_seconds;
    if (rg_turn_config_finish(&cfg->turn, &why) != 0) return rg_cli_usage_error(usage, "%s", why);
    if (!cfg->tls_cert != !cfg->tls_key)
        return rg_cli_usage_error(usage, "--tls-cert and --tls-key go together");
    if (cfg->demo && !is_loopback(cfg->listen_host))
        return rg_cli_usage_error(usage, "--demo serves anonymous tokens: loopback only");
    cfg->data_dir = rg_cli_data_dir(cfg->data_dir);
    return 0;
}

/* The demo account named in DATA/demo.json. */
static int load_demo(rg_app *app)
{
    char path[4096];
    json_error_t err;
    json_t *v;
    const char *ac;
    snprintf(path, sizeof path, "%s/demo.json", app->cfg.data_dir);
    if ((v = json_load_file(path, 0, &err)) == NULL)
        return rg_cli_fail("--demo needs %s: run `roomgate demo init` first", path);
    ac = json_string_value(json_object_get(v, "account_sid"));
    if (ac == NULL || !rg_sid_valid(ac, strlen(ac), "AC")) {
        json_decref(v);
        return rg_cli_fail("%s has no account_sid", path);
    }
    memcpy(app->demo_account, ac, RG_SID_SIZE);
    json_decref(v);
    return 0;
}

int rg_cmd_serve(int argc, char **argv)
{
    rg_app app;
    rg_cli_env env;
    int rc;
    memset(&app, 0, sizeof app);
    if ((rc = parse(argc, argv, &app.cfg)) != 0) return rc < 0 ? 0 : rc;
    if (app.cfg.demo && load_demo(&app) != 0) return 1;
    if (rg_cli_open(&env, app.cfg.data_dir, 1) != 0) return 1;
    app.store = env.store;
    memcpy(app.master, env.master, sizeof app.master);
    if (rg_keycache_new(app.store, app.master, &app.keys) != RG_OK) {
        rg_cli_close(&env);
        return rg_cli_fail("cannot load the API keys (wrong master key?)");
    }
    if (rg_rooms_start(&app) != RG_OK) {
        rg_keycache_free(app.keys);
        rg_cli_close(&env);
        return rg_cli_fail("cannot load the room revocations");
    }
    if (rg_playback_start(&app, app.cfg.data_dir, app.master) != 0) {
        rg_playback_stop(&app);
        rg_rooms_stop(&app);
        rg_keycache_free(app.keys);
        rg_cli_close(&env);
        return 1;
    }
    if (rg_hot_start(&app) != RG_OK) {
        rg_playback_stop(&app);
        rg_rooms_stop(&app);
        rg_keycache_free(app.keys);
        rg_cli_close(&env);
        return rg_cli_fail("cannot allocate the room caches");
    }
    if (rg_signal_start(&app, (int64_t)time(NULL)) != RG_OK) {
        rg_signal_stop(&app);
        rg_hot_stop(&app);
        rg_playback_stop(&app);
        rg_rooms_stop(&app);
        rg_keycache_free(app.keys);
        rg_cli_close(&env);
        return rg_cli_fail("cannot start signaling (participants left by the last run)");
    }
    rc = rg_server_run(&app);
    rg_signal_stop(&app);
    rg_hot_stop(&app);
    rg_playback_stop(&app);
    rg_rooms_stop(&app);
    rg_keycache_free(app.keys);
    OPENSSL_cleanse(app.master, sizeof app.master);
    rg_turn_config_wipe(&app.cfg.turn);
    rg_cli_close(&env);
    return rc;
}

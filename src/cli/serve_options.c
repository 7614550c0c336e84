/* serve_options.c - every option of `roomgate serve` in one table: the
 * flag, its environment variable, its range, the rg_serve_config field it
 * fills and its help.  The table drives the command line, the environment,
 * the --config file, `serve --help` and the man page (cli/optdoc.c). */
#include "cli/serve_options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/modules.h"
#include "cli/optdoc.h"
#include "core/consultation.h"
#include "core/errors.h"
#include "core/redisurl.h"
#include "core/hostname.h"
#include "playback/importq.h"

_Static_assert(sizeof(long) == 8 && sizeof(size_t) == 8, "64-bit fields are stored as uint64_t");

#define CONFIG_MAX (1 << 20)

/* Each row's section names the module that reads it (cli/modules.h);
 * sections with the same title share a heading in --help. */
const rg_opt_section rg_server_options = {"server", "a server option"};
#define S_SERVER rg_server_options
#define S_PB rg_playback_options
#define S_SIG rg_signal_options
#define S_TURN rg_turn_options
#define S_LIM rg_limits_options
#define S_HOOK rg_webhooks_options

/* HOST:PORT or [V6]:PORT into host (size bytes) and *port; 0, or -1. */
static int parse_hostport(const char *s, char *host, size_t size, unsigned short *port)
{
    const char *colon = strrchr(s, ':'), *h = s, *he;
    unsigned long long n;
    if (colon == NULL) return -1;
    he = colon;
    if (s[0] == '[') {
        if (colon == s || colon[-1] != ']') return -1;
        h = s + 1, he = colon - 1;
    }
    if (rg_opt_number(colon + 1, 0, 65535, &n) != 0) return -1;
    if ((size_t)(he - h) >= size || he == h) return -1;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    *port = (unsigned short)n;
    return 0;
}

static int set_listen(void *c, const char *s, size_t len, const char **why)
{
    rg_serve_config *cfg = c;
    (void)len;
    *why = "--listen must be HOST:PORT";
    return parse_hostport(s, cfg->listen_host, sizeof cfg->listen_host, &cfg->listen_port);
}

/* --metrics-listen: HOST:PORT as --listen; empty: off. */
static int set_metrics_listen(void *c, const char *s, size_t len, const char **why)
{
    rg_serve_config *cfg = c;
    (void)len;
    *why = "--metrics-listen must be HOST:PORT";
    if (*s == '\0') {
        cfg->metrics_host[0] = '\0';
        return 0;
    }
    return parse_hostport(s, cfg->metrics_host, sizeof cfg->metrics_host, &cfg->metrics_port);
}

/* --redis URL; empty: off.  The password may be in it: never echoed. */
static int set_redis(void *c, const char *s, size_t len, const char **why)
{
    rg_serve_config *cfg = c;
    (void)len;
    *why = "--redis must be redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]";
    if (*s == '\0') {
        memset(&cfg->signal.redis, 0, sizeof cfg->signal.redis);
        return 0;
    }
    return rg_redis_url_parse(s, &cfg->signal.redis) == RG_OK ? 0 : -1;
}

static int set_access_log(void *c, const char *s, size_t len, const char **why)
{
    rg_serve_config *cfg = c;
    (void)len;
    *why = "--access-log must be on or off";
    if (strcmp(s, "on") != 0 && strcmp(s, "off") != 0) return -1;
    cfg->access_log = strcmp(s, "on") == 0;
    return 0;
}

static int set_max_upload(void *c, const char *s, size_t len, const char **why)
{
    /* Obsolete (issue 10): h2o held up to this much of any request,
     * credentials or not.  Still accepted so that existing command lines
     * and environments keep starting. */
    (void)c, (void)s, (void)len, (void)why;
    fprintf(stderr, "roomgate: --max-upload is obsolete and ignored: raw uploads are "
                    "limited by --max-body; use tus (/v1/Recordings/Uploads)\n");
    return 0;
}

static int set_allowed_hosts(void *c, const char *s, size_t len, const char **why)
{
    (void)len;
    *why = "must list host or host:port names, comma-separated";
    if (!rg_host_list_valid(s)) return -1;
    ((rg_serve_config *)c)->playback.allowed_hosts = s;
    return 0;
}

static int set_turn_uri(void *c, const char *s, size_t len, const char **why)
{
    return rg_turn_add_uri(&((rg_serve_config *)c)->turn, 1, s, len, why);
}

static int set_stun_uri(void *c, const char *s, size_t len, const char **why)
{
    return rg_turn_add_uri(&((rg_serve_config *)c)->turn, 0, s, len, why);
}

static int set_turn_secret(void *c, const char *s, size_t len, const char **why)
{
    return rg_turn_add_secret(&((rg_serve_config *)c)->turn, s, len, why);
}

static int set_turn_secret_file(void *c, const char *s, size_t len, const char **why)
{
    (void)len;
    return rg_turn_read_secret_file(&((rg_serve_config *)c)->turn, s, why);
}

#define FIELD(f) offsetof(rg_serve_config, f), sizeof(((rg_serve_config *)0)->f)
#define STR(name, env, fl, f, dflt, arg, sec, help)                                                \
    {                                                                                              \
        name, env, RG_OPT_STR, fl, 0, 0, FIELD(f), dflt, arg, help, &sec, NULL, NULL               \
    }
#define NUM(name, env, fl, lo, hi, f, dflt, arg, sec, help)                                        \
    {                                                                                              \
        name, env, RG_OPT_NUM, fl, lo, hi, FIELD(f), dflt, arg, help, &sec, NULL, NULL             \
    }
#define BOOL(type, name, env, fl, f, dflt, sec, help)                                              \
    {                                                                                              \
        name, env, type, fl, 0, 1, FIELD(f), dflt, NULL, help, &sec, NULL, NULL                    \
    }
#define FN(name, env, fl, fn, dflt, arg, sec, help, group)                                         \
    {                                                                                              \
        name, env, RG_OPT_FN, fl, 0, 0, 0, 0, dflt, arg, help, &sec, fn, group                     \
    }

#define LAX RG_OPT_ENV_LAX
#define WARN RG_OPT_ENV_WARN
#define REP RG_OPT_REPEAT

const rg_opt rg_serve_opts[] = {
    STR("config", NULL, RG_OPT_FLAG_ONLY, config_file, NULL, "FILE", S_SERVER,
        "read options from FILE: `name = value` lines with the names of these options, "
        "'#' comments; the environment and the command line override it"),
    STR("data", "ROOMGATE_DATA", 0, data_dir, "./data", "DIR", S_SERVER,
        "data directory: master.key, recordings, and roomgate.db unless --db names the store"),
    STR("db", "ROOMGATE_DB", 0, db, NULL, "URL|FILE", S_SERVER,
        "the store: a postgres:// or postgresql:// URL (PostgreSQL, which several nodes "
        "can share; a password in it is never printed, or give it in PGPASSWORD or "
        "~/.pgpass) or a SQLite file (default: DATA/roomgate.db)"),
    FN("listen", "ROOMGATE_LISTEN", 0, set_listen, "127.0.0.1:8080", "HOST:PORT", S_SERVER,
       "address to serve on (port 0 picks a free port; [::1]:8080 for IPv6)", NULL),
    NUM("threads", "ROOMGATE_THREADS", 0, 1, 256, threads, NULL, "N", S_SERVER,
        "event loops (default: the number of cores)"),
    BOOL(RG_OPT_TRUE, "demo", NULL, 0, demo, NULL, S_SERVER,
         "mint anonymous demo tokens on GET /token and GET /get-token for the demo page "
         "(loopback addresses only; needs `roomgate demo init`)"),
    STR("tls-cert", NULL, 0, tls_cert, NULL, "FILE", S_SERVER,
        "PEM certificate: serve HTTPS with HTTP/2 (with --tls-key)"),
    STR("tls-key", NULL, 0, tls_key, NULL, "FILE", S_SERVER, "PEM private key of --tls-cert"),
    NUM("max-body", "ROOMGATE_MAX_BODY", 0, 1024, 1ull << 50, max_body, "2097152", "BYTES",
        S_SERVER, "request body limit"),
    STR("web", "ROOMGATE_WEB", RG_OPT_ENV_DOC, web_dir, NULL, "DIR", S_SERVER,
        "static files for /demo/ and /sdk/ (default: the first of BIN/../web, "
        "BIN/../share/roomgate/web, BIN/../../web, BIN being the directory of the "
        "roomgate executable)"),
    STR("twilio-video", "ROOMGATE_TWILIO_VIDEO", 0, twilio_video_dir, NULL, "DIR", rg_web_options,
        "the dist/ directory of the twilio-video npm package, served at /vendor/twilio-video/ "
        "for web/examples/twilio-video/ (default: not served)"),
    FN("access-log", "ROOMGATE_ACCESS_LOG", 0, set_access_log, "on", "on|off", S_SERVER,
       "one JSON line per request on stderr", NULL),
    NUM("consultation-margin", "ROOMGATE_CONSULTATION_MARGIN", 0, 0, RG_CONSULT_MAX_MARGIN,
        consultation_margin, "600", "SECONDS", rg_consultations_options,
        "a consultation's room opens this long before its start, and its tokens may "
        "outlive its end by as much"),
    NUM("room-timeout-unit", "ROOMGATE_ROOM_TIMEOUT_UNIT", 0, 1, 60, room_timeout_unit, "60",
        "SECONDS", rg_rooms_options,
        "length of the \"minute\" in rooms' EmptyRoomTimeout and UnusedRoomTimeout; a "
        "testing knob"),
    FN("metrics-listen", "ROOMGATE_METRICS_LISTEN", 0, set_metrics_listen, NULL, "HOST:PORT",
       rg_metrics_options,
       "serve Prometheus metrics at http://HOST:PORT/metrics, a listener of their own (default "
       "off; keep it on a private address)",
       NULL),
    NUM("drain-grace", "ROOMGATE_DRAIN_GRACE", 0, 1, 3600, drain_grace, "10", "SECONDS", S_SERVER,
        "how long SIGTERM's drain may take: WebSocket clients are told to reconnect elsewhere "
        "and get half of it to leave, then requests in flight finish"),
    NUM("db-timeout", "ROOMGATE_DB_TIMEOUT", 0, 1, 3600, db_timeout, "10", "SECONDS", S_SERVER,
        "on PostgreSQL, how long a statement's answer is awaited: past it the connection is "
        "given up, requests that need the store answer 503 and a new connection is made "
        "(a database that hangs never holds an event loop for longer)"),
    NUM("db-connections", "ROOMGATE_DB_CONNECTIONS", 0, 0, 10, db_connections, "0", "N", S_SERVER,
        "on PostgreSQL, the connections the event loops use: 0 (the default) one for each "
        "loop's request handlers, one for the signaling hub's writer (seats and leaves) and "
        "one shared by the loops' signaling reads and the other threads (--threads + 2, at "
        "most 10), so no request waits for another loop's statements or for a seat; 1 "
        "shares one among everything; N opens N, the k-th loop's handlers on connection k "
        "mod N, the writer on --threads + 1 mod N"),
    NUM("node-timeout", "ROOMGATE_NODE_TIMEOUT", 0, 1, 3600, node_timeout, "15", "SECONDS",
        rg_nodes_options,
        "on PostgreSQL, a node silent this long (no heartbeat) counts as dead: another node "
        "frees its seats and records participant-disconnected for them (docs/deploy.md)"),

    STR("recording-public-key", "ROOMGATE_RECORDING_PUBLIC_KEY", WARN, playback.public_key, NULL,
        "FILE", S_PB,
        "PEM public key recordings are encrypted to (default "
        "DATA/recording-public.pem)"),
    STR("recording-private-key", "ROOMGATE_RECORDING_PRIVATE_KEY", WARN, playback.private_key, NULL,
        "FILE", S_PB,
        "PEM private key for playback, mode 0600 (default DATA/recording-private.pem)"),
    STR("twilio-private-key", "ROOMGATE_TWILIO_PRIVATE_KEY", WARN, playback.twilio_key, NULL,
        "FILE", S_PB, "key for Twilio-encrypted imports (default: the recording private key)"),
    STR("import-dir", "ROOMGATE_IMPORT_DIR", WARN, playback.import_dir, NULL, "DIR", S_PB,
        "directory {\"path\"} imports may read, one subdirectory per account: "
        "DIR/<AccountSid>/"),
    NUM("import-threads", "ROOMGATE_IMPORT_THREADS", WARN, 1, RG_IMPORT_THREADS_MAX,
        playback.import_threads, "2", "N", S_PB,
        "threads that run imports, one per account at a time"),
    STR("cors-origins", "ROOMGATE_CORS_ORIGINS", WARN, playback.cors_origins, NULL, "LIST", S_PB,
        "comma-separated origins allowed on /sec_rec and /media (default none)"),
    STR("playback-validator", "ROOMGATE_PLAYBACK_VALIDATOR", WARN, playback.validator_url, NULL,
        "URL", S_PB, "validate /sec_rec tokens with this IAM-style endpoint (default: locally)"),
    STR("playback-validator-accounts", "ROOMGATE_PLAYBACK_VALIDATOR_ACCOUNTS", WARN,
        playback.validator_accounts, NULL, "LIST", S_PB,
        "comma-separated AC sids whose recordings the validator's answers may open when "
        "they carry no account_sid (default none)"),
    NUM("validator-timeout", "ROOMGATE_VALIDATOR_TIMEOUT", WARN, 100, 60000,
        playback.validator_timeout_ms, "3000", "MS", S_PB, "deadline of the whole exchange"),
    NUM("link-ttl", "ROOMGATE_LINK_TTL", WARN, 1, 86400, playback.link_ttl, "60", "SECONDS", S_PB,
        "media link lifetime"),
    BOOL(RG_OPT_TRUE, "single-use-links", "ROOMGATE_SINGLE_USE_LINKS", 0, playback.single_use, "0",
         S_PB, "each media link serves one request (the variable: any value but 0)"),
    FN("max-upload", "ROOMGATE_MAX_UPLOAD", WARN, set_max_upload, NULL, "BYTES", S_PB,
       "obsolete, ignored: raw uploads are limited by --max-body; larger recordings come "
       "by tus (/v1/Recordings/Uploads)",
       NULL),
    NUM("max-import", "ROOMGATE_MAX_IMPORT", WARN, 1024, 1ull << 50, playback.max_import,
        "8589934592", "BYTES", S_PB, "{\"path\"} import and tus upload limit (8 GiB)"),
    STR("public-url", "ROOMGATE_PUBLIC_URL", WARN, playback.public_url, NULL, "URL", S_PB,
        "base of media_url and of every link in answers (paging URLs, url) (default: the "
        "request's scheme and a Host allowed by --allowed-hosts, else relative links)"),
    FN("allowed-hosts", "ROOMGATE_ALLOWED_HOSTS", WARN, set_allowed_hosts, NULL, "LIST", S_PB,
       "without --public-url, the Host names (host or host:port, comma-separated) "
       "media_url and the links in answers may be built from besides loopback and the "
       "--listen address",
       NULL),
    STR("audit-head", "ROOMGATE_AUDIT_HEAD", WARN, playback.audit_head, NULL, "FILE", S_PB,
        "the audit chain's head file, best on other storage than the database (default "
        "DATA/audit.head)"),

    BOOL(RG_OPT_FALSE, "no-auto-create-rooms", "ROOMGATE_AUTO_CREATE_ROOMS", 0, signal.auto_create,
         "1", S_SIG,
         "a join to a missing room fails (53106) instead of creating it (the variable: 0 "
         "for this)"),
    NUM("lobby-timeout", "ROOMGATE_LOBBY_TIMEOUT", LAX, 1, 86400, signal.lobby_timeout, "120",
        "SECONDS", S_SIG, "how long an ask_join guest waits for an answer"),
    NUM("signal-ping-interval", "ROOMGATE_SIGNAL_PING_INTERVAL", LAX, 100, 3600000,
        signal.ping_interval_ms, "20000", "MS", S_SIG, "WebSocket ping period"),
    NUM("signal-ping-misses", "ROOMGATE_SIGNAL_PING_MISSES", LAX, 1, 100, signal.ping_misses, "2",
        "N", S_SIG, "unanswered pings before a peer is dropped"),
    NUM("signal-max-frame", "ROOMGATE_SIGNAL_MAX_FRAME", LAX, 1024, 16 << 20, signal.max_frame,
        "65536", "BYTES", S_SIG, "largest message"),
    NUM("signal-max-rate", "ROOMGATE_SIGNAL_MAX_RATE", LAX, 1, 100000, signal.max_rate, "50", "N",
        S_SIG, "messages per second per connection, then an error and close"),
    NUM("signal-max-conns-per-ip", "ROOMGATE_SIGNAL_MAX_CONNS_PER_IP", LAX, 0, 10000000,
        signal.max_conns_per_ip, "256", "N", S_SIG,
        "WebSocket connections per client address (0 = no limit)"),
    NUM("signal-join-burst", "ROOMGATE_SIGNAL_JOIN_BURST", LAX, 0, 100000, signal.join_burst, "10",
        "N", S_SIG,
        "joins of one identity in one room at once, then one per --signal-join-interval; "
        "over it 20429 and close (0 = no limit)"),
    NUM("signal-join-interval", "ROOMGATE_SIGNAL_JOIN_INTERVAL", LAX, 1, 3600000,
        signal.join_interval_ms, "1000", "MS", S_SIG,
        "after the burst, one join of an identity in a room per this"),
    FN("redis", "ROOMGATE_REDIS", 0, set_redis, NULL, "URL", S_SIG,
       "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: signaling fans out between nodes sharing "
       "one store through this Redis (docs/deploy.md); DB separates deployments sharing a "
       "Redis (default off: one node)",
       NULL),

    FN("turn-uri", "ROOMGATE_TURN_URIS", REP, set_turn_uri, NULL, "URI", S_TURN,
       "TURN server handed to clients, e.g. turn:turn.example.com:3478?transport=udp "
       "(the variable: comma-separated)",
       NULL),
    FN("stun-uri", "ROOMGATE_STUN_URIS", REP, set_stun_uri, NULL, "URI", S_TURN,
       "STUN server, e.g. stun:stun.example.com:3478 (the variable: comma-separated)", NULL),
    FN("turn-secret", "ROOMGATE_TURN_SECRETS", REP, set_turn_secret, NULL, "S", S_TURN,
       "coturn static-auth-secret, 16..256 visible ASCII chars without ',' or '#'; several "
       "for rotation, the first signs (the variable: comma-separated; prefer the file or the "
       "environment: command lines are visible to other users)",
       "turn-secret"),
    FN("turn-secret-file", "ROOMGATE_TURN_SECRET_FILE", REP, set_turn_secret_file, NULL, "FILE",
       S_TURN,
       "secrets one per line, '#' comments; must not be readable by others (its secrets "
       "join those of --turn-secret from the same source)",
       "turn-secret"),
    NUM("turn-ttl", "ROOMGATE_TURN_TTL", 0, 1, RG_TURN_MAX_TTL, turn.ttl, "3600", "SECONDS", S_TURN,
        "credential lifetime"),

    NUM("auth-fail-limit", "ROOMGATE_AUTH_FAIL_LIMIT", LAX, 0, 1000000, limits.auth_fail_limit,
        "60", "N", S_LIM,
        "failed Basic authentications (and forged tokens used as the credential) a minute "
        "per client address, and per credential from addresses that failed, then 429 (0 = "
        "no limit)"),
    NUM("playback-rate", "ROOMGATE_PLAYBACK_RATE", LAX, 0, 1000000, limits.playback_rate, "3000",
        "N", S_LIM, "/sec_rec and /media requests a minute per client address, then 429"),
    NUM("mint-rate", "ROOMGATE_MINT_RATE", LAX, 0, 1000000, limits.mint_rate, "6000", "N", S_LIM,
        "tokens a minute per signing key, then 429"),
    NUM("anon-audit-rows", "ROOMGATE_ANON_AUDIT_ROWS", LAX, 0, 1000000, limits.anon_audit_rows,
        "10", "N", S_LIM,
        "refused anonymous playback requests a minute per client address that get an audit "
        "row each; the others are counted in one summary row"),
    NUM("max-conns-per-ip", "ROOMGATE_MAX_CONNS_PER_IP", LAX, 0, 10000000, limits.max_conns_per_ip,
        "256", "N", S_LIM,
        "open HTTP connections per client address (all loops, WebSockets included); a "
        "further one is closed at accept (0 = no limit)"),

    BOOL(RG_OPT_TRUE, "webhook-allow-private", "ROOMGATE_WEBHOOK_ALLOW_PRIVATE", 0,
         hook.allow_private, NULL, S_HOOK,
         "deliver status callbacks to loopback, private and link-local addresses too "
         "(refused by default: a callback URL must not reach into the server's network)"),
    NUM("webhook-timeout", "ROOMGATE_WEBHOOK_TIMEOUT", 0, 100, 120000, hook.timeout_ms, "10000",
        "MS", S_HOOK, "one delivery attempt, connect to last byte"),
    NUM("webhook-max-age", "ROOMGATE_WEBHOOK_MAX_AGE", 0, 1, 30 * 86400, hook.max_age, "86400",
        "SECONDS", S_HOOK,
        "how long an event is retried before it is given up (a metric and an audit row)"),
    NUM("webhook-retry-base", "ROOMGATE_WEBHOOK_RETRY_BASE", 0, 10, 3600000, hook.retry_base_ms,
        "1000", "MS", S_HOOK,
        "first retry delay, doubled per attempt up to 10 minutes, each jittered"),
    NUM("webhook-max-inflight", "ROOMGATE_WEBHOOK_MAX_INFLIGHT", 0, 1, 4096, hook.max_inflight,
        "64", "N", S_HOOK, "deliveries under way at once (one per room)"),
    NUM("webhook-nice", "ROOMGATE_WEBHOOK_NICE", 0, 0, 19, hook.nice, "10", "N", S_HOOK,
        "how much lower the delivery thread's CPU priority is than request handling's "
        "(a nice increment; 0 = the same)"),
};

const size_t rg_serve_nopts = sizeof rg_serve_opts / sizeof rg_serve_opts[0];

const char rg_serve_usage[] = "usage: roomgate serve [--config FILE] [--listen HOST:PORT] "
                              "[OPTION...]\n"
                              "  `roomgate serve --help` lists every option.\n";

static const char *env_get(const char *name)
{
    return getenv(name);
}

static void warn(const char *msg)
{
    fprintf(stderr, "roomgate: %s\n", msg);
}

/* The whole config file, NUL-terminated, into conf (malloc'd). */
static int read_config(const char *path, rg_serve_conf *conf, mode_t *mode)
{
    char **text = &conf->text;
    struct stat st;
    size_t got = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block */
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size >= CONFIG_MAX ||
        (*text = malloc((size_t)st.st_size + 1)) == NULL) {
        close(fd);
        return -1;
    }
    while (got < (size_t)st.st_size && (n = read(fd, *text + got, (size_t)st.st_size - got)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        got += (size_t)n;
    }
    close(fd);
    (*text)[got] = '\0';
    conf->size = got + 1;
    *mode = st.st_mode;
    return 0;
}

static int is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* What no single option can check. */
static int check(rg_serve_config *cfg)
{
    const char *why;
    if (cfg->threads < 1 || cfg->threads > 256)
        return rg_cli_usage_error(rg_serve_usage, "--threads must be 1..256");
    if (rg_turn_config_check(&cfg->turn, &why) != 0)
        return rg_cli_usage_error(rg_serve_usage, "%s", why);
    if (!cfg->tls_cert != !cfg->tls_key)
        return rg_cli_usage_error(rg_serve_usage, "--tls-cert and --tls-key go together");
    if (cfg->demo && !is_loopback(cfg->listen_host))
        return rg_cli_usage_error(rg_serve_usage, "--demo serves anonymous tokens: loopback only");
    return 0;
}

/* The --config file into p; a file that names a TURN secret is held to the
 * rule of --turn-secret-file (not readable by others). */
static int scan_config(rg_opts *p, const char *path, rg_serve_conf *conf)
{
    mode_t mode = 0;
    if (read_config(path, conf, &mode) != 0) {
        snprintf(p->err, sizeof p->err, "--config: cannot read %.200s", path);
        return -1;
    }
    if (rg_opts_scan_file(p, conf->text, path) != 0) return -1;
    for (size_t i = 0; i < p->nvals; i++)
        if (p->vals[i].layer == RG_OPT_FROM_FILE && (mode & 07) != 0 &&
            strcmp(rg_serve_opts[p->vals[i].opt].name, "turn-secret") == 0) {
            snprintf(p->err, sizeof p->err,
                     "%.200s:%d: turn-secret in a file readable by others: chmod o-rwx it", path,
                     p->vals[i].line);
            return -1;
        }
    return 0;
}

/* The password of a URL (redis://USER:PASSWORD@HOST, postgres://...@,
 * ?password=...) overwritten in place; the rest stays readable. */
static void mask_url_secrets(char *v)
{
    char *auth = strstr(v, "://"), *at, *q;
    if (auth == NULL) return;
    auth += 3;
    size_t n = strcspn(auth, "/?#");
    for (at = auth + n; at > auth && at[-1] != '@'; at--)
        ;
    if (at > auth) memset(auth, 'x', (size_t)(at - 1 - auth)); /* USER:PASSWORD */
    for (q = strstr(v, "password="); q != NULL; q = strstr(q, "password=")) {
        q += sizeof "password=" - 1;
        memset(q, 'x', strcspn(q, "&#"));
    }
}

/* The secrets of the command line, overwritten once they are copied:
 * /proc/PID/cmdline, and so ps, shows every local user the arguments as
 * they are in memory now.  --turn-secret values (rg_turn_add_secret copied
 * them) whole; the passwords in --redis (parsed into its own fields) and
 * --db URLs (cfg->db then points at conf's copy).  Only the window between
 * exec and this point is left; the environment and --turn-secret-file
 * have none (docs/security.md, "Red-team pass, second round"). */
static int scrub_secrets(rg_serve_config *cfg, rg_serve_conf *conf, int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *name = argv[i] + 2, *eq = strchr(argv[i], '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        int turn = len == 11 && strncmp(name, "turn-secret", len) == 0;
        int redis = len == 5 && strncmp(name, "redis", len) == 0;
        int db = len == 2 && strncmp(name, "db", len) == 0;
        char *v;
        if (strncmp(argv[i], "--", 2) != 0 || !(turn || redis || db)) continue;
        if ((v = eq ? (char *)eq + 1 : i + 1 < argc ? argv[++i] : NULL) == NULL) break;
        if (turn) {
            memset(v, 'x', strlen(v));
        } else if (redis) {
            mask_url_secrets(v);
        } else if (strstr(v, "://") != NULL) {
            if (cfg->db == v) { /* the value in force: keep a copy before masking */
                free(conf->db);
                if ((conf->db = strdup(v)) == NULL) return -1;
                cfg->db = conf->db;
            }
            mask_url_secrets(v);
        }
    }
    return 0;
}

int rg_serve_options(rg_serve_config *cfg, int argc, char **argv, rg_serve_conf *conf)
{
    rg_opts *p = malloc(sizeof *p);
    const char *path;
    int rc = 2;
    memset(conf, 0, sizeof *conf);
    if (p == NULL) return rg_cli_fail("out of memory");
    rg_opts_init(p, rg_serve_opts, rg_serve_nopts, cfg);
    p->getenv = env_get, p->warn = warn;
    rg_turn_config_init(&cfg->turn);
    cfg->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (rg_opts_scan_argv(p, argc, argv) != 0) goto usage;
    if (p->help) {
        rg_opts_help(stdout, rg_serve_usage, rg_serve_opts, rg_serve_nopts);
        free(p);
        return -1;
    }
    if ((path = rg_opts_flag(p, "config")) != NULL && scan_config(p, path, conf) != 0) goto usage;
    if (rg_opts_apply(p) != 0) goto usage;
    free(p);
    if (scrub_secrets(cfg, conf, argc, argv) != 0) return rg_cli_fail("out of memory");
    return check(cfg);
usage:
    rc = rg_cli_usage_error(rg_serve_usage, "%s", p->err);
    free(p);
    return rc;
}

void rg_serve_conf_free(rg_serve_conf *conf)
{
    if (conf->db != NULL) OPENSSL_cleanse(conf->db, strlen(conf->db)); /* a password */
    free(conf->db);
    conf->db = NULL;
    if (conf->text == NULL) return;
    OPENSSL_cleanse(conf->text, conf->size); /* it may hold TURN secrets */
    free(conf->text);
    conf->text = NULL;
}

int rg_cmd_man(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) return rg_cli_usage_error("usage: roomgate man\n", "man takes no argument");
    rg_opts_man(stdout, rg_serve_opts, rg_serve_nopts);
    return 0;
}

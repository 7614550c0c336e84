/* turncfg.c - flags and ROOMGATE_* variables of STUN/TURN. */
#include "http/turncfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

enum { O_TURN_URI, O_STUN_URI, O_SECRET, O_SECRET_FILE, O_TTL };

#define SECRET_FILE_MAX 65536

const char rg_turn_usage[] =
    "STUN/TURN (coturn use-auth-secret):\n"
    "  --turn-uri URI      TURN server handed to clients, e.g.\n"
    "              turn:turn.example.com:3478?transport=udp; repeatable (env\n"
    "              ROOMGATE_TURN_URIS, comma-separated)\n"
    "  --stun-uri URI      STUN server, e.g. stun:stun.example.com:3478; repeatable (env\n"
    "              ROOMGATE_STUN_URIS, comma-separated)\n"
    "  --turn-secret S     coturn static-auth-secret, 16..256 visible ASCII chars without\n"
    "              ',' or '#'; repeatable for rotation, the first signs (env\n"
    "              ROOMGATE_TURN_SECRETS, comma-separated; prefer the file or the\n"
    "              environment: command lines are visible to other users)\n"
    "  --turn-secret-file F  secrets one per line, '#' comments (env\n"
    "              ROOMGATE_TURN_SECRET_FILE); must not be readable by others\n"
    "  --turn-ttl SECONDS  credential lifetime (env ROOMGATE_TURN_TTL, default 3600,\n"
    "              1..86400)\n";

static int add_uri(char (*list)[RG_TURN_URI_MAX + 1], size_t *n, const char *uri, size_t len,
                   int turn, const char **why)
{
    char tmp[RG_TURN_URI_MAX + 1];
    if (*n == RG_TURN_MAX_URIS) {
        *why = "at most 8 --turn-uri and 8 --stun-uri";
        return -1;
    }
    if (len <= RG_TURN_URI_MAX) {
        memcpy(tmp, uri, len);
        tmp[len] = '\0';
    }
    if (len > RG_TURN_URI_MAX || !rg_turn_uri_valid(tmp, turn)) {
        *why = turn ? "--turn-uri must look like turn:HOST[:PORT][?transport=udp|tcp] or turns:..."
                    : "--stun-uri must look like stun:HOST[:PORT] or stuns:HOST[:PORT]";
        return -1;
    }
    memcpy(list[(*n)++], tmp, len + 1);
    return 0;
}

static int add_secret(rg_turn_config *cfg, const char *s, size_t len, const char **why)
{
    if (cfg->nsecrets == RG_TURN_MAX_SECRETS) {
        *why = "at most 8 TURN secrets";
        return -1;
    }
    if (!rg_turn_secret_valid(s, len)) {
        *why = "a TURN secret must be 16..256 visible ASCII characters without ',' or '#'";
        return -1;
    }
    memcpy(cfg->secrets[cfg->nsecrets], s, len);
    cfg->secrets[cfg->nsecrets][len] = '\0';
    cfg->secret_lens[cfg->nsecrets++] = len;
    return 0;
}

/* Comma-separated items, each added by the kind's adder. */
static int add_csv(rg_turn_config *cfg, int kind, const char *csv, const char **why)
{
    const char *p = csv;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int rc = kind == O_SECRET     ? add_secret(cfg, p, len, why)
                 : kind == O_TURN_URI ? add_uri(cfg->turn_uris, &cfg->nturn, p, len, 1, why)
                                      : add_uri(cfg->stun_uris, &cfg->nstun, p, len, 0, why);
        if (rc != 0) return -1;
        if (end == NULL) return 0;
        p = end + 1;
    }
}

/* One secret per line; blank lines and '#' comments skipped; CRLF allowed. */
static int add_secret_lines(rg_turn_config *cfg, char *buf, const char **why)
{
    char *line = buf, *nl;
    for (; line != NULL; line = nl ? nl + 1 : NULL) {
        size_t len;
        if ((nl = strchr(line, '\n')) != NULL) *nl = '\0';
        len = strlen(line);
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (len == 0 || line[0] == '#') continue;
        if (add_secret(cfg, line, len, why) != 0) return -1;
    }
    return 0;
}

static int read_secret_file(rg_turn_config *cfg, const char *path, const char **why)
{
    char buf[SECRET_FILE_MAX + 1]; /* startup only, on the main thread's stack */
    struct stat st;
    ssize_t n;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
    *why = "cannot read the --turn-secret-file";
    if (fd < 0) return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SECRET_FILE_MAX) {
        close(fd);
        return -1;
    }
    if ((st.st_mode & 07) != 0) {
        close(fd);
        *why = "the --turn-secret-file is readable by others: chmod o-rwx it";
        return -1;
    }
    while (got < SECRET_FILE_MAX && (n = read(fd, buf + got, SECRET_FILE_MAX - got)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    rc = add_secret_lines(cfg, buf, why);
    if (rc == 0 && cfg->nsecrets == 0) {
        *why = "the --turn-secret-file holds no secret";
        rc = -1;
    }
    OPENSSL_cleanse(buf, got);
    return rc;
}

/* A decimal in 1..RG_TURN_MAX_TTL. */
static int parse_ttl(const char *s, long *out)
{
    char *end;
    long v;
    if (s == NULL || *s < '0' || *s > '9') return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > RG_TURN_MAX_TTL) return -1;
    *out = v;
    return 0;
}

void rg_turn_config_init(rg_turn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ttl = RG_TURN_DEFAULT_TTL;
}

/* Applies option `opt` with value arg (from a flag or the environment). */
static int apply(rg_turn_config *cfg, int opt, const char *arg, const char **why)
{
    switch (opt) {
    case O_TURN_URI:
        return add_uri(cfg->turn_uris, &cfg->nturn, arg, strlen(arg), 1, why);
    case O_STUN_URI:
        return add_uri(cfg->stun_uris, &cfg->nstun, arg, strlen(arg), 0, why);
    case O_SECRET:
        return add_secret(cfg, arg, strlen(arg), why);
    case O_SECRET_FILE:
        return read_secret_file(cfg, arg, why);
    default:
        *why = "--turn-ttl must be 1..86400 seconds";
        return parse_ttl(arg, &cfg->ttl);
    }
}

int rg_turn_option(rg_turn_config *cfg, int ch, const char *arg, const char **why)
{
    int opt = ch - RG_TURN_OPT_BASE;
    if (opt < O_TURN_URI || opt > O_TTL) return 0;
    /* secrets from flags and files share one list, in command-line order */
    cfg->from_flags |= 1u << (opt == O_SECRET_FILE ? O_SECRET : opt);
    return apply(cfg, opt, arg, why) == 0 ? 1 : -1;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The environment for the settings no flag gave. */
static int apply_env(rg_turn_config *cfg, const char **why)
{
    const char *v;
    if (!(cfg->from_flags & (1u << O_TURN_URI)) && (v = env("ROOMGATE_TURN_URIS")) &&
        add_csv(cfg, O_TURN_URI, v, why) != 0)
        return -1;
    if (!(cfg->from_flags & (1u << O_STUN_URI)) && (v = env("ROOMGATE_STUN_URIS")) &&
        add_csv(cfg, O_STUN_URI, v, why) != 0)
        return -1;
    if (!(cfg->from_flags & (1u << O_SECRET))) {
        if ((v = env("ROOMGATE_TURN_SECRETS")) && add_csv(cfg, O_SECRET, v, why) != 0) return -1;
        if ((v = env("ROOMGATE_TURN_SECRET_FILE")) && read_secret_file(cfg, v, why) != 0) return -1;
    }
    if (!(cfg->from_flags & (1u << O_TTL)) && (v = env("ROOMGATE_TURN_TTL")) &&
        apply(cfg, O_TTL, v, why) != 0)
        return -1;
    return 0;
}

int rg_turn_config_finish(rg_turn_config *cfg, const char **why)
{
    if (apply_env(cfg, why) != 0) return -1;
    if (cfg->nturn > 0 && cfg->nsecrets == 0) {
        *why = "--turn-uri needs a secret (--turn-secret, --turn-secret-file or "
               "ROOMGATE_TURN_SECRETS)";
        return -1;
    }
    if (cfg->nsecrets > 0 && cfg->nturn == 0) {
        *why = "a TURN secret is configured but no --turn-uri to hand out";
        return -1;
    }
    return 0;
}

void rg_turn_config_wipe(rg_turn_config *cfg)
{
    OPENSSL_cleanse(cfg->secrets, sizeof cfg->secrets);
    cfg->nsecrets = 0;
}

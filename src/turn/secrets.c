/* turn/secrets.c - the STUN/TURN lists of `serve`: URIs checked and copied
 * into fixed arrays, coturn secrets from values or a private file. */
#include "turn/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define SECRET_FILE_MAX 65536

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

int rg_turn_add_secret(rg_turn_config *cfg, const char *s, size_t len, const char **why)
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

int rg_turn_add_uri(rg_turn_config *cfg, int turn, const char *uri, size_t len, const char **why)
{
    return turn ? add_uri(cfg->turn_uris, &cfg->nturn, uri, len, 1, why)
                : add_uri(cfg->stun_uris, &cfg->nstun, uri, len, 0, why);
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
        if (rg_turn_add_secret(cfg, line, len, why) != 0) return -1;
    }
    return 0;
}

int rg_turn_read_secret_file(rg_turn_config *cfg, const char *path, const char **why)
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

void rg_turn_config_init(rg_turn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ttl = RG_TURN_DEFAULT_TTL;
}

int rg_turn_config_check(const rg_turn_config *cfg, const char **why)
{
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

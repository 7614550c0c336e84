/* core/redisurl.c - the --redis URL (core/redisurl.h). */
#include "core/redisurl.h"

#include <string.h>

#include "core/errors.h"

/* s[0..len) as a decimal in lo..hi: 0, or -1. */
static int number(const char *s, size_t len, int lo, int hi, int *out)
{
    long v = 0;
    if (len == 0 || len > 5) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int copy(char *dst, size_t size, const char *s, size_t len)
{
    if (len >= size) return -1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 0;
}

/* A host name (letters, digits, '-', '.', '_') or a bracketed IPv6
 * address (hex digits, ':', '.'). */
static int host_ok(const char *h, size_t len, int v6)
{
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                 c == ':' || c == '.';
        if (!v6)
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '-' || c == '.' || c == '_';
        if (!ok) return 0;
    }
    return 1;
}

/* [[USER]:PASSWORD@] of rest (up to the last '@' before any '/'). */
static int userinfo(const char **rest, rg_redis_url *out)
{
    const char *s = *rest, *slash = strchr(s, '/'), *at = NULL;
    for (const char *p = s; *p && (slash == NULL || p < slash); p++)
        if (*p == '@') at = p;
    if (at == NULL) return 0;
    const char *colon = memchr(s, ':', (size_t)(at - s));
    if (colon == NULL) return -1; /* redis://user@host: no password, no AUTH */
    if (copy(out->user, sizeof out->user, s, (size_t)(colon - s)) != 0 ||
        copy(out->password, sizeof out->password, colon + 1, (size_t)(at - colon - 1)) != 0)
        return -1;
    *rest = at + 1;
    return 0;
}

static int parse(const char *s, rg_redis_url *out)
{
    static const char scheme[] = "redis://";
    const char *h, *he, *p;
    if (strncmp(s, scheme, sizeof scheme - 1) != 0) return -1;
    s += sizeof scheme - 1;
    if (strpbrk(s, "?#") != NULL || userinfo(&s, out) != 0) return -1;
    out->port = 6379;
    if (*s == '[') {
        h = s + 1;
        if ((he = strchr(h, ']')) == NULL) return -1;
        p = he + 1;
    } else {
        h = s;
        he = s + strcspn(s, ":/");
        p = he;
    }
    if (!host_ok(h, (size_t)(he - h), *s == '[') ||
        copy(out->host, sizeof out->host, h, (size_t)(he - h)) != 0)
        return -1;
    if (*p == ':') {
        const char *e = p + 1 + strcspn(p + 1, "/");
        if (number(p + 1, (size_t)(e - p - 1), 1, 65535, &out->port) != 0) return -1;
        p = e;
    }
    if (*p == '/' && p[1] != '\0') return number(p + 1, strlen(p + 1), 0, 65535, &out->db);
    return *p == '\0' || (*p == '/' && p[1] == '\0') ? 0 : -1;
}

int rg_redis_url_parse(const char *s, rg_redis_url *out)
{
    memset(out, 0, sizeof *out);
    if (s == NULL || parse(s, out) != 0) {
        memset(out, 0, sizeof *out);
        return RG_EINVAL;
    }
    return RG_OK;
}

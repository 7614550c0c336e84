/* hostname.c - a Host value parsed as RFC 9110 writes it (a DNS name, an
 * IPv4 or bracketed IPv6 literal made canonical, an optional port), and
 * compared whole: loopback, one name, or an entry of a host list
 * (hostname.h). */
#include "core/hostname.h"
#include "core/commalist.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

/* Letters, digits and '-' in dot-separated labels of 1..63 bytes. */
static int name_ok(const char *s, size_t len)
{
    size_t label = 0;
    if (len == 0 || len > RG_HOST_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') {
            if (label == 0) return 0;
            label = 0;
        } else if (isalnum(ch) || ch == '-') {
            if (++label > 63) return 0;
        } else {
            return 0;
        }
    }
    return label > 0; /* no trailing dot: "localhost." may go to DNS */
}

static int port_ok(const char *s, size_t len, unsigned *port)
{
    unsigned v = 0;
    if (len == 0 || len > 5) return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *port = v;
    return v >= 1 && v <= 65535;
}

/* The canonical text of an IPv6 literal, so that "[0:0::1]" is "::1". */
static int v6_ok(const char *s, size_t len, char out[RG_HOST_MAX + 1])
{
    char buf[INET6_ADDRSTRLEN];
    struct in6_addr a;
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, &a) == 1 && inet_ntop(AF_INET6, &a, out, RG_HOST_MAX + 1);
}

int rg_host_parse(const char *s, size_t len, rg_host *out)
{
    const char *colon;
    size_t hlen;
    memset(out, 0, sizeof *out);
    if (s == NULL || len == 0) return -1;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL || !v6_ok(s + 1, (size_t)(close - s - 1), out->name)) return -1;
        out->ipv6 = 1;
        hlen = (size_t)(close - s) + 1;
        if (hlen == len) return 0;
        if (s[hlen] != ':' || !port_ok(s + hlen + 1, len - hlen - 1, &out->port)) return -1;
        return 0;
    }
    colon = memchr(s, ':', len);
    hlen = colon ? (size_t)(colon - s) : len;
    if (!name_ok(s, hlen)) return -1;
    if (colon && !port_ok(colon + 1, len - hlen - 1, &out->port)) return -1;
    for (size_t i = 0; i < hlen; i++)
        out->name[i] = (char)tolower((unsigned char)s[i]);
    return 0;
}

int rg_host_is_loopback(const rg_host *h)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (h->ipv6) {
        if (inet_pton(AF_INET6, h->name, &a6) != 1) return 0;
        if (IN6_IS_ADDR_LOOPBACK(&a6)) return 1;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    if (strcmp(h->name, "localhost") == 0) return 1;
    /* inet_pton reads the dotted quad only: no "127.1", no octal, no hex */
    return inet_pton(AF_INET, h->name, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int rg_host_is(const rg_host *h, const char *name)
{
    rg_host other;
    size_t n = strlen(name);
    memset(&other, 0, sizeof other);
    if (name[0] != '[' && strchr(name, ':') != NULL) { /* IPv6, as --listen keeps it */
        if (!v6_ok(name, n, other.name)) return 0;
        other.ipv6 = 1;
    } else if (rg_host_parse(name, n, &other) != 0) {
        return 0;
    }
    if (strcmp(other.name, "0.0.0.0") == 0 || strcmp(other.name, "::") == 0) return 0;
    return other.ipv6 == h->ipv6 && strcmp(other.name, h->name) == 0;
}

static int entry_matches(void *ud, const char *s, size_t n)
{
    const rg_host *h = ud;
    rg_host e;
    if (rg_host_parse(s, n, &e) != 0) return 0;
    return e.ipv6 == h->ipv6 && strcmp(e.name, h->name) == 0 && (e.port == 0 || e.port == h->port);
}

int rg_host_in_list(const rg_host *h, const char *list)
{
    return rg_commalist_each(list, entry_matches, (void *)h) > 0;
}

static int entry_bad(void *ud, const char *s, size_t n)
{
    rg_host e;
    ++*(int *)ud;
    return rg_host_parse(s, n, &e) != 0;
}

int rg_host_list_valid(const char *list)
{
    int count = 0;
    return list != NULL && rg_commalist_each(list, entry_bad, &count) == 0 && count > 0;
}

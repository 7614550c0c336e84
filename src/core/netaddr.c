/* netaddr.c - the callback URL rule (http or https, a host, no user info,
 * no spaces or control bytes, at most 2048 bytes) and the address rule
 * applied after DNS: public only, never loopback, private, link-local,
 * carrier NAT, documentation, multicast or their IPv6 forms, mapped,
 * translated (SIIT, NAT64) or tunnelled (6to4, Teredo) (netaddr.h). */
#include "core/netaddr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static int v4_public(const uint8_t a[4])
{
    uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
    static const struct {
        uint32_t net, mask;
    } blocked[] = {
        {0x00000000, 0xff000000}, /* 0/8 "this network" */
        {0x0a000000, 0xff000000}, /* 10/8 */
        {0x64400000, 0xffc00000}, /* 100.64/10 shared (carrier NAT) */
        {0x7f000000, 0xff000000}, /* 127/8 loopback */
        {0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local (cloud metadata) */
        {0xac100000, 0xfff00000}, /* 172.16/12 */
        {0xc0000000, 0xffffff00}, /* 192.0.0/24 protocol assignments */
        {0xc0000200, 0xffffff00}, /* 192.0.2/24 documentation */
        {0xc0a80000, 0xffff0000}, /* 192.168/16 */
        {0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
        {0xc6336400, 0xffffff00}, /* 198.51.100/24 documentation */
        {0xcb007100, 0xffffff00}, /* 203.0.113/24 documentation */
        {0xe0000000, 0xe0000000}, /* 224/4 multicast, 240/4 reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
        if ((x & blocked[i].mask) == blocked[i].net) return 0;
    return 1;
}

static int v6_public(const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t siit[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0};
    static const uint8_t zero[12] = {0};
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0 || memcmp(a, siit, 12) == 0)
        return v4_public(a + 12);
    if (memcmp(a, zero, 12) == 0) return 0; /* ::, ::1, IPv4-compatible */
    /* 64:ff9b:1::/48 local-use NAT64 (may reach private IPv4), 2001::/32
     * Teredo (an IPv4 tunnel), 100::/64 discard-only */
    if (memcmp(a, nat64, 4) == 0 && a[4] == 0 && a[5] == 1) return 0;
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) return 0;
    if (a[0] == 0x01 && memcmp(a + 1, zero, 7) == 0) return 0;
    if ((a[0] & 0xfe) == 0xfc) return 0;                 /* fc00::/7 unique local */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return 0; /* fe80::/10 link-local */
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0) return 0; /* fec0::/10 site-local */
    if (a[0] == 0xff) return 0;                          /* multicast */
    if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) return 0; /* doc */
    if (a[0] == 0x20 && a[1] == 0x02) return v4_public(a + 2); /* 6to4 embeds an IPv4 */
    return 1;
}

int rg_callback_url_ok(const char *u)
{
    size_t skip = strncasecmp(u, "https://", 8) == 0  ? 8
                  : strncasecmp(u, "http://", 7) == 0 ? 7
                                                      : 0;
    size_t n = strnlen(u, 2049);
    if (!skip || n > 2048 || !u[skip] || strchr("/?#:@", u[skip])) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f) return 0;
    /* no user info: credentials in a URL end up in logs and confuse parsers */
    size_t host_len = strcspn(u + skip, "/?#");
    return memchr(u + skip, '@', host_len) == NULL;
}

int rg_addr_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_public((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
    if (sa->sa_family == AF_INET6)
        return v6_public(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
    return 0;
}

/* hostname.h - the host a request names (the Host header, HTTP/2's
 * :authority), parsed exactly, and the rules roomgate applies to it.
 *
 * Links built from the request (media_url without --public-url) and the
 * anonymous demo routes must not answer for any name a client sends: a
 * foreign Host would put another server's name in a signed link, and DNS
 * rebinding reaches a loopback server under an attacker's name.  So the
 * Host is parsed as RFC 9110 writes it (host [":" port], an IPv6 literal in
 * brackets) and compared whole: "localhost.attacker.example" or
 * "127.0.0.1.nip.io" are names of their own, never loopback.  Pure (only
 * inet_pton/inet_ntop). */
#ifndef RG_CORE_HOSTNAME_H
#define RG_CORE_HOSTNAME_H

#include <stddef.h>

#define RG_HOST_MAX 253 /* a DNS name's longest text form */

typedef struct {
    char name[RG_HOST_MAX + 1]; /* lower case; an IPv6 literal canonical, without brackets */
    unsigned port;              /* 0 when none was given */
    int ipv6;
} rg_host;

/* Parses "name", "name:port", "[v6]" or "[v6]:port".  A name is labels of
 * letters, digits and '-' (1..63 bytes, no empty label, no trailing dot);
 * a port is 1..5 digits in 1..65535.  0, or -1 for anything else (empty,
 * a zone id, userinfo, spaces...). */
int rg_host_parse(const char *s, size_t len, rg_host *out);

/* "localhost", an IPv4 address in 127.0.0.0/8, "::1" or an IPv4-mapped
 * 127.0.0.0/8. */
int rg_host_is_loopback(const rg_host *h);

/* 1 when h is the same host as `name` (a bare host, as --listen gives it,
 * IPv6 without brackets); the port is not compared.  The wildcard
 * addresses 0.0.0.0 and :: name no host and never match. */
int rg_host_is(const rg_host *h, const char *name);

/* 1 when h is one of the comma-separated entries of list ("name",
 * "name:port", "[v6]", "[v6]:port"; spaces around entries are ignored).  An
 * entry without a port matches any port.  Entries that do not parse match
 * nothing (rg_host_list_valid reports them). */
int rg_host_in_list(const rg_host *h, const char *list);

/* 1 when every entry of list parses (and there is at least one). */
int rg_host_list_valid(const char *list);

#endif

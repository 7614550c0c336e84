/* netaddr.h - which addresses a status callback may be delivered to.
 *
 * A callback URL comes from an API caller, so without a rule it would let
 * that caller make the server send requests into its own network (SSRF).
 * The rule is applied to the address actually connected to, after DNS
 * resolution, so a name that resolves to a public address when checked
 * and to a private one when used (DNS rebinding) gains nothing. */
#ifndef RG_CORE_NETADDR_H
#define RG_CORE_NETADDR_H

#include <sys/socket.h>

/* 1 when u is a callback URL roomgate accepts: http:// or https://, a
 * host without user info, no spaces or control characters, at most 2048
 * bytes.  The address
 * rule below applies when it is called. */
int rg_callback_url_ok(const char *u);

/* 1 when sa is a public unicast address (IPv4 or IPv6); 0 for loopback,
 * private (RFC 1918, fc00::/7), link-local, shared (100.64/10),
 * unspecified, multicast, broadcast, reserved and documentation ranges,
 * and IPv4 addresses embedded in IPv6 (mapped, NAT64) that are any of
 * these; 0 for any other family. */
int rg_addr_public(const struct sockaddr *sa);

#endif

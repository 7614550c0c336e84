/* connlimit.h - how many HTTP connections one client address holds open
 * (--max-conns-per-ip; docs/security.md "Connections per address").
 *
 * Every connection can hold request bodies in memory (h2o 2.2 buffers a
 * whole body, up to --max-body, per HTTP/1 connection and per HTTP/2
 * stream), so the memory one address can pin grows with its connection
 * count.  The count is taken at accept, before TLS or any byte of HTTP,
 * and given back when the socket closes.  The address is the TCP peer
 * (IPv4 as is, IPv6 by its /64, as core/ratetab.h keys it).  One table
 * for all loops behind one mutex: accepts are rare next to requests. */
#ifndef RG_HTTP_CONNLIMIT_H
#define RG_HTTP_CONNLIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#include "core/addrcount.h"

#define RG_CONNKEY_LEN RG_ADDRKEY_LEN

typedef struct rg_connlimit rg_connlimit;

/* limit > 0 connections per address; NULL when out of memory. */
rg_connlimit *rg_connlimit_new(int limit);
void rg_connlimit_free(rg_connlimit *cl);

/* The key of a peer address (zeroes for a family that is neither). */
void rg_connlimit_key(const struct sockaddr *sa, socklen_t len, uint8_t key[RG_CONNKEY_LEN]);
/* 0: counted (release it when the connection closes); -1: the address is
 * at its limit (or no memory), refused and counted as refused. */
int rg_connlimit_acquire(rg_connlimit *cl, const uint8_t key[RG_CONNKEY_LEN]);
void rg_connlimit_release(rg_connlimit *cl, const uint8_t key[RG_CONNKEY_LEN]);
/* Connections refused since the last call (for the periodic log line). */
uint64_t rg_connlimit_take_refused(rg_connlimit *cl);

#endif

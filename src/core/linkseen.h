/* linkseen.h - the signed /media links the process has already served to a
 * client address after that fetch's audit row was durable.
 *
 * A player fetches one link in many Range requests.  The first fetch of a
 * link from an address waits for its audit row to be durable before any
 * byte is sent; the later ones find the link here and have their rows
 * written by the same group commit without waiting for it (docs/security.md
 * "Media fetches and the audit log").  A link is known by its recording,
 * its nonce (random per link) and the client address, so the same link
 * fetched from a new address waits again.
 *
 * A fixed direct-mapped table: a collision or a full table only evicts,
 * and an evicted link's next fetch waits again, so the table never lets a
 * fetch skip the wait it would otherwise need.  An entry lapses with its
 * link.  Pure: the caller passes the time. */
#ifndef RG_CORE_LINKSEEN_H
#define RG_CORE_LINKSEEN_H

#include <stddef.h>
#include <stdint.h>

#define RG_LINKSEEN_SLOTS 256
#define RG_LINKSEEN_KEY 160 /* recording sid, nonce, address, separators, NUL */

typedef struct {
    struct {
        char key[RG_LINKSEEN_KEY];
        int64_t exp; /* the link's expiry (unix seconds); 0: empty */
    } e[RG_LINKSEEN_SLOTS];
} rg_linkseen;

/* The key of (recording sid, nonce of nlen bytes, client address) into
 * out; 0, or -1 when it does not fit (then the fetch simply waits). */
int rg_linkseen_key(char out[RG_LINKSEEN_KEY], const char *sid, const char *nonce, size_t nlen,
                    const char *client);
/* 1 when key was served and its link has not expired at now, else 0. */
int rg_linkseen_has(const rg_linkseen *s, const char *key, int64_t now);
/* Records key until exp (the link's own expiry). */
void rg_linkseen_add(rg_linkseen *s, const char *key, int64_t exp);

#endif

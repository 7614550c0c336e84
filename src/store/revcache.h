/* revcache.h - the in-memory set of token revocations (kicks).
 *
 * Token validation is a hot path and must not touch the disk, so it asks
 * this set, never the store.  The set is loaded at start, updated by this
 * process right after each kick it commits (rg_revcache_add), and reloaded
 * by rg_revcache_poll, which the server calls every 100 ms, when SQLite's
 * data_version says another process (the CLI) committed.  While the set is
 * empty a lookup is one atomic load: no lock, no hashing. */
#ifndef RG_STORE_REVCACHE_H
#define RG_STORE_REVCACHE_H

#include <stdint.h>

#include "store/rooms.h"
#include "store/store.h"

typedef struct rg_revcache rg_revcache;

/* Loads every revocation of st (borrowed: it must outlive the set). */
int rg_revcache_new(rg_store *st, rg_revcache **out);
void rg_revcache_free(rg_revcache *rc);

int rg_revcache_reload(rg_revcache *rc);
int rg_revcache_poll(rg_revcache *rc); /* reloads if data_version moved */

/* Adds (or moves forward) a revocation this process has just committed. */
int rg_revcache_add(rg_revcache *rc, const rg_revocation *r);

/* Moves after every change of the set (as rg_keycache_generation). */
uint64_t rg_revcache_generation(rg_revcache *rc);

/* 1 when a token of (account, room, identity) issued at `issued` is
 * revoked, else 0.  room is what the token names: a room SID or a unique
 * name. */
int rg_revcache_revoked(rg_revcache *rc, const char *account_sid, const char *room,
                        const char *identity, int64_t issued);

#endif

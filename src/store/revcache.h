/* revcache.h - the in-memory set of token revocations (kicks).
 *
 * Token validation is a hot path and must not touch the disk, so it asks
 * this set, never the store.  The set is loaded at start, updated by this
 * process right after each kick it commits (rg_revcache_add), and reloaded
 * when the change watcher (store/watch.h) says another process (the CLI)
 * committed.  While the set is empty a lookup is one atomic load: no lock,
 * no hashing. */
#ifndef RG_STORE_REVCACHE_H
#define RG_STORE_REVCACHE_H

#include <stdint.h>

#include "core/token.h"
#include "store/hotcache.h"
#include "store/rooms.h"
#include "store/store.h"

typedef struct rg_revcache rg_revcache;

/* Loads every revocation of st (borrowed: it must outlive the set). */
int rg_revcache_new(rg_store *st, rg_revcache **out);
void rg_revcache_free(rg_revcache *rc);

int rg_revcache_reload(rg_revcache *rc);
/* Reloads unless the set was loaded at the store's current change mark. */
int rg_revcache_poll(rg_revcache *rc);
/* The watcher's listener (rg_watch_fn): reloads unless loaded at mark. */
void rg_revcache_changed(void *rc, int64_t mark);

/* Adds (or moves forward) a revocation this process has just committed. */
int rg_revcache_add(rg_revcache *rc, const rg_revocation *r);

/* Moves after every change of the set (as rg_keycache_generation). */
uint64_t rg_revcache_generation(rg_revcache *rc);

/* 1 when a token of (account, room, identity) issued at `issued` is
 * revoked, else 0.  room is what the token names: a room SID or a unique
 * name. */
int rg_revcache_revoked(rg_revcache *rc, const char *account_sid, const char *room,
                        const char *identity, int64_t issued);

/* 1 when the valid token r may not be used for room (NULL: the room r
 * names; "" or no room: never) because a kick revoked it: the question every
 * route that takes a token as a credential asks (validate, /sec_rec,
 * the VideoSDK REST routes), with the identity a join takes
 * (rg_token_identity).  rc may be NULL (no set: nothing is revoked).
 * A VideoSDK token may name its room by customRoomId, which the set does
 * not know (it has the room's sid and unique name, the roomId): with hot
 * and st, such a name is resolved to its roomId too (a memory read when
 * cached; only while the set holds any revocation). */
int rg_revcache_token_revoked(rg_revcache *rc, rg_hotcache *hot, rg_store *st,
                              const rg_token_result *r, const char *room);

#endif

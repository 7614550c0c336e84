/* hotcache.h - the in-memory copies of VideoSDK rooms and consultations
 * that the hot routes read (GET /v2/rooms/validate/{id}, the consultation
 * token route), so a lookup that was answered once is not a store round
 * trip again.  DESIGN.md: the hot paths never block on disk.
 *
 * Read-through and never stale for longer than a tick: the write actions
 * in this process call the forget functions after each change they commit,
 * and the whole cache is cleared when the change watcher (store/watch.h)
 * says another process (the CLI) committed.
 *
 * Every function takes the cache (NULL: no cache, each read goes to the
 * store) and, where it reads, the store as plain parameters, and every
 * time as `now`: the store layer knows nothing of the server that owns
 * them (its module is in cli/modules.c). */
#ifndef RG_STORE_HOTCACHE_H
#define RG_STORE_HOTCACHE_H

#include <stdint.h>

#include "store/consultations.h"
#include "store/meetings.h"
#include "store/store.h"
#include "store/watch.h"

#define RG_HOTCACHE_ROWS 8192 /* per kind; a full cache starts over */

typedef struct rg_hotcache rg_hotcache;

/* Creates a cache that listens to changes (borrowed; NULL: nothing is
 * watched) and clears itself when another process commits; RG_OK or an
 * RG_E code (nothing to free then). */
int rg_hot_new(rg_watch *changes, rg_hotcache **out);
void rg_hot_free(rg_hotcache *h);

/* Also caches, per account, whether it has any VideoSDK room, and answers
 * RG_ENOTFOUND for every key of an account with none without a store read
 * (most accounts have none, and every Twilio join asks it of its room's
 * name).  Only for a server that is its store's only server (SQLite
 * without --redis): a meeting another writer creates reaches the cache at
 * the watcher's next tick, a key never asked before included, and where
 * nodes share the store (PostgreSQL, or one SQLite file with --redis)
 * that writer is any other node, whose new room a load balancer may send
 * a join to at once. */
void rg_hot_answer_accounts(rg_hotcache *h);

/* As rg_store_meeting_get / rg_store_consultation_get, served from memory
 * when possible (errors are never cached; a meeting's RG_ENOTFOUND is,
 * until a meeting with that key is created: rg_hot_meeting_forget; so is
 * the account's answer above). */
int rg_hot_meeting_get(rg_hotcache *h, rg_store *st, const char *account_sid, const char *key,
                       rg_meeting *out);
int rg_hot_consultation_get(rg_hotcache *h, rg_store *st, const char *account_sid, const char *id,
                            rg_consultation *out);

/* The consultation token route makes sure the consultation's go room
 * exists (rg_store_room_get_or_create: a write transaction).  It skips that
 * when it did so for the same room within RG_HOT_ROOM_RECHECK seconds: a
 * room may be completed at any moment after a token is minted anyway (the
 * token outlives that check by up to 15 minutes), so a recheck per second
 * loses nothing, and a burst of joins does not queue on the store. */
#define RG_HOT_ROOM_RECHECK 1
int rg_hot_room_fresh(rg_hotcache *h, const char *account_sid, const char *name, int64_t now);
/* Records a successful check that began at cache generation gen. */
void rg_hot_room_checked(rg_hotcache *h, const char *account_sid, const char *name, int64_t now,
                         uint64_t gen);
uint64_t rg_hot_room_gen(rg_hotcache *h);
void rg_hot_room_forget(rg_hotcache *h, const char *account_sid, const char *name);

/* After committing a change to m or k: every key it may be cached under. */
void rg_hot_meeting_forget(rg_hotcache *h, const rg_meeting *m);
void rg_hot_consultation_forget(rg_hotcache *h, const rg_consultation *k);

#endif

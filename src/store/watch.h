/* watch.h - the one watcher for commits made by other processes (the CLI
 * writing while serve runs), fanned out to every cache that must hear of
 * them: the key cache, the revocation set, the hot rows, the recordings
 * cache, the signaling rooms.
 *
 * Writers in this process tell the caches they touch themselves, at once
 * (src/app/); the store's change mark (store.h) moves only for the others.
 * Instead of each cache asking the store on every tick, the server's main
 * thread asks once (rg_watch_tick, every 100 ms) and, when the mark moved,
 * calls each listener with the new mark, in the order they registered.
 * A back end without a cheap mark (PostgreSQL: LISTEN/NOTIFY) only has to
 * make rg_store_change_mark move; nothing here changes.
 *
 * Listeners register while the server starts and stay until the watcher is
 * freed, after the server stopped ticking; they run on the main thread and
 * may read the store. */
#ifndef RG_STORE_WATCH_H
#define RG_STORE_WATCH_H

#include <stdint.h>

#include "store/store.h"

#define RG_WATCH_MAX 16 /* listeners */

typedef struct rg_watch rg_watch;
typedef void (*rg_watch_fn)(void *ud, int64_t mark);

/* Watches st (borrowed: it must outlive the watcher) from its current
 * mark on.  RG_OK, RG_ENOMEM or RG_EIO (the store does not answer). */
int rg_watch_new(rg_store *st, rg_watch **out);
void rg_watch_free(rg_watch *w);

/* Adds a listener; RG_ENOMEM when RG_WATCH_MAX are registered.  A NULL
 * watcher is a process that watches nothing (the CLI, a unit test built
 * around one cache): RG_OK, nothing to register. */
int rg_watch_listen(rg_watch *w, rg_watch_fn fn, void *ud);

/* Asks the store once; calls every listener when the mark moved.  1 when
 * they were called, 0 when nothing moved, RG_EIO when the store did not
 * answer (the next check asks again). */
int rg_watch_check(rg_watch *w);
/* rg_watch_check in the shape of a main-thread poller (http/app.h). */
void rg_watch_tick(void *w, int64_t now);

#endif

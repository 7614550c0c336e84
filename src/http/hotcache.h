/* hotcache.h - the in-memory copies of VideoSDK rooms and consultations
 * that the hot routes read (GET /v2/rooms/validate/{id}, the consultation
 * token route), so a lookup that was answered once is not a store round
 * trip again.  DESIGN.md: the hot paths never block on disk.
 *
 * Read-through and never stale for longer than a poll: handlers in this
 * process call the forget functions after each change they commit, and the
 * whole cache is cleared when the store's data_version says another
 * process (the CLI) committed, checked on the main thread's 100 ms tick. */
#ifndef RG_HTTP_HOTCACHE_H
#define RG_HTTP_HOTCACHE_H

#include "http/app.h"
#include "store/consultations.h"
#include "store/meetings.h"

#define RG_HOTCACHE_ROWS 8192 /* per kind; a full cache starts over */

/* Creates app->hot and registers its poller; RG_OK or an RG_E code. */
int rg_hot_start(rg_app *app);
void rg_hot_stop(rg_app *app);

/* As rg_store_meeting_get / rg_store_consultation_get, served from memory
 * when possible (results other than RG_OK are never cached). */
int rg_hot_meeting_get(rg_app *app, const char *account_sid, const char *key, rg_meeting *out);
int rg_hot_consultation_get(rg_app *app, const char *account_sid, const char *id,
                            rg_consultation *out);

/* The consultation token route makes sure the consultation's go room
 * exists (rg_store_room_get_or_create: a write transaction).  It skips that
 * when it did so for the same room within RG_HOT_ROOM_RECHECK seconds: a
 * room may be completed at any moment after a token is minted anyway (the
 * token outlives that check by up to 15 minutes), so a recheck per second
 * loses nothing, and a burst of joins does not queue on the store. */
#define RG_HOT_ROOM_RECHECK 1
int rg_hot_room_fresh(rg_app *app, const char *account_sid, const char *name, int64_t now);
/* Records a successful check that began at cache generation gen. */
void rg_hot_room_checked(rg_app *app, const char *account_sid, const char *name, int64_t now,
                         uint64_t gen);
uint64_t rg_hot_room_gen(rg_app *app);
void rg_hot_room_forget(rg_app *app, const char *account_sid, const char *name);

/* After committing a change to m or k: every key it may be cached under. */
void rg_hot_meeting_forget(rg_app *app, const rg_meeting *m);
void rg_hot_consultation_forget(rg_app *app, const rg_consultation *k);

#endif

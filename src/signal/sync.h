/* signal/sync.h - live connections follow what another process (the CLI)
 * writes to the same database (signal/sync.c). */
#ifndef RG_SIGNAL_SYNC_H
#define RG_SIGNAL_SYNC_H

#include "signal/hub.h"

/* Listens to the change watcher (store/watch.h) to close what another
 * process ended; after the hub is made.  RG_OK or RG_ENOMEM. */
int rg_sig_sync_start(rg_app *app);
/* The same comparison now (a poller's signature: ud is the app): with
 * --redis it runs every few seconds, to make good what Redis lost. */
void rg_sig_sync_tick(void *app, int64_t now);

#endif

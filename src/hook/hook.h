/* hook/hook.h - the status callback dispatcher (docs/webhooks.md).
 *
 * One thread of its own, with its own database connection and a libcurl
 * multi handle: it reads the head of each room's queue in the outbox
 * (store/outbox.h), delivers up to --webhook-max-inflight of them at once
 * (so a slow receiver delays only its own room), and acknowledges,
 * reschedules (jittered exponential backoff on connection errors,
 * timeouts, 408, 429 and 5xx) or gives up (other answers, a refused
 * address, or older than --webhook-max-age).  Request handling only
 * writes outbox rows; it never waits for a delivery. */
#ifndef RG_HOOK_HOOK_H
#define RG_HOOK_HOOK_H

#include "http/app.h"

/* Starts the dispatcher as app->hook.  RG_OK, or an error after logging. */
int rg_hook_start(rg_app *app);
/* Stops it: deliveries under way are abandoned (their rows stay and are
 * sent again, with the same event id, by the next start). */
void rg_hook_stop(rg_app *app);

#endif

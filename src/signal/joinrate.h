/* signal/joinrate.h - joins per identity and room, on every node's loops
 * (--signal-join-burst, --signal-join-interval; docs/security.md "Join
 * churn"): one token could join, leave and join again as fast as the
 * server seats, each cycle a participant row and two status callback
 * events.  Checked at admission, before anything is written. */
#ifndef RG_SIGNAL_JOINRATE_H
#define RG_SIGNAL_JOINRATE_H

#include <stdint.h>

typedef struct rg_joinrate rg_joinrate;

/* burst joins at once, then one per interval_ms; burst 0: no limit.
 * NULL when out of memory. */
rg_joinrate *rg_joinrate_new(int burst, int interval_ms);
void rg_joinrate_free(rg_joinrate *jr);

/* Takes one join of identity in the room (account, unique name) at
 * now_ms: 0 when allowed, -1 when over the limit (nothing recorded).
 * Thread-safe. */
int rg_joinrate_take(rg_joinrate *jr, const char *account, const char *room, const char *identity,
                     int64_t now_ms);

#endif

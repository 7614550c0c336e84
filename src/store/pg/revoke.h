/* revoke.h - internal to the PostgreSQL back end: recording a revocation
 * inside a transaction (a kick, participants.c) and outside one
 * (rg_pgsql_revocation_add), from revocations.c. */
#ifndef RG_STORE_PG_REVOKE_H
#define RG_STORE_PG_REVOKE_H

#include <stdint.h>

#include "store/pg/pg.h"

/* Revokes identity's tokens for room room_sid issued at or before
 * `before` (a later cut-off moves it forward, never back); account_sid
 * NULL: the room's own account, else the room must be that account's.
 * *rows (may be NULL): 0 when there is no such room.  Store locked. */
int rg_pg_revoke_locked(rg_store *st, const char *room_sid, const char *identity,
                        const char *account_sid, int64_t before, int64_t *rows);

#endif

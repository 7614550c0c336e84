/* consultations.h - 1:1 consultations (seed 001): an appointment between a
 * client and a provider, identified by the caller's consultation_id,
 * unique per account.  The struct (rg_consultation) and the rules about
 * tokens live in core/consultation.h; this file only persists the rows.
 *
 * Implemented by the back end (SQLite: src/store/sqlite/consultations.c).
 * Every lookup is scoped to an account. */
#ifndef RG_STORE_CONSULTATIONS_H
#define RG_STORE_CONSULTATIONS_H

#include <stdint.h>

#include "core/consultation.h"
#include "store/rooms.h"
#include "store/store.h"

/* Inserts c (every field set by the caller).  RG_EEXIST when the account
 * already has this consultation_id (or the sid collides), RG_ENOTFOUND for
 * an unknown account. */
int rg_store_consultation_insert(rg_store *st, const rg_consultation *c);

/* By consultation_id, else by CN sid. */
int rg_store_consultation_get(rg_store *st, const char *account_sid, const char *id,
                              rg_consultation *out);

/* Marks it cancelled (idempotent: date_updated moves on the first call
 * only) and returns the row. */
int rg_store_consultation_cancel(rg_store *st, const char *account_sid, const char *id, int64_t now,
                                 rg_consultation *out);

/* After a cancel: completes the consultation's in-progress room (if any)
 * and revokes the client's and the provider's tokens for it issued up to
 * now, so a token minted before the cancel cannot join either.  Fills
 * rev[0..*n) with the revocations written (none when the room never
 * existed: then no token was ever minted), for the caller's in-memory set. */
int rg_store_consultation_close_room(rg_store *st, const rg_consultation *k, int64_t now,
                                     rg_revocation rev[2], int *n);

#endif

/* backend.h - what the store tests need beyond the store's interface: the
 * moves of someone who writes to the database directly, past the guards
 * the store puts on it (an attacker with the file, an edited database),
 * and a look at a table the interface keeps private.  One implementation
 * per back end, linked into every unit test (backend_sqlite.c); the tests
 * themselves include only this and the store's headers, so each back end
 * runs the same tests. */
#ifndef RG_TESTS_BACKEND_H
#define RG_TESTS_BACKEND_H

#include <stdint.h>

#include "store/store.h"

/* Deletes the audit rows with lo <= seq <= hi.  guards = 1 goes through the
 * database's own protection (which must refuse: -1), 0 removes it first
 * (0 on success). */
int rg_tb_audit_delete(rg_store *st, int64_t lo, int64_t hi, int guards);
/* Rewrites one audit row's identity, past the guards.  0 / -1. */
int rg_tb_audit_edit(rg_store *st, int64_t seq, const char *identity);
/* Deletes the audit head row (guards as above).  0 / -1. */
int rg_tb_head_delete(rg_store *st, int guards);

/* The audit head row as stored. */
typedef struct {
    int64_t seq;
    uint8_t hash[32], mac[32];
} rg_tb_head;
void rg_tb_head_get(rg_store *st, rg_tb_head *h);
void rg_tb_head_put(rg_store *st, const rg_tb_head *h);
/* Points the head row at row seq (its seq and hash; the MAC is left). */
void rg_tb_head_forge(rg_store *st, int64_t seq);
/* Puts back the placeholder the schema starts from (before heads). */
void rg_tb_head_clear(rg_store *st);

/* 1 when the back end's commits are durable at once, so a seat never
 * waits for a sync (rg_seat.durable stays 0: PostgreSQL), 0 when a seat
 * batch that opens a room commits light and is synced after (SQLite). */
int rg_tb_commits_durable(void);

/* How many single-use media link nonces are stored. */
int64_t rg_tb_nonce_count(rg_store *st);

/* Puts a status callback event in the outbox as the store's emitters
 * would (its id and SequenceNumber from the outbox's own numbering), for
 * tests of the dispatcher's side that need no room: event "test-event",
 * url "http://receiver.test/", params "{}".  0 / -1. */
int rg_tb_outbox_add(rg_store *st, const char *event_id, const char *account_sid,
                     const char *room_sid, int64_t created, int64_t next_ms);

#endif

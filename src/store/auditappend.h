/* auditappend.h - appending a batch to the audit chain and starting its
 * head, the same on every back end: linking each row to the one before
 * it, consuming single-use link nonces, hashing, moving the head row and
 * purging old nonces.  A back end keeps its SQL and its transactions; it
 * hands its row and head-row statements here as an rg_audit_rows table
 * (store/sqlite/audit.c, store/pg/audit.c), called with the store locked
 * inside its transaction. */
#ifndef RG_STORE_AUDITAPPEND_H
#define RG_STORE_AUDITAPPEND_H

#include <stddef.h>
#include <stdint.h>

#include "store/auditcheck.h"

typedef struct {
    /* The last row: its seq and hash (0 and zeros when the log is empty). */
    int (*read_tail)(rg_store *st, int64_t *seq, uint8_t hash[RG_AUDIT_HASH_LEN]);
    /* The head row into h->db / h->db_state (a missing row is a state). */
    int (*read_head_row)(rg_store *st, rg_aheads *h);
    /* Seals h (rg_audit_head_seal) and writes it to the head row. */
    int (*put_head_row)(rg_store *st, rg_audit_head *h);
    /* 1 when the nonce is new (now recorded), 0 when it was used, or < 0. */
    int (*consume)(rg_store *st, const char *nonce, int64_t exp);
    /* Inserts one finished row; ud is the caller's (a statement to reuse). */
    int (*insert)(rg_store *st, void *ud, const rg_audit_row *r);
    /* Deletes the nonces that expired before `before`. */
    int (*purge_nonces)(rg_store *st, int64_t before);
} rg_audit_rows;

/* Appends items (n >= 1) after the head (rg_audit_start), moves the head
 * row when it is valid or the placeholder, and purges nonces expired a
 * minute before now; *out = the new head, to publish after the commit. */
int rg_audit_append_rows(rg_store *st, rg_aanchor *a, const rg_audit_rows *rows, void *ud,
                         rg_audit_item *const *items, size_t n, int64_t now, rg_audit_head *out);

/* rg_store_audit_head_start's step inside the transaction: reads the head
 * row into *h and, when it is the placeholder, starts it at the last row.
 * *valid = 1 when *h is then a valid head to publish. */
int rg_audit_head_fix(rg_store *st, const rg_audit_rows *rows, rg_audit_head *h, int *valid);

#endif

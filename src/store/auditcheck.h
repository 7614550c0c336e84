/* auditcheck.h - the parts of the audit chain (store/audit.h) that do not
 * depend on the database: the head file (DATA/audit.head), where a batch
 * continues the chain, and the verdict of `roomgate audit verify` from a
 * walk over the rows and the two heads.  A back end reads its rows and its
 * head row and hands them here, so every back end judges a chain the same
 * way (both back ends use it: store/sqlite/audit.c and store/pg/audit.c
 * keep only their rows, their head row and their transactions).
 *
 * - The head row moves in the same transaction as the rows it covers.
 * - The head file is written after each commit, only ever forward: its
 *   older slot overwritten in place and fdatasync'd (core/auditchain.h
 *   RG_AUDIT_HEAD_SLOT; created whole, and the one-line form of earlier
 *   versions replaced, through a temporary file and a rename).  It
 *   lives outside the database, so rolling the database back leaves it
 *   naming rows that are gone.  It can lag the database (the batch being
 *   committed when the process died; on several nodes, the other nodes'
 *   batches), never lead it.
 * See docs/security.md "Audit chain head" for the threat model. */
#ifndef RG_STORE_AUDITCHECK_H
#define RG_STORE_AUDITCHECK_H

#include <stdint.h>

#include "core/auditchain.h"
#include "store/audit.h"

typedef enum {
    RG_AHEAD_OK,          /* present and its MAC verifies */
    RG_AHEAD_PLACEHOLDER, /* the row a fresh schema starts with, not started yet */
    RG_AHEAD_ABSENT,      /* no row / no file */
    RG_AHEAD_BAD,         /* unreadable, malformed, or its MAC does not verify */
} rg_ahead_state;

typedef struct {
    rg_ahead_state db_state, file_state;
    rg_audit_head db, file;
    int file_slot; /* the head file's slot that holds file; -1: none (absent, bad, one-line) */
} rg_aheads;

/* An appender's and verifier's anchor: the head key and the file. */
typedef struct {
    int anchored;
    uint8_t key[32];
    char path[4096];
    int warned;      /* said once that the log and its head disagree */
    int file_warned; /* ... or that it cannot write the head file */
} rg_aanchor;

/* Sets a from key and head_path (RG_EINVAL when the path is too long). */
int rg_aanchor_set(rg_aanchor *a, const uint8_t key[32], const char *head_path);
/* The same with the key derived from master (RG_AUDIT_HEAD_KDF_LABEL) and
 * head_file, or DATA/audit.head when it is NULL (store/audit.h). */
int rg_aanchor_set_dir(rg_aanchor *a, const uint8_t master[32], const char *data_dir,
                       const char *head_file);
/* The head file into h->file / h->file_state.  Never fails: problems are
 * states. */
void rg_aheads_read_file(const rg_aanchor *a, rg_aheads *h);
/* Seals h and moves the head file forward to it unless it already names
 * h->seq or more; a failure is said once per anchor (the head row is the
 * head of record; the file catches up with the next batch). */
void rg_ahead_publish(rg_aanchor *a, rg_audit_head *h);

/* A row's text fields for hashing: empty strings are NULL. */
rg_audit_fields rg_audit_fields_of(const rg_audit_row *r);

/* Where a batch continues the chain: the head, not the last row, so a
 * tail deleted behind the server's back stays a gap (seq and prev_hash)
 * instead of being built over.  Of the two heads the one naming more rows
 * wins; without a valid head, the last row (tail_seq, tail_hash: 0 and
 * zeros for an empty table).  Says once per anchor when the log does not
 * end where its head says. */
void rg_audit_start(rg_aanchor *a, const rg_aheads *h, int64_t tail_seq,
                    const uint8_t tail_hash[RG_AUDIT_HASH_LEN], rg_audit_head *start);

/* A walk over the rows in seq order (rg_audit_walk_row as the visitor),
 * then the verdict. */
typedef struct {
    rg_audit_verdict *v;
    uint8_t prev[RG_AUDIT_HASH_LEN];
    int64_t want_seq; /* the row the head file names: its hash is kept */
    uint8_t want_hash[RG_AUDIT_HASH_LEN];
} rg_audit_walk;

/* Starts a walk filling v; h->file read already (before the rows). */
void rg_audit_walk_init(rg_audit_walk *w, rg_audit_verdict *v, const rg_aheads *h);
/* Returns 1 (stop) at the first row that does not link to the one before
 * it or whose own hash does not match its fields. */
int rg_audit_walk_row(void *walk, const rg_audit_row *r);
/* What the heads say about the chain the walk checked; sets v->ok. */
void rg_audit_judge(rg_audit_verdict *v, const rg_aheads *h, const rg_audit_walk *w);

/* rg_store_audit_verify around the back end's snapshot: _begin reads the
 * head file (before the snapshot: written after each commit, it can only
 * name rows the snapshot has) and starts the walk, RG_EINVAL when a is not
 * anchored; the back end then reads its head row into h and walks its rows
 * with rg_audit_walk_row, ending with rc (1: the walk stopped at a broken
 * link); _end judges, or returns a failure. */
int rg_audit_verify_begin(const rg_aanchor *a, rg_audit_verdict *v, rg_aheads *h, rg_audit_walk *w);
int rg_audit_verify_end(rg_audit_verdict *v, const rg_aheads *h, const rg_audit_walk *w, int rc);

#endif

/* audit.h - the append-only, hash-chained audit log of recording access
 * (chain format in core/auditchain.h).
 *
 * Appends come in batches: one IMMEDIATE transaction reads the chain's
 * head, inserts every row of the batch and commits once (synchronous=FULL,
 * so one fsync covers the batch).  Any connection, in any process, can
 * append: the write lock orders the batches and each reads the head it
 * extends. */
#ifndef RG_STORE_AUDIT_H
#define RG_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/auditchain.h"
#include "core/token.h"
#include "store/store.h"

#define RG_AUDIT_REASON_MAX 127
#define RG_AUDIT_ROLES_MAX 1023
#define RG_AUDIT_IP_MAX 63
#define RG_AUDIT_UA_MAX 511

/* One row; empty strings are stored (and hashed) as NULL. */
typedef struct {
    int64_t seq, ts_ms;
    char action[16], outcome[16];
    char reason[RG_AUDIT_REASON_MAX + 1];
    char account_sid[RG_SID_SIZE], recording_sid[RG_SID_SIZE];
    char identity[RG_IDENTITY_MAX + 1], realm_user_id[RG_IDENTITY_MAX + 1];
    char roles[RG_AUDIT_ROLES_MAX + 1]; /* JSON array text */
    char client_ip[RG_AUDIT_IP_MAX + 1];
    char user_agent[RG_AUDIT_UA_MAX + 1];
    uint8_t prev_hash[RG_AUDIT_HASH_LEN], hash[RG_AUDIT_HASH_LEN];
} rg_audit_row;

/* A row to append and, for single-use media links, the link's nonce to
 * consume in the same transaction. */
typedef struct {
    rg_audit_row row;          /* in: the fields; out: seq and hashes */
    const char *consume_nonce; /* NULL when none */
    int64_t nonce_exp;         /* unix seconds: kept until then */
    int result;                /* out: RG_OK, or RG_EEXIST when the nonce was used
                                  (the row is then written as refused, "link already used") */
} rg_audit_item;

/* Appends the batch in one transaction.  All or nothing: on failure no row
 * is written and every item keeps its fields. */
int rg_store_audit_append(rg_store *st, rg_audit_item *const *items, size_t n, int64_t now);

/* The rows of one recording, oldest first, paged. */
int rg_store_audit_list(rg_store *st, const char *recording_sid, size_t offset, size_t limit,
                        rg_audit_row *out, size_t *count, int *more);
/* Every row with ts_ms >= since_ms, oldest first; stops when fn returns
 * non-zero and returns that.  fn runs with the store locked. */
int rg_store_audit_each(rg_store *st, int64_t since_ms, int (*fn)(void *ud, const rg_audit_row *r),
                        void *ud);

typedef struct {
    int ok;               /* 1 when the chain is intact and ends where its head says */
    int64_t rows;         /* rows checked: the intact chain from seq 1 */
    int64_t bad_seq;      /* first row whose link is broken; 0 when none */
    int64_t missing_rows; /* rows a head names beyond the last row (a removed tail) */
    int64_t head_seq;     /* the most rows a valid head names; -1 without one */
    int head_file;        /* 1 when the head file exists */
    const char *why;      /* static text; NULL when ok */
} rg_audit_verdict;

/* Appends and verification need the chain head's key (derived from the
 * master key) and the head file (DATA/audit.head);
 * without them append and verify answer RG_EINVAL.  Call once after
 * rg_store_open. */
int rg_store_audit_anchor(rg_store *st, const uint8_t key[32], const char *head_path);
/* The same with the key derived from the master key (HKDF-SHA256, label
 * RG_AUDIT_HEAD_KDF_LABEL) and head_file, or DATA/audit.head when it is
 * NULL: what serve and the CLI use (--audit-head). */
int rg_store_audit_anchor_dir(rg_store *st, const uint8_t master[32], const char *data_dir,
                              const char *head_file);
#define RG_AUDIT_HEAD_KDF_LABEL "roomgate audit chain head v1"

/* Starts the head at the chain's current tail when the database has none
 * yet (created by an older version: migration 6 left a placeholder), and
 * brings the head file up to the head row.  serve calls it at start. */
int rg_store_audit_head_start(rg_store *st);

/* Walks the whole chain and checks it against both heads. */
int rg_store_audit_verify(rg_store *st, rg_audit_verdict *v);

#endif

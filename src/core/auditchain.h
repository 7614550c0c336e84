/* auditchain.h - the hash chain of the audit log.
 *
 * Each row stores prev_hash (the previous row's hash; 32 zero bytes for
 * the first row) and hash = SHA-256 over a canonical encoding of the row:
 *
 *   "rg-audit-v1" | seq (8 bytes) | ts_ms (8) | prev_hash (32) |
 *   each text field as length (4 bytes, 0xffffffff for NULL) + bytes,
 *   in the order of rg_audit_fields
 *
 * (integers big-endian).  Editing any field, deleting or reordering rows
 * breaks the chain at that row.  Pure. */
#ifndef RG_CORE_AUDITCHAIN_H
#define RG_CORE_AUDITCHAIN_H

#include <stddef.h>
#include <stdint.h>

#define RG_AUDIT_HASH_LEN 32

/* The text fields of a row, in hashing order; NULL = SQL NULL. */
typedef struct {
    const char *action;  /* sec_rec, media, create, delete */
    const char *outcome; /* granted, refused, served, created, deleted */
    const char *reason;
    const char *account_sid;
    const char *recording_sid;
    const char *identity;
    const char *realm_user_id;
    const char *roles; /* JSON array text */
    const char *client_ip;
    const char *user_agent;
} rg_audit_fields;

/* Computes the row hash; RG_OK or RG_ECRYPTO. */
int rg_audit_hash(int64_t seq, int64_t ts_ms, const uint8_t prev[RG_AUDIT_HASH_LEN],
                  const rg_audit_fields *f, uint8_t out[RG_AUDIT_HASH_LEN]);

#endif

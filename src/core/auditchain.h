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

/* ---- the chain head ------------------------------------------------------
 *
 * Rows alone cannot show that the newest ones were deleted: what is left
 * is still a valid chain.  The head names the last row, (seq, hash), under
 * mac = HMAC-SHA256(K, "rg-audit-head-v1" | seq (8 bytes) | hash), K
 * derived from the master key, so whoever lacks the master key cannot
 * make a head for a shorter chain (docs/security.md "Audit chain head").
 * Its text form, one line in the head file:
 *
 *   rg-audit-head-v1 <seq decimal> <hash, 64 hex> <mac, 64 hex>\n
 */
#define RG_AUDIT_HEAD_TEXT 192 /* bytes of the text form, NUL included, at most */

typedef struct {
    int64_t seq; /* rows in the chain (0: empty) */
    uint8_t hash[RG_AUDIT_HASH_LEN];
    uint8_t mac[RG_AUDIT_HASH_LEN];
} rg_audit_head;

/* Sets h->mac for h->seq and h->hash; RG_OK or RG_ECRYPTO. */
int rg_audit_head_seal(const uint8_t key[32], rg_audit_head *h);
/* 1 when h->mac is right (compared in constant time), else 0. */
int rg_audit_head_valid(const uint8_t key[32], const rg_audit_head *h);
/* The text form into out (RG_AUDIT_HEAD_TEXT bytes); its length. */
size_t rg_audit_head_format(const rg_audit_head *h, char out[RG_AUDIT_HEAD_TEXT]);
/* Parses exactly one text form (the final newline required); 0 or -1. */
int rg_audit_head_parse(const char *s, size_t len, rg_audit_head *out);

/* The head file holds two slots of RG_AUDIT_HEAD_SLOT bytes, each the text
 * form padded with spaces to a newline in its last byte.  The writer
 * overwrites the older slot in place (one fdatasync, no new inode, no
 * rename), so the newer one stays intact while it writes: a write torn by
 * a crash, or seen half-done by a reader, spoils only the slot being
 * replaced, and the file then lags by that one head, as it may.  Slots
 * sit in separate 512-byte sectors. */
#define RG_AUDIT_HEAD_SLOT 512
#define RG_AUDIT_HEAD_FILE (2 * RG_AUDIT_HEAD_SLOT)

/* One slot's bytes for h into out; 0, or -1 when h does not format. */
int rg_audit_head_slot_format(const rg_audit_head *h, char out[RG_AUDIT_HEAD_SLOT]);
/* Parses one slot (exactly the form above); 0 or -1. */
int rg_audit_head_slot_parse(const char s[RG_AUDIT_HEAD_SLOT], rg_audit_head *out);

#endif

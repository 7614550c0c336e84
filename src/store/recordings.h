/* recordings.h - metadata of encrypted recordings (the bytes live in
 * DATA/recordings/RE....rgrec, see crypto/recfile.h).
 *
 * A deleted recording keeps a tombstone row (date_deleted set, file and
 * key destroyed) so its audit log stays reachable by its owner. */
#ifndef RG_STORE_RECORDINGS_H
#define RG_STORE_RECORDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/token.h"
#include "store/store.h"

#define RG_CONTENT_TYPE_MAX 127
#define RG_ACL_JSON_MAX 4096 /* allowed_identities / allowed_roles as a JSON array */
#define RG_ACL_MAX_ENTRIES 64

typedef struct {
    char sid[RG_SID_SIZE]; /* RE... */
    char account_sid[RG_SID_SIZE];
    uint64_t size;
    char content_type[RG_CONTENT_TYPE_MAX + 1];
    int64_t duration;                          /* seconds; -1 when unknown */
    char room_sid[RG_SID_SIZE];                /* "" when none */
    char consultation_id[RG_IDENTITY_MAX + 1]; /* "" when none */
    char allowed_identities[RG_ACL_JSON_MAX];  /* JSON array of strings */
    char allowed_roles[RG_ACL_JSON_MAX];
    char source[16]; /* upload, import, twilio */
    uint8_t key_id[32];
    int64_t date_created;
    int64_t date_deleted; /* 0 while live */
} rg_recording;

int rg_store_recording_insert(rg_store *st, const rg_recording *r);
/* Any account's, tombstones included: the caller checks both. */
int rg_store_recording_get(rg_store *st, const char *sid, rg_recording *out);
/* Live recordings of an account, newest first. */
int rg_store_recording_list(rg_store *st, const char *account_sid, size_t offset, size_t limit,
                            rg_recording *out, size_t *count, int *more);
/* Marks it deleted (RG_ENOTFOUND if absent or already deleted). */
int rg_store_recording_mark_deleted(rg_store *st, const char *sid, int64_t now);

#endif

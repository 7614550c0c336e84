/* tus.h - the request headers of the tus 1.0 resumable upload protocol
 * (https://tus.io/protocols/resumable-upload): Upload-Metadata,
 * Upload-Offset / Upload-Length, Tus-Resumable, and upload ids.
 *
 * Pure: no allocation, no I/O; every input is attacker-controlled (and
 * fuzzed), so each parser checks everything and accepts one spelling. */
#ifndef RG_CORE_TUS_H
#define RG_CORE_TUS_H

#include <stddef.h>
#include <stdint.h>

#define RG_TUS_VERSION "1.0.0"
#define RG_TUS_META_MAX_PAIRS 32
#define RG_TUS_KEY_MAX 64
#define RG_TUS_ID_LEN 32 /* upload ids: 32 lowercase hex digits (128 random bits) */

/* One Upload-Metadata pair, decoded into the caller's buffer: the key and
 * the value are each NUL-terminated there (the value may hold NULs of its
 * own: use value_len). */
typedef struct {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} rg_tus_pair;

/* The buffer rg_tus_parse_metadata needs for a header of len bytes. */
#define RG_TUS_META_BUF(len) ((len) + 8 * RG_TUS_META_MAX_PAIRS + 8)

/* Parses an Upload-Metadata value: comma-separated pairs "KEY BASE64" or
 * "KEY" alone (empty value); spaces or tabs may surround a pair.  A key
 * is 1..RG_TUS_KEY_MAX visible ASCII characters without ','; keys are
 * unique; a value is standard padded base64 in its one canonical
 * spelling.  An empty (or all-blank) header is zero pairs.  At most
 * max_pairs pairs (and RG_TUS_META_MAX_PAIRS).  Returns RG_OK, RG_EINVAL
 * (malformed) or RG_ETOOBIG (cap too small: give RG_TUS_META_BUF(len)). */
int rg_tus_parse_metadata(const char *s, size_t len, rg_tus_pair *pairs, size_t max_pairs,
                          size_t *npairs, char *buf, size_t cap);

/* The value of key in pairs, NULL when absent. */
const rg_tus_pair *rg_tus_meta_get(const rg_tus_pair *pairs, size_t n, const char *key);

/* Upload-Offset / Upload-Length: a non-negative decimal, digits only (no
 * sign, no blanks, no leading zero but "0" itself), at most 2^63 - 1.
 * RG_OK or RG_EINVAL. */
int rg_tus_parse_u64(const char *s, size_t len, uint64_t *out);

/* 1 when a Tus-Resumable value is exactly "1.0.0". */
int rg_tus_version_ok(const char *s, size_t len);

/* 1 when s is an upload id: exactly RG_TUS_ID_LEN lowercase hex digits. */
int rg_tus_id_valid(const char *s, size_t len);

#endif

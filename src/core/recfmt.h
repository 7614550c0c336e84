/* recfmt.h - the at-rest format of an encrypted recording, and the byte
 * range arithmetic that lets any range be decrypted on its own.
 *
 * Pure: layout, nonce derivation and segment math only; the AES-GCM and
 * RSA work is in src/crypto/recfile.c.
 *
 * A file is a header followed by segments.  Every integer is big-endian.
 *
 *   off  len  field
 *     0    8  magic "RGREC01\n"
 *     8    4  header length H (bytes before the first segment)
 *    12    4  segment size S (plaintext bytes per segment, 65536)
 *    16    8  plaintext size N
 *    24   12  file nonce (random per file)
 *    36   34  recording SID (ASCII, RE + 32 hex)
 *    70   32  key id: SHA-256 of the wrapping public key (DER SubjectPublicKeyInfo)
 *   102    2  wrapped key length W
 *   104    W  the 32-byte file key, RSA-OAEP-SHA256 (MGF1-SHA256) under the public key
 *
 * Segment i (0-based) holds plaintext bytes [i*S, min((i+1)*S, N)) sealed
 * with AES-256-GCM under the file key, followed by its 16-byte tag.  There
 * are max(1, ceil(N/S)) segments (an empty recording has one empty one).
 * Its nonce is the file nonce with bytes 3..10 XORed with i (64-bit) and
 * byte 11 XORed with 1 for the last segment; its additional data is the
 * whole header.  So a header edit breaks every tag, a segment moved to
 * another index or cut short breaks its own, and a file cut at a segment
 * boundary is caught because N (authenticated) says how many must follow
 * and only the real last one opens with the "last" nonce. */
#ifndef RG_CORE_RECFMT_H
#define RG_CORE_RECFMT_H

#include <stddef.h>
#include <stdint.h>

#include "core/sid.h"

#define RG_REC_MAGIC "RGREC01\n"
#define RG_REC_SEGMENT 65536u
#define RG_REC_TAG 16u
#define RG_REC_NONCE 12u
#define RG_REC_KEY 32u
#define RG_REC_KEYID 32u
#define RG_REC_FIXED 104u        /* header bytes before the wrapped key */
#define RG_REC_WRAPPED_MAX 1024u /* up to RSA-8192 */
#define RG_REC_HEADER_MAX (RG_REC_FIXED + RG_REC_WRAPPED_MAX)

typedef struct {
    uint32_t header_len;
    uint32_t segment;
    uint64_t size; /* plaintext bytes */
    uint8_t nonce[RG_REC_NONCE];
    char sid[RG_SID_SIZE];
    uint8_t key_id[RG_REC_KEYID];
    uint16_t wrapped_len;
    uint8_t wrapped[RG_REC_WRAPPED_MAX];
} rg_rec_header;

/* Serializes h (header_len is computed and stored back) into out (cap
 * bytes).  Returns the length, or 0 when a field is out of range. */
size_t rg_rec_header_encode(rg_rec_header *h, uint8_t *out, size_t cap);
/* Parses and checks a header; n may be longer than the header.  Returns
 * the header length, or 0 when malformed (bad magic, lengths, sid). */
size_t rg_rec_header_decode(const uint8_t *in, size_t n, rg_rec_header *h);

/* Number of segments for N plaintext bytes: max(1, ceil(N/S)). */
uint64_t rg_rec_nsegments(uint64_t size, uint32_t segment);
/* Plaintext bytes in segment i. */
uint32_t rg_rec_segment_plain(uint64_t size, uint32_t segment, uint64_t i);
/* File offset of segment i. */
uint64_t rg_rec_segment_offset(const rg_rec_header *h, uint64_t i);
/* Total file size the header announces. */
uint64_t rg_rec_file_size(const rg_rec_header *h);
/* The nonce of segment i. */
void rg_rec_nonce(const uint8_t file_nonce[RG_REC_NONCE], uint64_t i, int last,
                  uint8_t out[RG_REC_NONCE]);

/* An HTTP Range header against a resource of `size` bytes (RFC 9110
 * 14.1.2, one range only). */
typedef enum {
    RG_RANGE_NONE = 0,          /* no header, or one we ignore (multiple ranges): serve all */
    RG_RANGE_OK = 1,            /* [*first, *last] inclusive */
    RG_RANGE_UNSATISFIABLE = 2, /* 416 */
} rg_range_result;

/* hdr may be NULL (no Range header).  Malformed headers are ignored as
 * RFC 9110 allows (RG_RANGE_NONE). */
rg_range_result rg_range_parse(const char *hdr, size_t n, uint64_t size, uint64_t *first,
                               uint64_t *last);

#endif

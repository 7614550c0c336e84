/* b64.h - base64 and base64url (RFC 4648): encoding by OpenSSL's
 * EVP_EncodeBlock, strict decoding by table (b64.c says why not
 * EVP_DecodeBlock).  base64url is unpadded both ways, as JWS (RFC 7515)
 * spells it: each byte string has exactly one accepted encoding.  Pure. */
#ifndef RG_CORE_B64_H
#define RG_CORE_B64_H

#include <stddef.h>
#include <stdint.h>

/* Length of the unpadded base64url encoding of n bytes (no NUL). */
size_t rg_b64url_len(size_t n);

/* Encodes n bytes into dst (needs rg_b64url_len(n) + 1 bytes), writes a NUL,
 * returns the encoded length. */
size_t rg_b64url_encode(char *dst, const uint8_t *src, size_t n);

/* Decodes len chars of base64url into dst (capacity cap).  Rejects any
 * character outside the url alphabet ('=' padding, '+', '/', whitespace
 * included), impossible lengths (len % 4 == 1) and non-zero trailing bits.
 * Returns RG_OK and sets *outlen, RG_EINVAL on bad input, RG_ETOOBIG if cap
 * is too small ((len * 3) / 4 + 3 always fits). */
int rg_b64url_decode(uint8_t *dst, size_t cap, const char *src, size_t len, size_t *outlen);

/* Standard padded base64 (for HTTP Basic credentials). Same conventions. */
size_t rg_b64_encode(char *dst, const uint8_t *src, size_t n);
int rg_b64_decode(uint8_t *dst, size_t cap, const char *src, size_t len, size_t *outlen);

#endif

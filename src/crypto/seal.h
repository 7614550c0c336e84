/* seal.h - secrets at rest: AES-256-GCM under the master key.
 *
 * A sealed blob is: version byte (1) | nonce (12) | ciphertext | tag (16).
 * The additional authenticated data binds a blob to its row (the key SID),
 * so a blob copied onto another row does not open. */
#ifndef RG_CRYPTO_SEAL_H
#define RG_CRYPTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define RG_MASTER_KEY_LEN 32
#define RG_SEAL_OVERHEAD (1 + 12 + 16)

/* out needs n + RG_SEAL_OVERHEAD bytes.  nonce: 12 random bytes from the
 * caller.  Returns RG_OK, RG_ETOOBIG or RG_ECRYPTO. */
int rg_seal(const uint8_t key[RG_MASTER_KEY_LEN], const uint8_t nonce[12], const void *aad,
            size_t aadlen, const uint8_t *pt, size_t n, uint8_t *out, size_t cap, size_t *outlen);

/* Opens a blob; RG_ECRYPTO when the tag, version, aad or key is wrong. */
int rg_unseal(const uint8_t key[RG_MASTER_KEY_LEN], const void *aad, size_t aadlen,
              const uint8_t *blob, size_t n, uint8_t *out, size_t cap, size_t *outlen);

/* SHA-256 of an auth token, as stored in the accounts table. */
void rg_token_hash(const char *auth_token, size_t len, uint8_t out[32]);

/* Reads the master key: from env ROOMGATE_MASTER_KEY (64 hex chars) when set,
 * else from path (32 raw bytes, or 64 hex chars).  If the file is absent and
 * create is non-zero, writes a new random key with mode 0600.
 * Returns RG_OK, RG_ENOTFOUND, RG_EINVAL (bad length/perm) or RG_EIO. */
int rg_master_key_load(const char *path, int create, uint8_t key[RG_MASTER_KEY_LEN]);

#endif

/* kdf.h - subkeys of the master key (HKDF-SHA256 with a purpose label),
 * so that every process holding the master key derives the same key for
 * one purpose and no new file holds a secret. */
#ifndef RG_CRYPTO_KDF_H
#define RG_CRYPTO_KDF_H

#include <stddef.h>
#include <stdint.h>

/* HKDF-SHA256(ikm = master, info = label) into out[n]; RG_OK or
 * RG_ECRYPTO. */
int rg_kdf(const uint8_t master[32], const char *label, uint8_t *out, size_t n);

#endif

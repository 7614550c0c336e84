/* twimport.h - Twilio Voice Recording Encryption, read side.
 *
 * Twilio seals a recording with AES-256-GCM under a random content key
 * (CEK) and IV, and wraps the CEK with RSAES-OAEP-SHA256-MGF1 under the
 * customer's public key; the 16-byte tag follows the ciphertext (Java's
 * AES/GCM/NoPadding layout).  encryption_details carries the wrapped CEK
 * and the IV in base64. */
#ifndef RG_CRYPTO_TWIMPORT_H
#define RG_CRYPTO_TWIMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/recfile.h"

#define RG_TWILIO_TAG 16

/* Decrypts src (ciphertext then tag; src->size bytes) into w, which was
 * opened for src->size - 16 plaintext bytes.  ecek/iv are the decoded
 * encrypted_cek and iv.  RG_ECRYPTO for a wrong key or a tampered file
 * (the tag is checked after the last byte: the caller must then abort w,
 * which removes everything written). */
int rg_twilio_decrypt(EVP_PKEY *priv, const uint8_t *ecek, size_t ecek_len, const uint8_t *iv,
                      size_t iv_len, rg_rec_source *src, rg_rec_writer *w);

#endif

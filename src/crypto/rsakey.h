/* rsakey.h - the recording key pair: RSA keys from PEM files, RSA-OAEP
 * (SHA-256, MGF1-SHA-256) wrapping of file keys, key ids, generation.
 *
 * The same wrapping is what Twilio uses for its encrypted recordings
 * ("RSAES-OAEP-SHA256-MGF1"), so one unwrap serves both imports. */
#ifndef RG_CRYPTO_RSAKEY_H
#define RG_CRYPTO_RSAKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define RG_RSA_BITS 3072

/* Loads a PEM public key (SubjectPublicKeyInfo, or the public half of a
 * private key file).  RG_OK, RG_ENOTFOUND (no file), RG_EINVAL (not an
 * RSA key of at least 2048 bits). */
int rg_rsa_load_public(const char *path, EVP_PKEY **out);
/* Loads a PEM private key; the file must be a regular file not readable
 * by group or others (RG_EINVAL otherwise). */
int rg_rsa_load_private(const char *path, EVP_PKEY **out);

/* SHA-256 of the DER SubjectPublicKeyInfo: identifies the wrapping key. */
int rg_rsa_key_id(EVP_PKEY *key, uint8_t out[32]);

/* RSA-OAEP-SHA256 encrypt / decrypt.  *outlen is set on RG_OK. */
int rg_rsa_wrap(EVP_PKEY *pub, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                size_t *outlen);
int rg_rsa_unwrap(EVP_PKEY *priv, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                  size_t *outlen);

/* Generates an RSA key pair and writes DIR/recording-private.pem (0600,
 * created exclusively: RG_EEXIST if it exists) and recording-public.pem. */
int rg_rsa_generate_files(const char *dir, int bits, char *priv_path, char *pub_path,
                          size_t pathcap);

#endif

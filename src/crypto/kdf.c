/* kdf.c - HKDF-SHA256 of the master key with a purpose label, by
 * OpenSSL's EVP_KDF (kdf.h). */
#include "crypto/kdf.h"

#include <string.h>

#include <openssl/kdf.h>
#include <openssl/params.h>

#include "core/errors.h"

int rg_kdf(const uint8_t master[32], const char *label, uint8_t *out, size_t n)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
        OSSL_PARAM_construct_octet_string("key", (void *)master, 32),
        OSSL_PARAM_construct_octet_string("info", (void *)label, strlen(label)),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx && EVP_KDF_derive(ctx, out, n, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return ok ? RG_OK : RG_ECRYPTO;
}

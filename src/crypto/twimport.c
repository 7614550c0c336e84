/* twimport.c - one pass over a Twilio-encrypted recording: GCM-decrypt in
 * 64 KiB pieces straight into our segment writer, then check the tag.
 * Plaintext only ever exists in the piece buffer (wiped). */
#include "crypto/twimport.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/errors.h"
#include "crypto/rsakey.h"

#define PIECE 65536

static int decrypt_body(EVP_CIPHER_CTX *ctx, rg_rec_source *src, uint64_t ctlen, rg_rec_writer *w,
                        uint8_t *in, uint8_t *out)
{
    while (src->pos < ctlen) {
        size_t n = ctlen - src->pos < PIECE ? (size_t)(ctlen - src->pos) : PIECE;
        int len = 0, rc = rg_rec_source_read(src, in, n);
        if (rc != RG_OK) return rc;
        if (EVP_DecryptUpdate(ctx, out, &len, in, (int)n) != 1 || (size_t)len != n)
            return RG_ECRYPTO;
        rc = rg_rec_writer_write(w, out, n);
        OPENSSL_cleanse(out, n);
        if (rc != RG_OK) return rc;
    }
    return RG_OK;
}

int rg_twilio_decrypt(EVP_PKEY *priv, const uint8_t *ecek, size_t ecek_len, const uint8_t *iv,
                      size_t iv_len, rg_rec_source *src, rg_rec_writer *w)
{
    uint8_t cek[32], tag[RG_TWILIO_TAG], fin[16];
    size_t ceklen = 0;
    int len = 0, rc;
    EVP_CIPHER_CTX *ctx;
    uint8_t *in, *out;
    if (src->size < RG_TWILIO_TAG || iv_len == 0 || iv_len > 64) return RG_EINVAL;
    rc = rg_rsa_unwrap(priv, ecek, ecek_len, cek, sizeof cek, &ceklen);
    if (rc != RG_OK || ceklen != 32) {
        OPENSSL_cleanse(cek, sizeof cek);
        return RG_ECRYPTO;
    }
    ctx = EVP_CIPHER_CTX_new();
    in = malloc(PIECE);
    out = malloc(PIECE);
    rc = ctx && in && out ? RG_OK : RG_ENOMEM;
    if (rc == RG_OK && (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
                        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, (int)iv_len, NULL) != 1 ||
                        EVP_DecryptInit_ex(ctx, NULL, NULL, cek, iv) != 1))
        rc = RG_ECRYPTO;
    if (rc == RG_OK) rc = decrypt_body(ctx, src, src->size - RG_TWILIO_TAG, w, in, out);
    if (rc == RG_OK) rc = rg_rec_source_read(src, tag, RG_TWILIO_TAG);
    if (rc == RG_OK && (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, RG_TWILIO_TAG, tag) != 1 ||
                        EVP_DecryptFinal_ex(ctx, fin, &len) != 1))
        rc = RG_ECRYPTO;
    OPENSSL_cleanse(cek, sizeof cek);
    if (out) OPENSSL_cleanse(out, PIECE);
    free(in);
    free(out);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* rsakey.c - RSA key files and RSA-OAEP-SHA256 through OpenSSL's EVP. */
#include "crypto/rsakey.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "core/errors.h"

static int check_rsa(EVP_PKEY *k)
{
    return EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) >= 2048 ? RG_OK : RG_EINVAL;
}

static int load(const char *path, int private, EVP_PKEY **out)
{
    struct stat sb;
    FILE *f;
    EVP_PKEY *k;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *out = NULL;
    if (fd < 0) return errno == ENOENT ? RG_ENOTFOUND : RG_EIO;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (private && (sb.st_mode & 077) != 0) ||
        (f = fdopen(fd, "r")) == NULL) {
        close(fd);
        return RG_EINVAL;
    }
    k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    if (k == NULL && !private) { /* a private key file also gives the public key */
        rewind(f);
        k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    }
    fclose(f);
    if (k == NULL) return RG_EINVAL;
    if (check_rsa(k) != RG_OK) {
        EVP_PKEY_free(k);
        return RG_EINVAL;
    }
    *out = k;
    return RG_OK;
}

int rg_rsa_load_public(const char *path, EVP_PKEY **out)
{
    return load(path, 0, out);
}

int rg_rsa_load_private(const char *path, EVP_PKEY **out)
{
    return load(path, 1, out);
}

int rg_rsa_key_id(EVP_PKEY *key, uint8_t out[32])
{
    unsigned char *der = NULL;
    unsigned int mdlen = 0;
    int n = i2d_PUBKEY(key, &der), ok;
    if (n <= 0) return RG_ECRYPTO;
    ok = EVP_Digest(der, (size_t)n, out, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
    OPENSSL_free(der);
    return ok ? RG_OK : RG_ECRYPTO;
}

/* A context set up for OAEP with SHA-256 as both the hash and MGF1's. */
static EVP_PKEY_CTX *oaep_ctx(EVP_PKEY *k, int enc)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    if (ctx && (enc ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1)
        return ctx;
    EVP_PKEY_CTX_free(ctx);
    return NULL;
}

int rg_rsa_wrap(EVP_PKEY *pub, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                size_t *outlen)
{
    EVP_PKEY_CTX *ctx = oaep_ctx(pub, 1);
    size_t len = cap;
    int ok = ctx && EVP_PKEY_encrypt(ctx, out, &len, in, n) == 1;
    EVP_PKEY_CTX_free(ctx);
    *outlen = ok ? len : 0;
    return ok ? RG_OK : RG_ECRYPTO;
}

int rg_rsa_unwrap(EVP_PKEY *priv, const uint8_t *in, size_t n, uint8_t *out, size_t cap,
                  size_t *outlen)
{
    EVP_PKEY_CTX *ctx = oaep_ctx(priv, 0);
    uint8_t tmp[1024];
    size_t len = sizeof tmp;
    int ok = ctx && EVP_PKEY_decrypt(ctx, tmp, &len, in, n) == 1 && len <= cap;
    EVP_PKEY_CTX_free(ctx);
    if (ok) memcpy(out, tmp, len);
    OPENSSL_cleanse(tmp, sizeof tmp);
    *outlen = ok ? len : 0;
    return ok ? RG_OK : RG_ECRYPTO;
}

/* Writes a PEM file created exclusively with the given mode. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *k, int private)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode), ok;
    FILE *f;
    if (fd < 0) return errno == EEXIST ? RG_EEXIST : RG_EIO;
    if (fchmod(fd, mode) != 0 || (f = fdopen(fd, "w")) == NULL) {
        close(fd);
        unlink(path);
        return RG_EIO;
    }
    ok = private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) : PEM_write_PUBKEY(f, k);
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok) unlink(path);
    return ok ? RG_OK : RG_EIO;
}

int rg_rsa_generate_files(const char *dir, int bits, char *priv_path, char *pub_path,
                          size_t pathcap)
{
    EVP_PKEY *k;
    int rc;
    if ((size_t)snprintf(priv_path, pathcap, "%s/recording-private.pem", dir) >= pathcap ||
        (size_t)snprintf(pub_path, pathcap, "%s/recording-public.pem", dir) >= pathcap)
        return RG_EINVAL;
    if (access(priv_path, F_OK) == 0 || access(pub_path, F_OK) == 0) return RG_EEXIST;
    k = EVP_RSA_gen((unsigned)bits);
    if (k == NULL) return RG_ECRYPTO;
    rc = write_pem(priv_path, 0600, k, 1);
    if (rc == RG_OK && (rc = write_pem(pub_path, 0644, k, 0)) != RG_OK) unlink(priv_path);
    EVP_PKEY_free(k);
    return rc;
}

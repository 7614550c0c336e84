/* seal.c - AES-256-GCM sealing of secrets at rest, auth token hashing, and
 * the master key file.
 *
 * Nothing here logs: every function reports through its return code, and all
 * temporaries that held key material are wiped with OPENSSL_cleanse before
 * they go out of scope. */
#include "crypto/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/errors.h"
#include "crypto/fileio.h"

#define SEAL_VERSION 1
#define NONCE_LEN 12
#define TAG_LEN 16
#define HEX_KEY_LEN (2 * RG_MASTER_KEY_LEN)
#define MASTER_KEY_ENV "ROOMGATE_MASTER_KEY"

/* ---- AES-256-GCM ---- */

/* Runs the GCM operation shared by seal and open: key/nonce setup, AAD, then
 * the body.  enc selects the direction.  Returns the body length or -1. */
static int gcm_body(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key, const uint8_t *nonce,
                    const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out)
{
    int len = 0;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc) != 1) return -1;
    /* The default GCM IV length is 12 bytes, which is what we use. */
    if (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1) return -1;
    /* A zero-length update is legal but some providers dislike a NULL in. */
    if (n > 0 && EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1) return -1;
    return n > 0 ? len : 0;
}

int rg_seal(const uint8_t key[RG_MASTER_KEY_LEN], const uint8_t nonce[12], const void *aad,
            size_t aadlen, const uint8_t *pt, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    *outlen = 0;
    if (n > INT_MAX - RG_SEAL_OVERHEAD || aadlen > INT_MAX || cap < n + RG_SEAL_OVERHEAD)
        return RG_ETOOBIG;
    if ((n > 0 && !pt) || (aadlen > 0 && !aad)) return RG_ECRYPTO;

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return RG_ECRYPTO;
    uint8_t *ct = out + 1 + NONCE_LEN;
    int fin = 0, rc = RG_ECRYPTO;
    int len = gcm_body(ctx, 1, key, nonce, aad, aadlen, pt, n, ct);
    if (len >= 0 && EVP_CipherFinal_ex(ctx, ct + len, &fin) == 1 && (size_t)(len + fin) == n &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + n) == 1) {
        out[0] = SEAL_VERSION;
        memcpy(out + 1, nonce, NONCE_LEN);
        *outlen = n + RG_SEAL_OVERHEAD;
        rc = RG_OK;
    } else {
        OPENSSL_cleanse(out, n + RG_SEAL_OVERHEAD);
    }
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int rg_unseal(const uint8_t key[RG_MASTER_KEY_LEN], const void *aad, size_t aadlen,
              const uint8_t *blob, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
    *outlen = 0;
    if (!blob || n < RG_SEAL_OVERHEAD || blob[0] != SEAL_VERSION) return RG_ECRYPTO;
    if (aadlen > INT_MAX || n > INT_MAX || (aadlen > 0 && !aad)) return RG_ECRYPTO;
    size_t ctlen = n - RG_SEAL_OVERHEAD;
    if (cap < ctlen) return RG_ETOOBIG;

    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return RG_ECRYPTO;
    const uint8_t *nonce = blob + 1, *ct = blob + 1 + NONCE_LEN;
    /* The tag ctrl takes a non-const pointer but only reads it. */
    uint8_t tag[TAG_LEN];
    memcpy(tag, ct + ctlen, TAG_LEN);
    int fin = 0, rc = RG_ECRYPTO;
    int len = gcm_body(ctx, 0, key, nonce, aad, aadlen, ct, ctlen, out);
    if (len >= 0 && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1 &&
        EVP_CipherFinal_ex(ctx, out + len, &fin) == 1 && (size_t)(len + fin) == ctlen) {
        *outlen = ctlen;
        rc = RG_OK;
    } else {
        /* Decryption wrote unauthenticated plaintext: never leave it behind. */
        if (ctlen > 0) OPENSSL_cleanse(out, ctlen);
    }
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* ---- token hash ---- */

void rg_token_hash(const char *auth_token, size_t len, uint8_t out[32])
{
    unsigned int mdlen = 0;
    if (EVP_Digest(auth_token, len, out, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        /* The signature has no error channel.  All zeros is not a SHA-256
         * output anyone can find a preimage for, so callers treat it as
         * "hashing failed" and fail closed (see keycache.c). */
        memset(out, 0, 32);
    }
}

/* ---- master key ---- */

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes exactly HEX_KEY_LEN hex characters.  RG_EINVAL on a bad digit. */
static int hex_decode_key(const char *hex, uint8_t key[RG_MASTER_KEY_LEN])
{
    for (size_t i = 0; i < RG_MASTER_KEY_LEN; i++) {
        int hi = hex_val(hex[2 * i]), lo = hex_val(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key, RG_MASTER_KEY_LEN);
            return RG_EINVAL;
        }
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return RG_OK;
}

static void hex_encode_key(char *dst, const uint8_t key[RG_MASTER_KEY_LEN])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < RG_MASTER_KEY_LEN; i++) {
        dst[2 * i] = digits[key[i] >> 4];
        dst[2 * i + 1] = digits[key[i] & 15];
    }
}

/* Accepts the file's bytes as 32 raw bytes, or 64 hex chars with an
 * optional trailing newline.  The lengths do not overlap, so no guessing. */
static int parse_key_bytes(const uint8_t *buf, size_t n, uint8_t key[RG_MASTER_KEY_LEN])
{
    if (n == RG_MASTER_KEY_LEN) {
        memcpy(key, buf, RG_MASTER_KEY_LEN);
        return RG_OK;
    }
    if (n == HEX_KEY_LEN + 1 && buf[HEX_KEY_LEN] == '\n') n--;
    if (n != HEX_KEY_LEN) return RG_EINVAL;
    return hex_decode_key((const char *)buf, key);
}

/* Reads the whole (small) file; at most cap bytes, *n > cap-1 means "too
 * long".  Refuses anything but a regular file private to its owner, since
 * the key opens every secret in the database. */
static int read_key_file(int fd, uint8_t *buf, size_t cap, size_t *n)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0) return RG_EIO;
    if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) return RG_EINVAL;
    *n = 0;
    while (*n < cap) {
        ssize_t r = read(fd, buf + *n, cap - *n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return RG_EIO;
        if (r == 0) break;
        *n += (size_t)r;
    }
    return RG_OK;
}

static int load_key_file(const char *path, uint8_t key[RG_MASTER_KEY_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? RG_ENOTFOUND : RG_EIO;
    uint8_t buf[HEX_KEY_LEN + 2]; /* one byte more than the longest valid form */
    size_t n = 0;
    int rc = read_key_file(fd, buf, sizeof buf, &n);
    close(fd);
    if (rc == RG_OK) rc = parse_key_bytes(buf, n, key);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* Makes the new directory entry durable: losing the key file after a crash
 * would make every sealed secret unreadable.  Best effort. */
static void sync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else if ((size_t)(slash - path) < sizeof dir) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    } else {
        return;
    }
    rg_sync_dir(dir);
}

/* Writes hex + newline (so an operator can move it into the environment
 * variable) to a fresh private temp file, syncs it, then links it into
 * place.  link() fails with EEXIST if another process won the race, and
 * readers never see a half-written key file.  RG_EEXIST in that case. */
static int create_key_file(const char *path, const uint8_t key[RG_MASTER_KEY_LEN])
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) return RG_EINVAL;
    int fd = mkostemp(tmp, O_CLOEXEC); /* O_CREAT | O_EXCL, mode 0600 */
    if (fd < 0) return RG_EIO;
    char text[HEX_KEY_LEN + 1];
    hex_encode_key(text, key);
    text[HEX_KEY_LEN] = '\n';
    int rc = RG_EIO;
    if (fchmod(fd, 0600) == 0 && rg_write_all(fd, text, sizeof text) == RG_OK && fsync(fd) == 0)
        rc = RG_OK;
    OPENSSL_cleanse(text, sizeof text);
    if (close(fd) != 0) rc = RG_EIO;
    if (rc == RG_OK && link(tmp, path) != 0) rc = errno == EEXIST ? RG_EEXIST : RG_EIO;
    unlink(tmp);
    if (rc == RG_OK) sync_parent_dir(path);
    return rc;
}

static int load_key_env(const char *hex, uint8_t key[RG_MASTER_KEY_LEN])
{
    if (strlen(hex) != HEX_KEY_LEN) return RG_EINVAL;
    return hex_decode_key(hex, key);
}

static int load_or_create(const char *path, int create, uint8_t key[RG_MASTER_KEY_LEN])
{
    int rc = load_key_file(path, key);
    if (rc != RG_ENOTFOUND || !create) return rc;
    if (RAND_bytes(key, RG_MASTER_KEY_LEN) != 1) return RG_ECRYPTO;
    rc = create_key_file(path, key);
    if (rc == RG_EEXIST) rc = load_key_file(path, key); /* lost the race: use theirs */
    return rc;
}

int rg_master_key_load(const char *path, int create, uint8_t key[RG_MASTER_KEY_LEN])
{
    /* An empty variable counts as unset, so `ROOMGATE_MASTER_KEY= cmd` can
     * fall back to the file. */
    const char *env = getenv(MASTER_KEY_ENV);
    int rc;
    if (env && *env)
        rc = load_key_env(env, key);
    else
        rc = path ? load_or_create(path, create, key) : RG_EINVAL;
    if (rc != RG_OK) OPENSSL_cleanse(key, RG_MASTER_KEY_LEN); /* no half-loaded key */
    return rc;
}

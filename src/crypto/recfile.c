/* recfile.c - writing and reading encrypted recordings (AES-256-GCM
 * segments, RSA-OAEP-wrapped file key; see core/recfmt.h). */
#include "crypto/recfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/errors.h"
#include "crypto/fileio.h"
#include "crypto/rsakey.h"

struct rg_rec_writer {
    int fd;
    char tmp[PATH_MAX], final[PATH_MAX], dir[PATH_MAX];
    rg_rec_header h;
    uint8_t raw[RG_REC_HEADER_MAX];
    uint8_t key[RG_REC_KEY];
    EVP_CIPHER_CTX *ctx;
    uint64_t written, seg;
    size_t fill;
    uint8_t pt[RG_REC_SEGMENT];
    uint8_t ct[RG_REC_SEGMENT + RG_REC_TAG];
    uint8_t in[RG_REC_SEGMENT]; /* rg_rec_writer_copy's read buffer */
};

static EVP_CIPHER *gcm_cipher;
static pthread_once_t gcm_once = PTHREAD_ONCE_INIT;

static void fetch_gcm(void)
{
    gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

/* One AES-256-GCM pass over a segment: out = in en/decrypted, tag written
 * (enc) or checked (dec).  in and out may be the same buffer. */
static int gcm(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *key, const uint8_t *nonce,
               const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out,
               uint8_t *tag)
{
    int len = 0, fin = 0;
    pthread_once(&gcm_once, fetch_gcm);
    if (gcm_cipher == NULL || EVP_CipherInit_ex(ctx, gcm_cipher, NULL, key, nonce, enc) != 1 ||
        EVP_CipherUpdate(ctx, NULL, &len, aad, (int)aadlen) != 1)
        return RG_ECRYPTO;
    if (n > 0 && (EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1 || (size_t)len != n))
        return RG_ECRYPTO;
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, RG_REC_TAG, tag) != 1)
        return RG_ECRYPTO;
    if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1 || fin != 0) return RG_ECRYPTO;
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, RG_REC_TAG, tag) != 1)
        return RG_ECRYPTO;
    return RG_OK;
}

int rg_rec_path(const char *dir, const char *sid, char *path, size_t cap)
{
    if (!rg_sid_valid(sid, strlen(sid), "RE")) return RG_EINVAL;
    return (size_t)snprintf(path, cap, "%s/%s.rgrec", dir, sid) < cap ? RG_OK : RG_EINVAL;
}

static int read_at(int fd, uint8_t *p, size_t n, off_t off, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t r = pread(fd, p + *got, n - *got, off + (off_t)*got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return RG_EIO;
        if (r == 0) break;
        *got += (size_t)r;
    }
    return RG_OK;
}

static void writer_free(rg_rec_writer *w)
{
    if (w->fd >= 0) close(w->fd);
    EVP_CIPHER_CTX_free(w->ctx);
    OPENSSL_cleanse(w->key, sizeof w->key);
    OPENSSL_cleanse(w->pt, sizeof w->pt);
    OPENSSL_cleanse(w->in, sizeof w->in);
    free(w);
}

/* Random file key and nonce, the key wrapped under pub, header written. */
static int write_header(rg_rec_writer *w, EVP_PKEY *pub)
{
    size_t wl = 0, hl;
    if (RAND_bytes(w->key, RG_REC_KEY) != 1 || RAND_bytes(w->h.nonce, RG_REC_NONCE) != 1 ||
        rg_rsa_key_id(pub, w->h.key_id) != RG_OK ||
        rg_rsa_wrap(pub, w->key, RG_REC_KEY, w->h.wrapped, RG_REC_WRAPPED_MAX, &wl) != RG_OK)
        return RG_ECRYPTO;
    w->h.wrapped_len = (uint16_t)wl;
    w->h.segment = RG_REC_SEGMENT;
    if ((hl = rg_rec_header_encode(&w->h, w->raw, sizeof w->raw)) == 0) return RG_EINVAL;
    return rg_write_all(w->fd, w->raw, hl);
}

/* Fills w's paths: the file being built and its final name. */
static int writer_paths(rg_rec_writer *w, const char *path, const char *dir, const char *sid)
{
    return (size_t)snprintf(w->tmp, sizeof w->tmp, "%s", path) < sizeof w->tmp &&
                   rg_rec_path(dir, sid, w->final, sizeof w->final) == RG_OK &&
                   (size_t)snprintf(w->dir, sizeof w->dir, "%s", dir) < sizeof w->dir
               ? RG_OK
               : RG_EINVAL;
}

static rg_rec_writer *writer_new(const char *sid, uint64_t size)
{
    rg_rec_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    w->fd = -1;
    memcpy(w->h.sid, sid, RG_SID_SIZE);
    w->h.size = size;
    if ((w->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

int rg_rec_writer_create(const char *path, const char *dir, const char *sid, EVP_PKEY *pub,
                         uint64_t size, uint8_t key[RG_REC_KEY], rg_rec_writer **out)
{
    rg_rec_writer *w;
    int rc;
    *out = NULL;
    if (!rg_sid_valid(sid, strlen(sid), "RE") || pub == NULL) return RG_EINVAL;
    if ((w = writer_new(sid, size)) == NULL) return RG_ENOMEM;
    if (writer_paths(w, path, dir, sid) != RG_OK) {
        writer_free(w);
        return RG_EINVAL;
    }
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    rc = w->fd < 0 ? RG_EIO : write_header(w, pub);
    if (rc != RG_OK) {
        rg_rec_writer_abort(w);
        return rc;
    }
    if (key) memcpy(key, w->key, RG_REC_KEY);
    *out = w;
    return RG_OK;
}

int rg_rec_writer_open(const char *dir, const char *sid, EVP_PKEY *pub, uint64_t size,
                       rg_rec_writer **out)
{
    char tmp[PATH_MAX];
    *out = NULL;
    if (!rg_sid_valid(sid, strlen(sid), "RE") ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, sid) >= sizeof tmp)
        return RG_EINVAL;
    return rg_rec_writer_create(tmp, dir, sid, pub, size, NULL, out);
}

int rg_rec_writer_resume(const char *path, const char *dir, const char *sid,
                         const uint8_t key[RG_REC_KEY], uint64_t size, uint64_t segments,
                         const uint8_t *tail, size_t tail_len, rg_rec_writer **out)
{
    rg_rec_writer *w;
    struct stat sb;
    size_t got, hl;
    uint64_t keep;
    *out = NULL;
    if (!rg_sid_valid(sid, strlen(sid), "RE") || tail_len >= RG_REC_SEGMENT ||
        segments > size / RG_REC_SEGMENT || segments * RG_REC_SEGMENT + tail_len > size)
        return RG_EINVAL;
    if ((w = writer_new(sid, size)) == NULL) return RG_ENOMEM;
    if (writer_paths(w, path, dir, sid) != RG_OK) {
        writer_free(w);
        return RG_EINVAL;
    }
    w->fd = open(w->tmp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (w->fd < 0 || fstat(w->fd, &sb) != 0 ||
        read_at(w->fd, w->raw, sizeof w->raw, 0, &got) != RG_OK ||
        (hl = rg_rec_header_decode(w->raw, got, &w->h)) == 0 || strcmp(w->h.sid, sid) != 0 ||
        w->h.size != size || w->h.segment != RG_REC_SEGMENT ||
        (keep = hl + segments * (RG_REC_SEGMENT + RG_REC_TAG)) > (uint64_t)sb.st_size ||
        ftruncate(w->fd, (off_t)keep) != 0 || lseek(w->fd, (off_t)keep, SEEK_SET) < 0) {
        writer_free(w);
        return RG_EIO;
    }
    memcpy(w->key, key, RG_REC_KEY);
    w->seg = segments;
    memcpy(w->pt, tail, tail_len);
    w->fill = tail_len;
    w->written = segments * RG_REC_SEGMENT + tail_len;
    *out = w;
    return RG_OK;
}

int rg_rec_writer_checkpoint(rg_rec_writer *w, uint64_t *segments, const uint8_t **tail,
                             size_t *tail_len)
{
    if (fsync(w->fd) != 0) return RG_EIO;
    *segments = w->seg;
    *tail = w->pt;
    *tail_len = w->fill;
    return RG_OK;
}

int rg_rec_writer_fd(const rg_rec_writer *w)
{
    return w->fd;
}

void rg_rec_writer_close(rg_rec_writer *w)
{
    if (w) writer_free(w);
}

/* Seals the buffered plaintext as segment w->seg and writes it. */
static int flush_segment(rg_rec_writer *w, int last)
{
    uint8_t nonce[RG_REC_NONCE];
    int rc;
    rg_rec_nonce(w->h.nonce, w->seg, last, nonce);
    rc = gcm(w->ctx, 1, w->key, nonce, w->raw, w->h.header_len, w->pt, w->fill, w->ct,
             w->ct + w->fill);
    if (rc == RG_OK) rc = rg_write_all(w->fd, w->ct, w->fill + RG_REC_TAG);
    w->seg++;
    w->fill = 0;
    return rc;
}

int rg_rec_writer_write(rg_rec_writer *w, const uint8_t *p, size_t n)
{
    if (n > w->h.size - w->written) return RG_EINVAL;
    while (n > 0) {
        size_t take = RG_REC_SEGMENT - w->fill;
        int rc;
        if (take > n) take = n;
        memcpy(w->pt + w->fill, p, take);
        w->fill += take, w->written += take, p += take, n -= take;
        /* A full segment is the last one only if nothing follows it. */
        if (w->fill == RG_REC_SEGMENT && w->written < w->h.size &&
            (rc = flush_segment(w, 0)) != RG_OK)
            return rc;
    }
    return RG_OK;
}

int rg_rec_writer_finish(rg_rec_writer *w)
{
    int rc = w->written == w->h.size ? flush_segment(w, 1) : RG_EINVAL;
    if (rc == RG_OK && fsync(w->fd) != 0) rc = RG_EIO;
    if (rc == RG_OK && close(w->fd) != 0) rc = RG_EIO;
    w->fd = -1;
    if (rc == RG_OK && rename(w->tmp, w->final) != 0) rc = RG_EIO;
    if (rc != RG_OK) {
        rg_rec_writer_abort(w);
        return rc;
    }
    rg_sync_dir(w->dir);
    writer_free(w);
    return RG_OK;
}

void rg_rec_writer_abort(rg_rec_writer *w)
{
    if (w == NULL) return;
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    unlink(w->tmp);
    writer_free(w);
}

int rg_rec_file_open(const char *dir, const char *sid, rg_rec_file *f)
{
    char path[PATH_MAX];
    struct stat sb;
    size_t got;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (rg_rec_path(dir, sid, path, sizeof path) != RG_OK) return RG_EINVAL;
    if ((f->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return errno == ENOENT ? RG_ENOTFOUND : RG_EIO;
    if (fstat(f->fd, &sb) != 0 || read_at(f->fd, f->raw, sizeof f->raw, 0, &got) != RG_OK ||
        rg_rec_header_decode(f->raw, got, &f->h) == 0 || strcmp(f->h.sid, sid) != 0 ||
        (uint64_t)sb.st_size != rg_rec_file_size(&f->h)) {
        rg_rec_file_close(f);
        return RG_EIO;
    }
    return RG_OK;
}

void rg_rec_file_close(rg_rec_file *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
}

int rg_rec_file_key(const rg_rec_file *f, EVP_PKEY *priv, uint8_t key[RG_REC_KEY])
{
    size_t n = 0;
    int rc = rg_rsa_unwrap(priv, f->h.wrapped, f->h.wrapped_len, key, RG_REC_KEY, &n);
    if (rc == RG_OK && n != RG_REC_KEY) rc = RG_ECRYPTO;
    if (rc != RG_OK) OPENSSL_cleanse(key, RG_REC_KEY);
    return rc;
}

int rg_rec_segment_open(EVP_CIPHER_CTX *ctx, const rg_rec_file *f, const uint8_t key[RG_REC_KEY],
                        uint64_t i, uint8_t *buf, size_t ctlen)
{
    uint64_t nseg = rg_rec_nsegments(f->h.size, f->h.segment);
    uint8_t nonce[RG_REC_NONCE], tag[RG_REC_TAG];
    size_t n;
    int rc;
    if (i >= nseg || ctlen != rg_rec_segment_plain(f->h.size, f->h.segment, i) + RG_REC_TAG)
        return RG_EINVAL;
    n = ctlen - RG_REC_TAG;
    memcpy(tag, buf + n, RG_REC_TAG);
    rg_rec_nonce(f->h.nonce, i, i == nseg - 1, nonce);
    rc = gcm(ctx, 0, key, nonce, f->raw, f->h.header_len, buf, n, buf, tag);
    if (rc != RG_OK) OPENSSL_cleanse(buf, n);
    return rc;
}

int rg_rec_destroy(const char *dir, const char *sid)
{
    char path[PATH_MAX];
    uint8_t zeros[RG_REC_HEADER_MAX] = {0};
    int fd, rc = RG_OK;
    if (rg_rec_path(dir, sid, path, sizeof path) != RG_OK) return RG_EINVAL;
    if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return errno == ENOENT ? RG_ENOTFOUND : RG_EIO;
    /* Without the wrapped key the segments can never be opened again, even
     * from blocks the filesystem has not reused yet. */
    if (pwrite(fd, zeros, sizeof zeros, 0) != (ssize_t)sizeof zeros || fsync(fd) != 0) rc = RG_EIO;
    close(fd);
    if (unlink(path) != 0) rc = RG_EIO;
    rg_sync_dir(dir);
    return rc;
}

int rg_rec_source_read(rg_rec_source *s, uint8_t *buf, size_t n)
{
    size_t got;
    if (n > s->size - s->pos) return RG_EIO;
    if (s->fd < 0) {
        memcpy(buf, s->mem + s->pos, n);
    } else if (read_at(s->fd, buf, n, (off_t)s->pos, &got) != RG_OK || got != n) {
        return RG_EIO;
    }
    s->pos += n;
    return RG_OK;
}

int rg_rec_writer_copy(rg_rec_writer *w, rg_rec_source *src)
{
    if (src->fd < 0) { /* already in memory: no copy through a buffer */
        int rc = rg_rec_writer_write(w, src->mem + src->pos, src->size - src->pos);
        src->pos = src->size;
        return rc;
    }
    while (src->pos < src->size) {
        size_t n = src->size - src->pos < RG_REC_SEGMENT ? src->size - src->pos : RG_REC_SEGMENT;
        int rc = rg_rec_source_read(src, w->in, n);
        if (rc == RG_OK) rc = rg_rec_writer_write(w, w->in, n);
        OPENSSL_cleanse(w->in, n);
        if (rc != RG_OK) return rc;
    }
    return RG_OK;
}

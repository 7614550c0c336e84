/* recfile.h - encrypted recording files (format in core/recfmt.h).
 *
 * The writer takes plaintext in any pieces and writes only sealed segments:
 * it holds at most one segment of plaintext in memory (wiped when done) and
 * never writes a plaintext byte.  It writes DIR/.RE....tmp and renames it
 * to DIR/RE....rgrec once everything is synced, so a crash leaves either a
 * whole file or a temp file, never a partial recording under its name.
 *
 * Files are named by the RE sid alone, never by user input. */
#ifndef RG_CRYPTO_RECFILE_H
#define RG_CRYPTO_RECFILE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/recfmt.h"

typedef struct rg_rec_writer rg_rec_writer;

/* Starts DIR/.SID.tmp for a recording of exactly `size` plaintext bytes,
 * with a fresh random file key wrapped under pub. */
int rg_rec_writer_open(const char *dir, const char *sid, EVP_PKEY *pub, uint64_t size,
                       rg_rec_writer **out);
int rg_rec_writer_write(rg_rec_writer *w, const uint8_t *p, size_t n);
/* Seals the last segment (RG_EINVAL if fewer or more than `size` bytes
 * were written), syncs, renames into place, syncs the directory.  Frees w
 * whatever the outcome; on failure nothing is left on disk. */
int rg_rec_writer_finish(rg_rec_writer *w);
/* Drops the temp file and frees w (NULL is fine). */
void rg_rec_writer_abort(rg_rec_writer *w);

/* Resumable writing (tus uploads): the file is built at `path` (not
 * DIR/.SID.tmp) across several processes' lifetimes, and finish renames
 * it to DIR/SID.rgrec.  create hands out the file key: the caller keeps
 * it sealed to resume. */
int rg_rec_writer_create(const char *path, const char *dir, const char *sid, EVP_PKEY *pub,
                         uint64_t size, uint8_t key[RG_REC_KEY], rg_rec_writer **out);
/* Reopens such a file: keeps its header and first `segments` sealed
 * segments (cutting whatever follows: segments written by a request whose
 * state was never committed), and buffers `tail` (fewer than a segment's
 * bytes) as the plaintext that follows them.  RG_EIO when the file is
 * shorter, or its header names another sid or size. */
int rg_rec_writer_resume(const char *path, const char *dir, const char *sid,
                         const uint8_t key[RG_REC_KEY], uint64_t size, uint64_t segments,
                         const uint8_t *tail, size_t tail_len, rg_rec_writer **out);
/* Syncs the sealed segments and reports what is still buffered: the
 * count of sealed segments and the tail plaintext (valid until the next
 * call on w). */
int rg_rec_writer_checkpoint(rg_rec_writer *w, uint64_t *segments, const uint8_t **tail,
                             size_t *tail_len);
/* The descriptor of the file being built. */
int rg_rec_writer_fd(const rg_rec_writer *w);
/* Frees w and leaves its file for a later resume (NULL is fine). */
void rg_rec_writer_close(rg_rec_writer *w);

/* Where plaintext comes from: a file descriptor (read with pread from
 * offset 0) or a memory buffer; size bytes either way. */
typedef struct {
    int fd; /* -1 for memory */
    const uint8_t *mem;
    uint64_t size, pos;
} rg_rec_source;

/* Reads exactly n bytes (RG_EIO when the file ends early: it shrank). */
int rg_rec_source_read(rg_rec_source *s, uint8_t *buf, size_t n);
/* Writes all of src through w (w was opened with size = src->size). */
int rg_rec_writer_copy(rg_rec_writer *w, rg_rec_source *src);

/* DIR/SID.rgrec into path (cap bytes); RG_EINVAL if sid is not an RE sid. */
int rg_rec_path(const char *dir, const char *sid, char *path, size_t cap);

/* An open recording: its header (parsed and raw, the AAD) and descriptor. */
typedef struct {
    int fd;
    rg_rec_header h;
    uint8_t raw[RG_REC_HEADER_MAX];
} rg_rec_file;

/* Opens and checks the header of DIR/SID.rgrec (RG_ENOTFOUND if absent,
 * RG_EIO if the header is malformed, names another sid, or the file's size
 * does not match it). */
int rg_rec_file_open(const char *dir, const char *sid, rg_rec_file *f);
void rg_rec_file_close(rg_rec_file *f);
/* Unwraps the file key with the private key. */
int rg_rec_file_key(const rg_rec_file *f, EVP_PKEY *priv, uint8_t key[RG_REC_KEY]);

/* Decrypts segment i in place: buf holds its ciphertext and tag (ctlen
 * bytes).  RG_ECRYPTO when the tag does not verify (buf is then wiped). */
int rg_rec_segment_open(EVP_CIPHER_CTX *ctx, const rg_rec_file *f, const uint8_t key[RG_REC_KEY],
                        uint64_t i, uint8_t *buf, size_t ctlen);

/* Overwrites the header (and with it the wrapped file key) with zeros,
 * syncs and unlinks DIR/SID.rgrec.  RG_ENOTFOUND if absent. */
int rg_rec_destroy(const char *dir, const char *sid);

#endif

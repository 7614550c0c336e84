/* tus_store.h - resumable uploads on disk (the tus server is playback/tus.c).
 *
 * Each upload is a directory DATA/uploads/<id>/, <id> 32 random hex
 * digits (never user input), holding:
 *   meta.json  written once at creation: owner, the recording-to-be (its
 *              RE sid, metadata, size) and its two keys sealed (AES-GCM)
 *              under a key derived from the master key;
 *   data       the recording file being built (core/recfmt.h): header and
 *              every complete 64 KiB segment, sealed as it arrives;
 *   state      the committed progress: the count of sealed segments and
 *              the plaintext tail after them (< 64 KiB), sealed under the
 *              upload's tail key with a fresh nonce each time, bound to
 *              the id and the count.  Replaced atomically (rename) after
 *              `data` is synced, so a crash or restart resumes from the
 *              last answered PATCH;
 *   done       after completion: the recording's sid (`data` has become
 *              DATA/recordings/RE....rgrec).
 * No plaintext byte reaches the disk.  An upload untouched for
 * RG_TUS_EXPIRY seconds is treated as gone and removed by the sweep.
 *
 * Everything here runs on the job thread; rg_tus_lock keeps two requests
 * from working on one upload at once if that ever changes. */
#ifndef RG_PLAYBACK_TUS_STORE_H
#define RG_PLAYBACK_TUS_STORE_H

#include <openssl/evp.h>
#include <stdint.h>

#include "core/recfmt.h"
#include "core/tus.h"
#include "crypto/recfile.h"
#include "store/recordings.h"

#define RG_TUS_EXPIRY (24 * 3600)
/* Unfinished uploads an account may hold at once: each is a directory and
 * up to --max-import of disk, and the sweep walks them all on the job
 * thread, so one tenant must not be able to open them without end. */
#define RG_TUS_OPEN_MAX 100

typedef struct rg_tus rg_tus;

typedef struct {
    char id[RG_TUS_ID_LEN + 1];
    rg_recording rec; /* the recording-to-be: sid, account, metadata; size = Upload-Length */
    int done;         /* completed: rec.sid names the recording */
    uint64_t segments;
    size_t tail_len;
    uint8_t key[RG_REC_KEY], tail_key[32];
    uint8_t tail[RG_REC_SEGMENT];
} rg_tus_upload;

/* Derives the sealing key from the master key, creates DATA/uploads and
 * sweeps it once. */
int rg_tus_open(const char *data_dir, const uint8_t master[32], rg_tus **out);
void rg_tus_close(rg_tus *t); /* NULL is fine */

static inline uint64_t rg_tus_offset(const rg_tus_upload *u)
{
    return u->done ? u->rec.size : u->segments * RG_REC_SEGMENT + u->tail_len;
}

/* A new upload for u->rec (filled by the caller but for the id): directory,
 * `data` header (file key wrapped under pub), meta.json, empty state. */
int rg_tus_create(rg_tus *t, EVP_PKEY *pub, rg_tus_upload *u);
/* Loads an upload; RG_ENOTFOUND when absent, expired or unreadable. */
int rg_tus_load(rg_tus *t, const char *id, int64_t now, rg_tus_upload *u);
/* Appends n bytes at the committed offset.  When that reaches the size,
 * the last segment is sealed and the file becomes DIR/SID.rgrec (*complete
 * set); otherwise the new state is committed.  On failure nothing
 * committed changes. */
int rg_tus_append(rg_tus *t, rg_tus_upload *u, const char *rec_dir, const uint8_t *p, size_t n,
                  int *complete);
/* After the recording's row is stored: the upload answers as done. */
int rg_tus_mark_done(rg_tus *t, rg_tus_upload *u);
/* Removes an upload's directory (its file key's header wiped first). */
void rg_tus_remove(rg_tus *t, const char *id);
/* Removes uploads idle for more than RG_TUS_EXPIRY; at most once a minute. */
void rg_tus_sweep(rg_tus *t, int64_t now);

/* The account's unfinished uploads (created, neither completed nor
 * removed; an expired one counts until the sweep removes it). */
int rg_tus_open_count(rg_tus *t, const char *account_sid);

/* RG_EEXIST when another request holds the upload. */
int rg_tus_lock(rg_tus *t, const char *id);
void rg_tus_unlock(rg_tus *t, const char *id);

#endif

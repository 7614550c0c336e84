/* auditcheck.c - the audit chain's database-independent parts
 * (auditcheck.h): the head file, where a batch starts, the verdict. */
#include "store/auditcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/errors.h"
#include "crypto/kdf.h"

int rg_aanchor_set(rg_aanchor *a, const uint8_t key[32], const char *head_path)
{
    if ((size_t)snprintf(a->path, sizeof a->path, "%s", head_path) >= sizeof a->path)
        return RG_EINVAL;
    memcpy(a->key, key, sizeof a->key);
    a->anchored = 1;
    return RG_OK;
}

int rg_aanchor_set_dir(rg_aanchor *a, const uint8_t master[32], const char *data_dir,
                       const char *head_file)
{
    uint8_t key[32];
    char path[4096];
    int rc =
        (size_t)(head_file ? snprintf(path, sizeof path, "%s", head_file)
                           : snprintf(path, sizeof path, "%s/audit.head", data_dir)) < sizeof path
            ? rg_kdf(master, RG_AUDIT_HEAD_KDF_LABEL, key, sizeof key)
            : RG_EINVAL;
    if (rc == RG_OK) rc = rg_aanchor_set(a, key, path);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* ---- the head file ---------------------------------------------------- */

/* The file's bytes, at most cap; -1 when absent (errno ENOENT) or
 * unreadable. */
static ssize_t read_text(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n, got = 0;
    if (fd < 0) return -1;
    while ((n = read(fd, buf + got, cap - (size_t)got)) > 0 && (size_t)(got += n) < cap)
        ;
    close(fd);
    return n < 0 ? -1 : got;
}

/* The newer of the slots whose MAC verifies; -1 when neither does. */
static int best_slot(const uint8_t key[32], const char *text, rg_audit_head *out)
{
    rg_audit_head h[2];
    int ok[2];
    for (int i = 0; i < 2; i++)
        ok[i] = rg_audit_head_slot_parse(text + i * RG_AUDIT_HEAD_SLOT, &h[i]) == 0 &&
                rg_audit_head_valid(key, &h[i]);
    int best = ok[0] && (!ok[1] || h[0].seq >= h[1].seq) ? 0 : ok[1] ? 1 : -1;
    if (best >= 0) *out = h[best];
    return best;
}

void rg_aheads_read_file(const rg_aanchor *a, rg_aheads *h)
{
    char text[RG_AUDIT_HEAD_FILE + 1];
    ssize_t n = read_text(a->path, text, sizeof text);
    memset(&h->file, 0, sizeof h->file);
    h->file_slot = -1;
    h->file_state = RG_AHEAD_BAD;
    if (n < 0 && errno == ENOENT)
        h->file_state = RG_AHEAD_ABSENT;
    else if (n == RG_AUDIT_HEAD_FILE)
        h->file_state =
            (h->file_slot = best_slot(a->key, text, &h->file)) >= 0 ? RG_AHEAD_OK : RG_AHEAD_BAD;
    else if (n >= 0 && (size_t)n < RG_AUDIT_HEAD_TEXT &&
             rg_audit_head_parse(text, (size_t)n, &h->file) == 0 &&
             rg_audit_head_valid(a->key, &h->file))
        h->file_state = RG_AHEAD_OK; /* written by an earlier version */
}

/* Writes text to path atomically: a temporary file beside it, fsync (so a
 * crash never leaves a renamed but empty file), rename over the old one,
 * fsync of the directory (so the new name survives a power cut; if it
 * did not, the file would only lag, which verify accepts). */
static int replace_file(const char *path, const char *text, size_t len)
{
    char tmp[4096 + 16], dir[4096];
    int fd, ok;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) return RG_EIO;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return RG_EIO;
    ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return RG_EIO;
    }
    snprintf(dir, sizeof dir, "%s", path);
    fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    return ok ? RG_OK : RG_EIO;
}

/* Overwrites one slot in place: the file's size and blocks stay as they
 * are, so fdatasync has only that sector to write. */
static int write_slot(const char *path, int slot, const char text[RG_AUDIT_HEAD_SLOT])
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    int ok = fd >= 0 &&
             pwrite(fd, text, RG_AUDIT_HEAD_SLOT, (off_t)slot * RG_AUDIT_HEAD_SLOT) ==
                 RG_AUDIT_HEAD_SLOT &&
             fdatasync(fd) == 0;
    if (fd >= 0) ok = close(fd) == 0 && ok;
    return ok ? RG_OK : RG_EIO;
}

/* RG_OK; RG_EGONE when the file is BAD (left as evidence); RG_EIO. */
static int publish_file(const rg_aanchor *a, const rg_audit_head *h)
{
    char lock[4096 + 16], text[RG_AUDIT_HEAD_FILE];
    rg_aheads cur;
    int fd, rc = RG_OK;
    if (rg_audit_head_slot_format(h, text) != 0 ||
        (size_t)snprintf(lock, sizeof lock, "%s.lock", a->path) >= sizeof lock)
        return RG_EIO;
    /* another process appending to the same database must not move the
     * file back between our read and our write */
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        if (fd >= 0) close(fd);
        return RG_EIO;
    }
    rg_aheads_read_file(a, &cur);
    if (cur.file_state == RG_AHEAD_BAD) {
        rc = RG_EGONE;
    } else if (cur.file_state == RG_AHEAD_OK && cur.file_slot >= 0) {
        if (cur.file.seq < h->seq) rc = write_slot(a->path, !cur.file_slot, text);
    } else if (cur.file_state == RG_AHEAD_ABSENT || cur.file.seq < h->seq) {
        /* created, or the one-line form replaced: both slots name h */
        memcpy(text + RG_AUDIT_HEAD_SLOT, text, RG_AUDIT_HEAD_SLOT);
        rc = replace_file(a->path, text, sizeof text);
    }
    close(fd); /* releases the lock */
    return rc;
}

void rg_ahead_publish(rg_aanchor *a, rg_audit_head *h)
{
    int rc = rg_audit_head_seal(a->key, h);
    if (rc == RG_OK) rc = publish_file(a, h);
    if (rc == RG_OK || a->file_warned) return;
    a->file_warned = 1;
    fprintf(stderr, "roomgate: audit: cannot write %s%s\n", a->path,
            rc == RG_EGONE ? " (it is unreadable or does not verify: left as it is; run `roomgate "
                             "audit verify`)"
                           : "");
}

/* ---- appending -------------------------------------------------------- */

static const char *nul(const char *s)
{
    return s[0] ? s : NULL;
}

rg_audit_fields rg_audit_fields_of(const rg_audit_row *r)
{
    return (rg_audit_fields){nul(r->action),        nul(r->outcome),       nul(r->reason),
                             nul(r->account_sid),   nul(r->recording_sid), nul(r->identity),
                             nul(r->realm_user_id), nul(r->roles),         nul(r->client_ip),
                             nul(r->user_agent)};
}

void rg_audit_start(rg_aanchor *a, const rg_aheads *h, int64_t tail_seq,
                    const uint8_t tail_hash[RG_AUDIT_HASH_LEN], rg_audit_head *start)
{
    memset(start, 0, sizeof *start);
    start->seq = tail_seq;
    memcpy(start->hash, tail_hash, RG_AUDIT_HASH_LEN);
    if (h->db_state == RG_AHEAD_OK) *start = h->db;
    if (h->file_state == RG_AHEAD_OK && h->file.seq > start->seq) *start = h->file;
    if ((start->seq != tail_seq || memcmp(start->hash, tail_hash, RG_AUDIT_HASH_LEN) != 0 ||
         h->db_state == RG_AHEAD_ABSENT || h->db_state == RG_AHEAD_BAD) &&
        !a->warned) {
        a->warned = 1;
        fprintf(stderr,
                "roomgate: audit: the log does not end where its head says (last row %lld, "
                "head %lld): rows may be missing; run `roomgate audit verify`\n",
                (long long)tail_seq, (long long)start->seq);
    }
}

/* ---- verifying -------------------------------------------------------- */

void rg_audit_walk_init(rg_audit_walk *w, rg_audit_verdict *v, const rg_aheads *h)
{
    memset(v, 0, sizeof *v);
    memset(w, 0, sizeof *w);
    v->head_seq = -1;
    w->v = v;
    w->want_seq = h->file_state == RG_AHEAD_OK ? h->file.seq : -1;
}

int rg_audit_walk_row(void *ud, const rg_audit_row *r)
{
    rg_audit_walk *w = ud;
    uint8_t h[RG_AUDIT_HASH_LEN];
    const rg_audit_fields f = rg_audit_fields_of(r);
    const char *why = NULL;
    if (r->seq != w->v->rows + 1)
        why = "row missing or out of order (seq gap)";
    else if (memcmp(r->prev_hash, w->prev, RG_AUDIT_HASH_LEN) != 0)
        why = "prev_hash does not match the previous row's hash";
    else if (rg_audit_hash(r->seq, r->ts_ms, r->prev_hash, &f, h) != RG_OK ||
             memcmp(h, r->hash, RG_AUDIT_HASH_LEN) != 0)
        why = "row content does not match its hash (edited)";
    if (why) {
        w->v->bad_seq = r->seq;
        w->v->why = why;
        return 1;
    }
    memcpy(w->prev, r->hash, RG_AUDIT_HASH_LEN);
    if (r->seq == w->want_seq) memcpy(w->want_hash, r->hash, RG_AUDIT_HASH_LEN);
    w->v->rows++;
    return 0;
}

/* The first problem found is v->why; a broken link found by the walk
 * stays first. */
void rg_audit_judge(rg_audit_verdict *v, const rg_aheads *h, const rg_audit_walk *w)
{
    const char *why = NULL;
    v->head_file = h->file_state != RG_AHEAD_ABSENT;
    if (h->db_state == RG_AHEAD_OK) v->head_seq = h->db.seq;
    if (h->file_state == RG_AHEAD_OK && h->file.seq > v->head_seq) v->head_seq = h->file.seq;
    if (v->bad_seq == 0 && v->head_seq > v->rows) {
        v->missing_rows = v->head_seq - v->rows;
        why = "rows missing at the end of the log (its head names more rows than there are)";
    }
    if (!why && h->db_state == RG_AHEAD_ABSENT)
        why = "the chain head row is missing from the database (deleted)";
    if (!why && h->db_state == RG_AHEAD_BAD)
        why = "the chain head in the database does not verify (forged or replaced)";
    if (!why && h->file_state == RG_AHEAD_BAD)
        why = "the head file does not verify (forged, replaced or corrupt)";
    if (!why && v->bad_seq == 0 && h->db_state == RG_AHEAD_OK && h->db.seq < v->rows)
        why = "rows after the chain head (not written by roomgate)";
    if (!why && v->bad_seq == 0 && h->db_state == RG_AHEAD_OK && h->db.seq == v->rows &&
        memcmp(h->db.hash, w->prev, RG_AUDIT_HASH_LEN) != 0)
        why = "the last row is not the one the chain head names (replaced)";
    /* want_hash stays zeros for seq 0, as the empty chain's head */
    if (!why && v->bad_seq == 0 && h->file_state == RG_AHEAD_OK && h->file.seq <= v->rows &&
        memcmp(h->file.hash, w->want_hash, RG_AUDIT_HASH_LEN) != 0)
        why = "the row the head file names is not in the log (replaced)";
    if (!v->why) v->why = why;
    v->ok = v->why == NULL;
}

int rg_audit_verify_begin(const rg_aanchor *a, rg_audit_verdict *v, rg_aheads *h, rg_audit_walk *w)
{
    memset(h, 0, sizeof *h);
    memset(v, 0, sizeof *v);
    v->head_seq = -1;
    if (!a->anchored) return RG_EINVAL;
    rg_aheads_read_file(a, h);
    rg_audit_walk_init(w, v, h);
    return RG_OK;
}

int rg_audit_verify_end(rg_audit_verdict *v, const rg_aheads *h, const rg_audit_walk *w, int rc)
{
    if (rc != RG_OK && rc != 1) return rc;
    rg_audit_judge(v, h, w);
    return RG_OK;
}

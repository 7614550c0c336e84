/* tus_store.c - resumable uploads on disk (see tus_store.h). */
#include "playback/tus_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/b64.h"
#include "core/errors.h"
#include "core/sid.h"
#include "crypto/fileio.h"
#include "crypto/kdf.h"
#include "crypto/seal.h"

#define BUSY_MAX 64
#define STATE_MAGIC "RGTUS01\n"
#define META_MAX 65536

struct open_count {
    char account_sid[RG_SID_SIZE];
    int n;
};

struct rg_tus {
    char dir[PATH_MAX]; /* DATA/uploads */
    uint8_t key[32];    /* seals the upload keys (HKDF of the master key) */
    pthread_mutex_t mu;
    char busy[BUSY_MAX][RG_TUS_ID_LEN + 1];
    int64_t last_sweep;
    /* open (unfinished) uploads per account, for RG_TUS_OPEN_MAX; counted
     * from the directory at open, then kept by create, done and remove */
    struct open_count *open;
    size_t nopen, capopen;
};

static const char *const FILES[] = {"data",          "state", "state.tmp", "meta.json",
                                    "meta.json.tmp", "done",  "done.tmp"};

/* HKDF-SHA256(master, info) (crypto/kdf.h): its own key, so a sealed
 * upload key can never be confused with a sealed API key secret. */
static int derive(const uint8_t master[32], uint8_t out[32])
{
    return rg_kdf(master, "roomgate tus upload keys v1", out, 32);
}

static void count_existing(rg_tus *t);
static void count_add(rg_tus *t, const char *account_sid, int d);

int rg_tus_open(const char *data_dir, const uint8_t master[32], rg_tus **out)
{
    rg_tus *t = calloc(1, sizeof *t);
    *out = NULL;
    if (t == NULL) return RG_ENOMEM;
    if ((size_t)snprintf(t->dir, sizeof t->dir, "%s/uploads", data_dir) >= sizeof t->dir ||
        (mkdir(t->dir, 0700) != 0 && errno != EEXIST) || derive(master, t->key) != RG_OK) {
        free(t);
        return RG_EIO;
    }
    pthread_mutex_init(&t->mu, NULL);
    rg_tus_sweep(t, (int64_t)time(NULL)); /* what expired while the server was down */
    count_existing(t);
    *out = t;
    return RG_OK;
}

void rg_tus_close(rg_tus *t)
{
    if (t == NULL) return;
    OPENSSL_cleanse(t->key, sizeof t->key);
    pthread_mutex_destroy(&t->mu);
    free(t->open);
    free(t);
}

/* DATA/uploads/ID[/name]; the id was checked by the caller. */
static int path_of(const rg_tus *t, const char *id, const char *name, char *out, size_t cap)
{
    size_t n = name ? (size_t)snprintf(out, cap, "%s/%s/%s", t->dir, id, name)
                    : (size_t)snprintf(out, cap, "%s/%s", t->dir, id);
    return rg_tus_id_valid(id, strlen(id)) && n < cap ? RG_OK : RG_EINVAL;
}

/* Writes ID/name through ID/name.tmp: synced, renamed, directory synced. */
static int put_file(const rg_tus *t, const char *id, const char *name, const void *p, size_t n)
{
    char tmpname[32], tmp[PATH_MAX], final[PATH_MAX], dir[PATH_MAX];
    int fd, rc;
    snprintf(tmpname, sizeof tmpname, "%s.tmp", name);
    if (path_of(t, id, tmpname, tmp, sizeof tmp) != RG_OK ||
        path_of(t, id, name, final, sizeof final) != RG_OK ||
        path_of(t, id, NULL, dir, sizeof dir) != RG_OK)
        return RG_EINVAL;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return RG_EIO;
    rc = rg_write_all(fd, p, n);
    if (rc == RG_OK && fsync(fd) != 0) rc = RG_EIO;
    if (close(fd) != 0) rc = RG_EIO;
    if (rc == RG_OK && rename(tmp, final) != 0) rc = RG_EIO;
    if (rc != RG_OK) {
        unlink(tmp);
        return rc;
    }
    rg_sync_dir(dir);
    return RG_OK;
}

/* Reads ID/name whole (at most cap bytes); its mtime into *mtime. */
static int get_file(const rg_tus *t, const char *id, const char *name, uint8_t *buf, size_t cap,
                    size_t *n, int64_t *mtime)
{
    char path[PATH_MAX];
    struct stat sb;
    int fd, rc = RG_OK;
    if (path_of(t, id, name, path, sizeof path) != RG_OK) return RG_EINVAL;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return errno == ENOENT ? RG_ENOTFOUND : RG_EIO;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > cap) {
        rc = RG_EIO;
    } else {
        ssize_t r;
        *n = 0;
        while (*n < (size_t)sb.st_size && (r = read(fd, buf + *n, (size_t)sb.st_size - *n)) > 0)
            *n += (size_t)r;
        if (*n != (size_t)sb.st_size) rc = RG_EIO;
        if (mtime) *mtime = (int64_t)sb.st_mtime;
    }
    close(fd);
    return rc;
}

/* ---- the keys and the state ------------------------------------------ */

static void keys_aad(const char *id, char aad[64])
{
    snprintf(aad, 64, "roomgate tus keys %s", id);
}

static void state_aad(const char *id, uint64_t segments, uint8_t aad[RG_TUS_ID_LEN + 8])
{
    memcpy(aad, id, RG_TUS_ID_LEN);
    for (int i = 0; i < 8; i++)
        aad[RG_TUS_ID_LEN + i] = (uint8_t)(segments >> (56 - 8 * i));
}

static int put_state(rg_tus *t, const rg_tus_upload *u, uint64_t segments, const uint8_t *tail,
                     size_t tail_len)
{
    static const size_t cap = 16 + RG_REC_SEGMENT + RG_SEAL_OVERHEAD;
    uint8_t *buf = malloc(cap), nonce[12], aad[RG_TUS_ID_LEN + 8];
    size_t n = 0;
    int rc;
    if (buf == NULL) return RG_ENOMEM;
    state_aad(u->id, segments, aad);
    memcpy(buf, STATE_MAGIC, 8);
    memcpy(buf + 8, aad + RG_TUS_ID_LEN, 8);
    rc = RAND_bytes(nonce, sizeof nonce) == 1 ? RG_OK : RG_ECRYPTO;
    if (rc == RG_OK)
        rc = rg_seal(u->tail_key, nonce, aad, sizeof aad, tail, tail_len, buf + 16, cap - 16, &n);
    if (rc == RG_OK) rc = put_file(t, u->id, "state", buf, 16 + n);
    free(buf);
    return rc;
}

static int get_state(rg_tus *t, rg_tus_upload *u, int64_t *mtime)
{
    static const size_t cap = 16 + RG_REC_SEGMENT + RG_SEAL_OVERHEAD;
    uint8_t *buf = malloc(cap), aad[RG_TUS_ID_LEN + 8];
    size_t n = 0;
    uint64_t seg = 0;
    int rc;
    if (buf == NULL) return RG_ENOMEM;
    rc = get_file(t, u->id, "state", buf, cap, &n, mtime);
    if (rc == RG_OK && (n < 16 + RG_SEAL_OVERHEAD || memcmp(buf, STATE_MAGIC, 8) != 0)) rc = RG_EIO;
    if (rc == RG_OK) {
        for (int i = 0; i < 8; i++)
            seg = seg << 8 | buf[8 + i];
        state_aad(u->id, seg, aad);
        rc = rg_unseal(u->tail_key, aad, sizeof aad, buf + 16, n - 16, u->tail, sizeof u->tail,
                       &u->tail_len);
    }
    if (rc == RG_OK && (u->tail_len >= RG_REC_SEGMENT || seg > u->rec.size / RG_REC_SEGMENT ||
                        seg * RG_REC_SEGMENT + u->tail_len > u->rec.size))
        rc = RG_EIO;
    u->segments = seg;
    OPENSSL_cleanse(buf, cap);
    free(buf);
    return rc;
}

/* ---- meta.json -------------------------------------------------------- */

static json_t *meta_json(const rg_tus *t, const rg_tus_upload *u)
{
    uint8_t keys[64], nonce[12], blob[64 + RG_SEAL_OVERHEAD];
    char aad[64], b64[2 * sizeof blob], kid[65];
    size_t n = 0;
    const rg_recording *r = &u->rec;
    memcpy(keys, u->key, 32);
    memcpy(keys + 32, u->tail_key, 32);
    keys_aad(u->id, aad);
    int ok =
        RAND_bytes(nonce, sizeof nonce) == 1 &&
        rg_seal(t->key, nonce, aad, strlen(aad), keys, sizeof keys, blob, sizeof blob, &n) == RG_OK;
    OPENSSL_cleanse(keys, sizeof keys);
    if (!ok) return NULL;
    rg_b64_encode(b64, blob, n);
    rg_hex_encode(kid, r->key_id, sizeof r->key_id);
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "account_sid",
                     r->account_sid, "recording_sid", r->sid, "keys", b64, "size",
                     (json_int_t)r->size, "date_created", (json_int_t)r->date_created,
                     "content_type", r->content_type, "duration", (json_int_t)r->duration,
                     "room_sid", r->room_sid, "consultation_id", r->consultation_id,
                     "allowed_identities", r->allowed_identities, "allowed_roles", r->allowed_roles,
                     "key_id", kid);
}

static int copy_str(json_t *o, const char *name, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (s == NULL || strlen(s) >= cap) return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

static int meta_parse(rg_tus *t, rg_tus_upload *u, const uint8_t *text, size_t len)
{
    json_t *o = json_loadb((const char *)text, len, 0, NULL);
    rg_recording *r = &u->rec;
    uint8_t blob[128], keys[64];
    char aad[64], kid[65];
    size_t bn = 0, kn = 0;
    int rc = RG_EIO;
    const char *b64 = json_string_value(json_object_get(o, "keys"));
    char sid[RG_SID_SIZE];
    if (o && b64 && copy_str(o, "account_sid", sid, sizeof sid) == 0 &&
        rg_sid_valid(sid, strlen(sid), "AC") &&
        copy_str(o, "recording_sid", r->sid, sizeof r->sid) == 0 &&
        rg_sid_valid(r->sid, strlen(r->sid), "RE") &&
        copy_str(o, "content_type", r->content_type, sizeof r->content_type) == 0 &&
        copy_str(o, "room_sid", r->room_sid, sizeof r->room_sid) == 0 &&
        copy_str(o, "consultation_id", r->consultation_id, sizeof r->consultation_id) == 0 &&
        copy_str(o, "allowed_identities", r->allowed_identities, sizeof r->allowed_identities) ==
            0 &&
        copy_str(o, "allowed_roles", r->allowed_roles, sizeof r->allowed_roles) == 0 &&
        copy_str(o, "key_id", kid, sizeof kid) == 0 && strlen(kid) == 64 &&
        json_is_integer(json_object_get(o, "size")) &&
        rg_b64_decode(blob, sizeof blob, b64, strlen(b64), &bn) == RG_OK) {
        memcpy(r->account_sid, sid, sizeof sid);
        r->size = (uint64_t)json_integer_value(json_object_get(o, "size"));
        r->date_created = json_integer_value(json_object_get(o, "date_created"));
        r->duration = json_integer_value(json_object_get(o, "duration"));
        for (int i = 0; i < 32; i++) {
            unsigned v;
            sscanf(kid + 2 * i, "%2x", &v);
            r->key_id[i] = (uint8_t)v;
        }
        snprintf(r->source, sizeof r->source, "tus");
        keys_aad(u->id, aad);
        rc = rg_unseal(t->key, aad, strlen(aad), blob, bn, keys, sizeof keys, &kn);
        if (rc == RG_OK && kn != sizeof keys) rc = RG_EIO;
        if (rc == RG_OK) {
            memcpy(u->key, keys, 32);
            memcpy(u->tail_key, keys + 32, 32);
        }
        OPENSSL_cleanse(keys, sizeof keys);
    }
    json_decref(o);
    return rc;
}

/* ---- open uploads per account ------------------------------------------ */

/* The account of an unfinished upload (no `done` marker, meta.json
 * readable); RG_ENOTFOUND for a finished or broken one. */
static int open_owner(rg_tus *t, const char *id, char owner[RG_SID_SIZE])
{
    char path[PATH_MAX];
    uint8_t *text = malloc(META_MAX);
    size_t n = 0;
    json_t *o;
    int rc = RG_ENOTFOUND;
    if (text == NULL) return RG_ENOMEM;
    if (path_of(t, id, "done", path, sizeof path) == RG_OK && access(path, F_OK) != 0 &&
        errno == ENOENT && get_file(t, id, "meta.json", text, META_MAX, &n, NULL) == RG_OK &&
        (o = json_loadb((const char *)text, n, 0, NULL)) != NULL) {
        const char *sid = json_string_value(json_object_get(o, "account_sid"));
        if (sid && rg_sid_valid(sid, strlen(sid), "AC")) {
            memcpy(owner, sid, RG_SID_SIZE);
            rc = RG_OK;
        }
        json_decref(o);
    }
    free(text);
    return rc;
}

/* Adds d to the account's count (never below 0: an upload the count
 * never saw, e.g. one the start-up sweep removes, subtracts nothing). */
static void count_add(rg_tus *t, const char *account_sid, int d)
{
    size_t i;
    pthread_mutex_lock(&t->mu);
    for (i = 0; i < t->nopen && strcmp(t->open[i].account_sid, account_sid) != 0; i++)
        ;
    if (i == t->nopen && d > 0) {
        if (t->nopen == t->capopen) {
            size_t cap = t->capopen ? 2 * t->capopen : 16;
            struct open_count *p = realloc(t->open, cap * sizeof *p);
            if (p == NULL) goto out; /* uncounted: the cap is a bound, not a ledger */
            t->open = p, t->capopen = cap;
        }
        memcpy(t->open[i].account_sid, account_sid, RG_SID_SIZE);
        t->open[i].n = 0;
        t->nopen++;
    }
    if (i < t->nopen) t->open[i].n = t->open[i].n + d < 0 ? 0 : t->open[i].n + d;
out:
    pthread_mutex_unlock(&t->mu);
}

int rg_tus_open_count(rg_tus *t, const char *account_sid)
{
    int n = 0;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < t->nopen; i++)
        if (strcmp(t->open[i].account_sid, account_sid) == 0) n = t->open[i].n;
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* At open, after the sweep: every unfinished upload left on disk. */
static void count_existing(rg_tus *t)
{
    DIR *d = opendir(t->dir);
    struct dirent *e;
    char owner[RG_SID_SIZE];
    if (d == NULL) return;
    while ((e = readdir(d)) != NULL)
        if (rg_tus_id_valid(e->d_name, strlen(e->d_name)) &&
            open_owner(t, e->d_name, owner) == RG_OK)
            count_add(t, owner, 1);
    closedir(d);
}

/* ---- the operations --------------------------------------------------- */

int rg_tus_create(rg_tus *t, EVP_PKEY *pub, rg_tus_upload *u)
{
    uint8_t rnd[RG_TUS_ID_LEN / 2];
    char dir[PATH_MAX], data[PATH_MAX];
    rg_rec_writer *w = NULL;
    json_t *meta;
    char *text;
    int rc;
    if (RAND_bytes(rnd, sizeof rnd) != 1 || RAND_bytes(u->tail_key, 32) != 1) return RG_ECRYPTO;
    rg_hex_encode(u->id, rnd, sizeof rnd);
    if (path_of(t, u->id, NULL, dir, sizeof dir) != RG_OK ||
        path_of(t, u->id, "data", data, sizeof data) != RG_OK)
        return RG_EINVAL;
    if (mkdir(dir, 0700) != 0) return RG_EIO;
    /* the header only, synced (the final name given here is never used:
     * rg_tus_append finishes a resumed writer that names DATA/recordings) */
    rc = rg_rec_writer_create(data, t->dir, u->rec.sid, pub, u->rec.size, u->key, &w);
    if (rc == RG_OK && fsync(rg_rec_writer_fd(w)) != 0) rc = RG_EIO;
    rg_rec_writer_close(w);
    u->segments = 0, u->tail_len = 0;
    if (rc == RG_OK) rc = put_state(t, u, 0, NULL, 0);
    if (rc == RG_OK) {
        meta = meta_json(t, u);
        text = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
        rc = text ? put_file(t, u->id, "meta.json", text, strlen(text)) : RG_ENOMEM;
        free(text);
        json_decref(meta);
    }
    if (rc != RG_OK)
        rg_tus_remove(t, u->id); /* before the count: not counted yet, so uncounted */
    else
        count_add(t, u->rec.account_sid, 1);
    return rc;
}

int rg_tus_load(rg_tus *t, const char *id, int64_t now, rg_tus_upload *u)
{
    uint8_t *meta = malloc(META_MAX), done[RG_SID_SIZE + 1];
    size_t n = 0;
    int64_t mtime = 0;
    int rc;
    memset(u, 0, sizeof *u);
    if (meta == NULL) return RG_ENOMEM;
    if (!rg_tus_id_valid(id, strlen(id))) {
        free(meta);
        return RG_ENOTFOUND;
    }
    memcpy(u->id, id, RG_TUS_ID_LEN + 1);
    rc = get_file(t, id, "meta.json", meta, META_MAX, &n, NULL);
    if (rc == RG_OK) rc = meta_parse(t, u, meta, n);
    free(meta);
    if (rc == RG_OK) {
        rc = get_file(t, id, "done", done, sizeof done - 1, &n, &mtime);
        if (rc == RG_OK) {
            u->done = n == RG_SID_SIZE - 1 && memcmp(done, u->rec.sid, n) == 0;
            if (!u->done) rc = RG_EIO;
        } else if (rc == RG_ENOTFOUND) {
            rc = get_state(t, u, &mtime);
        }
    }
    if (rc == RG_OK && now - mtime > RG_TUS_EXPIRY) rc = RG_ENOTFOUND;
    if (rc != RG_OK) {
        OPENSSL_cleanse(u->key, sizeof u->key);
        OPENSSL_cleanse(u->tail_key, sizeof u->tail_key);
        return rc == RG_ENOMEM ? rc : RG_ENOTFOUND;
    }
    return RG_OK;
}

int rg_tus_append(rg_tus *t, rg_tus_upload *u, const char *rec_dir, const uint8_t *p, size_t n,
                  int *complete)
{
    char data[PATH_MAX];
    rg_rec_writer *w;
    const uint8_t *tail;
    size_t tail_len;
    uint64_t seg;
    int rc;
    *complete = 0;
    if (n > u->rec.size - rg_tus_offset(u)) return RG_ETOOBIG;
    if (path_of(t, u->id, "data", data, sizeof data) != RG_OK) return RG_EINVAL;
    rc = rg_rec_writer_resume(data, rec_dir, u->rec.sid, u->key, u->rec.size, u->segments, u->tail,
                              u->tail_len, &w);
    if (rc != RG_OK) return rc;
    if ((rc = rg_rec_writer_write(w, p, n)) != RG_OK) {
        rg_rec_writer_close(w);
        return rc;
    }
    if (rg_tus_offset(u) + n == u->rec.size) {
        rc = rg_rec_writer_finish(w); /* frees w; renames data to rec_dir/SID.rgrec */
        if (rc == RG_OK) *complete = 1;
        return rc;
    }
    rc = rg_rec_writer_checkpoint(w, &seg, &tail, &tail_len);
    if (rc == RG_OK) rc = put_state(t, u, seg, tail, tail_len);
    if (rc == RG_OK) {
        u->segments = seg;
        memcpy(u->tail, tail, tail_len);
        u->tail_len = tail_len;
    }
    rg_rec_writer_close(w);
    return rc;
}

int rg_tus_mark_done(rg_tus *t, rg_tus_upload *u)
{
    char state[PATH_MAX];
    int rc = put_file(t, u->id, "done", u->rec.sid, strlen(u->rec.sid));
    if (rc == RG_OK && path_of(t, u->id, "state", state, sizeof state) == RG_OK) unlink(state);
    if (rc == RG_OK) {
        u->done = 1;
        count_add(t, u->rec.account_sid, -1);
    }
    return rc;
}

void rg_tus_remove(rg_tus *t, const char *id)
{
    char path[PATH_MAX];
    uint8_t zeros[RG_REC_HEADER_MAX] = {0};
    char owner[RG_SID_SIZE];
    int fd;
    if (path_of(t, id, "data", path, sizeof path) != RG_OK) return;
    if (open_owner(t, id, owner) == RG_OK) count_add(t, owner, -1);
    /* Without the header's wrapped key the sealed segments never open again */
    if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) >= 0) {
        if (pwrite(fd, zeros, sizeof zeros, 0) == (ssize_t)sizeof zeros) (void)fsync(fd);
        close(fd);
    }
    for (size_t i = 0; i < sizeof FILES / sizeof FILES[0]; i++)
        if (path_of(t, id, FILES[i], path, sizeof path) == RG_OK) unlink(path);
    if (path_of(t, id, NULL, path, sizeof path) == RG_OK) rmdir(path);
    rg_sync_dir(t->dir);
}

/* The newest mtime of an upload's state files; 0 when none is there. */
static int64_t last_touched(const rg_tus *t, const char *id)
{
    static const char *const names[] = {"state", "done", "meta.json"};
    char path[PATH_MAX];
    struct stat sb;
    int64_t m = 0;
    for (size_t i = 0; i < 3; i++)
        if (path_of(t, id, names[i], path, sizeof path) == RG_OK && lstat(path, &sb) == 0 &&
            (int64_t)sb.st_mtime > m)
            m = (int64_t)sb.st_mtime;
    return m;
}

void rg_tus_sweep(rg_tus *t, int64_t now)
{
    DIR *d;
    struct dirent *e;
    if (now - t->last_sweep < 60) return;
    t->last_sweep = now;
    if ((d = opendir(t->dir)) == NULL) return;
    while ((e = readdir(d)) != NULL) {
        if (!rg_tus_id_valid(e->d_name, strlen(e->d_name))) continue;
        if (now - last_touched(t, e->d_name) <= RG_TUS_EXPIRY) continue;
        if (rg_tus_lock(t, e->d_name) != RG_OK) continue;
        rg_tus_remove(t, e->d_name);
        rg_tus_unlock(t, e->d_name);
    }
    closedir(d);
}

int rg_tus_lock(rg_tus *t, const char *id)
{
    int free_slot = -1, rc = RG_OK;
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < BUSY_MAX; i++) {
        if (strcmp(t->busy[i], id) == 0) rc = RG_EEXIST;
        if (t->busy[i][0] == '\0' && free_slot < 0) free_slot = i;
    }
    if (rc == RG_OK && free_slot < 0) rc = RG_EEXIST; /* that many at once: try again */
    if (rc == RG_OK) snprintf(t->busy[free_slot], sizeof t->busy[0], "%s", id);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

void rg_tus_unlock(rg_tus *t, const char *id)
{
    pthread_mutex_lock(&t->mu);
    for (int i = 0; i < BUSY_MAX; i++)
        if (strcmp(t->busy[i], id) == 0) t->busy[i][0] = '\0';
    pthread_mutex_unlock(&t->mu);
}

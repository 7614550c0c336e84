/* sql.c - the SQLite plumbing every store file shares: error mapping,
 * binding with length checks, stepping, bounded column reads. */
#include "store/sqlite/sql.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/errors.h"
#include "core/fnv.h"

/* Maps a SQLite result to an rg code.  A foreign key violation means the
 * referenced account does not exist, hence RG_ENOTFOUND rather than
 * RG_EEXIST.  Only unexpected failures are logged; SQLite's messages name
 * tables and columns, never bound values. */
int rg_sql_fail(rg_store *st, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_FOREIGNKEY ? RG_ENOTFOUND : RG_EEXIST;
    case SQLITE_NOMEM:
        return RG_ENOMEM;
    default:
        fprintf(stderr, "roomgate: store: %s: %s\n", what, sqlite3_errmsg(st->db));
        return RG_EIO;
    }
}

/* ---- prepared statement cache ------------------------------------------ */

/* Where a statement's probe path starts: its length and its first and
 * last 32 bytes (FNV-1a over every byte of a 1 KiB outbox statement cost
 * about a microsecond per call, and a join makes some fifteen); the text
 * is still compared in full below. */
static uint32_t sql_key(const char *sql)
{
    size_t n = strlen(sql), k = n < 32 ? n : 32;
    uint32_t h = rg_fnv1a(sql, k) ^ ((uint32_t)n * 2654435761u);
    return n > k ? h ^ (rg_fnv1a(sql + n - k, k) * 31u) : h;
}

/* The slot holding sql, else a free slot on its probe path, else NULL. */
static rg_sql_cached *cache_slot(rg_store *st, const char *sql)
{
    uint32_t h = sql_key(sql);
    rg_sql_cached *empty = NULL;
    for (int i = 0; i < 8; i++) {
        rg_sql_cached *c = &st->cache[(h + (uint32_t)i) % RG_SQL_CACHE];
        if (c->sql == NULL) {
            if (empty == NULL) empty = c;
        } else if (strcmp(c->sql, sql) == 0) {
            return c;
        }
    }
    return empty;
}

int rg_sql_prepare(rg_store *st, const char *sql, sqlite3_stmt **s)
{
    rg_sql_cached *c = cache_slot(st, sql);
    int rc;
    if (c && c->sql && !c->busy) {
        c->busy = 1;
        *s = c->stmt;
        return RG_OK;
    }
    if (c && c->sql == NULL) {
        rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL);
        if (rc != SQLITE_OK) return rg_sql_fail(st, rc, "prepare");
        if ((c->sql = strdup(sql)) != NULL) { /* without memory it just stays uncached */
            c->stmt = *s;
            c->busy = 1;
        }
        return RG_OK;
    }
    rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL); /* in use already: a second copy */
    return rc == SQLITE_OK ? RG_OK : rg_sql_fail(st, rc, "prepare");
}

void rg_sql_release(rg_store *st, sqlite3_stmt *s)
{
    if (s == NULL) return;
    for (int i = 0; i < RG_SQL_CACHE; i++)
        if (st->cache[i].stmt == s && st->cache[i].busy) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s); /* no pointer into a caller's buffer outlives the call */
            st->cache[i].busy = 0;
            return;
        }
    sqlite3_finalize(s);
}

void rg_sql_cache_clear(rg_store *st)
{
    for (int i = 0; i < RG_SQL_CACHE; i++) {
        sqlite3_finalize(st->cache[i].stmt);
        free(st->cache[i].sql);
        memset(&st->cache[i], 0, sizeof st->cache[i]);
    }
}

/* Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA). */
static int exec_cached(rg_store *st, const char *sql, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, sql, &s);
    if (rc == RG_OK) {
        int src = sqlite3_step(s);
        while (src == SQLITE_ROW) /* PRAGMA synchronous=... returns nothing; others may */
            src = sqlite3_step(s);
        rc = src == SQLITE_DONE ? RG_OK : rg_sql_fail(st, src, what);
    }
    rg_sql_release(st, s);
    return rc;
}

/* Binds a NUL-terminated string of at most max bytes. */
int rg_sql_bind_text(sqlite3_stmt *s, int i, const char *v, size_t max)
{
    if (!v) return RG_EINVAL;
    size_t n = strnlen(v, max + 1);
    if (n > max) return RG_EINVAL;
    return sqlite3_bind_text(s, i, v, (int)n, SQLITE_STATIC) == SQLITE_OK ? RG_OK : RG_ENOMEM;
}

int rg_sql_bind_sid(sqlite3_stmt *s, int i, const char *sid)
{
    return rg_sql_bind_text(s, i, sid, RG_SID_LEN);
}

int rg_sql_bind_int64(sqlite3_stmt *s, int i, int64_t v)
{
    return sqlite3_bind_int64(s, i, (sqlite3_int64)v) == SQLITE_OK ? RG_OK : RG_ENOMEM;
}

int rg_sql_bind_blob(sqlite3_stmt *s, int i, const void *p, size_t n)
{
    return sqlite3_bind_blob(s, i, p, (int)n, SQLITE_STATIC) == SQLITE_OK ? RG_OK : RG_ENOMEM;
}

/* Steps a statement that returns nothing (insert, update, delete). */
int rg_sql_step_done(rg_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    return rc == SQLITE_DONE ? RG_OK : rg_sql_fail(st, rc, what);
}

/* Steps to the first row: RG_OK on a row, RG_ENOTFOUND when there is none. */
int rg_sql_step_row(rg_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return RG_OK;
    return rc == SQLITE_DONE ? RG_ENOTFOUND : rg_sql_fail(st, rc, what);
}

int rg_sql_begin(rg_store *st)
{
    st->wrote = 1;
    return exec_cached(st, "BEGIN IMMEDIATE", "begin");
}

int rg_sql_begin_light(rg_store *st)
{
    int rc = exec_cached(st, "PRAGMA synchronous=NORMAL", "synchronous");
    if (rc != RG_OK) return rc;
    st->light = 1;
    if ((rc = rg_sql_begin(st)) != RG_OK) rg_sql_end(st, rc); /* back to FULL */
    return rc;
}

int rg_sql_end(rg_store *st, int rc)
{
    if (rc == RG_OK) rc = exec_cached(st, "COMMIT", "commit");
    if (rc != RG_OK) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL); /* may have none */
    if (st->light) {
        /* every other write is durable when it answers */
        exec_cached(st, "PRAGMA synchronous=FULL", "synchronous");
        st->light = 0;
    }
    return rc;
}

/* ---- durability outside the lock ---------------------------------------- */

int64_t rg_sql_sync_point(rg_store *st, int durable)
{
    if (st->wal_path == NULL) return 0; /* in memory: nothing reaches a disk */
    if (durable) st->sync_want++;
    pthread_mutex_lock(&st->sync_mu);
    int64_t done = st->sync_done;
    pthread_mutex_unlock(&st->sync_mu);
    return st->sync_want > done ? st->sync_want : 0;
}

/* In WAL mode a commit is the frames appended to the -wal file, and
 * synchronous=FULL is one fsync of that file after them: the same
 * fdatasync, made here on our own descriptor of the file (fsync flushes
 * the file, not the descriptor), gives a light commit the same
 * guarantee.  Serialized, so a caller whose point another's sync covered
 * returns at once. */
int rg_sql_sync(rg_store *st, int64_t point)
{
    int rc = RG_OK;
    if (point <= 0) return RG_OK;
    pthread_mutex_lock(&st->sync_mu);
    if (st->sync_done < point) {
        int fd = open(st->wal_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fdatasync(fd) != 0) {
            fprintf(stderr, "roomgate: store: sync %s: %s\n", st->wal_path, strerror(errno));
            rc = RG_EIO;
        } else {
            st->sync_done = point;
        }
        if (fd >= 0) close(fd);
    }
    pthread_mutex_unlock(&st->sync_mu);
    return rc;
}

int rg_sql_page(rg_store *st, sqlite3_stmt *s, rg_sql_reader read, void *out, size_t size,
                size_t limit, size_t *count, int *more, const char *what)
{
    int rc = RG_OK, step;
    *count = 0;
    *more = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (*count == limit) {
            *more = 1;
            step = SQLITE_DONE;
            break;
        }
        if ((rc = read(s, (char *)out + *count * size)) != RG_OK) break;
        (*count)++;
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, what);
    if (rc != RG_OK) *count = 0, *more = 0;
    return rc;
}

int rg_sql_col_text(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    int n = sqlite3_column_bytes(s, i);
    if (!t || n < 0 || (size_t)n >= cap) return RG_EIO;
    memcpy(dst, t, (size_t)n);
    dst[n] = '\0';
    return RG_OK;
}

int rg_sql_col_text_opt(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL) {
        if (cap == 0) return RG_EIO;
        dst[0] = '\0';
        return RG_OK;
    }
    return rg_sql_col_text(s, i, dst, cap);
}

/* Copies a blob column; *len = its size.  SQLite returns NULL for an empty
 * blob, which is then a zero-length value. */
int rg_sql_col_blob(sqlite3_stmt *s, int i, uint8_t *dst, size_t cap, size_t *len)
{
    const void *b = sqlite3_column_blob(s, i);
    int n = sqlite3_column_bytes(s, i);
    if (n < 0 || (size_t)n > cap || (n > 0 && !b)) return RG_EIO;
    if (n > 0) memcpy(dst, b, (size_t)n);
    *len = (size_t)n;
    return RG_OK;
}

/* An exactly-sized blob (a hash): anything else is RG_EIO. */
static int col_fixed(sqlite3_stmt *s, int i, uint8_t *dst, size_t cap)
{
    size_t len = 0;
    int rc = rg_sql_col_blob(s, i, dst, cap, &len);
    return rc == RG_OK && len != cap ? RG_EIO : rc;
}

static int read_col(sqlite3_stmt *s, int i, char *row, const rg_sql_col *c)
{
    int null = sqlite3_column_type(s, i) == SQLITE_NULL;
    switch (c->kind) {
    case 't':
        return rg_sql_col_text(s, i, row + c->off, c->cap);
    case 'o':
        return rg_sql_col_text_opt(s, i, row + c->off, c->cap);
    case 'i':
    case 'z':
        return rg_col_put_int(row, c, (int64_t)sqlite3_column_int64(s, i));
    case 'd':
        return rg_col_put_int(row, c, null ? -1 : (int64_t)sqlite3_column_int64(s, i));
    case 'n':
    case 'y':
        return rg_col_put_int(row, c, sqlite3_column_int(s, i));
    case 'h':
        return col_fixed(s, i, (uint8_t *)row + c->off, c->cap);
    default:
        return RG_EINVAL;
    }
}

int rg_sql_read_cols(sqlite3_stmt *s, void *row, size_t size, const rg_sql_col *cols, int n)
{
    int rc = RG_OK;
    memset(row, 0, size);
    for (int i = 0; i < n && rc == RG_OK; i++)
        rc = read_col(s, i, row, &cols[i]);
    return rc;
}

int rg_sql_read_row(sqlite3_stmt *s, void *row, const rg_cols *t)
{
    int rc = rg_sql_read_cols(s, row, t->size, t->col, t->n);
    if (rc == RG_OK && t->fix) t->fix(row);
    return rc;
}

void rg_sql_lock(rg_store *st)
{
    pthread_mutex_lock(&st->mu);
    if (st->timer == NULL) return;
    clock_gettime(CLOCK_MONOTONIC, &st->t0);
    st->wrote = 0;
}

/* The timer runs under the lock: its counters have one writer at a time. */
void rg_sql_unlock(rg_store *st)
{
    if (st->timer != NULL) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int64_t us =
            (int64_t)(t1.tv_sec - st->t0.tv_sec) * 1000000 + (t1.tv_nsec - st->t0.tv_nsec) / 1000;
        st->timer(st->timer_ud, st->wrote, us > 0 ? (uint64_t)us : 0);
    }
    pthread_mutex_unlock(&st->mu);
}

void rg_sqlite_set_timer(rg_store *st, void (*fn)(void *ud, int write, uint64_t micros), void *ud)
{
    pthread_mutex_lock(&st->mu);
    st->timer = fn;
    st->timer_ud = ud;
    pthread_mutex_unlock(&st->mu);
}

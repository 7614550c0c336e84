/* open.c - rg_store on SQLite: opening the file (private, WAL, durable,
 * migrated), closing it, and the questions about the connection itself
 * (schema version, commits by other processes, whether the file answers).
 *
 * One connection and one mutex per handle: every store call holds the
 * mutex for its whole duration (sql.h), so a handle may be shared by
 * threads. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/errors.h"
#include "store/sqlite/migrate.h"
#include "store/sqlite/sql.h"

#define BUSY_TIMEOUT_MS 5000
/* SQLite creates files 0644 (less the umask); the database holds token
 * hashes and sealed secrets, so create it ourselves first, private.  The WAL
 * and shared-memory files inherit the database file's mode.  An existing
 * file is left as it is. */
static int precreate_private(const char *path)
{
    if (strcmp(path, ":memory:") == 0 || path[0] == '\0') return RG_OK;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return errno == EEXIST ? RG_OK : RG_EIO;
    int rc = fchmod(fd, 0600) == 0 ? RG_OK : RG_EIO; /* exactly 0600 whatever the umask */
    close(fd);
    return rc;
}

/* journal_mode answers with the mode in force; a filesystem without shared
 * memory support would silently stay in rollback mode. */
static int set_wal(rg_store *st)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_sql_prepare(st, "PRAGMA journal_mode=WAL", &s);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "journal_mode");
    if (rc == RG_OK) {
        const char *mode = (const char *)sqlite3_column_text(s, 0);
        if (!mode || (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)) {
            fprintf(stderr, "roomgate: store: cannot enable WAL (mode %s)\n", mode ? mode : "?");
            rc = RG_EIO;
        }
    }
    rg_sql_release(st, s);
    return rc == RG_ENOTFOUND ? RG_EIO : rc;
}

/* secure_delete makes SQLite overwrite deleted rows, so a deleted key's
 * sealed secret does not linger in free pages of the file.  temp_store in
 * memory keeps the statement journal (the pages a savepoint may roll back:
 * one savepoint per seat of a join batch) off the disk: past 64 KiB SQLite
 * spilled it to a temporary file, a pwrite per page: two thirds of
 * the pwrites of bench/micro_seats (273,000 on disk, 87,000 in memory).
 * The CPU it saves is small (the copies move from the kernel into
 * SQLite's memory journal), the file and its syscalls are gone. */
static int configure(rg_store *st)
{
    sqlite3_extended_result_codes(st->db, 1);
    if (sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK) return RG_EIO;
    int rc = set_wal(st);
    if (rc != RG_OK) return rc;
    rc = sqlite3_exec(st->db,
                      "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; "
                      "PRAGMA temp_store=MEMORY;",
                      NULL, NULL, NULL);
    return rc == SQLITE_OK ? RG_OK : rg_sql_fail(st, rc, "pragmas");
}

/* The -wal file rg_sql_sync flushes; none for an in-memory database. */
static int set_wal_path(rg_store *st)
{
    const char *db = sqlite3_db_filename(st->db, "main");
    if (db == NULL || db[0] == '\0') return RG_OK;
    size_t n = strlen(db);
    if ((st->wal_path = malloc(n + sizeof "-wal")) == NULL) return RG_ENOMEM;
    memcpy(st->wal_path, db, n);
    memcpy(st->wal_path + n, "-wal", sizeof "-wal");
    return RG_OK;
}

int rg_sqlite_open(const char *path, rg_store **out)
{
    *out = NULL;
    if (!path) return RG_EINVAL;
    int rc = precreate_private(path);
    if (rc != RG_OK) return rc;
    rg_store *st = calloc(1, sizeof *st);
    if (!st) return RG_ENOMEM;
    st->head.ops = &rg_sqlite_ops;
    if (pthread_mutex_init(&st->mu, NULL) != 0) {
        free(st);
        return RG_ENOMEM;
    }
    if (pthread_mutex_init(&st->sync_mu, NULL) != 0) {
        pthread_mutex_destroy(&st->mu);
        free(st);
        return RG_ENOMEM;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "roomgate: store: open %s: %s\n", path,
                st->db ? sqlite3_errmsg(st->db) : "out of memory");
        rc = RG_EIO;
    }
    if (rc == RG_OK) rc = configure(st);
    if (rc == RG_OK) rc = set_wal_path(st);
    if (rc == RG_OK) rc = rg_sqlite_migrate(st->db, &st->schema_version);
    if (rc != RG_OK) {
        rg_sqlite_close(st);
        return rc;
    }
    *out = st;
    return RG_OK;
}

void rg_sqlite_close(rg_store *st)
{
    if (!st) return;
    rg_sql_cache_clear(st); /* every other statement was released by its caller */
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->sync_mu);
    free(st->wal_path);
    OPENSSL_cleanse(st->head.audit.key, sizeof st->head.audit.key);
    free(st);
}

int rg_sqlite_schema_version(rg_store *st)
{
    return st->schema_version;
}

/* PRAGMA data_version: it moves only for commits by other connections
 * (another process, or this one's audit connection), and is read from the
 * WAL index in shared memory, not the disk.  -1 on failure. */
int64_t rg_sqlite_change_mark(rg_store *st)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    rg_sql_lock(st);
    if (rg_sql_prepare(st, "PRAGMA data_version", &s) == RG_OK &&
        rg_sql_step_row(st, s, "data_version") == RG_OK)
        v = (int64_t)sqlite3_column_int64(s, 0);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return v;
}

/* A read transaction on the file and one row of the schema: an empty or
 * foreign file (no roomgate tables) fails like an unreadable one. */
int rg_sqlite_ping(rg_store *st)
{
    sqlite3_stmt *s = NULL;
    int rc;
    rg_sql_lock(st);
    rc = rg_sql_prepare(
        st, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'api_keys'", &s);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "ping");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc == RG_OK ? RG_OK : RG_EIO;
}

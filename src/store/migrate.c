/* migrate.c - the schema, as an append-only list of migrations.
 *
 * Rules for whoever adds a migration: append a new string to MIGRATIONS,
 * never edit or reorder an existing one (databases in the field already ran
 * it), and keep each one valid to run inside a single transaction.  The
 * strings are constant DDL, the only SQL in the project that is not a
 * prepared statement with bound parameters. */
#include "store/migrate.h"

#include <stdio.h>
#include <time.h>

#include "core/errors.h"

static const char *const MIGRATIONS[] = {
    /* 1: accounts and API keys.  The index serves both the per-account
     * listing (newest first, sid breaking ties) and "newest key". */
    "CREATE TABLE accounts("
    "  sid TEXT PRIMARY KEY,"
    "  friendly_name TEXT NOT NULL,"
    "  token_hash BLOB NOT NULL,"
    "  date_created INTEGER NOT NULL);"
    "CREATE TABLE api_keys("
    "  sid TEXT PRIMARY KEY,"
    "  account_sid TEXT NOT NULL REFERENCES accounts(sid),"
    "  friendly_name TEXT NOT NULL,"
    "  secret_sealed BLOB NOT NULL,"
    "  date_created INTEGER NOT NULL,"
    "  date_updated INTEGER NOT NULL);"
    "CREATE INDEX api_keys_by_account ON api_keys(account_sid, date_created, sid);",
};

#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

int rg_store_migration_count(void)
{
    return N_MIGRATIONS;
}

static int db_error(sqlite3 *db, int rc, const char *what)
{
    fprintf(stderr, "roomgate: store: migration: %s: %s\n", what, sqlite3_errmsg(db));
    return (rc & 0xff) == SQLITE_NOMEM ? RG_ENOMEM : RG_EIO;
}

static int exec(sqlite3 *db, const char *sql, const char *what)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? RG_OK : db_error(db, rc, what);
}

/* The highest applied version, 0 for a fresh database. */
static int current_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1,
                                &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
    int ret = rc == SQLITE_OK ? RG_OK : db_error(db, rc, "read version");
    sqlite3_finalize(s);
    return ret;
}

static int record_version(sqlite3 *db, int version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(
        db, "INSERT INTO schema_migrations(version, applied_at) VALUES(?1, ?2)", -1, &s, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 1, version);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 2, (sqlite3_int64)time(NULL));
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    int ret = rc == SQLITE_DONE ? RG_OK : db_error(db, rc, "record version");
    sqlite3_finalize(s);
    return ret;
}

/* Applies migration `version` (1-based) unless it already is.  BEGIN
 * IMMEDIATE takes the write lock before the version is read, so two
 * processes opening a fresh database do not both apply it. */
static int apply(sqlite3 *db, int version)
{
    int rc = exec(db, "BEGIN IMMEDIATE", "begin");
    if (rc != RG_OK) return rc;
    int cur = 0;
    rc = current_version(db, &cur);
    if (rc == RG_OK && cur < version) {
        rc = exec(db, MIGRATIONS[version - 1], "apply");
        if (rc == RG_OK) rc = record_version(db, version);
    }
    if (rc == RG_OK) rc = exec(db, "COMMIT", "commit");
    if (rc != RG_OK) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int rg_store_migrate(sqlite3 *db, int *version)
{
    int rc = exec(db,
                  "CREATE TABLE IF NOT EXISTS schema_migrations("
                  "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                  "create schema_migrations");
    int cur = 0;
    if (rc == RG_OK) rc = current_version(db, &cur);
    if (rc != RG_OK) return rc;
    if (cur > N_MIGRATIONS) {
        /* A newer roomgate wrote this file; running old code on it could
         * misread or damage rows it does not understand. */
        fprintf(stderr, "roomgate: store: schema version %d is newer than this build (%d)\n", cur,
                N_MIGRATIONS);
        return RG_EIO;
    }
    for (int v = cur + 1; v <= N_MIGRATIONS && rc == RG_OK; v++)
        rc = apply(db, v);
    if (rc == RG_OK) rc = current_version(db, version);
    return rc;
}

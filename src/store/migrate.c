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
    /* 2: rooms, participants and revocations (src/store/rooms.c).  A room's
     * unique_name is unique among its account's in-progress rooms only (the
     * partial index), so a completed room's name can be reused. */
    "CREATE TABLE rooms("
    "  sid TEXT PRIMARY KEY,"
    "  account_sid TEXT NOT NULL REFERENCES accounts(sid),"
    "  unique_name TEXT NOT NULL,"
    "  type INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  max_participants INTEGER NOT NULL,"
    "  empty_room_timeout INTEGER NOT NULL,"
    "  unused_room_timeout INTEGER NOT NULL,"
    "  status_callback TEXT NOT NULL,"
    "  date_created INTEGER NOT NULL,"
    "  date_updated INTEGER NOT NULL,"
    "  end_time INTEGER NOT NULL,"
    "  last_left INTEGER NOT NULL,"
    "  ever_joined INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX rooms_live_name ON rooms(account_sid, unique_name) WHERE status = 1;"
    "CREATE INDEX rooms_by_account ON rooms(account_sid, date_created);"
    "CREATE INDEX rooms_by_name ON rooms(account_sid, unique_name, date_created);"
    "CREATE INDEX rooms_live ON rooms(status) WHERE status = 1;"
    "CREATE TABLE participants("
    "  sid TEXT PRIMARY KEY,"
    "  room_sid TEXT NOT NULL REFERENCES rooms(sid),"
    "  identity TEXT NOT NULL,"
    "  connected INTEGER NOT NULL,"
    "  start_time INTEGER NOT NULL,"
    "  end_time INTEGER NOT NULL);"
    "CREATE INDEX participants_by_room ON participants(room_sid, connected, start_time);"
    "CREATE INDEX participants_by_identity ON participants(room_sid, identity, start_time);"
    "CREATE TABLE revocations("
    "  account_sid TEXT NOT NULL,"
    "  room_sid TEXT NOT NULL,"
    "  room_name TEXT NOT NULL,"
    "  identity TEXT NOT NULL,"
    "  revoked_before INTEGER NOT NULL,"
    "  PRIMARY KEY(account_sid, room_sid, identity));"
    "CREATE INDEX revocations_by_name ON revocations(account_sid, room_name, identity);",
    /* 3: VideoSDK rooms (meetings) and 1:1 consultations (src/store/meetings.c,
     * src/store/consultations.c).  A meeting's room_id is global (it is what
     * participants join); custom_room_id and consultation_id are unique per
     * account. */
    "CREATE TABLE meetings("
    "  room_id TEXT PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  account_sid TEXT NOT NULL REFERENCES accounts(sid),"
    "  custom_room_id TEXT,"
    "  api_key TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL,"
    "  date_created INTEGER NOT NULL,"
    "  date_updated INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX meetings_custom ON meetings(account_sid, custom_room_id)"
    "  WHERE custom_room_id IS NOT NULL;"
    "CREATE INDEX meetings_by_account ON meetings(account_sid, date_created);"
    "CREATE TABLE consultations("
    "  sid TEXT PRIMARY KEY,"
    "  account_sid TEXT NOT NULL REFERENCES accounts(sid),"
    "  consultation_id TEXT NOT NULL,"
    "  detail_id TEXT NOT NULL,"
    "  client_identity TEXT NOT NULL,"
    "  provider_identity TEXT NOT NULL,"
    "  starts_at INTEGER NOT NULL,"
    "  ends_at INTEGER NOT NULL,"
    "  status INTEGER NOT NULL,"
    "  date_created INTEGER NOT NULL,"
    "  date_updated INTEGER NOT NULL,"
    "  UNIQUE(account_sid, consultation_id));",
    /* 4: recordings, the hash-chained audit log and used single-use media
     * link nonces (src/store/recordings.c, src/store/audit.c).  A deleted
     * recording keeps its row (date_deleted) so its audit log stays
     * reachable.  The triggers make the log append-only for every client
     * that does not drop them first; the hash chain catches those that do. */
    "CREATE TABLE recordings("
    "  sid TEXT PRIMARY KEY,"
    "  account_sid TEXT NOT NULL REFERENCES accounts(sid),"
    "  size INTEGER NOT NULL,"
    "  content_type TEXT NOT NULL,"
    "  duration INTEGER,"
    "  room_sid TEXT,"
    "  consultation_id TEXT,"
    "  allowed_identities TEXT NOT NULL,"
    "  allowed_roles TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  key_id BLOB NOT NULL,"
    "  date_created INTEGER NOT NULL,"
    "  date_deleted INTEGER);"
    "CREATE INDEX recordings_by_account ON recordings(account_sid, date_created);"
    "CREATE TABLE audit_log("
    "  seq INTEGER PRIMARY KEY,"
    "  ts_ms INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  reason TEXT,"
    "  account_sid TEXT,"
    "  recording_sid TEXT,"
    "  identity TEXT,"
    "  realm_user_id TEXT,"
    "  roles TEXT,"
    "  client_ip TEXT,"
    "  user_agent TEXT,"
    "  prev_hash BLOB NOT NULL,"
    "  hash BLOB NOT NULL);"
    "CREATE INDEX audit_by_recording ON audit_log(recording_sid, seq);"
    "CREATE INDEX audit_by_time ON audit_log(ts_ms);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log"
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log"
    "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
    "CREATE TABLE media_nonces(nonce TEXT PRIMARY KEY, exp INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX media_nonces_by_exp ON media_nonces(exp);",
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

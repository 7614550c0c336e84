/* migrate.c - the schema, as an append-only list of migrations.
 *
 * Rules for whoever adds a migration: append a new string to MIGRATIONS,
 * never edit or reorder an existing one (databases in the field already ran
 * it), and keep each one valid to run inside a single transaction.  The
 * strings are constant DDL, the only SQL in the project that is not a
 * prepared statement with bound parameters. */
#include "store/sqlite/migrate.h"

#include <stdio.h>
#include <time.h>

#include "core/errors.h"

/* webhook_outbox's columns after event_id as 7 made them: 10 rebuilds the
 * table with the same ones (the text each migration runs is unchanged). */
#define OUTBOX_COLS_7                                                                              \
    "  account_sid TEXT NOT NULL,"                                                                 \
    "  room_sid TEXT NOT NULL,"                                                                    \
    "  event TEXT NOT NULL,"                                                                       \
    "  url TEXT NOT NULL,"                                                                         \
    "  method TEXT NOT NULL,"                                                                      \
    "  params TEXT NOT NULL,"                                                                      \
    "  seq INTEGER NOT NULL DEFAULT 0,"                                                            \
    "  created INTEGER NOT NULL,"                                                                  \
    "  attempts INTEGER NOT NULL DEFAULT 0,"                                                       \
    "  next_ms INTEGER NOT NULL"

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
    /* 5: API key types (issue 10, item 5).  Only 'main' keys (and the auth
     * token) may manage keys; 'standard' is the default for new keys.  Keys
     * made before types existed could manage keys, so they become 'main'
     * (the column default) and keep working as they did; every insert
     * names the type. */
    "ALTER TABLE api_keys ADD COLUMN key_type TEXT NOT NULL DEFAULT 'main'"
    "  CHECK(key_type IN ('main', 'standard'));",
    /* 6: the audit chain's head (issue 10, item 9; src/store/auditcheck.c):
     * the last row's seq and hash under a MAC of a key derived from the
     * master key, advanced in the same transaction as the rows.  SQL cannot
     * compute the MAC, so the row starts as a placeholder (seq -1) that the
     * first process holding the master key (serve, at start) sets to the
     * chain's current tail: a database from before heads is trusted up to
     * that moment, and any row removed afterwards is missing. */
    "CREATE TABLE audit_head("
    "  id INTEGER PRIMARY KEY CHECK(id = 1),"
    "  seq INTEGER NOT NULL,"
    "  hash BLOB,"
    "  mac BLOB);"
    "INSERT INTO audit_head(id, seq) VALUES(1, -1);"
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head"
    "  BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;",
    /* 7: status callbacks (issue 13; src/store/outbox.c).  The outbox holds
     * the events not yet acknowledged, written in the transaction of the
     * change they describe; AUTOINCREMENT keeps ids growing across deletes,
     * so a room's events are delivered in id order even after a crash.  The
     * trigger numbers a room's events (Twilio's SequenceNumber) from the
     * room's own counter, row by row, also for an INSERT ... SELECT of
     * several.  Accounts get a default callback (for rooms made by a join)
     * and their auth token sealed under the master key, which signing
     * needs: NULL for accounts made before, until `account seal-token`. */
    "ALTER TABLE rooms ADD COLUMN status_callback_method TEXT NOT NULL DEFAULT 'POST'"
    "  CHECK(status_callback_method IN ('GET', 'POST'));"
    "ALTER TABLE rooms ADD COLUMN hook_seq INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE accounts ADD COLUMN token_sealed BLOB;"
    "ALTER TABLE accounts ADD COLUMN status_callback TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE accounts ADD COLUMN status_callback_method TEXT NOT NULL DEFAULT 'POST'"
    "  CHECK(status_callback_method IN ('GET', 'POST'));"
    "CREATE TABLE webhook_outbox("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event_id TEXT NOT NULL UNIQUE," OUTBOX_COLS_7 ");"
    "CREATE INDEX webhook_outbox_by_room ON webhook_outbox(room_sid, id);"
    "CREATE TRIGGER webhook_outbox_seq AFTER INSERT ON webhook_outbox BEGIN"
    "  UPDATE rooms SET hook_seq = hook_seq + 1 WHERE sid = NEW.room_sid;"
    "  UPDATE webhook_outbox SET seq ="
    "    COALESCE((SELECT hook_seq - 1 FROM rooms WHERE sid = NEW.room_sid), 0)"
    "    WHERE id = NEW.id;"
    "  END;",
    /* 8: LiveKit's webhook format for the account's default callback
     * (docs/webhooks.md "LiveKit's format"): the format and the API key
     * that signs, copied onto each event when it is recorded. */
    "ALTER TABLE accounts ADD COLUMN status_callback_format TEXT NOT NULL DEFAULT 'twilio'"
    "  CHECK(status_callback_format IN ('twilio', 'livekit'));"
    "ALTER TABLE accounts ADD COLUMN status_callback_key TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE webhook_outbox ADD COLUMN format TEXT NOT NULL DEFAULT 'twilio';"
    "ALTER TABLE webhook_outbox ADD COLUMN key_sid TEXT NOT NULL DEFAULT '';",
    /* 9: the tracks a connected participant publishes (Twilio's protocol),
     * a JSON array of {sid, kind, name}, so that its disconnect records
     * track-removed for each first (outbox_emit.h); NULL when none ever. */
    "ALTER TABLE participants ADD COLUMN tracks TEXT;",
    /* 10: cheaper recording (bench/README.md "Status callbacks").  The
     * INSERTs number their events themselves (store/sqlite/outbox.c
     * "Numbering"), so the trigger of 7, two UPDATEs per event, one of them
     * rewriting the row just written, goes; and event_id loses its UNIQUE
     * index, one more b-tree written per event that only checked what 96
     * random bits already make sure of.  SQLite cannot drop a column's
     * constraint, so the table is rebuilt, its rows and its AUTOINCREMENT
     * high-water mark carried over (ids keep growing: outbox_look.c). */
    "DROP TRIGGER webhook_outbox_seq;"
    "CREATE TABLE webhook_outbox_new("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event_id TEXT NOT NULL," OUTBOX_COLS_7 ","
    "  format TEXT NOT NULL DEFAULT 'twilio',"
    "  key_sid TEXT NOT NULL DEFAULT '');"
    "INSERT INTO sqlite_sequence(name, seq)"
    "  SELECT 'webhook_outbox_new', seq FROM sqlite_sequence WHERE name = 'webhook_outbox';"
    "INSERT INTO webhook_outbox_new(id, event_id, account_sid, room_sid, event, url, method,"
    "  params, seq, created, attempts, next_ms, format, key_sid)"
    "  SELECT id, event_id, account_sid, room_sid, event, url, method, params, seq, created,"
    "  attempts, next_ms, format, key_sid FROM webhook_outbox;"
    "DROP TABLE webhook_outbox;"
    "ALTER TABLE webhook_outbox_new RENAME TO webhook_outbox;"
    "CREATE INDEX webhook_outbox_by_room ON webhook_outbox(room_sid, id);",
};

#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

int rg_sqlite_migration_count(void)
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

int rg_sqlite_migrate(sqlite3 *db, int *version)
{
    return rg_sqlite_migrate_upto(db, N_MIGRATIONS, version);
}

int rg_sqlite_migrate_upto(sqlite3 *db, int upto, int *version)
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
    if (upto > N_MIGRATIONS) upto = N_MIGRATIONS;
    for (int v = cur + 1; v <= upto && rc == RG_OK; v++)
        rc = apply(db, v);
    if (rc == RG_OK) rc = current_version(db, version);
    return rc;
}

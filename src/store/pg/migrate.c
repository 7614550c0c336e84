/* migrate.c - the PostgreSQL schema, as an append-only list of migrations
 * (the same rules as src/store/sqlite/migrate.c: append, never edit or
 * reorder; each runs in one transaction).  The tables and their meaning
 * are SQLite's; the numbering is this back end's own, since it starts from
 * the schema SQLite reached (its migrations 1, 5 and the account columns
 * of 7 and 8 are migration 1 here; the tables of the other resources come
 * as their operations do).  The strings are constant DDL.
 *
 * One node migrates at a time: the whole run holds a transaction-scoped
 * advisory lock, so nodes starting together do not race. */
#include "store/pg/pg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"

/* store_changed()'s count of a change, and of the session's own (the
 * same text in every version of the function since migration 2). */
#define COUNT_CHANGE                                                                               \
    "    UPDATE store_changes SET n = n + 1;"                                                      \
    "    PERFORM set_config('roomgate.own_changes', (COALESCE(NULLIF("                             \
    "      current_setting('roomgate.own_changes', true), ''), '0')::bigint + 1)::text, false);"

static const char *const MIGRATIONS[] = {
    /* 1: accounts and API keys.  seq orders keys created within the same
     * second by insertion (SQLite's rowid).  store_changes counts write
     * statements on these tables, from any client (rg_pgsql_change_mark). */
    "CREATE TABLE accounts("
    "  sid text PRIMARY KEY,"
    "  friendly_name text NOT NULL,"
    "  token_hash bytea NOT NULL,"
    "  date_created bigint NOT NULL,"
    "  token_sealed bytea,"
    "  status_callback text NOT NULL DEFAULT '',"
    "  status_callback_method text NOT NULL DEFAULT 'POST'"
    "    CHECK (status_callback_method IN ('GET', 'POST')),"
    "  status_callback_format text NOT NULL DEFAULT 'twilio'"
    "    CHECK (status_callback_format IN ('twilio', 'livekit')),"
    "  status_callback_key text NOT NULL DEFAULT '');"
    "CREATE TABLE api_keys("
    "  sid text PRIMARY KEY,"
    "  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    "  account_sid text NOT NULL REFERENCES accounts(sid),"
    "  friendly_name text NOT NULL,"
    "  secret_sealed bytea NOT NULL,"
    "  date_created bigint NOT NULL,"
    "  date_updated bigint NOT NULL,"
    "  key_type text NOT NULL DEFAULT 'standard' CHECK (key_type IN ('standard', 'main')));"
    "CREATE INDEX api_keys_by_account ON api_keys(account_sid, date_created, seq);"
    "CREATE TABLE store_changes(n bigint NOT NULL);"
    "INSERT INTO store_changes VALUES (0);"
    "CREATE FUNCTION store_changed() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN UPDATE store_changes SET n = n + 1; RETURN NULL; END$$;"
    "CREATE TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE ON accounts"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();",
    /* 2: consultations (SQLite's of its migration 3) and the audit chain
     * (SQLite's 4 and 6: the hash-chained log, the used single-use media
     * link nonces, the chain head starting as a placeholder that the first
     * process holding the master key starts).  Triggers keep the log
     * append-only (and its head row undeletable) for every client that
     * does not drop them first; the hash chain catches those that do.
     * store_changed also counts, in a setting of the session, the changes
     * the session made itself, so rg_store_change_mark can leave out its
     * own writes however many triggers a statement fires (an upsert fires
     * INSERT's and UPDATE's) and whether its transaction commits or not (a
     * rolled back transaction takes its count back with it). */
    "CREATE OR REPLACE FUNCTION store_changed() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN" COUNT_CHANGE "    RETURN NULL;"
    "  END$$;"
    "CREATE TABLE consultations("
    "  sid text PRIMARY KEY,"
    "  account_sid text NOT NULL REFERENCES accounts(sid),"
    "  consultation_id text NOT NULL,"
    "  detail_id text NOT NULL,"
    "  client_identity text NOT NULL,"
    "  provider_identity text NOT NULL,"
    "  starts_at bigint NOT NULL,"
    "  ends_at bigint NOT NULL,"
    "  status integer NOT NULL,"
    "  date_created bigint NOT NULL,"
    "  date_updated bigint NOT NULL,"
    "  UNIQUE(account_sid, consultation_id));"
    "CREATE TRIGGER consultations_changed AFTER INSERT OR UPDATE OR DELETE ON consultations"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE TABLE audit_log("
    "  seq bigint PRIMARY KEY,"
    "  ts_ms bigint NOT NULL,"
    "  action text NOT NULL,"
    "  outcome text NOT NULL,"
    "  reason text,"
    "  account_sid text,"
    "  recording_sid text,"
    "  identity text,"
    "  realm_user_id text,"
    "  roles text,"
    "  client_ip text,"
    "  user_agent text,"
    "  prev_hash bytea NOT NULL,"
    "  hash bytea NOT NULL);"
    "CREATE INDEX audit_by_recording ON audit_log(recording_sid, seq);"
    "CREATE INDEX audit_by_time ON audit_log(ts_ms);"
    "CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN RAISE EXCEPTION '%', TG_ARGV[0]; END$$;"
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_log"
    "  FOR EACH ROW EXECUTE FUNCTION audit_refuse('audit_log is append-only');"
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log"
    "  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse('audit_log is append-only');"
    "CREATE TABLE media_nonces(nonce text PRIMARY KEY, exp bigint NOT NULL);"
    "CREATE INDEX media_nonces_by_exp ON media_nonces(exp);"
    "CREATE TABLE audit_head("
    "  id integer PRIMARY KEY CHECK (id = 1),"
    "  seq bigint NOT NULL,"
    "  hash bytea,"
    "  mac bytea);"
    "INSERT INTO audit_head(id, seq) VALUES (1, -1);"
    "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head"
    "  FOR EACH ROW EXECUTE FUNCTION audit_refuse('audit_head cannot be deleted');"
    "CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head"
    "  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse('audit_head cannot be deleted');",
    /* 3: recordings (SQLite's 4; seq orders recordings of the same second
     * by insertion, as SQLite's rowid), revocations (SQLite's 2), the
     * webhook outbox (SQLite's 7 and 8) and the nodes of a deployment.
     * Nothing here refers to rooms: the outbox numbers a room's events
     * (Twilio's SequenceNumber, from 0) in a counter of its own, taken by
     * the BEFORE INSERT trigger, which also draws the event's id while it
     * holds the counter's row lock: two nodes recording events for one
     * room at once get ids and numbers in the same order, and the second
     * waits for the first to commit, so a room's queue is never delivered
     * out of order.  claimed_by/claim_until: the dispatcher that is
     * delivering an event (outbox.c), so several nodes' dispatchers never
     * send one event at once.  A new event moves the change mark so a
     * dispatcher on another connection looks at once.  nodes: one row per
     * roomgate process (heartbeat in last_seen, unix ms), for the sweeper
     * that frees a dead node's seats. */
    "CREATE TABLE recordings("
    "  sid text PRIMARY KEY,"
    "  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    "  account_sid text NOT NULL REFERENCES accounts(sid),"
    "  size bigint NOT NULL,"
    "  content_type text NOT NULL,"
    "  duration bigint,"
    "  room_sid text,"
    "  consultation_id text,"
    "  allowed_identities text NOT NULL,"
    "  allowed_roles text NOT NULL,"
    "  source text NOT NULL,"
    "  key_id bytea NOT NULL,"
    "  date_created bigint NOT NULL,"
    "  date_deleted bigint);"
    "CREATE INDEX recordings_by_account ON recordings(account_sid, date_created, seq);"
    "CREATE TRIGGER recordings_changed AFTER INSERT OR UPDATE OR DELETE ON recordings"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE TABLE revocations("
    "  account_sid text NOT NULL,"
    "  room_sid text NOT NULL,"
    "  room_name text NOT NULL,"
    "  identity text NOT NULL,"
    "  revoked_before bigint NOT NULL,"
    "  PRIMARY KEY(account_sid, room_sid, identity));"
    "CREATE INDEX revocations_by_name ON revocations(account_sid, room_name, identity);"
    "CREATE TRIGGER revocations_changed AFTER INSERT OR UPDATE OR DELETE ON revocations"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE SEQUENCE webhook_outbox_ids;"
    "CREATE TABLE webhook_outbox("
    "  id bigint PRIMARY KEY,"
    "  event_id text NOT NULL UNIQUE,"
    "  account_sid text NOT NULL,"
    "  room_sid text NOT NULL,"
    "  event text NOT NULL,"
    "  url text NOT NULL,"
    "  method text NOT NULL CHECK (method IN ('GET', 'POST')),"
    "  format text NOT NULL DEFAULT 'twilio' CHECK (format IN ('twilio', 'livekit')),"
    "  key_sid text NOT NULL DEFAULT '',"
    "  params text NOT NULL,"
    "  seq bigint NOT NULL DEFAULT 0,"
    "  created bigint NOT NULL,"
    "  attempts integer NOT NULL DEFAULT 0,"
    "  next_ms bigint NOT NULL,"
    "  claimed_by text,"
    "  claim_until bigint NOT NULL DEFAULT 0);"
    "CREATE INDEX webhook_outbox_by_room ON webhook_outbox(room_sid, id);"
    "CREATE INDEX webhook_outbox_due ON webhook_outbox(next_ms);"
    "CREATE TABLE webhook_room_seqs(room_sid text PRIMARY KEY, n bigint NOT NULL);"
    "CREATE FUNCTION webhook_outbox_number() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN"
    "    INSERT INTO webhook_room_seqs AS s(room_sid, n) VALUES (NEW.room_sid, 1)"
    "      ON CONFLICT (room_sid) DO UPDATE SET n = s.n + 1 RETURNING s.n - 1 INTO NEW.seq;"
    "    NEW.id := nextval('webhook_outbox_ids');"
    "    RETURN NEW;"
    "  END$$;"
    "CREATE TRIGGER webhook_outbox_number BEFORE INSERT ON webhook_outbox"
    "  FOR EACH ROW EXECUTE FUNCTION webhook_outbox_number();"
    "CREATE TRIGGER webhook_outbox_changed AFTER INSERT ON webhook_outbox"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE TABLE nodes("
    "  id text PRIMARY KEY,"
    "  state text NOT NULL CHECK (state IN ('up', 'draining', 'down')),"
    "  last_seen bigint NOT NULL);",
    /* 4: rooms, participants (SQLite's 2 and the room column of 7) and
     * VideoSDK meetings (SQLite's 3).  Numbers are bigint (what the binary
     * readers take); seq orders rows created in the same second by
     * insertion (SQLite's rowid).  A participant's session names the
     * database session that seated it (its backend's pid and start, see
     * pg/participants.c): a connected row whose session is gone was left by
     * a node that died. */
    "CREATE TABLE rooms("
    "  sid text PRIMARY KEY,"
    "  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    "  account_sid text NOT NULL REFERENCES accounts(sid),"
    "  unique_name text NOT NULL,"
    "  type bigint NOT NULL,"
    "  status bigint NOT NULL,"
    "  max_participants bigint NOT NULL,"
    "  empty_room_timeout bigint NOT NULL,"
    "  unused_room_timeout bigint NOT NULL,"
    "  status_callback text NOT NULL,"
    "  status_callback_method text NOT NULL DEFAULT 'POST'"
    "    CHECK (status_callback_method IN ('GET', 'POST')),"
    "  date_created bigint NOT NULL,"
    "  date_updated bigint NOT NULL,"
    "  end_time bigint NOT NULL,"
    "  last_left bigint NOT NULL,"
    "  ever_joined bigint NOT NULL);"
    "CREATE UNIQUE INDEX rooms_live_name ON rooms(account_sid, unique_name) WHERE status = 1;"
    "CREATE INDEX rooms_by_account ON rooms(account_sid, date_created, seq);"
    "CREATE INDEX rooms_by_name ON rooms(account_sid, unique_name, date_created);"
    "CREATE INDEX rooms_live ON rooms(status) WHERE status = 1;"
    "CREATE TABLE participants("
    "  sid text PRIMARY KEY,"
    "  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    "  room_sid text NOT NULL REFERENCES rooms(sid),"
    "  identity text NOT NULL,"
    "  connected bigint NOT NULL,"
    "  start_time bigint NOT NULL,"
    "  end_time bigint NOT NULL,"
    "  session text NOT NULL DEFAULT '');"
    "CREATE INDEX participants_by_room ON participants(room_sid, connected, start_time);"
    "CREATE INDEX participants_by_identity ON participants(room_sid, identity, start_time);"
    "CREATE INDEX participants_live ON participants(session) WHERE connected = 1;"
    "CREATE TABLE meetings("
    "  room_id text PRIMARY KEY,"
    "  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,"
    "  id text NOT NULL UNIQUE,"
    "  account_sid text NOT NULL REFERENCES accounts(sid),"
    "  custom_room_id text,"
    "  api_key text NOT NULL,"
    "  disabled bigint NOT NULL,"
    "  date_created bigint NOT NULL,"
    "  date_updated bigint NOT NULL);"
    "CREATE UNIQUE INDEX meetings_custom ON meetings(account_sid, custom_room_id)"
    "  WHERE custom_room_id IS NOT NULL;"
    "CREATE INDEX meetings_by_account ON meetings(account_sid, date_created, seq);"
    "CREATE TRIGGER rooms_changed AFTER INSERT OR UPDATE OR DELETE ON rooms"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE TRIGGER participants_changed AFTER INSERT OR UPDATE OR DELETE ON participants"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();"
    "CREATE TRIGGER meetings_changed AFTER INSERT OR UPDATE OR DELETE ON meetings"
    "  FOR EACH STATEMENT EXECUTE FUNCTION store_changed();",
    /* 5: the tracks a connected participant publishes (Twilio's protocol,
     * SQLite's 9), a jsonb array of {sid, kind, name}, so that its
     * disconnect records track-removed for each first (outbox_emit.h);
     * NULL when none ever. */
    "ALTER TABLE participants ADD COLUMN tracks jsonb;",
    /* 6: dead nodes (nodes.c).  A seat names the node that holds it (''
     * for the CLI's seats and those taken before this migration: no
     * sweeper frees them, a starting node frees them by session); a node
     * that exits cleanly says 'stopped' ('draining' is not written). */
    "ALTER TABLE participants ADD COLUMN node text NOT NULL DEFAULT '';"
    "CREATE INDEX participants_live_node ON participants(node) WHERE connected = 1;"
    "ALTER TABLE nodes DROP CONSTRAINT nodes_state_check;"
    "ALTER TABLE nodes ADD CONSTRAINT nodes_state_check"
    "  CHECK (state IN ('up', 'draining', 'stopped', 'down'));",
    /* 7: the change count moves at commit (deferred constraint triggers,
     * one call per changed row) instead of after each statement: a
     * transaction then takes the store_changes row last, after every other
     * lock it needs, so two transactions never each hold one of them and
     * wait for the other's.  They did: a seat (its room's row) against
     * another node's track events, two nodes opening the same room names
     * at once; PostgreSQL aborted one ("deadlock detected"), and a join
     * got 53000.  The count only has to move: by how much does not matter. */
    "DROP TRIGGER accounts_changed ON accounts;"
    "CREATE CONSTRAINT TRIGGER accounts_changed AFTER INSERT OR UPDATE OR DELETE ON accounts"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER api_keys_changed ON api_keys;"
    "CREATE CONSTRAINT TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER consultations_changed ON consultations;"
    "CREATE CONSTRAINT TRIGGER consultations_changed AFTER INSERT OR UPDATE OR DELETE ON "
    "consultations"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER recordings_changed ON recordings;"
    "CREATE CONSTRAINT TRIGGER recordings_changed AFTER INSERT OR UPDATE OR DELETE ON recordings"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER revocations_changed ON revocations;"
    "CREATE CONSTRAINT TRIGGER revocations_changed AFTER INSERT OR UPDATE OR DELETE ON revocations"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER webhook_outbox_changed ON webhook_outbox;"
    "CREATE CONSTRAINT TRIGGER webhook_outbox_changed AFTER INSERT ON webhook_outbox"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER rooms_changed ON rooms;"
    "CREATE CONSTRAINT TRIGGER rooms_changed AFTER INSERT OR UPDATE OR DELETE ON rooms"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER participants_changed ON participants;"
    "CREATE CONSTRAINT TRIGGER participants_changed AFTER INSERT OR UPDATE OR DELETE ON "
    "participants"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER meetings_changed ON meetings;"
    "CREATE CONSTRAINT TRIGGER meetings_changed AFTER INSERT OR UPDATE OR DELETE ON meetings"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();",
    /* 8: a change also notifies the channel roomgate_changes (listen.c),
     * so the other nodes learn of it from their listening connection's
     * socket instead of asking store_changes every tick.  PostgreSQL sends
     * one notification per transaction (identical ones fold) when it
     * commits, none when it rolls back; the count stays for the nodes that
     * are not listening (yet). */
    "CREATE OR REPLACE FUNCTION store_changed() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN" COUNT_CHANGE "    PERFORM pg_notify('roomgate_changes', '');"
    "    RETURN NULL;"
    "  END$$;",
    /* 9: the notification names the schema of the table that changed:
     * channels are per database, so the nodes of another store in another
     * schema of the same database (a staging one, a test's) heard every
     * change of this one.  Each listener counts only its own schema's
     * (listen.c).  TG_TABLE_SCHEMA, not the writer's search_path: an
     * operator's psql writing schema.table is heard too. */
    "CREATE OR REPLACE FUNCTION store_changed() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN" COUNT_CHANGE "    PERFORM pg_notify('roomgate_changes', TG_TABLE_SCHEMA);"
    "    RETURN NULL;"
    "  END$$;",
    /* 10: the count and the notification once per transaction, not once
     * per changed row: a seat changes three or four rows, and each call
     * updated the one store_changes row again at commit (a new version of
     * it each time, with the row held against every other node's commit
     * meanwhile).  The count only has to move, and a notification is sent
     * once per transaction anyway.  A setting local to the transaction
     * (undone at its end) says the schema was counted already. */
    "CREATE OR REPLACE FUNCTION store_changed() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN"
    "    IF current_setting('roomgate.counted', true) IS NOT DISTINCT FROM TG_TABLE_SCHEMA THEN"
    "      RETURN NULL;"
    "    END IF;"
    "    PERFORM set_config('roomgate.counted', TG_TABLE_SCHEMA, true);" COUNT_CHANGE
    "    PERFORM pg_notify('roomgate_changes', TG_TABLE_SCHEMA);"
    "    RETURN NULL;"
    "  END$$;",
    /* 11: a node's own seats and leaves move no change mark.  Every
     * transaction that counted and notified took the one store_changes
     * row and PostgreSQL's notification queue lock until its commit was
     * flushed, so every node's seats and leaves committed one after the
     * other, cluster-wide, and every commit cleared every other node's
     * caches.  Nothing on another node needs them: its signaling learns a
     * node's joins and leaves through Redis, REST reads the tables.  So a
     * participant row written by a transaction that says it writes for its
     * own node (roomgate.quiet, local to the seat and leave transactions:
     * seats.c, participants.c) moves nothing, while one of another node
     * (a replacement across nodes, a kick through another node, the
     * sweeper's, a starting node's orphans) or by any other client still
     * does.  A room's row moves it when it is removed, made by anything
     * but a seat (a join that opens its room: no cache of another node
     * holds a room it never saw), or when anything but last_left and
     * ever_joined (what seats and leaves stamp) changes: its completion.
     * The setting reads '' outside such a transaction once a session has
     * set it, NULL before: NULLIF makes both "not quiet". */
    "DROP TRIGGER participants_changed ON participants;"
    "CREATE CONSTRAINT TRIGGER participants_added AFTER INSERT ON participants"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    "  WHEN (NEW.node IS DISTINCT FROM NULLIF(current_setting('roomgate.quiet', true), ''))"
    "  EXECUTE FUNCTION store_changed();"
    "CREATE CONSTRAINT TRIGGER participants_changed AFTER UPDATE OR DELETE ON participants"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    "  WHEN (OLD.node IS DISTINCT FROM NULLIF(current_setting('roomgate.quiet', true), ''))"
    "  EXECUTE FUNCTION store_changed();"
    "DROP TRIGGER rooms_changed ON rooms;"
    "CREATE CONSTRAINT TRIGGER rooms_changed AFTER DELETE ON rooms"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_changed();"
    "CREATE CONSTRAINT TRIGGER rooms_added AFTER INSERT ON rooms"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    "  WHEN (NULLIF(current_setting('roomgate.quiet', true), '') IS NULL)"
    "  EXECUTE FUNCTION store_changed();"
    "CREATE CONSTRAINT TRIGGER rooms_updated AFTER UPDATE ON rooms"
    "  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    "  WHEN (to_jsonb(OLD) - 'last_left' - 'ever_joined' IS DISTINCT FROM"
    "    to_jsonb(NEW) - 'last_left' - 'ever_joined')"
    "  EXECUTE FUNCTION store_changed();",
};
#define NMIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

/* An arbitrary constant: the advisory lock key of "migrating roomgate". */
#define MIGRATE_LOCK "7263616d"

static int exec(PGconn *conn, const char *sql)
{
    PGresult *r = PQexec(conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) fprintf(stderr, "roomgate: store: migration: %s", PQresultErrorMessage(r));
    PQclear(r);
    return ok ? RG_OK : RG_EIO;
}

static int read_version(PGconn *conn, int *version)
{
    PGresult *r = PQexec(conn, "SELECT version FROM roomgate_schema");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok) *version = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return ok ? RG_OK : RG_EIO;
}

static int step(PGconn *conn, int to)
{
    char v[16];
    const char *values[1] = {v};
    int rc = exec(conn, MIGRATIONS[to - 1]);
    if (rc != RG_OK) return rc;
    snprintf(v, sizeof v, "%d", to);
    PGresult *r = PQexecParams(conn, "UPDATE roomgate_schema SET version = $1::integer", 1, NULL,
                               values, NULL, NULL, 0);
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? RG_OK : RG_EIO;
    PQclear(r);
    return rc;
}

int rg_pg_migrate(PGconn *conn, int *version)
{
    int rc = exec(conn, "BEGIN");
    if (rc != RG_OK) return rc;
    rc = exec(conn, "SELECT pg_advisory_xact_lock(x'" MIGRATE_LOCK "'::int);"
                    "CREATE TABLE IF NOT EXISTS roomgate_schema(version integer NOT NULL);"
                    "INSERT INTO roomgate_schema SELECT 0"
                    "  WHERE NOT EXISTS (SELECT 1 FROM roomgate_schema)");
    if (rc == RG_OK) rc = read_version(conn, version);
    if (rc == RG_OK && *version > NMIGRATIONS) {
        fprintf(stderr, "roomgate: store: schema version %d is newer than this roomgate's %d\n",
                *version, NMIGRATIONS);
        rc = RG_EIO;
    }
    for (int v = *version + 1; rc == RG_OK && v <= NMIGRATIONS; v++)
        if ((rc = step(conn, v)) == RG_OK) *version = v;
    if (rc == RG_OK) return exec(conn, "COMMIT");
    exec(conn, "ROLLBACK");
    return rc;
}

/* backend_pg.c - the unit tests' PostgreSQL back end (Makefile: the
 * build/tests/pg/ binaries, run by scripts/test.sh with RG_TEST_PG, the
 * key=value connection string scripts/pg.sh prints).
 *
 * The store tests open a "file" in a fresh temporary directory; here that
 * directory stands for a schema of its own in the test database (the name
 * derived from the path, the connection's search_path set to it), so each
 * test starts empty, a reopen of the same path sees the same data, and
 * rg_test_remove_db drops it.  A path whose directory does not exist stands
 * for a database that does not exist: opening it must fail like any
 * unreachable server.  rg_store_open is wrapped (-Wl,--wrap) to do this
 * mapping and open the PostgreSQL back end directly (the dispatcher would
 * take a key=value connection string for a file path); the back end itself
 * only ever sees a connection string.
 *
 * backend.h's moves past the guards are plain SQL on the handle's own
 * connection (the guards are triggers, dropped to get past them), with
 * values as parameters. */
#include "backend.h"
#include "unit.h"

#include <endian.h>
#include <libgen.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "core/errors.h"
#include "store/pg/pg.h"

int __wrap_rg_store_open(const char *path, rg_store **out);
/* Sets the schema version of path's database, past the store (test_pg.c). */
int rg_tb_pg_set_version(const char *path, int version);
int rg_tb_pg_location(const char *path, char *out, size_t cap);

/* "t_" and 16 hex digits of FNV-1a over the path's directory: a valid,
 * unquoted identifier whatever the path holds. */
static void schema_of(const char *path, char out[24], int *dir_exists)
{
    char dir[512];
    struct stat sb;
    snprintf(dir, sizeof dir, "%s", path);
    char *d = dirname(dir);
    uint64_t h = 1469598103934665603ull;
    for (const char *p = d; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ull;
    snprintf(out, 24, "t_%016llx", (unsigned long long)h);
    *dir_exists = stat(d, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *base(void)
{
    const char *b = getenv("RG_TEST_PG");
    if (!b || !*b) fprintf(stderr, "backend_pg: RG_TEST_PG is not set (scripts/pg.sh start)\n");
    return b;
}

/* Runs one constant-shaped statement on a connection of its own. */
static int admin(const char *sql)
{
    const char *b = base();
    if (!b) return -1;
    PGconn *c = PQconnectdb(b);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) fprintf(stderr, "backend_pg: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* The connection string path stands for (creating its schema); -1 when
 * RG_TEST_PG is unset or the schema cannot be made. */
static int conninfo(const char *path, char *conn, size_t cap)
{
    char schema[24], sql[128];
    int exists;
    const char *b = base();
    if (!b) return -1;
    schema_of(path, schema, &exists);
    if (!exists) { /* a database nobody created */
        snprintf(conn, cap, "%s dbname=rg_missing_%s", b, schema);
        return 0;
    }
    /* quiet: the schema exists already on a reopen.  CREATE SCHEMA IF NOT
     * EXISTS is not safe against itself, so the test's threads (test_pg's
     * nodes starting together) take turns: the schema stands for a database
     * an operator made beforehand, what races is the migration. */
    static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; CREATE SCHEMA IF NOT EXISTS %s",
             schema);
    pthread_mutex_lock(&once);
    int rc = admin(sql);
    pthread_mutex_unlock(&once);
    if (rc != 0) return -1;
    snprintf(conn, cap, "%s options='-c search_path=%s'", b, schema);
    return 0;
}

int __wrap_rg_store_open(const char *path, rg_store **out)
{
    char conn[1024];
    *out = NULL;
    return conninfo(path, conn, sizeof conn) == 0 ? rg_pgsql_open(conn, out) : RG_EIO;
}

int rg_tb_pg_location(const char *path, char *out, size_t cap)
{
    return conninfo(path, out, cap);
}

int rg_tb_pg_set_version(const char *path, int version)
{
    char conn[1024], v[16];
    const char *values[1] = {v};
    if (conninfo(path, conn, sizeof conn) != 0) return -1;
    snprintf(v, sizeof v, "%d", version);
    PGconn *c = PQconnectdb(conn);
    PGresult *r = PQstatus(c) == CONNECTION_OK
                      ? PQexecParams(c, "UPDATE roomgate_schema SET version = $1::integer", 1, NULL,
                                     values, NULL, NULL, 0)
                      : NULL;
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

void rg_test_remove_db(const char *path)
{
    char schema[24], sql[128];
    int exists;
    schema_of(path, schema, &exists);
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE",
             schema);
    admin(sql);
}

/* ---- backend.h: past the store's guards, on the store's connection ---- */

/* One statement with up to two int8 parameters (text form); 0 / -1. */
static int run(rg_store *st, const char *sql, int n, int64_t a, int64_t b)
{
    char v[2][24];
    const char *values[2] = {v[0], v[1]};
    snprintf(v[0], sizeof v[0], "%lld", (long long)a);
    snprintf(v[1], sizeof v[1], "%lld", (long long)b);
    PGresult *r = PQexecParams(st->links[0].conn, sql, n, NULL, values, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

int rg_tb_audit_delete(rg_store *st, int64_t lo, int64_t hi, int guards)
{
    if (!guards && run(st, "DROP TRIGGER IF EXISTS audit_no_change ON audit_log", 0, 0, 0) != 0)
        return -1;
    return run(st, "DELETE FROM audit_log WHERE seq BETWEEN $1::int8 AND $2::int8", 2, lo, hi);
}

int rg_tb_audit_edit(rg_store *st, int64_t seq, const char *identity)
{
    const char *values[2] = {identity, NULL};
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)seq);
    values[1] = v;
    if (run(st, "DROP TRIGGER IF EXISTS audit_no_change ON audit_log", 0, 0, 0) != 0) return -1;
    PGresult *r =
        PQexecParams(st->links[0].conn, "UPDATE audit_log SET identity = $1 WHERE seq = $2::int8",
                     2, NULL, values, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

int rg_tb_head_delete(rg_store *st, int guards)
{
    if (!guards &&
        run(st, "DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head", 0, 0, 0) != 0)
        return -1;
    return run(st, "DELETE FROM audit_head", 0, 0, 0);
}

void rg_tb_head_get(rg_store *st, rg_tb_head *h)
{
    memset(h, 0, sizeof *h);
    PGresult *r = PQexecParams(st->links[0].conn, "SELECT seq, hash, mac FROM audit_head", 0, NULL,
                               NULL, NULL, NULL, 1);
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
        uint64_t v;
        memcpy(&v, PQgetvalue(r, 0, 0), 8);
        h->seq = (int64_t)be64toh(v);
        if (PQgetlength(r, 0, 1) == 32) memcpy(h->hash, PQgetvalue(r, 0, 1), 32);
        if (PQgetlength(r, 0, 2) == 32) memcpy(h->mac, PQgetvalue(r, 0, 2), 32);
    }
    PQclear(r);
}

void rg_tb_head_put(rg_store *st, const rg_tb_head *h)
{
    uint64_t seq = htobe64((uint64_t)h->seq);
    const char *values[3] = {(const char *)&seq, (const char *)h->hash, (const char *)h->mac};
    const int lengths[3] = {8, 32, 32}, formats[3] = {1, 1, 1};
    const Oid types[3] = {20, 17, 17};
    PQclear(PQexecParams(st->links[0].conn, "UPDATE audit_head SET seq = $1, hash = $2, mac = $3",
                         3, types, values, lengths, formats, 0));
}

void rg_tb_head_forge(rg_store *st, int64_t seq)
{
    run(st,
        "UPDATE audit_head SET seq = $1::int8, "
        "hash = (SELECT hash FROM audit_log WHERE seq = $2::int8)",
        2, seq, seq);
}

void rg_tb_head_clear(rg_store *st)
{
    run(st, "UPDATE audit_head SET seq = -1, hash = NULL, mac = NULL", 0, 0, 0);
}

int rg_tb_commits_durable(void)
{
    return 1; /* every commit waits for the server's durable commit */
}

int64_t rg_tb_nonce_count(rg_store *st)
{
    PGresult *r = PQexec(st->links[0].conn, "SELECT COUNT(*) FROM media_nonces");
    int64_t n = PQresultStatus(r) == PGRES_TUPLES_OK ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return n;
}

int rg_tb_outbox_add(rg_store *st, const char *event_id, const char *account_sid,
                     const char *room_sid, int64_t created, int64_t next_ms)
{
    char c[24], n[24];
    const char *values[5] = {event_id, account_sid, room_sid, c, n};
    snprintf(c, sizeof c, "%lld", (long long)created);
    snprintf(n, sizeof n, "%lld", (long long)next_ms);
    PGresult *r = PQexecParams(
        st->links[0].conn,
        "INSERT INTO webhook_outbox(event_id, account_sid, room_sid, event, url, method, params, "
        "created, next_ms) VALUES($1, $2, $3, 'test-event', 'http://receiver.test/', 'POST', "
        "'{}', $4::int8, $5::int8)",
        5, NULL, values, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

/* backend_sqlite.c - backend.h for the SQLite back end: plain SQL on the
 * handle's own connection (the guards are triggers, dropped to get past
 * them). */
#include "backend.h"
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store/sqlite/sql.h"

static int exec(rg_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int execf(rg_store *st, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return exec(st, sql);
}

int rg_tb_audit_delete(rg_store *st, int64_t lo, int64_t hi, int guards)
{
    if (!guards && exec(st, "DROP TRIGGER IF EXISTS audit_no_delete") != 0) return -1;
    return execf(st, "DELETE FROM audit_log WHERE seq BETWEEN %lld AND %lld", (long long)lo,
                 (long long)hi);
}

int rg_tb_audit_edit(rg_store *st, int64_t seq, const char *identity)
{
    char *sql = sqlite3_mprintf("DROP TRIGGER IF EXISTS audit_no_update; "
                                "UPDATE audit_log SET identity = %Q WHERE seq = %lld",
                                identity, (long long)seq);
    int rc = sql ? exec(st, sql) : -1;
    sqlite3_free(sql);
    return rc;
}

int rg_tb_head_delete(rg_store *st, int guards)
{
    if (!guards && exec(st, "DROP TRIGGER IF EXISTS audit_head_no_delete") != 0) return -1;
    return exec(st, "DELETE FROM audit_head");
}

void rg_tb_head_get(rg_store *st, rg_tb_head *h)
{
    sqlite3_stmt *s = NULL;
    memset(h, 0, sizeof *h);
    if (sqlite3_prepare_v2(st->db, "SELECT seq, hash, mac FROM audit_head", -1, &s, NULL) ==
            SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        h->seq = sqlite3_column_int64(s, 0);
        if (sqlite3_column_bytes(s, 1) == 32) memcpy(h->hash, sqlite3_column_blob(s, 1), 32);
        if (sqlite3_column_bytes(s, 2) == 32) memcpy(h->mac, sqlite3_column_blob(s, 2), 32);
    }
    sqlite3_finalize(s);
}

void rg_tb_head_put(rg_store *st, const rg_tb_head *h)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "UPDATE audit_head SET seq = ?1, hash = ?2, mac = ?3", -1, &s,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(s, 1, h->seq);
        sqlite3_bind_blob(s, 2, h->hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(s, 3, h->mac, 32, SQLITE_STATIC);
        sqlite3_step(s);
    }
    sqlite3_finalize(s);
}

void rg_tb_head_forge(rg_store *st, int64_t seq)
{
    execf(st,
          "UPDATE audit_head SET seq = %lld, hash = (SELECT hash FROM audit_log WHERE seq = %lld)",
          (long long)seq, (long long)seq);
}

void rg_tb_head_clear(rg_store *st)
{
    exec(st, "UPDATE audit_head SET seq = -1, hash = NULL, mac = NULL");
}

int rg_tb_commits_durable(void)
{
    return 0; /* a batch that opens a room commits light and is synced after */
}

int64_t rg_tb_nonce_count(rg_store *st)
{
    int64_t n = -1;
    rg_sql_int(st, "SELECT COUNT(*) FROM media_nonces", NULL, NULL, NULL, 0, &n, "count");
    return n;
}

int rg_tb_outbox_add(rg_store *st, const char *event_id, const char *account_sid,
                     const char *room_sid, int64_t created, int64_t next_ms)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO webhook_outbox(event_id, account_sid, room_sid, event, url, method, params, "
        "created, next_ms) VALUES(%Q, %Q, %Q, 'test-event', 'http://receiver.test/', 'POST', "
        "'{}', %lld, %lld)",
        event_id, account_sid, room_sid, (long long)created, (long long)next_ms);
    int rc = sql ? exec(st, sql) : -1;
    sqlite3_free(sql);
    return rc;
}

/* The database file and the ones SQLite keeps beside it. */
void rg_test_remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[512];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

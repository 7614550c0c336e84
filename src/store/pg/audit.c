/* audit.c - the audit chain on PostgreSQL (store/audit.h): the same rows,
 * hashes, head row and head file as SQLite's, judged by the same code
 * (store/auditcheck.h), so `roomgate audit verify` means the same on both.
 *
 * Appends come in batches: one transaction takes the chain's advisory
 * lock (every node's appends queue there, as SQLite's write lock queues
 * every process's), reads the head it extends, inserts every row of the
 * batch, moves the head row and commits once.  The head file is written
 * after the commit. */
#include "store/audit.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "store/auditappend.h"
#include "store/pg/call.h"

/* An arbitrary constant: the advisory lock key of "appending to the audit
 * chain" ("rgau"); migrate.c's is another. */
#define AUDIT_LOCK "SELECT pg_advisory_xact_lock(x'72676175'::int)"
#define PAGE 1000 /* rows read per round trip by the walks */

/* ---- the head row ----------------------------------------------------- */

static int read_head_row(rg_store *st, rg_aheads *h)
{
    PGresult *r;
    memset(&h->db, 0, sizeof h->db);
    int rc = rg_pg_query(st, "SELECT seq, hash, mac FROM audit_head WHERE id = 1", NULL, 0, &r);
    if (rc != RG_OK) return rc;
    if (PQntuples(r) == 0) {
        h->db_state = RG_AHEAD_ABSENT;
    } else if ((rc = rg_pg_int(r, 0, 0, &h->db.seq)) == RG_OK) {
        if (h->db.seq == -1 && PQgetisnull(r, 0, 1)) {
            h->db_state = RG_AHEAD_PLACEHOLDER;
        } else {
            int ok = !PQgetisnull(r, 0, 1) && !PQgetisnull(r, 0, 2) &&
                     rg_pg_hash(r, 0, 1, h->db.hash, RG_AUDIT_HASH_LEN) == RG_OK &&
                     rg_pg_hash(r, 0, 2, h->db.mac, RG_AUDIT_HASH_LEN) == RG_OK;
            h->db_state =
                ok && rg_audit_head_valid(st->head.audit.key, &h->db) ? RG_AHEAD_OK : RG_AHEAD_BAD;
        }
    }
    PQclear(r);
    return rc;
}

/* Seals h and writes it to the head row, in the caller's transaction. */
static int put_head_row(rg_store *st, rg_audit_head *h)
{
    int rc = rg_audit_head_seal(st->head.audit.key, h);
    if (rc == RG_OK)
        rc =
            rg_pg_put_locked(st, "UPDATE audit_head SET seq = $1, hash = $2, mac = $3 WHERE id = 1",
                             RG_PG_ARGS(RG_PG_INT(h->seq), RG_PG_BLOB(h->hash, RG_AUDIT_HASH_LEN),
                                        RG_PG_BLOB(h->mac, RG_AUDIT_HASH_LEN)),
                             NULL);
    return rc;
}

/* The last row of the table: its seq and hash (0 and zeros when empty). */
static int read_tail(rg_store *st, int64_t *seq, uint8_t hash[RG_AUDIT_HASH_LEN])
{
    PGresult *r;
    *seq = 0;
    memset(hash, 0, RG_AUDIT_HASH_LEN);
    int rc =
        rg_pg_query(st, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", NULL, 0, &r);
    if (rc != RG_OK) return rc;
    if (PQntuples(r) == 1) {
        rc = rg_pg_int(r, 0, 0, seq);
        if (rc == RG_OK) rc = rg_pg_hash(r, 0, 1, hash, RG_AUDIT_HASH_LEN);
    }
    PQclear(r);
    return rc;
}

/* ---- appending -------------------------------------------------------- */

/* 1 when the nonce is new (now recorded), 0 when it was used, or < 0. */
static int consume(rg_store *st, const char *nonce, int64_t exp)
{
    int64_t rows = 0;
    int rc = rg_pg_put_locked(st,
                              "INSERT INTO media_nonces(nonce, exp) VALUES($1, $2) "
                              "ON CONFLICT (nonce) DO NOTHING",
                              RG_PG_ARGS(RG_PG_TEXT(nonce, 255), RG_PG_INT(exp)), &rows);
    return rc != RG_OK ? rc : rows == 1;
}

static int insert_row(rg_store *st, const rg_audit_row *r)
{
    return rg_pg_insert_locked(st,
                               "INSERT INTO audit_log(" RG_SQL_AUDIT_COLS
                               ") VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                               "$13, $14)",
                               &rg_cols_audit, r, NULL);
}

static int insert_one(rg_store *st, void *ud, const rg_audit_row *r)
{
    (void)ud;
    return insert_row(st, r);
}

static int purge_nonces(rg_store *st, int64_t before)
{
    return rg_pg_put_locked(st, "DELETE FROM media_nonces WHERE exp < $1",
                            RG_PG_ARGS(RG_PG_INT(before)), NULL);
}

/* Called in the caller's transaction, after the chain's lock. */
static const rg_audit_rows ROWS = {read_tail, read_head_row, put_head_row,
                                   consume,   insert_one,    purge_nonces};

/* The chain's lock, until the transaction ends. */
static int chain_lock(rg_store *st)
{
    PGresult *r;
    int rc = rg_pg_query(st, AUDIT_LOCK, NULL, 0, &r);
    if (rc == RG_OK) PQclear(r);
    return rc;
}

int rg_pgsql_audit_append(rg_store *st, rg_audit_item *const *items, size_t n, int64_t now)
{
    rg_audit_head h;
    if (n == 0) return RG_OK;
    if (!st->head.audit.anchored) return RG_EINVAL; /* rows no head covers could go unnoticed */
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) rc = chain_lock(st);
    if (rc == RG_OK) rc = rg_audit_append_rows(st, &st->head.audit, &ROWS, NULL, items, n, now, &h);
    rc = rg_pg_end(st, rc);
    if (rc == RG_OK) rg_ahead_publish(&st->head.audit, &h);
    rg_pg_unlock(st, t0, 1);
    return rc;
}

int rg_pgsql_audit_head_start(rg_store *st)
{
    rg_audit_head h;
    int valid = 0;
    if (!st->head.audit.anchored) return RG_EINVAL;
    uint64_t t0 = rg_pg_lock(st);
    int rc = rg_pg_begin(st);
    if (rc == RG_OK) rc = chain_lock(st);
    if (rc == RG_OK) rc = rg_audit_head_fix(st, &ROWS, &h, &valid);
    rc = rg_pg_end(st, rc);
    if (rc == RG_OK && valid) rg_ahead_publish(&st->head.audit, &h);
    rg_pg_unlock(st, t0, 1);
    return rc;
}

/* ---- reading ---------------------------------------------------------- */

static int read_row(const PGresult *res, int i, void *row)
{
    return rg_pg_read_cols(res, i, row, &rg_cols_audit);
}

int rg_pgsql_audit_list(rg_store *st, const char *recording_sid, size_t offset, size_t limit,
                        rg_audit_row *out, size_t *count, int *more)
{
    return rg_pg_list(st,
                      "SELECT " RG_SQL_AUDIT_COLS " FROM audit_log WHERE recording_sid = $1 "
                      "ORDER BY seq LIMIT $2 OFFSET $3",
                      RG_PG_ARGS(RG_PG_SID(recording_sid)), read_row, out, sizeof *out, offset,
                      limit, count, more);
}

/* Every row with ts_ms >= since in seq order, a page at a time (the log
 * can be long: never all of it in memory), store locked. */
static int each_locked(rg_store *st, int64_t since, int (*fn)(void *, const rg_audit_row *),
                       void *ud)
{
    rg_audit_row row;
    int64_t after = INT64_MIN;
    int rc = RG_OK;
    for (int rows = PAGE; rc == RG_OK && rows == PAGE;) {
        PGresult *r;
        rc = rg_pg_query(st,
                         "SELECT " RG_SQL_AUDIT_COLS
                         " FROM audit_log WHERE ts_ms >= $1 AND seq > $2 "
                         "ORDER BY seq LIMIT $3",
                         RG_PG_ARGS(RG_PG_INT(since), RG_PG_INT(after), RG_PG_INT(PAGE)), &r);
        if (rc != RG_OK) break;
        rows = PQntuples(r);
        for (int i = 0; rc == RG_OK && i < rows; i++)
            if ((rc = read_row(r, i, &row)) == RG_OK) {
                after = row.seq;
                rc = fn(ud, &row);
            }
        PQclear(r);
    }
    return rc;
}

int rg_pgsql_audit_each(rg_store *st, int64_t since_ms, int (*fn)(void *ud, const rg_audit_row *r),
                        void *ud)
{
    uint64_t t0 = rg_pg_lock(st);
    int rc = each_locked(st, since_ms, fn, ud);
    rg_pg_unlock(st, t0, 0);
    return rc;
}

int rg_pgsql_audit_verify(rg_store *st, rg_audit_verdict *v)
{
    rg_aheads heads;
    rg_audit_walk w;
    PGresult *r;
    int rc = rg_audit_verify_begin(&st->head.audit, v, &heads, &w);
    if (rc != RG_OK) return rc;
    /* One snapshot for the head row and every page of rows while appends
     * go on. */
    uint64_t t0 = rg_pg_lock(st);
    rc = rg_pg_query(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, 0, &r);
    if (rc == RG_OK) {
        PQclear(r);
        rc = read_head_row(st, &heads);
        if (rc == RG_OK) rc = each_locked(st, INT64_MIN, rg_audit_walk_row, &w);
        rg_pg_end(st, RG_EIO); /* read only: a rollback ends it */
    }
    rg_pg_unlock(st, t0, 0);
    return rg_audit_verify_end(v, &heads, &w, rc);
}

/* audit.c - appending to, reading and verifying the audit chain: the
 * rows, the head row (in the batch's transaction) and the transactions;
 * the head file, where a batch starts and the verdict are
 * store/auditcheck.c's, shared with the PostgreSQL back end. */
#include "store/audit.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "store/auditappend.h"
#include "store/sqlite/sql.h"

/* The head row into h->db / h->db_state; store locked (inside the
 * caller's transaction).  RG_OK or a store error (a missing row is a
 * state). */
static int read_head_row(rg_store *st, rg_aheads *h)
{
    sqlite3_stmt *s = NULL;
    size_t l1 = 0, l2 = 0;
    int rc = rg_sql_prepare(st, "SELECT seq, hash, mac FROM audit_head WHERE id = 1", &s);
    memset(&h->db, 0, sizeof h->db);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "audit head row");
    if (rc == RG_ENOTFOUND) {
        h->db_state = RG_AHEAD_ABSENT;
        rc = RG_OK;
    } else if (rc == RG_OK) {
        h->db.seq = sqlite3_column_int64(s, 0);
        if (h->db.seq == -1 && sqlite3_column_type(s, 1) == SQLITE_NULL) {
            h->db_state = RG_AHEAD_PLACEHOLDER; /* the row migration 6 left */
        } else {
            int ok = rg_sql_col_blob(s, 1, h->db.hash, RG_AUDIT_HASH_LEN, &l1) == RG_OK &&
                     rg_sql_col_blob(s, 2, h->db.mac, RG_AUDIT_HASH_LEN, &l2) == RG_OK &&
                     l1 == RG_AUDIT_HASH_LEN && l2 == RG_AUDIT_HASH_LEN;
            h->db_state =
                ok && rg_audit_head_valid(st->head.audit.key, &h->db) ? RG_AHEAD_OK : RG_AHEAD_BAD;
        }
    }
    rg_sql_release(st, s);
    return rc;
}

/* Seals h and writes it to the head row; store locked, in a transaction. */
static int put_head_row(rg_store *st, rg_audit_head *h)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_audit_head_seal(st->head.audit.key, h);
    if (rc == RG_OK)
        rc = rg_sql_prepare(st, "UPDATE audit_head SET seq = ?1, hash = ?2, mac = ?3 WHERE id = 1",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, h->seq);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 2, h->hash, RG_AUDIT_HASH_LEN);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 3, h->mac, RG_AUDIT_HASH_LEN);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "audit head update");
    rg_sql_release(st, s);
    return rc;
}

/* The last row of the table: its seq and hash (0 and zeros when empty). */
static int read_tail(rg_store *st, int64_t *seq, uint8_t hash[RG_AUDIT_HASH_LEN])
{
    sqlite3_stmt *s = NULL;
    size_t len = 0;
    int rc = rg_sql_prepare(st, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &s);
    *seq = 0;
    memset(hash, 0, RG_AUDIT_HASH_LEN);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "audit tail");
    if (rc == RG_OK) {
        *seq = sqlite3_column_int64(s, 0);
        rc = rg_sql_col_blob(s, 1, hash, RG_AUDIT_HASH_LEN, &len);
        if (rc == RG_OK && len != RG_AUDIT_HASH_LEN) rc = RG_EIO;
    } else if (rc == RG_ENOTFOUND) {
        rc = RG_OK;
    }
    rg_sql_release(st, s);
    return rc;
}

/* 1 when the nonce is new (now recorded), 0 when it was used, or < 0. */
static int consume(rg_store *st, const char *nonce, int64_t exp)
{
    int changed = 0;
    int rc = rg_sql_run(st, "INSERT OR IGNORE INTO media_nonces(nonce, exp) VALUES(?1, ?4)", nonce,
                        NULL, NULL, exp, &changed, "consume nonce");
    return rc != RG_OK ? rc : changed;
}

static int bind_row(sqlite3_stmt *s, const rg_audit_row *r)
{
    rg_arg a[RG_ARGS_MAX];
    int n = rg_cols_audit.args(r, a);
    int rc =
        sqlite3_reset(s) == SQLITE_OK && sqlite3_clear_bindings(s) == SQLITE_OK ? RG_OK : RG_EIO;
    return rc == RG_OK ? rg_sql_bind_args(s, a, n) : rc;
}

/* rg_audit_rows.insert: the statement is prepared at the first row and
 * reused for the rest of the batch (*ud; the caller releases it). */
static int insert_row(rg_store *st, void *ud, const rg_audit_row *r)
{
    sqlite3_stmt **s = ud;
    int rc = *s ? RG_OK
                : rg_sql_prepare(st,
                                 "INSERT INTO audit_log(" RG_SQL_AUDIT_COLS
                                 ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
                                 "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                                 s);
    if (rc == RG_OK) rc = bind_row(*s, r);
    if (rc == RG_OK) rc = rg_sql_step_done(st, *s, "audit insert");
    return rc;
}

static int purge_nonces(rg_store *st, int64_t before)
{
    return rg_sql_run(st, "DELETE FROM media_nonces WHERE exp < ?4", NULL, NULL, NULL, before, NULL,
                      "purge nonces");
}

static const rg_audit_rows ROWS = {read_tail, read_head_row, put_head_row,
                                   consume,   insert_row,    purge_nonces};

static int append_locked(rg_store *st, rg_audit_item *const *items, size_t n, int64_t now,
                         rg_audit_head *out)
{
    sqlite3_stmt *s = NULL;
    int rc = rg_audit_append_rows(st, &st->head.audit, &ROWS, &s, items, n, now, out);
    rg_sql_release(st, s);
    return rc;
}

int rg_sqlite_audit_append(rg_store *st, rg_audit_item *const *items, size_t n, int64_t now)
{
    rg_audit_head h;
    if (n == 0) return RG_OK;
    if (!st->head.audit.anchored) return RG_EINVAL; /* rows no head covers could go unnoticed */
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc == RG_OK) rc = rg_sql_end(st, append_locked(st, items, n, now, &h));
    /* after the commit the file follows the database (rg_ahead_publish) */
    if (rc == RG_OK) rg_ahead_publish(&st->head.audit, &h);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_audit_head_start(rg_store *st)
{
    rg_audit_head h;
    int valid = 0;
    if (!st->head.audit.anchored) return RG_EINVAL;
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc == RG_OK) rc = rg_audit_head_fix(st, &ROWS, &h, &valid);
    rc = rg_sql_end(st, rc);
    if (rc == RG_OK && valid) rg_ahead_publish(&st->head.audit, &h);
    rg_sql_unlock(st);
    return rc;
}

static int read_row(sqlite3_stmt *s, void *row)
{
    return rg_sql_read_row(s, row, &rg_cols_audit);
}

int rg_sqlite_audit_list(rg_store *st, const char *recording_sid, size_t offset, size_t limit,
                         rg_audit_row *out, size_t *count, int *more)
{
    return rg_sql_list(st,
                       "SELECT " RG_SQL_AUDIT_COLS " FROM audit_log WHERE recording_sid = ?1 "
                       "ORDER BY seq LIMIT ?2 OFFSET ?3",
                       RG_ARGS(RG_ARG_SID(recording_sid)), read_row, out, sizeof *out, offset,
                       limit, count, more, "audit list");
}

RG_STORE_VISITOR(visit_row, rg_audit_row)

/* Calls fn on every row (ts_ms >= since) in seq order, store locked. */
static int each_locked(rg_store *st, int64_t since, int (*fn)(void *, const rg_audit_row *),
                       void *ud)
{
    rg_audit_row r;
    visit_row_visit v = {fn, ud};
    return rg_sql_each_locked(
        st, "SELECT " RG_SQL_AUDIT_COLS " FROM audit_log WHERE ts_ms >= ?1 ORDER BY seq",
        RG_ARGS(RG_ARG_INT(since)), read_row, &r, visit_row, &v, "audit each");
}

int rg_sqlite_audit_each(rg_store *st, int64_t since_ms, int (*fn)(void *ud, const rg_audit_row *r),
                         void *ud)
{
    rg_sql_lock(st);
    int rc = each_locked(st, since_ms, fn, ud);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_audit_verify(rg_store *st, rg_audit_verdict *v)
{
    rg_aheads heads;
    rg_audit_walk w;
    int rc = rg_audit_verify_begin(&st->head.audit, v, &heads, &w);
    if (rc != RG_OK) return rc;
    /* A read transaction: one consistent snapshot while appends go on. */
    rg_sql_lock(st);
    rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? RG_OK : RG_EIO;
    if (rc == RG_OK) {
        rc = read_head_row(st, &heads);
        if (rc == RG_OK) rc = each_locked(st, INT64_MIN, rg_audit_walk_row, &w);
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    }
    rg_sql_unlock(st);
    return rg_audit_verify_end(v, &heads, &w, rc);
}

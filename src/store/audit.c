/* audit.c - appending to, reading and verifying the audit chain. */
#include "store/audit.h"

#include <string.h>

#include "core/errors.h"
#include "store/sql.h"

#define COLS                                                                                       \
    "seq, ts_ms, action, outcome, reason, account_sid, recording_sid, identity, realm_user_id, "   \
    "roles, client_ip, user_agent, prev_hash, hash"

static const char *nul(const char *s)
{
    return s[0] ? s : NULL;
}

static rg_audit_fields fields_of(const rg_audit_row *r)
{
    return (rg_audit_fields){nul(r->action),        nul(r->outcome),       nul(r->reason),
                             nul(r->account_sid),   nul(r->recording_sid), nul(r->identity),
                             nul(r->realm_user_id), nul(r->roles),         nul(r->client_ip),
                             nul(r->user_agent)};
}

/* The head of the chain: its seq and hash (0 and zeros when empty). */
static int read_head(rg_store *st, int64_t *seq, uint8_t hash[RG_AUDIT_HASH_LEN])
{
    sqlite3_stmt *s = NULL;
    size_t len = 0;
    int rc = rg_sql_prepare(st, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &s);
    *seq = 0;
    memset(hash, 0, RG_AUDIT_HASH_LEN);
    if (rc == RG_OK) rc = rg_sql_step_row(st, s, "audit head");
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
    const rg_audit_fields f = fields_of(r);
    const char *const t[] = {f.action,   f.outcome,       f.reason, f.account_sid, f.recording_sid,
                             f.identity, f.realm_user_id, f.roles,  f.client_ip,   f.user_agent};
    int rc =
        sqlite3_reset(s) == SQLITE_OK && sqlite3_clear_bindings(s) == SQLITE_OK ? RG_OK : RG_EIO;
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, r->seq);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, r->ts_ms);
    for (int i = 0; rc == RG_OK && i < 10; i++)
        if (t[i]) rc = rg_sql_bind_text(s, 3 + i, t[i], RG_AUDIT_ROLES_MAX); /* the longest */
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 13, r->prev_hash, RG_AUDIT_HASH_LEN);
    if (rc == RG_OK) rc = rg_sql_bind_blob(s, 14, r->hash, RG_AUDIT_HASH_LEN);
    return rc;
}

static int append_locked(rg_store *st, rg_audit_item *const *items, size_t n, int64_t now)
{
    sqlite3_stmt *s = NULL;
    uint8_t head[RG_AUDIT_HASH_LEN];
    int64_t seq;
    int rc = read_head(st, &seq, head);
    if (rc == RG_OK)
        rc = rg_sql_prepare(st,
                            "INSERT INTO audit_log(" COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                            "?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                            &s);
    for (size_t i = 0; rc == RG_OK && i < n; i++) {
        rg_audit_item *it = items[i];
        rg_audit_row *r = &it->row;
        it->result = RG_OK;
        if (it->consume_nonce) {
            int fresh = consume(st, it->consume_nonce, it->nonce_exp);
            if (fresh < 0) rc = fresh;
            if (fresh == 0) {
                it->result = RG_EEXIST;
                strcpy(r->outcome, "refused");
                strcpy(r->reason, "link already used");
            }
        }
        r->seq = ++seq;
        memcpy(r->prev_hash, head, RG_AUDIT_HASH_LEN);
        const rg_audit_fields f = fields_of(r);
        if (rc == RG_OK) rc = rg_audit_hash(r->seq, r->ts_ms, r->prev_hash, &f, r->hash);
        if (rc == RG_OK) rc = bind_row(s, r);
        if (rc == RG_OK) rc = rg_sql_step_done(st, s, "audit insert");
        memcpy(head, r->hash, RG_AUDIT_HASH_LEN);
    }
    rg_sql_release(st, s);
    /* Nonces of expired links can go: their links fail on the expiry first. */
    if (rc == RG_OK)
        rc = rg_sql_run(st, "DELETE FROM media_nonces WHERE exp < ?4", NULL, NULL, NULL, now - 60,
                        NULL, "purge nonces");
    return rc;
}

int rg_store_audit_append(rg_store *st, rg_audit_item *const *items, size_t n, int64_t now)
{
    if (n == 0) return RG_OK;
    rg_sql_lock(st);
    int rc = rg_sql_begin(st);
    if (rc == RG_OK) rc = rg_sql_end(st, append_locked(st, items, n, now));
    rg_sql_unlock(st);
    return rc;
}

static int read_row(sqlite3_stmt *s, void *row)
{
    rg_audit_row *r = row;
    struct {
        char *dst;
        size_t cap;
    } t[] = {{r->action, sizeof r->action},
             {r->outcome, sizeof r->outcome},
             {r->reason, sizeof r->reason},
             {r->account_sid, sizeof r->account_sid},
             {r->recording_sid, sizeof r->recording_sid},
             {r->identity, sizeof r->identity},
             {r->realm_user_id, sizeof r->realm_user_id},
             {r->roles, sizeof r->roles},
             {r->client_ip, sizeof r->client_ip},
             {r->user_agent, sizeof r->user_agent}};
    size_t l1 = 0, l2 = 0;
    int rc = RG_OK;
    memset(r, 0, sizeof *r);
    r->seq = sqlite3_column_int64(s, 0);
    r->ts_ms = sqlite3_column_int64(s, 1);
    for (int i = 0; rc == RG_OK && i < 10; i++)
        rc = rg_sql_col_text_opt(s, 2 + i, t[i].dst, t[i].cap);
    if (rc == RG_OK) rc = rg_sql_col_blob(s, 12, r->prev_hash, RG_AUDIT_HASH_LEN, &l1);
    if (rc == RG_OK) rc = rg_sql_col_blob(s, 13, r->hash, RG_AUDIT_HASH_LEN, &l2);
    if (rc == RG_OK && (l1 != RG_AUDIT_HASH_LEN || l2 != RG_AUDIT_HASH_LEN)) rc = RG_EIO;
    return rc;
}

int rg_store_audit_list(rg_store *st, const char *recording_sid, size_t offset, size_t limit,
                        rg_audit_row *out, size_t *count, int *more)
{
    sqlite3_stmt *s = NULL;
    *count = 0;
    *more = 0;
    if (limit >= (uint64_t)INT64_MAX || offset > (uint64_t)INT64_MAX) return RG_EINVAL;
    rg_sql_lock(st);
    int rc = rg_sql_prepare(st,
                            "SELECT " COLS " FROM audit_log WHERE recording_sid = ?1 "
                            "ORDER BY seq LIMIT ?2 OFFSET ?3",
                            &s);
    if (rc == RG_OK) rc = rg_sql_bind_sid(s, 1, recording_sid);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, (int64_t)limit + 1);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, (int64_t)offset);
    if (rc == RG_OK)
        rc = rg_sql_page(st, s, read_row, out, sizeof *out, limit, count, more, "audit list");
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    return rc;
}

/* Calls fn on every row (ts_ms >= since) in seq order, store locked. */
static int each_locked(rg_store *st, int64_t since, int (*fn)(void *, const rg_audit_row *),
                       void *ud)
{
    sqlite3_stmt *s = NULL;
    rg_audit_row r;
    int step = SQLITE_DONE;
    int rc =
        rg_sql_prepare(st, "SELECT " COLS " FROM audit_log WHERE ts_ms >= ?1 ORDER BY seq", &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, since);
    while (rc == RG_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        rc = read_row(s, &r);
        if (rc == RG_OK) rc = fn(ud, &r);
    }
    if (rc == RG_OK && step != SQLITE_DONE) rc = rg_sql_fail(st, step, "audit each");
    rg_sql_release(st, s);
    return rc;
}

int rg_store_audit_each(rg_store *st, int64_t since_ms, int (*fn)(void *ud, const rg_audit_row *r),
                        void *ud)
{
    rg_sql_lock(st);
    int rc = each_locked(st, since_ms, fn, ud);
    rg_sql_unlock(st);
    return rc;
}

typedef struct {
    rg_audit_verdict *v;
    uint8_t prev[RG_AUDIT_HASH_LEN];
} walk;

/* Stops (returns 1) at the first row that does not link to the one before
 * it or whose own hash does not match its fields. */
static int check_row(void *ud, const rg_audit_row *r)
{
    walk *w = ud;
    uint8_t h[RG_AUDIT_HASH_LEN];
    const rg_audit_fields f = fields_of(r);
    const char *why = NULL;
    if (r->seq != w->v->rows + 1)
        why = "row missing or out of order (seq gap)";
    else if (memcmp(r->prev_hash, w->prev, RG_AUDIT_HASH_LEN) != 0)
        why = "prev_hash does not match the previous row's hash";
    else if (rg_audit_hash(r->seq, r->ts_ms, r->prev_hash, &f, h) != RG_OK ||
             memcmp(h, r->hash, RG_AUDIT_HASH_LEN) != 0)
        why = "row content does not match its hash (edited)";
    if (why) {
        w->v->bad_seq = r->seq;
        w->v->why = why;
        return 1;
    }
    memcpy(w->prev, r->hash, RG_AUDIT_HASH_LEN);
    w->v->rows++;
    return 0;
}

int rg_store_audit_verify(rg_store *st, rg_audit_verdict *v)
{
    walk w;
    memset(v, 0, sizeof *v);
    memset(&w, 0, sizeof w);
    w.v = v;
    /* A read transaction: one consistent snapshot while appends go on. */
    rg_sql_lock(st);
    int rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? RG_OK : RG_EIO;
    if (rc == RG_OK) {
        rc = each_locked(st, INT64_MIN, check_row, &w);
        sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    }
    rg_sql_unlock(st);
    return rc == 1 ? RG_OK : rc;
}

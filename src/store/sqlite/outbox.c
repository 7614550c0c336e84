/* outbox.c - status callback events on SQLite, the dispatcher's side
 * (store/outbox.h), and the account settings they need.  Recording
 * events is outbox_emit.c. */
#include "store/outbox.h"

#include <string.h>

#include "core/errors.h"
#include "store/cols.h"
#include "store/outboxpick.h"
#include "store/sqlite/outbox_look.h"
#include "store/sqlite/sql.h"

static int read_row(sqlite3_stmt *s, void *p)
{
    rg_outbox_row *r = p;
    memset(r, 0, sizeof *r);
    r->id = (int64_t)sqlite3_column_int64(s, 0);
    int rc = rg_sql_col_text(s, 1, r->event_id, sizeof r->event_id);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 2, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, r->room_sid, sizeof r->room_sid);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 4, r->event, sizeof r->event);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 5, r->url, sizeof r->url);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 7, r->params, sizeof r->params);
    rg_callback_flags((const char *)sqlite3_column_text(s, 6),
                      (const char *)sqlite3_column_text(s, 13), &r->get, &r->livekit);
    r->seq = (int64_t)sqlite3_column_int64(s, 8);
    r->created = (int64_t)sqlite3_column_int64(s, 9);
    r->attempts = sqlite3_column_int(s, 10);
    r->next_ms = (int64_t)sqlite3_column_int64(s, 11);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 14, r->key_sid, sizeof r->key_sid);
    if (rc == RG_OK && sqlite3_column_type(s, 12) == SQLITE_BLOB)
        rc = rg_sql_col_blob(s, 12, r->token_sealed, sizeof r->token_sealed, &r->token_sealed_len);
    return rc;
}

/* The head of each room's queue (no smaller id of its room: one index
 * probe on (room_sid, id) per row), due ones only, oldest first, from row
 * ?2 on, offered one by one to the fair choice (store/outboxpick.h), which
 * passes over the in-flight ones without sending their ids to SQL; the
 * read stops once limit fair rows are found, and jumps over what an
 * earlier scan read past when it may (outbox_look.c). */
int rg_sqlite_outbox_heads(rg_store *st, int64_t now_ms, const rg_outbox_busy *busy, size_t nbusy,
                           size_t per_account, rg_outbox_row *out, size_t limit, size_t *count,
                           size_t *nfair)
{
    sqlite3_stmt *s = NULL;
    rg_outbox_pick p;
    rg_outbox_look_scan look;
    *count = *nfair = 0;
    int rc = rg_outbox_pick_init(&p, busy, nbusy, per_account, out, limit);
    if (rc != RG_OK) {
        rg_outbox_pick_free(&p);
        return rc;
    }
    rg_sql_lock(st);
    rg_outbox_look_begin(&look, &st->look, now_ms, busy, nbusy);
    rc = rg_sql_prepare(
        st,
        "SELECT o.id, o.event_id, o.account_sid, o.room_sid, o.event, o.url, o.method, o.params, "
        "o.seq, o.created, o.attempts, o.next_ms, a.token_sealed, o.format, o.key_sid "
        "FROM webhook_outbox o "
        "LEFT JOIN accounts a ON a.sid = o.account_sid WHERE o.id >= ?2 AND o.next_ms <= ?1 AND "
        "NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.room_sid = o.room_sid AND p.id < o.id) "
        "ORDER BY o.id",
        &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, now_ms);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, 0);
    while (rc == RG_OK && !rg_outbox_pick_done(&p)) {
        int step = sqlite3_step(s), fair;
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = rg_sql_fail(st, step, "outbox heads");
            break;
        }
        int64_t id = (int64_t)sqlite3_column_int64(s, 0), to;
        const char *acct = (const char *)sqlite3_column_text(s, 2);
        rg_outbox_look_note(&look, id, acct);
        rg_outbox_row *r = rg_outbox_pick_slot(&p, id, acct, &fair);
        if (r) {
            if ((rc = read_row(s, r)) == RG_OK) rg_outbox_pick_took(&p, r, fair);
        } else if ((to = rg_outbox_look_jump(&look, id, &p)) != 0) {
            sqlite3_reset(s); /* the same query from row `to` on */
            rc = rg_sql_bind_int64(s, 2, to);
        }
    }
    rg_outbox_look_end(&look, rc == RG_OK, now_ms);
    if (rc == RG_OK) rg_outbox_pick_end(&p, count, nfair);
    rg_sql_release(st, s);
    rg_sql_unlock(st);
    rg_outbox_pick_free(&p);
    return rc;
}

/* Light commits (store/sqlite/sql.h): an acknowledgement lost with the
 * machine only sends the event once more, with its id; one commit for the
 * batch, not one disk flush per delivery, keeps the write lock free for
 * the joins and room changes that record events. */
int rg_sqlite_outbox_ack_many(rg_store *st, const int64_t *ids, size_t n)
{
    if (n == 0) return RG_OK;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st), began = rc == RG_OK;
    for (size_t i = 0; rc == RG_OK && i < n; i++)
        rc = rg_sql_run(st, "DELETE FROM webhook_outbox WHERE id = ?4", NULL, NULL, NULL, ids[i],
                        NULL, "outbox ack");
    if (began) rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_outbox_ack(rg_store *st, int64_t id)
{
    return rg_sqlite_outbox_ack_many(st, &id, 1);
}

int rg_sqlite_outbox_retry(rg_store *st, int64_t id, int attempts, int64_t next_ms)
{
    sqlite3_stmt *s = NULL;
    rg_sql_lock(st);
    int rc = rg_sql_begin_light(st), began = rc == RG_OK;
    if (rc == RG_OK)
        rc = rg_sql_prepare(
            st, "UPDATE webhook_outbox SET attempts = ?2, next_ms = ?3 WHERE id = ?1", &s);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 1, id);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 2, attempts);
    if (rc == RG_OK) rc = rg_sql_bind_int64(s, 3, next_ms);
    if (rc == RG_OK) rc = rg_sql_step_done(st, s, "outbox retry");
    if (rc == RG_OK) rg_outbox_look_retry(&st->look, next_ms);
    rg_sql_release(st, s);
    if (began) rc = rg_sql_end(st, rc);
    rg_sql_unlock(st);
    return rc;
}

int rg_sqlite_outbox_depth(rg_store *st, int64_t *depth, int64_t *oldest)
{
    rg_sql_lock(st);
    int rc = rg_sql_int(st, "SELECT COUNT(*) FROM webhook_outbox", NULL, NULL, NULL, 0, depth,
                        "outbox depth");
    if (rc == RG_OK)
        rc = rg_sql_int(st, "SELECT COALESCE(MIN(created), 0) FROM webhook_outbox", NULL, NULL,
                        NULL, 0, oldest, "outbox oldest");
    rg_sql_unlock(st);
    return rc;
}

/* ---- account settings -------------------------------------------------- */

int rg_sqlite_account_set_callback(rg_store *st, const char *account_sid,
                                   const rg_account_callback *cb)
{
    rg_arg a[RG_ARGS_ACCOUNT_CALLBACK];
    int n = rg_args_account_callback(account_sid, cb, a);
    if (n == 0) return RG_EINVAL;
    return rg_sql_put_one(st,
                          "UPDATE accounts SET status_callback = ?2, status_callback_method = ?3, "
                          "status_callback_format = ?4, status_callback_key = ?5 WHERE sid = ?1",
                          a, n, "account callback");
}

static int read_callback(sqlite3_stmt *s, void *p)
{
    rg_account_callback *cb = p;
    int rc = rg_sql_col_text(s, 0, cb->url, sizeof cb->url);
    if (rc == RG_OK) rc = rg_sql_col_text(s, 3, cb->key_sid, sizeof cb->key_sid);
    if (rc == RG_OK)
        rg_callback_flags((const char *)sqlite3_column_text(s, 1),
                          (const char *)sqlite3_column_text(s, 2), &cb->get, &cb->livekit);
    return rc;
}

int rg_sqlite_account_get_callback(rg_store *st, const char *account_sid, rg_account_callback *out)
{
    memset(out, 0, sizeof *out);
    return rg_sql_get(st,
                      "SELECT status_callback, status_callback_method, status_callback_format, "
                      "status_callback_key FROM accounts WHERE sid = ?1",
                      RG_ARGS(RG_ARG_SID(account_sid)), read_callback, out, "account callback get");
}

int rg_sqlite_account_set_token(rg_store *st, const char *account_sid, const uint8_t hash[32],
                                const uint8_t *sealed, size_t sealed_len)
{
    return rg_sql_put_one(
        st, "UPDATE accounts SET token_hash = ?2, token_sealed = ?3 WHERE sid = ?1",
        RG_ARGS(RG_ARG_SID(account_sid), RG_ARG_BLOB(hash, 32), RG_ARG_BLOB(sealed, sealed_len)),
        "account token");
}

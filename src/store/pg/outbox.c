/* outbox.c - status callback events on PostgreSQL, the dispatcher's side
 * (store/outbox.h), and the account settings they need.  Recording
 * events is outbox_emit.c.
 *
 * Several nodes run a dispatcher on one outbox, so an event being
 * delivered is claimed (migration 3): rg_pgsql_outbox_heads claims what it
 * returns for this connection's database session (st->session, as seats
 * are) until CLAIM_MS from now, and skips what another live session
 * claimed and has not let go.  Delivered: deleted; rescheduled: the claim
 * is dropped with it, so any node may try next.  A node that died
 * mid-delivery (its session gone) or hung past CLAIM_MS leaves its claims
 * to the others, which send those events again (with their ids, as after
 * a crash of a single node; a restarted node at once).  The claim outlives
 * the longest attempt (--webhook-timeout is at most 120 s), so a live
 * node's delivery is never doubled by another's. */
#include "store/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "store/cols.h"
#include "store/outboxpick.h"
#include "store/pg/call.h"
#include "store/pg/pgrooms.h"

#define CLAIM_MS (180 * 1000)

static int read_row(const PGresult *res, int i, void *p)
{
    rg_outbox_row *r = p;
    char method[8] = "", format[16] = "";
    int64_t attempts = 0;
    memset(r, 0, sizeof *r);
    int rc = rg_pg_int(res, i, 0, &r->id);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 1, r->event_id, sizeof r->event_id);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 2, r->account_sid, sizeof r->account_sid);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 3, r->room_sid, sizeof r->room_sid);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 4, r->event, sizeof r->event);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 5, r->url, sizeof r->url);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 6, method, sizeof method);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 7, r->params, sizeof r->params);
    if (rc == RG_OK) rc = rg_pg_int(res, i, 8, &r->seq);
    if (rc == RG_OK) rc = rg_pg_int(res, i, 9, &r->created);
    if (rc == RG_OK) rc = rg_pg_int(res, i, 10, &attempts);
    if (rc == RG_OK) rc = rg_pg_int(res, i, 11, &r->next_ms);
    if (rc == RG_OK)
        rc = rg_pg_blob(res, i, 12, r->token_sealed, sizeof r->token_sealed, &r->token_sealed_len);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 13, format, sizeof format);
    if (rc == RG_OK) rc = rg_pg_text(res, i, 14, r->key_sid, sizeof r->key_sid);
    r->attempts = attempts > 0 && attempts < INT32_MAX ? (int)attempts : 0;
    rg_callback_flags(rc == RG_OK ? method : NULL, rc == RG_OK ? format : NULL, &r->get,
                      &r->livekit);
    return rc;
}

/* Free, ours, lapsed, or its claimer's session is gone. */
#define CLAIMABLE                                                                                  \
    "(claimed_by IS NULL OR claimed_by = $2 OR claim_until <= $1 OR " RG_PG_SESSION_GONE(          \
        "claimed_by") ")"

/* The head of each room's queue (no smaller id of its room), due, not
 * claimed by another node, oldest first; at most `bound` of them. */
static int offer_heads(rg_store *st, int64_t now_ms, const char *me, size_t bound,
                       rg_outbox_pick *p)
{
    PGresult *r;
    int rc = rg_pg_query(
        st,
        "SELECT o.id, o.event_id, o.account_sid, o.room_sid, o.event, o.url, o.method, o.params, "
        "o.seq, o.created, o.attempts::int8, o.next_ms, a.token_sealed, o.format, o.key_sid "
        "FROM webhook_outbox o LEFT JOIN accounts a ON a.sid = o.account_sid "
        "WHERE o.next_ms <= $1 AND " CLAIMABLE " AND NOT EXISTS "
        "(SELECT 1 FROM webhook_outbox q WHERE q.room_sid = o.room_sid AND q.id < o.id) "
        "ORDER BY o.id LIMIT $3",
        RG_PG_ARGS(RG_PG_INT(now_ms), RG_PG_TEXT(me, RG_PG_SESSION_MAX), RG_PG_INT(bound)), &r);
    if (rc != RG_OK) return rc;
    for (int i = 0, rows = PQntuples(r); rc == RG_OK && i < rows && !rg_outbox_pick_done(p); i++) {
        char account[RG_SID_SIZE];
        int64_t id;
        int fair;
        if ((rc = rg_pg_int(r, i, 0, &id)) != RG_OK ||
            (rc = rg_pg_text(r, i, 2, account, sizeof account)) != RG_OK)
            break;
        rg_outbox_row *slot = rg_outbox_pick_slot(p, id, account, &fair);
        if (slot && (rc = read_row(r, i, slot)) == RG_OK) rg_outbox_pick_took(p, slot, fair);
    }
    PQclear(r);
    return rc;
}

/* "{1,2,3}": the ids as an int8[] literal (numbers only, passed as a
 * parameter).  The caller frees it. */
static char *id_array(const rg_outbox_row *rows, const int64_t *ids, size_t n)
{
    char *s = malloc(n * 21 + 3), *w = s;
    if (!s) return NULL;
    *w++ = '{';
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, "%s%lld", i ? "," : "", (long long)(rows ? rows[i].id : ids[i]));
    strcpy(w, "}");
    return s;
}

/* Claims out[0..*count) for this handle; drops the rows another node
 * claimed since they were read, keeping the order (and the fair ones
 * first). */
static int claim(rg_store *st, int64_t now_ms, const char *me, rg_outbox_row *out, size_t *count,
                 size_t *fair)
{
    PGresult *r;
    char *ids = id_array(out, NULL, *count);
    if (!ids) return RG_ENOMEM;
    int rc = rg_pg_query(st,
                         "UPDATE webhook_outbox SET claimed_by = $2, claim_until = $3 "
                         "WHERE id = ANY($4::int8[]) AND " CLAIMABLE " RETURNING id",
                         RG_PG_ARGS(RG_PG_INT(now_ms), RG_PG_TEXT(me, RG_PG_SESSION_MAX),
                                    RG_PG_INT(now_ms + CLAIM_MS), RG_PG_LIST(ids, *count * 21 + 2)),
                         &r);
    free(ids);
    if (rc != RG_OK) return rc;
    size_t kept = 0, kept_fair = 0, rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < *count; i++) {
        int got = 0;
        for (size_t k = 0; k < rows && !got; k++) {
            int64_t id;
            got = rg_pg_int(r, (int)k, 0, &id) == RG_OK && id == out[i].id;
        }
        if (!got) continue;
        if (i < *fair) kept_fair++;
        if (kept != i) out[kept] = out[i];
        kept++;
    }
    PQclear(r);
    *count = kept;
    *fair = kept_fair;
    return RG_OK;
}

int rg_pgsql_outbox_heads(rg_store *st, int64_t now_ms, const rg_outbox_busy *busy, size_t nbusy,
                          size_t per_account, rg_outbox_row *out, size_t limit, size_t *count,
                          size_t *nfair)
{
    rg_outbox_pick p;
    *count = *nfair = 0;
    int rc = rg_outbox_pick_init(&p, busy, nbusy, per_account, out, limit);
    uint64_t t0 = rg_pg_lock(st);
    const char *me = rg_pg_link_of(st)->session;
    /* enough heads to pass over the in-flight ones and find limit fair
     * ones behind a few busy accounts' */
    if (rc == RG_OK && limit > 0) rc = offer_heads(st, now_ms, me, nbusy + 8 * limit + 64, &p);
    if (rc == RG_OK) rg_outbox_pick_end(&p, count, nfair);
    if (rc == RG_OK && *count > 0) rc = claim(st, now_ms, me, out, count, nfair);
    rg_pg_unlock(st, t0, 1);
    rg_outbox_pick_free(&p);
    if (rc != RG_OK) *count = *nfair = 0;
    return rc;
}

/* One statement for the batch (one commit, as SQLite's light one). */
int rg_pgsql_outbox_ack_many(rg_store *st, const int64_t *ids, size_t n)
{
    if (n == 0) return RG_OK;
    if (n > SIZE_MAX / 21 - 1) return RG_EINVAL;
    char *list = id_array(NULL, ids, n);
    if (!list) return RG_ENOMEM;
    int rc = rg_pg_put(st, "DELETE FROM webhook_outbox WHERE id = ANY($1::int8[])",
                       RG_PG_ARGS(RG_PG_LIST(list, n * 21 + 2)), NULL);
    free(list);
    return rc;
}

int rg_pgsql_outbox_ack(rg_store *st, int64_t id)
{
    return rg_pgsql_outbox_ack_many(st, &id, 1);
}

int rg_pgsql_outbox_retry(rg_store *st, int64_t id, int attempts, int64_t next_ms)
{
    return rg_pg_put(st,
                     "UPDATE webhook_outbox SET attempts = $2, next_ms = $3, claimed_by = NULL, "
                     "claim_until = 0 WHERE id = $1",
                     RG_PG_ARGS(RG_PG_INT(id), RG_PG_INT(attempts), RG_PG_INT(next_ms)), NULL);
}

static int read_depth(const PGresult *r, int i, void *out)
{
    int64_t *v = out;
    int rc = rg_pg_int(r, i, 0, &v[0]);
    return rc == RG_OK ? rg_pg_int(r, i, 1, &v[1]) : rc;
}

int rg_pgsql_outbox_depth(rg_store *st, int64_t *depth, int64_t *oldest)
{
    int64_t v[2] = {0, 0};
    int rc = rg_pg_get(st, "SELECT COUNT(*), COALESCE(MIN(created), 0) FROM webhook_outbox", NULL,
                       0, read_depth, v);
    *depth = v[0];
    *oldest = v[1];
    return rc;
}

/* ---- account settings -------------------------------------------------- */

int rg_pgsql_account_set_callback(rg_store *st, const char *account_sid,
                                  const rg_account_callback *cb)
{
    rg_arg a[RG_ARGS_ACCOUNT_CALLBACK];
    int n = rg_args_account_callback(account_sid, cb, a);
    if (n == 0) return RG_EINVAL;
    return rg_pg_put_one(st,
                         "UPDATE accounts SET status_callback = $2, status_callback_method = $3, "
                         "status_callback_format = $4, status_callback_key = $5 WHERE sid = $1",
                         a, n);
}

static int read_callback(const PGresult *r, int i, void *p)
{
    rg_account_callback *cb = p;
    char method[8] = "", format[16] = "";
    memset(cb, 0, sizeof *cb);
    int rc = rg_pg_text(r, i, 0, cb->url, sizeof cb->url);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 1, method, sizeof method);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 2, format, sizeof format);
    if (rc == RG_OK) rc = rg_pg_text(r, i, 3, cb->key_sid, sizeof cb->key_sid);
    rg_callback_flags(rc == RG_OK ? method : NULL, rc == RG_OK ? format : NULL, &cb->get,
                      &cb->livekit);
    return rc;
}

int rg_pgsql_account_get_callback(rg_store *st, const char *account_sid, rg_account_callback *out)
{
    memset(out, 0, sizeof *out);
    return rg_pg_get(st,
                     "SELECT status_callback, status_callback_method, status_callback_format, "
                     "status_callback_key FROM accounts WHERE sid = $1",
                     RG_PG_ARGS(RG_PG_SID(account_sid)), read_callback, out);
}

int rg_pgsql_account_set_token(rg_store *st, const char *account_sid, const uint8_t hash[32],
                               const uint8_t *sealed, size_t sealed_len)
{
    if (sealed_len > RG_SEALED_MAX) return RG_EINVAL;
    return rg_pg_put_one(
        st, "UPDATE accounts SET token_hash = $2, token_sealed = $3 WHERE sid = $1",
        RG_PG_ARGS(RG_PG_SID(account_sid), RG_PG_BLOB(hash, 32), RG_PG_BLOB(sealed, sealed_len)));
}

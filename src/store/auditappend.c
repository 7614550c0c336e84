/* auditappend.c - the batch append and the head start of the audit chain,
 * shared by the back ends (see auditappend.h). */
#include "store/auditappend.h"

#include <string.h>

#include "core/errors.h"

/* The head, and its row's state, that the batch continues. */
static int start_of(rg_store *st, rg_aanchor *a, const rg_audit_rows *rows, rg_aheads *h,
                    rg_audit_head *start)
{
    int64_t tail_seq;
    uint8_t tail_hash[RG_AUDIT_HASH_LEN];
    int rc = rows->read_tail(st, &tail_seq, tail_hash);
    if (rc == RG_OK) rc = rows->read_head_row(st, h);
    if (rc != RG_OK) return rc;
    rg_aheads_read_file(a, h);
    rg_audit_start(a, h, tail_seq, tail_hash, start);
    return RG_OK;
}

/* Consumes the item's nonce, if any: a used one turns the row into a refusal. */
static int consume_nonce(rg_store *st, const rg_audit_rows *rows, rg_audit_item *it)
{
    it->result = RG_OK;
    if (!it->consume_nonce) return RG_OK;
    int fresh = rows->consume(st, it->consume_nonce, it->nonce_exp);
    if (fresh < 0) return fresh;
    if (fresh == 0) {
        it->result = RG_EEXIST;
        strcpy(it->row.outcome, "refused");
        strcpy(it->row.reason, "link already used");
    }
    return RG_OK;
}

/* Links the row after head (seq and prev_hash), hashes it and inserts it;
 * head becomes the row. */
static int link_row(rg_store *st, const rg_audit_rows *rows, void *ud, rg_audit_row *r,
                    rg_audit_head *head)
{
    r->seq = ++head->seq;
    memcpy(r->prev_hash, head->hash, RG_AUDIT_HASH_LEN);
    const rg_audit_fields f = rg_audit_fields_of(r);
    int rc = rg_audit_hash(r->seq, r->ts_ms, r->prev_hash, &f, r->hash);
    if (rc == RG_OK) rc = rows->insert(st, ud, r);
    memcpy(head->hash, r->hash, RG_AUDIT_HASH_LEN);
    return rc;
}

int rg_audit_append_rows(rg_store *st, rg_aanchor *a, const rg_audit_rows *rows, void *ud,
                         rg_audit_item *const *items, size_t n, int64_t now, rg_audit_head *out)
{
    rg_aheads heads;
    int rc = start_of(st, a, rows, &heads, out);
    for (size_t i = 0; rc == RG_OK && i < n; i++) {
        rc = consume_nonce(st, rows, items[i]);
        if (rc == RG_OK) rc = link_row(st, rows, ud, &items[i]->row, out);
    }
    /* the head moves in this transaction; a head row deleted or forged is
     * left as it is: the evidence verify reports */
    if (rc == RG_OK && (heads.db_state == RG_AHEAD_OK || heads.db_state == RG_AHEAD_PLACEHOLDER))
        rc = rows->put_head_row(st, out);
    /* Nonces of expired links can go: their links fail on the expiry first. */
    if (rc == RG_OK) rc = rows->purge_nonces(st, now - 60);
    return rc;
}

int rg_audit_head_fix(rg_store *st, const rg_audit_rows *rows, rg_audit_head *h, int *valid)
{
    rg_aheads heads;
    memset(&heads, 0, sizeof heads);
    int rc = rows->read_head_row(st, &heads);
    *h = heads.db;
    if (rc == RG_OK && heads.db_state == RG_AHEAD_PLACEHOLDER) {
        rc = rows->read_tail(st, &h->seq, h->hash);
        if (rc == RG_OK) rc = rows->put_head_row(st, h);
        if (rc == RG_OK) heads.db_state = RG_AHEAD_OK;
    }
    *valid = heads.db_state == RG_AHEAD_OK;
    return rc;
}

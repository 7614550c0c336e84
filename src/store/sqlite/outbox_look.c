/* outbox_look.c - the look past the window (outbox_look.h).
 *
 * Once the free slots are spoken for (fair rows at the front, the others
 * waiting at the back), the heads scan still reads on, to the end of the
 * outbox, for a fair row: an event of another account under its share
 * (docs/security.md, "Status callbacks between accounts").  With one busy
 * account over its share that is every row, on every scan: O(outbox) per
 * round while one account keeps the dispatcher busy, most of the
 * dispatcher's work in bench/webhooks.sh.
 *
 * The memo (sql.h rg_sql_outbox_look) says what the last reading found:
 * below `from`, only rows no scan may take unless one of `accounts` falls
 * under its share (its in-flight events finish: then its rooms' next events
 * become heads) or an event falls due.  So when every account of the memo
 * still has its share in flight, the scan jumps to `from`; what lies above
 * it is new (ids only grow, AUTOINCREMENT, and commits are serialized) and
 * is read.  The accounts noted are those of every row the query returned
 * and of every event in flight (a non-head's head is one or the other, or
 * not due).  The memo is dropped when a retry set since falls due, and
 * after LOOK_MS, so an event rescheduled otherwise (before a restart) waits
 * at most that long for its turn among the fair rows. */
#include "store/sqlite/outbox_look.h"

#include <string.h>

#define LOOK_MS 1000

static void note_account(rg_outbox_look_scan *l, const char *sid)
{
    rg_sql_outbox_look *m = &l->memo;
    if (!sid || m->naccounts > RG_SQL_LOOK_ACCOUNTS) return;
    for (size_t i = 0; i < m->naccounts; i++)
        if (strcmp(m->accounts[i], sid) == 0) return;
    if (m->naccounts == RG_SQL_LOOK_ACCOUNTS || strlen(sid) >= RG_SID_SIZE) {
        m->naccounts = RG_SQL_LOOK_ACCOUNTS + 1; /* too many to remember: no memo */
        return;
    }
    strcpy(m->accounts[m->naccounts++], sid);
}

void rg_outbox_look_begin(rg_outbox_look_scan *l, rg_sql_outbox_look *memo, int64_t now_ms,
                          const rg_outbox_busy *busy, size_t nbusy)
{
    memset(l, 0, sizeof *l);
    l->old = memo;
    l->usable = memo->from > 0 && now_ms - memo->at_ms < LOOK_MS &&
                (memo->due_ms == 0 || now_ms < memo->due_ms);
    l->memo.at_ms = now_ms;
    l->memo.due_ms = memo->due_ms;
    for (size_t i = 0; i < nbusy; i++) /* their rooms' next events may lie anywhere */
        note_account(l, busy[i].account_sid);
}

void rg_outbox_look_note(rg_outbox_look_scan *l, int64_t id, const char *account_sid)
{
    l->last = id;
    note_account(l, account_sid);
}

int64_t rg_outbox_look_jump(rg_outbox_look_scan *l, int64_t id, const rg_outbox_pick *p)
{
    if (!l->usable || l->jumped || id + 1 >= l->old->from || !rg_outbox_pick_full(p)) return 0;
    for (size_t i = 0; i < l->old->naccounts; i++)
        if (!rg_outbox_pick_has_share(p, l->old->accounts[i])) return 0;
    for (size_t i = 0; i < l->old->naccounts; i++) /* their rows stay below */
        note_account(l, l->old->accounts[i]);
    l->memo.at_ms = l->old->at_ms; /* the memo ages from the last full read */
    l->jumped = 1;
    return l->old->from;
}

void rg_outbox_look_end(rg_outbox_look_scan *l, int ok, int64_t now_ms)
{
    rg_sql_outbox_look *m = &l->memo;
    int64_t from = l->last + 1;
    if (l->jumped && from < l->old->from) from = l->old->from;
    if (m->due_ms != 0 && m->due_ms <= now_ms) m->due_ms = 0; /* read as due */
    m->from = ok && m->naccounts <= RG_SQL_LOOK_ACCOUNTS && l->last > 0 ? from : 0;
    *l->old = *m;
}

void rg_outbox_look_retry(rg_sql_outbox_look *memo, int64_t next_ms)
{
    if (memo->due_ms == 0 || next_ms < memo->due_ms) memo->due_ms = next_ms;
}

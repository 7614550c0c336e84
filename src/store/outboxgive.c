/* outboxgive.c - giving an event up (store/outbox.h rg_outbox_give_up),
 * the same on every back end: an audit row through the handle's
 * rg_store_audit_append, then the row deleted through its rg_outbox_ack. */
#include "store/outbox.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "store/audit.h"

int rg_outbox_give_up(rg_store *st, const rg_outbox_row *row, const char *reason, int64_t now)
{
    rg_audit_item item;
    rg_audit_item *items[1] = {&item};
    memset(&item, 0, sizeof item);
    strcpy(item.row.action, "webhook");
    strcpy(item.row.outcome, "failed");
    snprintf(item.row.reason, sizeof item.row.reason, "%s %s: %s", row->event_id, row->event,
             reason);
    memcpy(item.row.account_sid, row->account_sid, sizeof item.row.account_sid);
    /* the audit row and the deletion are two transactions: a crash between
     * them sends the event once more, and gives it up again (a second audit
     * row), rather than losing the record of giving up */
    int rc = rg_store_audit_append(st, items, 1, now);
    if (rc == RG_OK) rc = rg_outbox_ack(st, row->id);
    return rc;
}

/* outbox_look.h - internal to the SQLite back end: the outbox heads scan's
 * memo of what it read past (outbox_look.c), so that a scan need not read
 * the whole outbox again, round after round, for a fair event. */
#ifndef RG_STORE_SQLITE_OUTBOX_LOOK_H
#define RG_STORE_SQLITE_OUTBOX_LOOK_H

#include <stdint.h>

#include "store/outboxpick.h"
#include "store/sqlite/sql.h"

/* One scan's use of the memo (st->look), from begin to end. */
typedef struct {
    rg_sql_outbox_look *old, memo;
    int usable, jumped;
    int64_t last; /* the last row read */
} rg_outbox_look_scan;

/* Under the store's lock, before the first row. */
void rg_outbox_look_begin(rg_outbox_look_scan *l, rg_sql_outbox_look *memo, int64_t now_ms,
                          const rg_outbox_busy *busy, size_t nbusy);
/* Each row the query returns (a due head), before it is offered. */
void rg_outbox_look_note(rg_outbox_look_scan *l, int64_t id, const char *account_sid);
/* After a row the choice passed over: the id from which the scan may go
 * on instead of the next row, or 0 to read on. */
int64_t rg_outbox_look_jump(rg_outbox_look_scan *l, int64_t id, const rg_outbox_pick *p);
/* After the last row; ok: no error (else the memo is dropped). */
void rg_outbox_look_end(rg_outbox_look_scan *l, int ok, int64_t now_ms);
/* An event was rescheduled to next_ms (rg_outbox_retry). */
void rg_outbox_look_retry(rg_sql_outbox_look *memo, int64_t next_ms);

#endif

/* outboxpick.h - the outbox scan's choice of events (store/outbox.h
 * rg_outbox_heads), independent of the database: the back end offers the
 * due head of each room's queue, oldest first, and this decides where each
 * goes.  Fair between accounts: the events of accounts with fewer than
 * per_account in flight (busy and picked) fill the front of out, oldest
 * first; the others wait at the back and follow them, oldest first, in the
 * space left.  Both back ends' scans use it (src/store/sqlite/outbox.c,
 * src/store/pg/outbox.c), so they choose alike. */
#ifndef RG_STORE_OUTBOXPICK_H
#define RG_STORE_OUTBOXPICK_H

#include <stddef.h>
#include <stdint.h>

#include "store/outbox.h"

typedef struct {
    const char *sid; /* a busy entry's, or a picked row's copy */
    size_t n;
} rg_outbox_load;

typedef struct {
    const rg_outbox_busy *busy;
    size_t nbusy, per_account;
    rg_outbox_row *out;
    size_t limit, count, nover, nl;
    rg_outbox_load *load;
} rg_outbox_pick;

/* RG_OK or RG_ENOMEM; rg_outbox_pick_free in any case. */
int rg_outbox_pick_init(rg_outbox_pick *p, const rg_outbox_busy *busy, size_t nbusy,
                        size_t per_account, rg_outbox_row *out, size_t limit);
void rg_outbox_pick_free(rg_outbox_pick *p);
/* 1 once limit fair rows are picked: the scan may stop. */
int rg_outbox_pick_done(const rg_outbox_pick *p);
/* Where the next offered row (id, account) goes: a slot of out to read it
 * into, then rg_outbox_pick_took; NULL to pass over it (in flight, or
 * enough of the unfair waiting already).  *fair for rg_outbox_pick_took. */
rg_outbox_row *rg_outbox_pick_slot(rg_outbox_pick *p, int64_t id, const char *account_sid,
                                   int *fair);
void rg_outbox_pick_took(rg_outbox_pick *p, const rg_outbox_row *r, int fair);
/* 1 once every free slot is spoken for: only a fair row can still be
 * taken (it pushes out the newest waiting one). */
int rg_outbox_pick_full(const rg_outbox_pick *p);
/* 1 when account_sid has its share in flight (busy and picked): none of
 * its rows is fair any more in this scan. */
int rg_outbox_pick_has_share(const rg_outbox_pick *p, const char *account_sid);
/* Moves the waiting rows behind the fair ones: *count rows in out, the
 * first *fair of them within their account's share. */
void rg_outbox_pick_end(rg_outbox_pick *p, size_t *count, size_t *fair);

#endif

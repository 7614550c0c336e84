/* outboxpick.c - the outbox scan's fair choice (outboxpick.h). */
#include "store/outboxpick.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"

static size_t load_get(const rg_outbox_pick *p, const char *sid)
{
    for (size_t i = 0; i < p->nl; i++)
        if (strcmp(p->load[i].sid, sid) == 0) return p->load[i].n;
    return 0;
}

/* sid must outlive p (a busy entry, or a row's copy) */
static void load_add(rg_outbox_pick *p, const char *sid)
{
    for (size_t i = 0; i < p->nl; i++)
        if (strcmp(p->load[i].sid, sid) == 0) {
            p->load[i].n++;
            return;
        }
    p->load[p->nl++] = (rg_outbox_load){sid, 1};
}

int rg_outbox_pick_init(rg_outbox_pick *p, const rg_outbox_busy *busy, size_t nbusy,
                        size_t per_account, rg_outbox_row *out, size_t limit)
{
    memset(p, 0, sizeof *p);
    p->busy = busy;
    p->nbusy = nbusy;
    p->per_account = per_account;
    p->out = out;
    p->limit = limit;
    /* few accounts in practice: a short list, one entry per busy or picked row at most */
    p->load = calloc(nbusy + limit + 1, sizeof *p->load);
    if (!p->load) return RG_ENOMEM;
    for (size_t i = 0; i < nbusy; i++)
        load_add(p, busy[i].account_sid);
    return RG_OK;
}

void rg_outbox_pick_free(rg_outbox_pick *p)
{
    free(p->load);
    p->load = NULL;
}

int rg_outbox_pick_done(const rg_outbox_pick *p)
{
    return p->count >= p->limit;
}

rg_outbox_row *rg_outbox_pick_slot(rg_outbox_pick *p, int64_t id, const char *account_sid,
                                   int *fair)
{
    for (size_t i = 0; i < p->nbusy; i++)
        if (p->busy[i].id == id) return NULL; /* in flight */
    *fair = load_get(p, account_sid ? account_sid : "") < p->per_account;
    if (p->count + p->nover == p->limit) {
        if (!*fair) return NULL; /* enough waiting at the back */
        p->nover--;              /* the newest at the back makes room */
    }
    /* the waiting rows fill the back of out, newest first */
    return *fair ? &p->out[p->count] : &p->out[p->limit - 1 - p->nover];
}

int rg_outbox_pick_full(const rg_outbox_pick *p)
{
    return p->count + p->nover == p->limit;
}

int rg_outbox_pick_has_share(const rg_outbox_pick *p, const char *account_sid)
{
    return load_get(p, account_sid) >= p->per_account;
}

void rg_outbox_pick_took(rg_outbox_pick *p, const rg_outbox_row *r, int fair)
{
    if (fair) {
        load_add(p, r->account_sid); /* r's copy outlives the scan */
        p->count++;
    } else {
        p->nover++;
    }
}

void rg_outbox_pick_end(rg_outbox_pick *p, size_t *count, size_t *fair)
{
    rg_outbox_row *out = p->out;
    size_t limit = p->limit, nover = p->nover;
    for (size_t i = 0; i < nover / 2; i++) {
        rg_outbox_row t = out[limit - nover + i];
        out[limit - nover + i] = out[limit - 1 - i];
        out[limit - 1 - i] = t;
    }
    if (nover) memmove(&out[p->count], &out[limit - nover], nover * sizeof *out);
    *fair = p->count;
    *count = p->count + nover;
}

/* playback/recordings.c - GET /v1/Recordings[/{RE}], DELETE /v1/Recordings/{RE},
 * GET /v1/Recordings/{RE}/AccessLog (Basic auth; another account's
 * recording is a 404).  Creation is in playback/rec_create.c. */
#include <stdio.h>

#include "app/recordings.h"
#include "core/errors.h"
#include "api/page.h"
#include "playback/playback.h"
#include "playback/rec_json.h"
#include "http/router.h"

static const char *const NO_FILTERS[] = {NULL};

/* The rows of the pages below, as rg_page_items turns them to JSON. */
static json_t *recording_item(rg_call *c, const void *row, const void *ud)
{
    (void)ud;
    return rg_recording_json(c, row);
}

static json_t *audit_item(rg_call *c, const void *row, const void *ud)
{
    (void)ud;
    return rg_audit_row_json(c, row);
}

typedef struct {
    rg_audited a;
    rg_app *app;
    char account_sid[RG_SID_SIZE];
    char sid[RG_SID_SIZE];
    int rc;
} delete_op;

/* The live (or, with tombstones, any) recording named in the path, owned
 * by the principal's account; answers 404 otherwise. */
static int load(rg_call *c, const rg_principal *p, int tombstones, rg_recording *r)
{
    char sid[RG_SID_SIZE];
    if (rg_arg_sid(c, 0, "RE", sid) == 0 &&
        rg_store_recording_get(c->w->app->store, sid, r) == RG_OK &&
        strcmp(r->account_sid, p->account_sid) == 0 && (tombstones || r->date_deleted == 0))
        return 0;
    rg_reply_not_found(c);
    return -1;
}

static int prelude(rg_call *c, rg_principal *p)
{
    if (rg_auth_basic(c, NULL, p) != 0) return -1;
    return rg_call_params(c);
}

void rg_h_recording_fetch(rg_call *c)
{
    rg_principal p;
    rg_recording r;
    if (prelude(c, &p) != 0 || load(c, &p, 0, &r) != 0) return;
    rg_reply_json(c, 200, rg_recording_json(c, &r));
}

void rg_h_recordings_list(rg_call *c)
{
    rg_principal p;
    rg_page pg;
    rg_page_rows r;
    json_t *items;
    /* rows are large: at most 100 a page, and more is a 400 that says so
     * (it was silently capped, unlike what the document said) */
    if (prelude(c, &p) != 0 || rg_page_params_upto(c, &pg, 100) != 0) return;
    rg_page_rows_init(c, &pg, sizeof(rg_recording), &r);
    int rc = rg_store_recording_list(c->w->app->store, p.account_sid, r.offset, r.limit, r.rows,
                                     &r.count, &r.more);
    if ((items = rg_page_items(c, rc, "list recordings", &r, recording_item, NULL)) == NULL) return;
    rg_reply_json(c, 200,
                  rg_page_json(c, "recordings", items, "/v1/Recordings", NO_FILTERS, &pg, r.more));
}

/* Job thread: the deletion (app/recordings.h), then the audit row; the
 * answer waits for the row. */
static void delete_work(rg_defer *d)
{
    delete_op *op = (delete_op *)d;
    op->rc =
        rg_app_recording_delete(op->app, op->account_sid, op->sid, op->a.item.row.ts_ms / 1000);
    if (op->rc != RG_OK) {
        rg_defer_post(d);
        return;
    }
    rg_audit_submit(op->app->pb, &op->a);
}

static void delete_done(rg_defer *d, rg_call *c)
{
    delete_op *op = (delete_op *)d;
    if (c == NULL) return;
    if (op->rc == RG_ENOTFOUND)
        rg_reply_not_found(c);
    else if (op->rc != RG_OK || op->a.item.result != RG_OK)
        rg_reply_error(c, 503, 20500, "Could not delete the recording; try again");
    else
        rg_reply_empty(c, 204);
}

void rg_h_recording_delete(rg_call *c)
{
    rg_principal p;
    rg_recording r;
    rg_playback *pb = c->w->app->pb;
    delete_op *op;
    if (prelude(c, &p) != 0 || load(c, &p, 0, &r) != 0) return;
    if ((op = rg_defer_new(c, sizeof *op, delete_done)) == NULL) {
        rg_reply_error(c, 503, 20500, "Out of memory; try again");
        return;
    }
    op->app = c->w->app;
    memcpy(op->account_sid, r.account_sid, RG_SID_SIZE);
    memcpy(op->sid, r.sid, RG_SID_SIZE);
    rg_rec_audit_row(c, &op->a.item.row, "delete", "deleted", NULL, &r, &p);
    rg_playback_job(pb, &op->a.d, delete_work);
}

void rg_h_recording_access_log(rg_call *c)
{
    rg_principal p;
    rg_recording r;
    rg_page pg;
    rg_page_rows rows;
    char path[64];
    json_t *items;
    if (prelude(c, &p) != 0 || load(c, &p, 1, &r) != 0 || rg_page_params(c, &pg) != 0) return;
    if (pg.size > 200) pg.size = 200;
    rg_page_rows_init(c, &pg, sizeof(rg_audit_row), &rows);
    int rc = rg_store_audit_list(c->w->app->store, r.sid, rows.offset, rows.limit, rows.rows,
                                 &rows.count, &rows.more);
    if ((items = rg_page_items(c, rc, "read the access log", &rows, audit_item, NULL)) == NULL)
        return;
    snprintf(path, sizeof path, "/v1/Recordings/%s/AccessLog", r.sid);
    rg_reply_json(c, 200, rg_page_json(c, "access_log", items, path, NO_FILTERS, &pg, rows.more));
}

/* GET /demo-api/recordings: with --demo (loopback only), the demo
 * account's recordings for the bundled player page, without credentials,
 * as GET /token mints demo tokens without them.  404 otherwise. */
void rg_h_demo_recordings(rg_call *c)
{
    static const rg_page first = {.page = 0, .size = 50};
    rg_page_rows r;
    json_t *items;
    if (!c->w->app->cfg.demo) {
        rg_reply_not_found(c);
        return;
    }
    if (rg_demo_host_check(c) != 0) return;
    rg_page_rows_init(c, &first, sizeof(rg_recording), &r);
    int rc = rg_store_recording_list(c->w->app->store, c->w->app->demo_account, r.offset, r.limit,
                                     r.rows, &r.count, &r.more);
    if ((items = rg_page_items(c, rc, "list recordings", &r, recording_item, NULL)) == NULL) return;
    rg_reply_json(c, 200, json_pack("{s:o}", "recordings", items));
}

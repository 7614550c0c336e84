/* app/recordings.c - adding and deleting recordings: the file and the row
 * kept together, the playback caches (file keys, rows), the events. */
#include "app/recordings.h"

#include "app/event.h"
#include "core/errors.h"
#include "crypto/recfile.h"
#include "playback/playback.h"

int rg_app_recording_add(rg_app *app, const rg_recording *rec)
{
    /* EVENT: recording-completed, written by the store call in its
     * transaction (store/outbox.h).  No cache to clear: only live rows
     * that were read are cached. */
    int rc = rg_store_recording_insert(app->store, rec);
    if (rc != RG_OK) rg_rec_destroy(app->pb->rec_dir, rec->sid);
    return rc;
}

int rg_app_recording_delete(rg_app *app, const char *account_sid, const char *sid, int64_t now)
{
    rg_playback *pb = app->pb;
    int rc;
    rg_filekey_forget(pb, sid);
    rc = rg_rec_destroy(pb->rec_dir, sid);
    if (rc == RG_ENOTFOUND) rc = RG_OK; /* already gone from disk */
    if (rc == RG_OK) rc = rg_store_recording_mark_deleted(app->store, sid, now);
    rg_recording_forget(pb, sid); /* after the commit: no stale copy survives it */
    if (rc != RG_OK) return rc;
    /* EVENT: recording-deleted */
    rg_app_record(app, RG_EV_RECORDING_DELETED, now, account_sid, sid, NULL);
    return RG_OK;
}

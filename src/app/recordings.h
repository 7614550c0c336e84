/* app/recordings.h - the recording write actions (app/event.h says what an
 * action does): add a recording whose file is sealed on disk, delete one.
 * POST /v1/Recordings, the tus uploads and DELETE /v1/Recordings/{RE}
 * call these, on the playback job thread (they touch files). */
#ifndef RG_APP_RECORDINGS_H
#define RG_APP_RECORDINGS_H

#include "http/app.h"
#include "store/recordings.h"

/* Commits the row of rec, whose file is complete in the recordings
 * directory; when the commit fails the file is removed, so no file
 * outlives a failed create.  RG_OK or the store's error. */
int rg_app_recording_add(rg_app *app, const rg_recording *rec);

/* Deletes recording sid: its file key from memory, then the file, then the
 * tombstone, and the cached row (after the commit, so no stale copy
 * survives it).  A file already gone from disk is no error.  RG_OK,
 * RG_ENOTFOUND when there is no live row, errors. */
int rg_app_recording_delete(rg_app *app, const char *account_sid, const char *sid, int64_t now);

#endif

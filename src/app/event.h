/* app/event.h - the write actions of src/app/, and the one seam where
 * each of them records its outgoing event.
 *
 * Every change to the data goes through an action in this folder (one
 * file per resource: accounts, keys, meetings, consultations, recordings,
 * rooms).  REST handlers (src/api/, src/playback/), the CLI and signaling
 * parse, check and answer; the action does, in this order:
 *   1. commit the change through the store (one store call: one
 *      transaction);
 *   2. clear the caches it affects in this process (key cache,
 *      revocations, hot cache, recordings cache); other processes see the
 *      store's change notification;
 *   3. tell signaling, through signal/signal.h only;
 *   4. record the outgoing event, marked "EVENT:": rg_app_record(),
 *      exactly once per committed change; or, for the status callbacks
 *      (rooms, participants, recording-completed), the store call of step
 *      1 writes it (below), and the mark says so.
 * Actions take the rg_app of `serve`; the CLI passes one that has only the
 * store and the master key (cli/common.c), so caches and signaling are
 * skipped there (NULL members), and a running server picks the change up
 * from the store.
 *
 * Issue #13's status callbacks (docs/webhooks.md) are the events of rooms,
 * participants and recording-completed: those are written into the outbox
 * by the store call itself, in the transaction of the change
 * (store/outbox_emit.h), because several of them come from one
 * statement (a room completing disconnects everyone in it) or from no
 * action at all (the room sweep, a restart).
 * The events recorded here have no status callback yet; a new one that
 * needs delivery gets its row the same way, in its store call. */
#ifndef RG_APP_EVENT_H
#define RG_APP_EVENT_H

#include <stdint.h>

#include "http/app.h"

/* What happened, for the changes whose event the store does not write
 * (rooms, participants and recording-completed are the store's, above). */
typedef enum {
    RG_EV_ACCOUNT_CREATED = 1,
    RG_EV_KEY_CREATED,
    RG_EV_KEY_UPDATED,
    RG_EV_KEY_DELETED,
    RG_EV_MEETING_CREATED,
    RG_EV_MEETING_DEACTIVATED,
    RG_EV_CONSULTATION_CREATED,
    RG_EV_CONSULTATION_CANCELLED,
    RG_EV_RECORDING_DELETED,
} rg_event_kind;

/* "key-created", "recording-completed"...; "" for an unknown kind. */
const char *rg_event_name(rg_event_kind kind);

/* One committed change.  Pointers are the action's and valid only during
 * the call: a recorder copies what it keeps. */
typedef struct {
    rg_event_kind kind;
    int64_t at;              /* unix seconds of the change */
    const char *account_sid; /* whose it is; NULL: the row of sid says */
    const char *sid;         /* the resource that changed: SK..., CN..., RE..., a roomId */
    const char *room_sid;    /* the room it concerns; NULL when none or the row says */
} rg_event;

/* THE place an outgoing event is recorded; today it records nothing (see
 * above).  Never fails the action: the change is committed already. */
void rg_app_event(rg_app *app, const rg_event *ev);
/* rg_app_event with the event's fields as arguments ("" as NULL): what
 * the actions call at their "EVENT:" mark. */
void rg_app_record(rg_app *app, rg_event_kind kind, int64_t at, const char *account_sid,
                   const char *sid, const char *room_sid);

#endif

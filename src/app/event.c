/* app/event.c - rg_app_event, where every write action records its
 * outgoing event (app/event.h); issue #13's outbox goes here. */
#include "app/event.h"

static const char *const NAMES[] = {
    [RG_EV_ACCOUNT_CREATED] = "account-created",
    [RG_EV_KEY_CREATED] = "key-created",
    [RG_EV_KEY_UPDATED] = "key-updated",
    [RG_EV_KEY_DELETED] = "key-deleted",
    [RG_EV_MEETING_CREATED] = "meeting-created",
    [RG_EV_MEETING_DEACTIVATED] = "meeting-deactivated",
    [RG_EV_CONSULTATION_CREATED] = "consultation-created",
    [RG_EV_CONSULTATION_CANCELLED] = "consultation-cancelled",
    [RG_EV_RECORDING_DELETED] = "recording-deleted",
};

const char *rg_event_name(rg_event_kind kind)
{
    if ((unsigned)kind >= sizeof NAMES / sizeof NAMES[0] || NAMES[kind] == NULL) return "";
    return NAMES[kind];
}

void rg_app_record(rg_app *app, rg_event_kind kind, int64_t at, const char *account_sid,
                   const char *sid, const char *room_sid)
{
    rg_event ev = {.kind = kind,
                   .at = at,
                   .account_sid = account_sid && account_sid[0] ? account_sid : NULL,
                   .sid = sid,
                   .room_sid = room_sid && room_sid[0] ? room_sid : NULL};
    rg_app_event(app, &ev);
}

void rg_app_event(rg_app *app, const rg_event *ev)
{
    /* no outbox yet (issue #13) */
    (void)app;
    (void)ev;
}

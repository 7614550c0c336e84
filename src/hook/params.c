/* hook/params.c - an outbox row's Twilio parameters (hook/params.h): the
 * stored object as it is, or the compact array named by its event. */
#include "hook/params.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The names of a compact row's values after the room's three (RoomName,
 * the room's status and type as the rooms table's integers), by event, and
 * the ParticipantStatus the event implies (NULL: a room event).  The
 * recording statements (store/sqlite/outbox_emit.c,
 * store/pg/outbox_emit.c) put the values in this order. */
typedef struct {
    const char *event;
    const char *status;
    const char *names[5];
} layout;

#define PARTICIPANT "ParticipantSid", "ParticipantIdentity"
#define TRACK PARTICIPANT, "TrackSid", "TrackKind", "TrackName"
static const layout LAYOUTS[] = {
    {"room-created", NULL, {NULL}},
    {"room-ended", NULL, {"RoomDuration"}},
    {"participant-connected", "connected", {PARTICIPANT}},
    {"participant-disconnected", "disconnected", {PARTICIPANT, "ParticipantDuration"}},
    {"track-added", "connected", {TRACK}},
    {"track-removed", "connected", {TRACK}},
    {"track-enabled", "connected", {TRACK}},
    {"track-disabled", "connected", {TRACK}},
};
#undef TRACK
#undef PARTICIPANT

static const layout *layout_of(const char *event)
{
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof LAYOUTS[0]; i++)
        if (strcmp(LAYOUTS[i].event, event) == 0) return &LAYOUTS[i];
    return NULL;
}

/* As the recording SQL wrote it before (CASE r.status / r.type). */
static const char *room_status(json_t *v)
{
    return json_integer_value(v) == 1 ? "in-progress" : "completed";
}

static const char *room_type(json_t *v)
{
    json_int_t t = json_integer_value(v);
    return t == 1 ? "go" : t == 2 ? "peer-to-peer" : "group";
}

/* strftime('%Y-%m-%dT%H:%M:%fZ', created, 'unixepoch') of SQLite, and
 * PostgreSQL's to_char(... 'SS.MS'): whole seconds, so ".000". */
static int timestamp(int64_t created, char out[32])
{
    time_t t = (time_t)created;
    struct tm tm;
    return gmtime_r(&t, &tm) && strftime(out, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm) > 0 ? 0 : -1;
}

static int set_str(json_t *obj, const char *name, const char *value)
{
    return json_object_set_new(obj, name, json_string(value));
}

/* The room's values and the row's own columns, then the event's. */
static json_t *expand(const rg_outbox_row *row, json_t *vals)
{
    const layout *l = layout_of(row->event);
    size_t n = 0;
    char ts[32];
    if (!l || timestamp(row->created, ts) != 0) return NULL;
    while (n < sizeof l->names / sizeof l->names[0] && l->names[n])
        n++;
    if (json_array_size(vals) != 3 + n) return NULL;
    json_t *obj = json_object();
    int bad = !obj || set_str(obj, "AccountSid", row->account_sid) ||
              json_object_set(obj, "RoomName", json_array_get(vals, 0)) ||
              set_str(obj, "RoomSid", row->room_sid) ||
              set_str(obj, "RoomStatus", room_status(json_array_get(vals, 1))) ||
              set_str(obj, "RoomType", room_type(json_array_get(vals, 2))) ||
              set_str(obj, "StatusCallbackEvent", row->event) || set_str(obj, "Timestamp", ts) ||
              (l->status && set_str(obj, "ParticipantStatus", l->status));
    for (size_t i = 0; !bad && i < n; i++)
        bad = json_object_set(obj, l->names[i], json_array_get(vals, 3 + i)) != 0;
    if (!bad) return obj;
    json_decref(obj);
    return NULL;
}

json_t *rg_hook_params(const rg_outbox_row *row)
{
    json_t *stored = json_loads(row->params, 0, NULL);
    if (json_is_object(stored)) return stored;
    json_t *obj = json_is_array(stored) ? expand(row, stored) : NULL;
    json_decref(stored);
    return obj;
}

/* room_json.c - a room and a participant as Twilio's Video v1 JSON (its
 * fields, whole-second dates, url and links), and the Type/Status names,
 * for the REST handlers and the `roomgate room` CLI alike (room_json.h). */
#include "api/room_json.h"

#include <stdio.h>
#include <string.h>

#include "core/timefmt.h"

#define MAX_PARTICIPANT_DURATION 14400 /* seconds: Twilio's default, not enforced */
#define MAX_PUBLISHED_TRACKS 170       /* Twilio's figure for group rooms; informative */
#define URL_CAP 640                    /* base (< 300) + the longest path below */

/* A date, or null for "not yet" (0). */
static json_t *date(int64_t t)
{
    char buf[RG_TIMEFMT_SIZE];
    return t ? json_string(rg_time_iso8601_s(t, buf)) : json_null();
}

static json_t *url(const char *base, const char *room, const char *sub, const char *sid)
{
    char buf[URL_CAP];
    snprintf(buf, sizeof buf, "%s/v1/Rooms/%s%s%s%s%s", base, room, sub ? "/" : "", sub ? sub : "",
             sid ? "/" : "", sid ? sid : "");
    return json_string(buf);
}

/* Media servers (group rooms) have a codec list and a region; peer-to-peer
 * and go rooms have neither, and Twilio writes null. */
json_t *rg_room_json(const rg_room *r, const char *base)
{
    int group = r->type == RG_ROOM_GROUP, done = r->status == RG_ROOM_COMPLETED;
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s?, s:s, s:b, s:b, s:b, s:b}", "sid",
        r->sid, "account_sid", r->account_sid, "unique_name", r->unique_name, "status",
        done ? "completed" : "in-progress", "type", rg_room_type_name(r->type), "max_participants",
        r->max_participants, "max_participant_duration", MAX_PARTICIPANT_DURATION,
        "empty_room_timeout", r->empty_room_timeout, "unused_room_timeout", r->unused_room_timeout,
        "status_callback", r->status_callback[0] ? r->status_callback : NULL,
        "status_callback_method", r->callback_get ? "GET" : "POST",
        "record_participants_on_connect", 0, "audio_only", 0, "enable_turn", 1, "large_room", 0);
    json_object_set_new(o, "video_codecs",
                        group ? json_pack("[s, s]", "VP8", "H264") : json_null());
    json_object_set_new(o, "media_region", group ? json_string("gll") : json_null());
    json_object_set_new(o, "max_concurrent_published_tracks",
                        group ? json_integer(MAX_PUBLISHED_TRACKS) : json_null());
    json_object_set_new(o, "date_created", date(r->date_created));
    json_object_set_new(o, "date_updated", date(r->date_updated));
    json_object_set_new(o, "end_time", done ? date(r->end_time) : json_null());
    json_object_set_new(o, "duration",
                        done ? json_integer(r->end_time - r->date_created) : json_null());
    if (base) {
        json_object_set_new(o, "url", url(base, r->sid, NULL, NULL));
        /* only links to routes this server has (Twilio's also name
         * recordings and recording_rules, which are not served here) */
        json_object_set_new(
            o, "links",
            json_pack("{s:o}", "participants", url(base, r->sid, "Participants", NULL)));
    }
    return o;
}

json_t *rg_participant_json(const rg_participant *p, const char *base)
{
    int gone = !p->connected;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "sid", p->sid, "room_sid", p->room_sid,
                          "account_sid", p->account_sid, "identity", p->identity, "status",
                          gone ? "disconnected" : "connected");
    json_object_set_new(o, "start_time", date(p->start_time));
    json_object_set_new(o, "end_time", gone ? date(p->end_time) : json_null());
    json_object_set_new(o, "duration",
                        gone ? json_integer(p->end_time - p->start_time) : json_null());
    json_object_set_new(o, "date_created", date(p->start_time));
    json_object_set_new(o, "date_updated", date(gone ? p->end_time : p->start_time));
    if (base) {
        json_object_set_new(o, "url", url(base, p->room_sid, "Participants", p->sid));
        /* Twilio's track and rule sub-resources are not served here */
        json_object_set_new(o, "links", json_object());
    }
    return o;
}

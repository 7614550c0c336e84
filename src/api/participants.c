/* api/participants.c - Twilio Video's Participants resource (v1): list,
 * fetch by PA SID or identity, and kick (Status=disconnected).
 *
 * Participants are written by the signaling server (and, for tests and
 * scripts, by `roomgate participant`); REST reads them and kicks.  A kick
 * also revokes the identity's tokens for the room issued up to that
 * second, so the kicked user cannot come straight back with the token it
 * already holds.
 *
 * PublishedTracks and SubscribedTracks (read-only) list what a live
 * participant of Twilio's protocol (GET /signaling) publishes, and the
 * tracks of the room's others it subscribes to (every one: rooms are peer
 * to peer), as the signaling hub knows them (rg_signal_tracks); a
 * participant who left, or one of roomgate's protocol, has none. */
#include <stdio.h>

#include "core/errors.h"
#include "api/page.h"
#include "api/room_json.h"
#include "api/rooms.h"
#include "app/rooms.h"
#include "http/module.h"
#include "signal/signal.h"

static const char *const P_STATUS[] = {"Status", "status", NULL};

/* Authenticates, reads the parameters and finds the room in the path. */
static int prelude(rg_call *c, rg_room *room)
{
    rg_principal p;
    if (rg_auth_basic(c, NULL, &p) != 0 || rg_call_params(c) != 0) return -1;
    return rg_room_from_path(c, p.account_sid, room);
}

/* A page item: ud is the base of the links (rg_base_url). */
static json_t *participant_item(rg_call *c, const void *row, const void *ud)
{
    (void)c;
    return rg_participant_json(row, ud);
}

void rg_h_v1_participants_list(rg_call *c)
{
    rg_room room;
    rg_page pg;
    const char *status;
    int connected = -1;
    rg_page_rows r;
    json_t *items;
    char path[64 + RG_SID_SIZE];
    if (prelude(c, &room) != 0 || rg_param_text(c, P_STATUS, 0, 32, &status) != 0 ||
        rg_page_params(c, &pg) != 0)
        return;
    if (status && strcmp(status, "connected") == 0)
        connected = 1;
    else if (status && strcmp(status, "disconnected") == 0)
        connected = 0;
    else if (status) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter Status: expected connected or disconnected");
        return;
    }
    rg_page_rows_init(c, &pg, sizeof(rg_participant), &r);
    int rc = rg_store_participant_list(c->w->app->store, room.sid, connected, r.offset, r.limit,
                                       r.rows, &r.count, &r.more);
    if ((items = rg_page_items(c, rc, "list participants", &r, participant_item, rg_base_url(c))) ==
        NULL)
        return;
    snprintf(path, sizeof path, "/v1/Rooms/%s/Participants", room.sid);
    const char *const filters[] = {"Status", status, NULL};
    rg_reply_json(c, 200, rg_page_json(c, "participants", items, path, filters, &pg, r.more));
}

/* The participant in path capture 1 (PA SID or identity) of the room. */
static int load(rg_call *c, const rg_room *room, rg_participant *out)
{
    const char *key = rg_arg_text(c, 1, RG_IDENTITY_MAX);
    int rc = key ? rg_store_participant_get(c->w->app->store, room->sid, key, out) : RG_ENOTFOUND;
    if (rc == RG_OK) return 0;
    if (rc == RG_ENOTFOUND)
        rg_reply_not_found(c);
    else
        rg_reply_error(c, 503, 20500, "Could not read the participant; try again");
    return -1;
}

void rg_h_v1_participant_fetch(rg_call *c)
{
    rg_room room;
    rg_participant part;
    if (prelude(c, &room) != 0 || load(c, &room, &part) != 0) return;
    rg_reply_json(c, 200, rg_participant_json(&part, rg_base_url(c)));
}

/* Kicking someone who already left still records the revocation: it keeps
 * them from coming back with the token they hold. */
void rg_h_v1_participant_update(rg_call *c)
{
    rg_room room;
    rg_participant part;
    const char *status;
    if (prelude(c, &room) != 0 || load(c, &room, &part) != 0 ||
        rg_param_text(c, P_STATUS, 1, 32, &status) != 0)
        return;
    if (strcmp(status, "disconnected") != 0) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter Status: a participant can only be disconnected");
        return;
    }
    if (rg_rooms_kick(c->w->app, &room, part.sid, c->now, &part) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not disconnect the participant; try again");
        return;
    }
    rg_reply_json(c, 200, rg_participant_json(&part, rg_base_url(c)));
}

/* One page of a participant's tracks, in Twilio's shape. */
static void tracks(rg_call *c, int subscribed)
{
    rg_room room;
    rg_participant part;
    rg_page pg;
    json_t *all, *items, *t;
    size_t i;
    char path[128 + 2 * RG_SID_SIZE], link[512];
    const char *sub = subscribed ? "SubscribedTracks" : "PublishedTracks";
    if (prelude(c, &room) != 0 || rg_page_params(c, &pg) != 0 || load(c, &room, &part) != 0) return;
    if ((all = rg_signal_tracks(c->w->app, room.sid, part.sid, subscribed)) == NULL ||
        (items = json_array()) == NULL) {
        json_decref(all);
        rg_reply_error(c, 503, 20500, "Could not list the tracks; try again");
        return;
    }
    snprintf(path, sizeof path, "/v1/Rooms/%s/Participants/%s/%s", room.sid, part.sid, sub);
    size_t from = (size_t)(pg.page * pg.size), to = from + (size_t)pg.size;
    json_array_foreach(all, i, t)
    {
        if (i < from || i >= to) continue;
        snprintf(link, sizeof link, "%s%s/%s", rg_base_url(c), path,
                 json_string_value(json_object_get(t, "sid")));
        json_t *o = json_pack("{s:O, s:s, s:s, s:O, s:O, s:O, s:n, s:n, s:s}", "sid",
                              json_object_get(t, "sid"), "participant_sid", part.sid, "room_sid",
                              room.sid, "name", json_object_get(t, "name"), "kind",
                              json_object_get(t, "kind"), "enabled", json_object_get(t, "enabled"),
                              "date_created", "date_updated", "url", link);
        if (o && subscribed) {
            json_object_set(o, "publisher_sid", json_object_get(t, "publisher_sid"));
            json_object_set_new(o, "subscriber_sid", json_string(part.sid));
        }
        json_array_append_new(items, o);
    }
    int more = json_array_size(all) > to;
    json_decref(all);
    rg_reply_json(c, 200,
                  rg_page_json(c, subscribed ? "subscribed_tracks" : "published_tracks", items,
                               path, (const char *const[]){NULL}, &pg, more));
}

static void rg_h_v1_published_tracks(rg_call *c)
{
    tracks(c, 0);
}

static void rg_h_v1_subscribed_tracks(rg_call *c)
{
    tracks(c, 1);
}

static const rg_route routes[] = {
    {"GET", "/v1/Rooms/{room}/Participants", rg_h_v1_participants_list, RG_ROUTE_AUTH},
    {"GET", "/v1/Rooms/{room}/Participants/{participant}", rg_h_v1_participant_fetch,
     RG_ROUTE_AUTH},
    {"POST", "/v1/Rooms/{room}/Participants/{participant}", rg_h_v1_participant_update,
     RG_ROUTE_AUTH},
    {"GET", "/v1/Rooms/{room}/Participants/{participant}/PublishedTracks", rg_h_v1_published_tracks,
     RG_ROUTE_AUTH},
    {"GET", "/v1/Rooms/{room}/Participants/{participant}/SubscribedTracks",
     rg_h_v1_subscribed_tracks, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_participants = {.name = "participants", .routes = routes};

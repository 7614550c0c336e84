/* h_participants.c - Twilio Video's Participants resource (v1): list,
 * fetch by PA SID or identity, and kick (Status=disconnected).
 *
 * Participants are written by the signaling server (and, for tests and
 * scripts, by `roomgate participant`); REST reads them and kicks.  A kick
 * also revokes the identity's tokens for the room issued up to that
 * second, so the kicked user cannot come straight back with the token it
 * already holds. */
#include <stdio.h>

#include "core/errors.h"
#include "http/page.h"
#include "http/room_json.h"
#include "http/rooms_app.h"
#include "http/router.h"

static const char *const P_STATUS[] = {"Status", "status", NULL};

/* Authenticates, reads the parameters and finds the room in the path. */
static int prelude(rg_call *c, rg_room *room)
{
    rg_principal p;
    if (rg_auth_basic(c, NULL, &p) != 0 || rg_call_params(c) != 0) return -1;
    return rg_room_from_path(c, p.account_sid, room);
}

void rg_h_v1_participants_list(rg_call *c)
{
    rg_room room;
    rg_page pg;
    const char *status, *base;
    int connected = -1, more;
    size_t count;
    rg_participant *rows;
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
    rows = h2o_mem_alloc_pool(&c->req->pool, sizeof(*rows) * (size_t)pg.size);
    if (rg_store_participant_list(c->w->app->store, room.sid, connected,
                                  (size_t)(pg.page * pg.size), (size_t)pg.size, rows, &count,
                                  &more) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not list participants; try again");
        return;
    }
    base = rg_base_url(c);
    items = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(items, rg_participant_json(&rows[i], base));
    snprintf(path, sizeof path, "/v1/Rooms/%s/Participants", room.sid);
    const char *const filters[] = {"Status", status, NULL};
    rg_reply_json(c, 200, rg_page_json(c, "participants", items, path, filters, &pg, more));
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

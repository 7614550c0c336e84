/* api/rooms.c - Twilio Video's Rooms resource (v1): create, fetch by SID or
 * UniqueName, list, complete.
 *
 * The paths carry no account: a room belongs to the caller's account
 * (account credentials, or a key of that account), and another account's
 * room is 404, as if it did not exist. */
#include <stdio.h>
#include <strings.h>

#include "core/errors.h"
#include "core/netaddr.h"
#include "api/callback.h"
#include "api/page.h"
#include "api/room_json.h"
#include "api/rooms.h"
#include "app/rooms.h"
#include "http/module.h"

static const char *const P_UNIQUE_NAME[] = {"UniqueName", "unique_name", NULL};
static const char *const P_TYPE[] = {"Type", "type", NULL};
static const char *const P_MAX[] = {"MaxParticipants", "max_participants", NULL};
static const char *const P_EMPTY[] = {"EmptyRoomTimeout", "empty_room_timeout", NULL};
static const char *const P_UNUSED[] = {"UnusedRoomTimeout", "unused_room_timeout", NULL};
static const char *const P_CALLBACK[] = {"StatusCallback", "status_callback", NULL};
static const char *const P_METHOD[] = {"StatusCallbackMethod", "status_callback_method", NULL};
static const char *const P_STATUS[] = {"Status", "status", NULL};

static int prelude(rg_call *c, rg_principal *p)
{
    if (rg_auth_basic(c, NULL, p) != 0) return -1;
    return rg_call_params(c);
}

int rg_room_from_path(rg_call *c, const char *account_sid, rg_room *out)
{
    const char *name = rg_arg_text(c, 0, RG_IDENTITY_MAX);
    int rc = name ? rg_store_room_get(c->w->app->store, account_sid, name, out) : RG_ENOTFOUND;
    if (rc == RG_OK) return 0;
    if (rc == RG_ENOTFOUND)
        rg_reply_not_found(c);
    else
        rg_reply_error(c, 503, 20500, "Could not read the room; try again");
    return -1;
}

/* Type, MaxParticipants and the timeouts into r.  A go room always has 2
 * seats, whatever MaxParticipants says (once it is in range). */
static int read_shape(rg_call *c, rg_room *r)
{
    const char *type;
    int64_t max, empty, unused;
    if (rg_param_text(c, P_TYPE, 0, 32, &type) != 0) return -1;
    r->type = RG_ROOM_GROUP;
    if (type && rg_room_type_parse(type, &r->type) != 0) {
        rg_reply_error(c, 400, 21603, "Invalid parameter Type: expected go, peer-to-peer or group");
        return -1;
    }
    if (rg_param_int(c, P_MAX, 1, RG_ROOM_MAX_PARTICIPANTS, rg_room_type_default_max(r->type),
                     &max) != 0 ||
        rg_param_int(c, P_EMPTY, 1, RG_ROOM_MAX_TIMEOUT, RG_ROOM_DEFAULT_TIMEOUT, &empty) != 0 ||
        rg_param_int(c, P_UNUSED, 1, RG_ROOM_MAX_TIMEOUT, RG_ROOM_DEFAULT_TIMEOUT, &unused) != 0)
        return -1;
    int fixed = rg_room_type_fixed_max(r->type); /* go: whatever was asked */
    r->max_participants = fixed ? fixed : (int)max;
    r->empty_room_timeout = (int)empty;
    r->unused_room_timeout = (int)unused;
    return 0;
}

void rg_h_v1_rooms_create(rg_call *c)
{
    rg_principal p;
    rg_room r;
    const char *name, *callback;
    int rc;
    memset(&r, 0, sizeof r);
    if (prelude(c, &p) != 0 || rg_param_text(c, P_UNIQUE_NAME, 0, RG_IDENTITY_MAX, &name) != 0 ||
        rg_param_text(c, P_CALLBACK, 0, RG_URL_MAX, &callback) != 0 ||
        rg_callback_method(c, P_METHOD, &r.callback_get) != 0 || read_shape(c, &r) != 0)
        return;
    /* a SID-shaped name would be shadowed by SID lookups */
    if (name && rg_sid_valid(name, strlen(name), "RM")) {
        rg_reply_error(c, 400, 21603, "Invalid parameter UniqueName: it cannot be a room SID");
        return;
    }
    if (callback && !rg_callback_url_ok(callback)) {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter StatusCallback: an http or https URL of at most %d bytes",
                       RG_URL_MAX);
        return;
    }
    memcpy(r.account_sid, p.account_sid, RG_SID_SIZE);
    if (name) strcpy(r.unique_name, name);
    if (callback) strcpy(r.status_callback, callback);
    r.date_created = c->now;
    rc = rg_app_room_create(c->w->app, &r);
    if (rc == RG_EEXIST) {
        rg_reply_error(c, 400, 53113, "Room exists: %s is the UniqueName of a room in progress",
                       r.unique_name);
        return;
    }
    if (rc != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not create the room; try again");
        return;
    }
    rg_reply_json(c, 201, rg_room_json(&r, rg_base_url(c)));
}

/* "in-progress" / "completed" (or absent: any); -1 after answering 400. */
static int read_status(rg_call *c, const char **text, rg_room_status *status)
{
    if (rg_param_text(c, P_STATUS, 0, 32, text) != 0) return -1;
    *status = 0;
    if (!*text) return 0;
    if (strcmp(*text, "in-progress") == 0)
        *status = RG_ROOM_IN_PROGRESS;
    else if (strcmp(*text, "completed") == 0)
        *status = RG_ROOM_COMPLETED;
    else {
        rg_reply_error(c, 400, 21603,
                       "Invalid parameter Status: expected in-progress or completed");
        return -1;
    }
    return 0;
}

/* A page item: ud is the base of the links (rg_base_url). */
static json_t *room_item(rg_call *c, const void *row, const void *ud)
{
    (void)c;
    return rg_room_json(row, ud);
}

void rg_h_v1_rooms_list(rg_call *c)
{
    rg_principal p;
    rg_page pg;
    rg_room_status status;
    const char *status_text, *name;
    rg_page_rows r;
    json_t *items;
    if (prelude(c, &p) != 0 || read_status(c, &status_text, &status) != 0 ||
        rg_param_text(c, P_UNIQUE_NAME, 0, RG_IDENTITY_MAX, &name) != 0 ||
        rg_page_params(c, &pg) != 0)
        return;
    rg_page_rows_init(c, &pg, sizeof(rg_room), &r);
    int rc = rg_store_room_list(c->w->app->store, p.account_sid, status, name, r.offset, r.limit,
                                r.rows, &r.count, &r.more);
    if ((items = rg_page_items(c, rc, "list rooms", &r, room_item, rg_base_url(c))) == NULL) return;
    const char *const filters[] = {"Status", status_text, "UniqueName", name, NULL};
    rg_reply_json(c, 200, rg_page_json(c, "rooms", items, "/v1/Rooms", filters, &pg, r.more));
}

void rg_h_v1_room_fetch(rg_call *c)
{
    rg_principal p;
    rg_room r;
    if (prelude(c, &p) != 0 || rg_room_from_path(c, p.account_sid, &r) != 0) return;
    rg_reply_json(c, 200, rg_room_json(&r, rg_base_url(c)));
}

/* Status=completed ends the room and disconnects everyone in it; a room
 * already completed is answered as it is. */
void rg_h_v1_room_update(rg_call *c)
{
    rg_principal p;
    rg_room r;
    const char *status;
    if (prelude(c, &p) != 0 || rg_room_from_path(c, p.account_sid, &r) != 0 ||
        rg_param_text(c, P_STATUS, 1, 32, &status) != 0)
        return;
    if (strcmp(status, "completed") != 0) {
        rg_reply_error(c, 400, 21603, "Invalid parameter Status: a room can only be completed");
        return;
    }
    if (rg_app_room_complete(c->w->app, &r, c->now) != RG_OK) {
        rg_reply_error(c, 503, 20500, "Could not complete the room; try again");
        return;
    }
    rg_reply_json(c, 200, rg_room_json(&r, rg_base_url(c)));
}

/* ---- module ------------------------------------------------------------ */

const rg_opt_section rg_rooms_options = {"server", "a server option"};

static int rooms_start(rg_app *app)
{
    if (rg_rooms_start(app) == RG_OK) return 0;
    fprintf(stderr, "roomgate: cannot load the room revocations\n");
    return 1;
}

static const rg_route routes[] = {
    {"POST", "/v1/Rooms", rg_h_v1_rooms_create, RG_ROUTE_AUTH},
    {"GET", "/v1/Rooms", rg_h_v1_rooms_list, RG_ROUTE_AUTH},
    {"GET", "/v1/Rooms/{room}", rg_h_v1_room_fetch, RG_ROUTE_AUTH},
    {"POST", "/v1/Rooms/{room}", rg_h_v1_room_update, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_rooms = {.name = "rooms",
                                .options = &rg_rooms_options,
                                .start = rooms_start,
                                .stop = rg_rooms_stop,
                                .routes = routes};

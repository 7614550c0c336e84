/* app/sighooks.c - what the signaling hub asks of the rest of the server
 * (signal/hooks.h): which room a join's token opens and whether it may
 * (the token, a deactivated VideoSDK room, a completed room, auto-create,
 * the revocations), the seats in the store, and the kick.  Handed to the
 * hub at start, so the hub never includes this module and a kick can
 * still close a live connection (app/rooms.c -> rg_signal_remove). */
#include "app/sighooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/rooms.h"
#include "core/errors.h"
#include "core/roomtype.h"
#include "store/hotcache.h"
#include "crypto/random.h"

typedef struct {
    int code;
    const char *message;
} refusal;

static int refuse(refusal *why, int code, const char *message)
{
    why->code = code;
    why->message = message;
    return -1;
}

static const char DEACTIVATED[] = "The room was deactivated";

/* A deactivated VideoSDK room is closed to every join whatever names it:
 * its roomId or customRoomId (in a Twilio token's join too), or the RM sid
 * of its signaling room.  -1 (why set) when key is such a room or the
 * store cannot tell. */
static int deactivated(rg_app *app, const char *account_sid, const char *key, refusal *why)
{
    rg_meeting m;
    int rc = rg_hot_meeting_get(app->hot, app->store, account_sid, key, &m);
    if (rc == RG_ENOTFOUND || rc == RG_EINVAL) return 0;
    if (rc != RG_OK) return refuse(why, RG_SIG_E_SERVER, "Could not read the room; try again");
    return m.disabled ? refuse(why, RG_VSDK_ROOM_DISABLED, DEACTIVATED) : 0;
}

/* A join's room would be opened (created) here: a check stops short of
 * it, with room->sid empty and the name the join would give it. */
static int would_open(const char *account_sid, const char *name, rg_room *room)
{
    memset(room, 0, sizeof *room);
    memcpy(room->account_sid, account_sid, sizeof room->account_sid);
    snprintf(room->unique_name, sizeof room->unique_name, "%s", name);
    return 0;
}

/* No room of that name in progress: a join makes a new one that the
 * seat's transaction creates (out->open; the hub's batch: one durable
 * commit for the turn's rooms and seats), unless it waits in the lobby,
 * whose hosts must find the room at once: that one is opened now.  A
 * check (dry) makes nothing. */
static int new_room(rg_app *app, const rg_admission *a, const char *account_sid, const char *name,
                    int64_t now, int dry, rg_sig_entry *out)
{
    int max = rg_room_type_default_max(RG_ROOM_GROUP);
    if (dry) return would_open(account_sid, name, &out->room);
    if (a->kind == RG_ADMIT_LOBBY)
        return rg_app_room_open(app, account_sid, name, RG_ROOM_GROUP, max, now, &out->room);
    out->open = 1;
    return rg_app_room_new(account_sid, name, RG_ROOM_GROUP, max, now, &out->room);
}

/* A VideoSDK room (meeting) by roomId or customRoomId: it must be active,
 * and the token's roomId, if any, must be that room.  Its signaling room
 * is the store room named after its roomId.  1 when key is no meeting.
 * A check (dry) opens nothing: the room in progress if there is one. */
static int meeting_room(rg_app *app, const rg_token_result *r, const rg_admission *a, int64_t now,
                        int dry, rg_sig_entry *out, refusal *why)
{
    rg_room *room = &out->room;
    rg_meeting m;
    int rc = rg_hot_meeting_get(app->hot, app->store, r->account_sid, a->room, &m);
    if (rc == RG_ENOTFOUND) return 1;
    if (rc != RG_OK) return refuse(why, RG_SIG_E_SERVER, "Could not read the room; try again");
    if (m.disabled) return refuse(why, RG_VSDK_ROOM_DISABLED, DEACTIVATED);
    if (a->token_room[0] && strcmp(a->token_room, m.room_id) != 0 &&
        strcmp(a->token_room, m.custom_room_id) != 0)
        return refuse(why, RG_VSDK_INVALID_PERMISSIONS, "The token's roomId is another room");
    rc = rg_store_room_get(app->store, r->account_sid, m.room_id, room);
    if (rc == RG_OK && room->status == RG_ROOM_IN_PROGRESS) return 0;
    if (rc != RG_OK && rc != RG_ENOTFOUND)
        return refuse(why, RG_SIG_E_SERVER, "Could not read the room; try again");
    rc = new_room(app, a, r->account_sid, m.room_id, now, dry, out); /* none in progress */
    /* deactivated since the read above: the store refuses a new room */
    if (rc == RG_EGONE) return refuse(why, RG_VSDK_ROOM_DISABLED, DEACTIVATED);
    return rc == RG_OK ? 0 : refuse(why, RG_SIG_E_SERVER, "Could not open the room; try again");
}

/* A room by RM sid or unique name: the in-progress one, else the newest
 * completed one (refused), else a new one when auto-create is on (not
 * made by a check). */
static int named_room(rg_app *app, const rg_token_result *r, const rg_admission *a, int64_t now,
                      int dry, rg_sig_entry *out, refusal *why)
{
    rg_room *room = &out->room;
    int rc = rg_store_room_get(app->store, r->account_sid, a->room, room);
    /* by its RM sid: the signaling room of a VideoSDK room is named after
     * the roomId, which only a room id can be */
    if (rc == RG_OK && strcmp(room->unique_name, a->room) != 0 &&
        rg_roomid_valid(room->unique_name, strlen(room->unique_name)) &&
        deactivated(app, r->account_sid, room->unique_name, why) != 0)
        return -1;
    if (rc == RG_OK && room->status != RG_ROOM_IN_PROGRESS)
        return refuse(why, RG_SIG_E_ROOM_COMPLETED, "The room has been completed");
    if (rc == RG_ENOTFOUND) {
        if (!app->cfg.signal.auto_create || rg_sid_valid(a->room, strlen(a->room), "RM"))
            return refuse(why, RG_SIG_E_ROOM_NOT_FOUND, "No such room");
        rc = new_room(app, a, r->account_sid, a->room, now, dry, out);
    }
    if (rc == RG_EGONE) return refuse(why, RG_VSDK_ROOM_DISABLED, DEACTIVATED);
    if (rc != RG_OK) return refuse(why, RG_SIG_E_SERVER, "Could not open the room; try again");
    if (!rg_sig_room_matches(a->token_room, room->sid, room->unique_name))
        return r->kind == RG_TOKEN_VIDEOSDK
                   ? refuse(why, RG_VSDK_INVALID_PERMISSIONS, "The token's roomId is another room")
                   : refuse(why, RG_TOK_INVALID, "The token's video grant is for another room");
    return 0;
}

static int resolve_room(rg_app *app, const rg_token_result *r, const rg_admission *a, int64_t now,
                        int dry, rg_sig_entry *out, refusal *why)
{
    rg_room *room = &out->room;
    int found = r->kind == RG_TOKEN_VIDEOSDK ? meeting_room(app, r, a, now, dry, out, why) : 1;
    /* a Twilio token may name a VideoSDK room too: it joins the room of
     * that name, unless the VideoSDK room was deactivated */
    if (found == 1 && r->kind != RG_TOKEN_VIDEOSDK &&
        deactivated(app, r->account_sid, a->room, why))
        return -1;
    if (found < 0 || (found == 1 && named_room(app, r, a, now, dry, out, why) != 0)) return -1;
    /* a kick revokes the identity's tokens for the room issued up to it.
     * The set knows the room by sid and by name, and both are asked, as
     * the validate route asks the token's room: by sid alone, a room
     * opened again under the same name (the old one completed, or a
     * consultation's room remade by a node that had not heard of its
     * cancel yet) let a revoked token in that validate called revoked */
    if (app->revocations &&
        (rg_revcache_revoked(app->revocations, r->account_sid, room->unique_name, a->identity,
                             r->issued) ||
         (room->sid[0] && rg_revcache_revoked(app->revocations, r->account_sid, room->sid,
                                              a->identity, r->issued))))
        return refuse(why, RG_TOK_REVOKED, "The token was revoked: removed from this room");
    return 0;
}

/* Validates the token, decides, finds the room (a new one to open unless
 * dry, out->open); fills out. */
static int decide(rg_worker *w, const char *token, size_t token_len, const char *room_name,
                  int64_t now, int dry, rg_sig_entry *out, int *code, const char **message)
{
    rg_app *app = w->app;
    rg_token_result r;
    rg_admission a;
    refusal why = {RG_SIG_E_SERVER, NULL};
    int rc = -1;
    rg_token_check(w->hmac, token, token_len, now, rg_keycache_lookup_key, app->keys, &r);
    rg_sig_admit(&r, room_name, &a);
    if (a.kind == RG_ADMIT_REFUSE)
        refuse(&why, a.code, a.message);
    else if (resolve_room(app, &r, &a, now, dry, out, &why) == 0 &&
             rg_new_sid_at(out->sid, "PA", now) == RG_OK &&
             (out->identity = strdup(a.identity)) != NULL) {
        out->kind = r.kind;
        out->perms = a.perms;
        out->lobby = a.kind == RG_ADMIT_LOBBY;
        rc = 0;
    } else if (why.message == NULL) {
        refuse(&why, RG_SIG_E_SERVER, "Out of memory");
    }
    rg_token_result_clear(&r);
    /* a store failure while its database is out of reach says so */
    if (rc != 0 && why.code == RG_SIG_E_SERVER && !rg_store_reachable(app->store))
        refuse(&why, RG_SIG_E_SERVER,
               "The store is unavailable: its database cannot be reached; try again");
    *code = why.code;
    *message = why.message;
    return rc;
}

static int admit(rg_worker *w, const char *token, size_t token_len, const char *room_name,
                 int64_t now, rg_sig_entry *out, int *code, const char **message)
{
    return decide(w, token, token_len, room_name, now, 0, out, code, message);
}

/* What admit would decide now, opening nothing (Twilio's ice and sync). */
static int check(rg_worker *w, const char *token, size_t token_len, const char *room_name,
                 int64_t now, rg_sig_entry *out, int *code, const char **message)
{
    return decide(w, token, token_len, room_name, now, 1, out, code, message);
}


static int kick(rg_worker *w, const rg_room *room, const char *participant_sid, int64_t now)
{
    rg_participant part;
    return rg_rooms_kick(w->app, room, participant_sid, now, &part);
}

static int sync_seats(rg_app *app, int64_t point)
{
    return rg_store_sync(app->store, point);
}

const rg_sig_hooks rg_app_sig_hooks = {
    admit, rg_app_participants_seat, rg_app_participants_leave, rg_app_tracks_changed, kick, rg_app_participants_reset, check, sync_seats};

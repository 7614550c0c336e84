/* signal_join.c - admission: the join message, the room it names, the
 * seat (the store's atomic capacity check), the lobby, and leaving.
 *
 * The seat is taken with the room's lock held, so the store's order of
 * joins (which decides who replaces whom) is the order the others hear
 * about them, and participant_joined / participant_left come in pairs. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/hotcache.h"
#include "http/room_json.h"
#include "http/signal_int.h"
#include "http/turn.h"
#include "store/provision.h"

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

/* A VideoSDK room (meeting) by roomId or customRoomId: it must be active,
 * and the token's roomId, if any, must be that room.  Its signaling room
 * is the store room named after its roomId.  1 when key is no meeting. */
static int meeting_room(sig_conn *c, const rg_token_result *r, const rg_admission *a, rg_room *room,
                        refusal *why)
{
    rg_app *app = c->t->w->app;
    rg_meeting m;
    int created, rc = rg_hot_meeting_get(app, r->account_sid, a->room, &m);
    if (rc == RG_ENOTFOUND) return 1;
    if (rc != RG_OK) return refuse(why, RG_SIG_E_SERVER, "Could not read the room; try again");
    if (m.disabled) return refuse(why, RG_VSDK_ROOM_DISABLED, "The room was deactivated");
    if (a->token_room[0] && strcmp(a->token_room, m.room_id) != 0 &&
        strcmp(a->token_room, m.custom_room_id) != 0)
        return refuse(why, RG_VSDK_INVALID_PERMISSIONS, "The token's roomId is another room");
    rc = rg_store_room_open_for_join(app->store, r->account_sid, m.room_id, RG_ROOM_GROUP,
                                     rg_room_type_default_max(RG_ROOM_GROUP), rg_sig_now(c->t),
                                     room, &created);
    return rc == RG_OK ? 0 : refuse(why, RG_SIG_E_SERVER, "Could not open the room; try again");
}

/* A room by RM sid or unique name: the in-progress one, else the newest
 * completed one (refused), else a new one when auto-create is on. */
static int named_room(sig_conn *c, const rg_token_result *r, const rg_admission *a, rg_room *room,
                      refusal *why)
{
    rg_app *app = c->t->w->app;
    int created, rc = rg_store_room_get(app->store, r->account_sid, a->room, room);
    if (rc == RG_OK && room->status != RG_ROOM_IN_PROGRESS)
        return refuse(why, RG_SIG_E_ROOM_COMPLETED, "The room has been completed");
    if (rc == RG_ENOTFOUND) {
        if (!app->cfg.signal.auto_create || rg_sid_valid(a->room, strlen(a->room), "RM"))
            return refuse(why, RG_SIG_E_ROOM_NOT_FOUND, "No such room");
        rc = rg_store_room_open_for_join(app->store, r->account_sid, a->room, RG_ROOM_GROUP,
                                         rg_room_type_default_max(RG_ROOM_GROUP), rg_sig_now(c->t),
                                         room, &created);
    }
    if (rc != RG_OK) return refuse(why, RG_SIG_E_SERVER, "Could not open the room; try again");
    if (!rg_sig_room_matches(a->token_room, room->sid, room->unique_name))
        return r->kind == RG_TOKEN_VIDEOSDK
                   ? refuse(why, RG_VSDK_INVALID_PERMISSIONS, "The token's roomId is another room")
                   : refuse(why, RG_TOK_INVALID, "The token's video grant is for another room");
    return 0;
}

static int resolve_room(sig_conn *c, const rg_token_result *r, const rg_admission *a, rg_room *room,
                        refusal *why)
{
    int64_t issued = r->iat != 0 ? r->iat : r->nbf;
    rg_revcache *rc = c->t->w->app->revocations;
    int found = r->kind == RG_TOKEN_VIDEOSDK ? meeting_room(c, r, a, room, why) : 1;
    if (found < 0 || (found == 1 && named_room(c, r, a, room, why) != 0)) return -1;
    /* a kick revokes the identity's tokens for the room issued up to it */
    if (rc && rg_revcache_revoked(rc, r->account_sid, room->sid, a->identity, issued))
        return refuse(why, RG_TOK_REVOKED, "The token was revoked: removed from this room");
    return 0;
}

/* ---- seats and notices --------------------------------------------------- */

static json_t *peer_json(const char *sid, const char *identity)
{
    return json_pack("{s:s, s:s}", "sid", sid, "identity", identity);
}

static char *joined_json(sig_conn *c, json_t *participants)
{
    rg_app *app = c->t->w->app;
    json_t *ice = rg_turn_ice_servers(app, c->identity, rg_sig_now(c->t));
    json_t *v =
        json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o}", "type", "joined", "room", "sid",
                  c->room->sid, "name", c->room->name, "type", rg_room_type_name(c->room->type),
                  "participant", peer_json(c->sid, c->identity), "participants", participants,
                  "ice_servers", ice ? ice : json_array());
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return s;
}

/* The same identity's older connection: out of the room, told why. */
static void replace_same_identity(sig_conn *c, sig_room *room)
{
    rg_sig_hub *hub = c->t->hub;
    for (sig_member **p = &room->members; *p;) {
        sig_member *m = *p;
        char *err, *left;
        if (m->lobby != 0 || strcmp(m->identity, c->identity) != 0) {
            p = &m->next;
            continue;
        }
        *p = m->next;
        err = rg_sig_error_json(RG_SIG_E_DUPLICATE_IDENTITY,
                                "Another connection joined with the same identity");
        if (err) rg_sig_post(hub, m->thread, m->sid, POST_CLOSE, 0, err, strlen(err));
        if ((left = rg_sig_peer_json("participant_left", m->sid, m->identity)) != NULL)
            rg_sig_broadcast(hub, room, NULL, left);
        free(err);
        free(left);
        rg_sig_member_free(m);
    }
}

static sig_member *new_member(sig_conn *c, int lobby)
{
    sig_member *m = calloc(1, sizeof *m);
    if (m == NULL || (m->identity = strdup(c->identity)) == NULL) {
        free(m);
        return NULL;
    }
    memcpy(m->sid, c->sid, sizeof m->sid);
    m->thread = c->t->index;
    m->perms = c->perms;
    m->lobby = lobby;
    return m;
}

static void seat_refused(sig_conn *c, int rc)
{
    if (rc == RG_EFULL)
        rg_sig_fail(c, c->kind == RG_TOKEN_VIDEOSDK ? RG_VSDK_MAX_PARTICIPANTS : RG_SIG_E_ROOM_FULL,
                    "The room is full");
    else if (rc == RG_EGONE)
        rg_sig_fail(c, RG_SIG_E_ROOM_COMPLETED, "The room has been completed");
    else if (rc == RG_ENOTFOUND)
        rg_sig_fail(c, RG_SIG_E_ROOM_NOT_FOUND, "No such room");
    else
        rg_sig_fail(c, RG_SIG_E_SERVER, "Could not join the room; try again");
}

/* What a host hears about each guest waiting (a host arriving late too). */
static void tell_host_about_guests(sig_conn *c, sig_room *room)
{
    if (!(c->perms & RG_PERM_ALLOW_JOIN)) return;
    for (sig_member *m = room->members; m; m = m->next)
        if (m->lobby == 1)
            rg_sig_send_str(c, rg_sig_peer_json("entry_requested", m->sid, m->identity));
}

/* Takes a seat in the store and enters the room; on success the others
 * hear participant_joined and c gets joined (then any waiting guests). */
static void take_seat(sig_conn *c)
{
    sig_room *room = c->room;
    rg_app *app = c->t->w->app;
    sig_member *m = new_member(c, 0);
    json_t *list = json_array();
    char *joined, *notice;
    int rc;
    if (m == NULL || list == NULL) {
        rg_sig_member_free(m);
        json_decref(list);
        rg_sig_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    pthread_mutex_lock(&room->lock);
    rg_sig_member_free(rg_sig_member_take(room, c->sid)); /* its lobby entry, if any */
    rc = rg_store_participant_join(app->store, room->sid, c->identity, c->sid, rg_sig_now(c->t),
                                   NULL);
    if (rc != RG_OK) {
        pthread_mutex_unlock(&room->lock);
        rg_sig_member_free(m);
        json_decref(list);
        seat_refused(c, rc);
        return;
    }
    replace_same_identity(c, room);
    for (sig_member *o = room->members; o; o = o->next)
        if (o->lobby == 0) json_array_append_new(list, peer_json(o->sid, o->identity));
    if ((notice = rg_sig_peer_json("participant_joined", c->sid, c->identity)) != NULL)
        rg_sig_broadcast(c->t->hub, room, NULL, notice);
    free(notice);
    m->next = room->members;
    room->members = m;
    c->state = RG_SIGST_JOINED;
    joined = joined_json(c, list);
    rg_sig_send_str(c, joined);
    tell_host_about_guests(c, room);
    pthread_mutex_unlock(&room->lock);
}

/* ---- the lobby ----------------------------------------------------------- */

static void enter_lobby(sig_conn *c)
{
    sig_room *room = c->room;
    sig_member *m = new_member(c, 1);
    char *ask;
    if (m == NULL) {
        rg_sig_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    pthread_mutex_lock(&room->lock);
    m->next = room->members;
    room->members = m;
    if ((ask = rg_sig_peer_json("entry_requested", c->sid, c->identity)) != NULL)
        for (sig_member *h = room->members; h; h = h->next)
            if (h->lobby == 0 && (h->perms & RG_PERM_ALLOW_JOIN))
                rg_sig_post(c->t->hub, h->thread, h->sid, POST_SEND, 0, ask, strlen(ask));
    pthread_mutex_unlock(&room->lock);
    free(ask);
    c->state = RG_SIGST_LOBBY;
    rg_sig_send_str(c, rg_sig_peer_json("waiting", c->sid, c->identity));
    h2o_timeout_link(c->t->ctx->loop, &c->t->lobby_timeout, &c->lobby_entry);
}

/* A guest out of the lobby unanswered (gone or timed out): the hosts
 * that were asked hear it is settled.  Frees m (may be NULL); room->lock
 * held. */
static void leave_lobby(rg_sig_hub *hub, sig_room *room, sig_member *m)
{
    if (m != NULL && m->lobby == 1) rg_sig_tell_hosts(hub, room, m, "left", NULL);
    rg_sig_member_free(m);
}

void rg_sig_on_admit(sig_conn *c, int allowed, const char *body, size_t len)
{
    if (c->state != RG_SIGST_LOBBY) return;
    if (h2o_timeout_is_linked(&c->lobby_entry)) h2o_timeout_unlink(&c->lobby_entry);
    rg_sig_send(c, body, len);
    if (allowed) {
        take_seat(c);
        return;
    }
    pthread_mutex_lock(&c->room->lock);
    rg_sig_member_free(rg_sig_member_take(c->room, c->sid));
    pthread_mutex_unlock(&c->room->lock);
    rg_sig_close(c, 1000);
}

void rg_sig_on_lobby_timeout(sig_conn *c)
{
    if (c->state == RG_SIGST_NEW) {
        /* the same deadline holds a connection that never joins */
        rg_sig_fail(c, RG_SIG_E_TIMEOUT, "No join message in time");
        return;
    }
    if (c->state != RG_SIGST_LOBBY) return;
    pthread_mutex_lock(&c->room->lock);
    leave_lobby(c->t->hub, c->room, rg_sig_member_take(c->room, c->sid));
    pthread_mutex_unlock(&c->room->lock);
    rg_sig_fail(c, RG_SIG_E_TIMEOUT, "Nobody answered the request to join in time");
}

/* ---- join and leave ------------------------------------------------------ */

/* Validates the token, decides, finds the room; fills c and *room. */
static int admit(sig_conn *c, const rg_sig_msg *msg, rg_room *room, rg_admission *a, refusal *why)
{
    rg_app *app = c->t->w->app;
    rg_token_result r;
    uint8_t rnd[16];
    int rc = -1;
    rg_token_validate(c->t->w->hmac, msg->token, msg->token_len, rg_sig_now(c->t),
                      rg_keycache_lookup_key, app->keys, &r);
    rg_sig_admit(&r, msg->room, a);
    if (a->kind == RG_ADMIT_REFUSE)
        refuse(why, a->code, a->message);
    else if (resolve_room(c, &r, a, room, why) == 0 && rg_random(rnd, sizeof rnd) == RG_OK &&
             (c->identity = strdup(a->identity)) != NULL) {
        rg_sid_format(c->sid, "PA", rnd);
        c->kind = r.kind;
        c->perms = a->perms;
        rc = 0;
    } else if (why->message == NULL) {
        refuse(why, RG_SIG_E_SERVER, "Out of memory");
    }
    rg_token_result_clear(&r);
    return rc;
}

void rg_sig_on_join(sig_conn *c, const rg_sig_msg *msg)
{
    rg_room room;
    rg_admission a;
    refusal why = {0, NULL};
    if (admit(c, msg, &room, &a, &why) != 0) {
        rg_sig_fail(c, why.code, why.message);
        return;
    }
    if ((c->room = rg_sig_room_ref(c->t->hub, &room)) == NULL) {
        rg_sig_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    rg_sig_conn_index(c);
    if (h2o_timeout_is_linked(&c->lobby_entry)) h2o_timeout_unlink(&c->lobby_entry);
    if (a.kind == RG_ADMIT_LOBBY)
        enter_lobby(c);
    else
        take_seat(c);
}

void rg_sig_leave(sig_conn *c)
{
    sig_room *room = c->room;
    sig_member *m;
    char *left;
    if (room == NULL) return;
    pthread_mutex_lock(&room->lock);
    if ((m = rg_sig_member_take(room, c->sid)) != NULL && m->lobby == 0) {
        /* still ours to announce: nobody replaced or removed it */
        rg_store_participant_leave(c->t->w->app->store, c->sid, rg_sig_now(c->t));
        if ((left = rg_sig_peer_json("participant_left", m->sid, m->identity)) != NULL)
            rg_sig_broadcast(c->t->hub, room, NULL, left);
        free(left);
        rg_sig_member_free(m);
    } else {
        leave_lobby(c->t->hub, room, m);
    }
    pthread_mutex_unlock(&room->lock);
    rg_sig_room_unref(c->t->hub, room);
    c->room = NULL;
}

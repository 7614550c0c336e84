/* signal/twilio_sync.c - a Twilio session outlives its socket
 * (signal/twilio.h).  When the socket of a joined participant drops
 * without a bye, the connection stays in its room, detached, for
 * RG_HUB_SESSION_TIMEOUT seconds (what `connected` announced as
 * session_timeout); the others see it `reconnecting`.  The SDK then opens
 * a new socket whose hello carries `sync` (its session, its token): the
 * new connection finds the participant of that identity in that room,
 * asks its connection (on whatever loop it lives, by a relay) for the
 * session, and the old one hands it over (its sid, tracks, peers and peer
 * connections) and goes away without leaving: the member is moved to the
 * new connection's loop under the room's lock, so what the others send
 * after reaches the new connection.  The new one answers `synced` with the
 * whole room, and the others see the participant `connected` again.
 *
 * The session id is checked by the old connection (constant time), the
 * token as a join's, and the identity must be the participant's: a
 * session is never taken over by another user.  A sync that finds
 * nothing gets 53002 and the SDK reports the room disconnected.
 *
 * A new socket that dies while the session is on its way keeps its
 * connection (keep_for_session): it takes the session and waits detached,
 * so the participant always ends up connected again or gone after
 * session_timeout, never in the room with no connection. */
#include <stdlib.h>
#include <string.h>

#include "core/ctstr.h"
#include "core/errors.h"
#include "crypto/random.h"
#include "signal/twilio.h"

/* The new socket died while its session was on its way (asked for, or
 * handed over and not yet adopted): the old connection has given it up or
 * is about to, so this connection stays, without a socket, to take it and
 * wait detached for another sync (tw_adopt); the session timer bounds the
 * wait for an answer that never comes.  Else the participant would stay in
 * the room with no connection at all. */
static int keep_for_session(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    if (!tw->resuming && tw->resumed == NULL) return 0;
    if (!h2o_timeout_is_linked(&tw->session_entry))
        h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->session_timeout, &tw->session_entry);
    return 1;
}

int tw_on_closed(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    if (keep_for_session(c)) return 1;
    if (!tw->joined || c->p.room == NULL || c->p.state != RG_SIGST_JOINED) return 0;
    tw->detached = 1;
    if (h2o_timeout_is_linked(&c->ping_entry)) h2o_timeout_unlink(&c->ping_entry);
    h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->session_timeout, &tw->session_entry);
    tw->rev++;
    tw_queue_state(c, "*", 0, -1); /* the others: reconnecting */
    return 1;
}

void tw_on_session_timeout(h2o_timeout_entry_t *e)
{
    /* nobody came back for it: it leaves as a dropped connection does */
    rg_sig_conn_destroy(H2O_STRUCT_FROM_MEMBER(tw_conn, session_entry, e)->conn);
}

/* A relay to the Twilio connection `to` on loop `thread` (a member of a
 * room, or a new connection that is none yet); steals data.  bounce: the
 * sender hears if `to` is gone (tw_resume_refused). */
static void post_to(sig_conn *from, int thread, const char *to, json_t *data, int bounce)
{
    rg_hub_member target;
    json_t *v =
        data ? json_pack("{s:s, s:s, s:o}", "type", "signal", "from", from->p.sid, "data", data)
             : NULL;
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    memset(&target, 0, sizeof target);
    memcpy(target.sid, to, RG_SID_SIZE);
    target.thread = thread;
    if (s != NULL) {
        rg_hub_event ev = {
            RG_HUB_RELAY, bounce ? from->p.t->index + 1 : 0, from->p.sid, from->p.identity, s,
            strlen(s)};
        rg_hub_post(from->p.t->hub, &target, &ev);
    }
    free(s);
    json_decref(v);
}

/* ---- the new socket ------------------------------------------------------ */

/* The participant of this identity in the live room room_sid speaking
 * Twilio's protocol: its loop and sid.  0 when found. */
static int find_participant(sig_conn *c, const char *room_sid, const char *identity, int *thread,
                            char sid[RG_SID_SIZE])
{
    rg_hub_room *r = rg_hub_room_find(c->p.t->hub, room_sid);
    int rc = -1;
    if (r == NULL) return -1;
    pthread_mutex_lock(&r->lock);
    for (rg_hub_member *m = r->members; m; m = m->next)
        if (m->lobby == 0 && !m->leaving && m->proto == &tw_proto &&
            strcmp(m->identity, identity) == 0) {
            *thread = m->thread;
            memcpy(sid, m->sid, RG_SID_SIZE);
            rc = 0;
        }
    pthread_mutex_unlock(&r->lock);
    rg_hub_room_unref(c->p.t->hub, r);
    return rc;
}

/* Asks the participant's connection for the session (TW "resume"), under
 * a name of its own until the answer. */
static void ask_for_session(sig_conn *c, const rg_tw_msg *m, const rg_sig_entry *e)
{
    tw_conn *tw = tw_of(c);
    uint8_t rnd[16];
    char old[RG_SID_SIZE];
    int thread;
    /* the room in progress by its sid (a room a join would open has no
     * participant to resume) */
    if (e->room.sid[0] == '\0' ||
        find_participant(c, e->room.sid, e->identity, &thread, old) != 0) {
        tw_fail(c, RG_SIG_E_TIMEOUT, "No such session to resume; connect again");
        return;
    }
    if (rg_random(rnd, sizeof rnd) != RG_OK || (c->p.identity = strdup(e->identity)) == NULL) {
        tw_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    rg_sid_format(c->p.sid, "PA", rnd);
    rg_hub_peer_index(&c->p);
    tw->connecting = 1;
    tw->resuming = 1;
    tw->sync_pcs = m->peer_connections ? json_incref(m->peer_connections) : json_array();
    tw->sync_tracks = m->tracks ? json_incref(m->tracks) : NULL;
    tw->sync_rev = m->revision;
    /* the old connection may go (a kick, its session's end) before this
     * reaches it: then the hub bounces it, and the client hears 53002 */
    post_to(c, thread, old,
            json_pack("{s:s, s:s, s:s, s:i}", "tw", "resume", "session", m->session, "identity",
                      e->identity, "thread", c->p.t->index),
            1);
}

void tw_resume_refused(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    if (!tw->resuming) return;
    tw->resuming = 0;
    if (c->ws == NULL || c->closing)
        rg_sig_reap(c); /* kept for the session (keep_for_session): none comes */
    else
        tw_fail(c, RG_SIG_E_TIMEOUT, "No such session to resume; connect again");
}

void tw_on_sync(sig_conn *c, const rg_tw_msg *m)
{
    rg_sig_entry e;
    if (tw_admit(c, m, &e) == 0) ask_for_session(c, m, &e);
    free(e.identity);
}

/* `synced`: the whole room as this connection knows it. */
static void send_synced(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    json_t *parts = tw_peers_participants(tw->peers), *pcs = json_array(), *pc;
    size_t i;
    /* the client's peer connections the server pairs; the others close */
    json_array_foreach(tw->sync_pcs, i, pc)
    {
        const char *id = json_string_value(json_object_get(pc, "id"));
        if (json_string_length(json_object_get(tw->pcs, id)) > 0)
            json_array_append_new(pcs, json_pack("{s:s}", "id", id));
    }
    tw_send_body(c, json_pack("{s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:o, s:o}", "type", "synced",
                              "session", tw->session, "participant", "sid", c->p.sid, "identity",
                              c->p.identity, "participants", parts, "peer_connections", pcs,
                              "published", rg_tw_published(tw->mine, ++tw->published_rev),
                              "subscribed", tw_peers_subscribed(tw->peers, ++tw->subscribed_rev)));
}

static int take_json(json_t *v, const char *key, json_t **out)
{
    json_t *x = json_object_get(v, key);
    if (x == NULL) return -1;
    json_decref(*out);
    *out = json_incref(x);
    return 0;
}

/* The session arrived (possibly under the room's lock): c takes the
 * participant's sid at once, so what the others send finds it; the rest
 * (the room, synced) from the loop (tw_adopt). */
static void on_resumed(sig_conn *c, json_t *data)
{
    tw_conn *tw = tw_of(c);
    const char *sid = json_string_value(json_object_get(data, "sid"));
    if (!tw->resuming || sid == NULL || strlen(sid) != RG_SID_LEN) return;
    rg_hub_peer_unindex(&c->p);
    memcpy(c->p.sid, sid, RG_SID_SIZE);
    rg_hub_peer_index(&c->p);
    tw->resuming = 0;
    tw->resumed = json_incref(data);
    h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->reap_timeout, &tw->adopt_entry);
}

/* c's member is still in its room (not taken out since the handover). */
static int still_in_room(sig_conn *c)
{
    rg_hub_room *room = c->p.room;
    rg_hub_member *m;
    if (tw_of(c)->removed) return 0;
    pthread_mutex_lock(&room->lock);
    m = rg_hub_member_find(room, c->p.sid);
    int in = m != NULL && m->lobby == 0 && m->proto == &tw_proto;
    pthread_mutex_unlock(&room->lock);
    return in;
}

void tw_drop_resumed(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    rg_hub_room *room;
    if (tw->resumed == NULL) return;
    room = rg_hub_room_find(c->p.t->hub, json_string_value(json_object_get(tw->resumed, "room")));
    if (room != NULL) {
        rg_hub_room_unref(c->p.t->hub, room); /* find's */
        rg_hub_room_unref(c->p.t->hub, room); /* the one hand_over passed on */
    }
    json_decref(tw->resumed);
    tw->resumed = NULL;
}

void tw_adopt(h2o_timeout_entry_t *e)
{
    tw_conn *tw = H2O_STRUCT_FROM_MEMBER(tw_conn, adopt_entry, e);
    sig_conn *c = tw->conn;
    json_t *v = tw->resumed;
    const char *session = json_string_value(json_object_get(v, "session"));
    tw->resumed = NULL;
    c->p.room = rg_hub_room_find(c->p.t->hub, json_string_value(json_object_get(v, "room")));
    /* c holds its own reference now: the one hand_over passed on goes */
    if (c->p.room != NULL) rg_hub_room_unref(c->p.t->hub, c->p.room);
    if (c->p.room != NULL && !still_in_room(c)) {
        /* removed (a kick, a replacement, the room's end) while the session
         * was on its way: never connected again; told why unless it was */
        json_decref(v);
        if (!c->closing && !c->dead) tw_fail(c, RG_SIG_E_REMOVED, "Removed from the room");
        return;
    }
    if (c->p.room == NULL || session == NULL || strlen(session) >= sizeof tw->session ||
        !json_is_array(json_object_get(v, "mine")) || take_json(v, "peers", &tw->peers) ||
        take_json(v, "pcs", &tw->pcs)) {
        json_decref(v);
        tw_fail(c, RG_SIG_E_SERVER, "Could not resume the session");
        return; /* its end leaves the room (the member is c's now) */
    }
    tw_set_mine(c, json_incref(json_object_get(v, "mine")));
    c->p.state = RG_SIGST_JOINED;
    c->p.kind = (rg_token_kind)json_integer_value(json_object_get(v, "kind"));
    c->p.perms = (unsigned)json_integer_value(json_object_get(v, "perms"));
    strcpy(tw->session, session);
    tw->client_rev = json_integer_value(json_object_get(v, "client_rev"));
    tw->rev = json_integer_value(json_object_get(v, "rev")) + 1;
    tw->published_rev = json_integer_value(json_object_get(v, "published_rev"));
    tw->subscribed_rev = json_integer_value(json_object_get(v, "subscribed_rev"));
    tw->joined = 1;
    json_decref(v);
    /* what the client changed while away counts as in an update (its
     * events recorded); synced's `published` tells it */
    int taken = tw->sync_tracks != NULL ? tw_take_tracks(c, tw->sync_tracks, tw->sync_rev) : 0;
    json_decref(tw->sync_tracks);
    tw->sync_tracks = NULL;
    if (taken < 0) return; /* failed: its end leaves the room */
    send_synced(c);
    json_decref(tw->sync_pcs);
    tw->sync_pcs = NULL;
    tw_queue_state(c, "*", 0, -1); /* the others: connected again */
    if (c->ws == NULL) {           /* its socket died meanwhile: detached, as a drop */
        if (h2o_timeout_is_linked(&tw->session_entry)) h2o_timeout_unlink(&tw->session_entry);
        tw_on_closed(c);
    }
}

/* ---- the old connection -------------------------------------------------- */

/* Hands the session to (thread, to) and goes away without leaving. */
static int hand_over(sig_conn *c, int thread, const char *to)
{
    tw_conn *tw = tw_of(c);
    rg_hub_room *room = c->p.room;
    rg_hub_member *m;
    json_t *state = json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:i, s:O, s:O, s:O, s:I, s:I, s:I, s:I}", "tw", "resumed",
        "room", room->sid, "sid", c->p.sid, "session", tw->session, "kind", (int)c->p.kind, "perms",
        (int)c->p.perms, "mine", tw->mine, "peers", tw->peers, "pcs", tw->pcs, "client_rev",
        (json_int_t)tw->client_rev, "rev", (json_int_t)tw->rev, "published_rev",
        (json_int_t)tw->published_rev, "subscribed_rev", (json_int_t)tw->subscribed_rev);
    if (state == NULL) return -1;
    pthread_mutex_lock(&room->lock);
    if ((m = rg_hub_member_find(room, c->p.sid)) != NULL && m->lobby == 0) {
        m->thread = thread;
        post_to(c, thread, to, json_incref(state), 0);
    }
    pthread_mutex_unlock(&room->lock);
    json_decref(state);
    if (m == NULL) return -1; /* removed meanwhile: nothing to hand over */
    if (h2o_timeout_is_linked(&tw->session_entry)) h2o_timeout_unlink(&tw->session_entry);
    /* the room's reference goes with the session (tw_adopt, or
     * tw_drop_resumed when the new connection ends first): dropped here,
     * a room whose only connection this was would be freed with its
     * member before the new one finds it */
    c->p.room = NULL; /* so its end is no leave */
    c->p.state = RG_SIGST_NEW;
    tw->joined = tw->detached = 0;
    rg_sig_reap(c);
    return 0;
}

static void on_resume(sig_conn *c, const char *from, json_t *data)
{
    tw_conn *tw = tw_of(c);
    const char *session = json_string_value(json_object_get(data, "session"));
    const char *identity = json_string_value(json_object_get(data, "identity"));
    int thread = (int)json_integer_value(json_object_get(data, "thread"));
    if (strlen(from) != RG_SID_LEN || thread < 0 || thread >= 256) return;
    if (!tw->detached || session == NULL || identity == NULL ||
        !rg_str_equal_ct(session, tw->session) || strcmp(identity, c->p.identity) != 0 ||
        hand_over(c, thread, from) != 0)
        post_to(c, thread, from, json_pack("{s:s}", "tw", "refused"), 0);
}

int tw_on_session_message(sig_conn *c, const char *from, const char *what, json_t *data)
{
    if (strcmp(what, "resume") == 0)
        on_resume(c, from, data);
    else if (strcmp(what, "resumed") == 0)
        on_resumed(c, data);
    else if (strcmp(what, "refused") == 0)
        tw_resume_refused(c);
    else
        return 0;
    return 1;
}

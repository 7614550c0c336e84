/* signal/twilio_room.c - a Twilio connection's view of its room
 * (signal/twilio.h): the hub's events in Twilio's words (tw_proto), the
 * other participants' tracks, and which peer connection joins it to whom.
 *
 * Peer connections (one per pair of participants, as twilio-video.js
 * expects in a peer-to-peer room): only the newcomer starts them, so
 * exactly one end offers for each pair.  Its connect carried a first
 * offer: that offer goes to the first participant already in the room
 * (whose SDK makes a new RTCPeerConnection for an id it has not seen and
 * answers), and for each other one the newcomer is asked to offer on a new
 * id (`create-offer`).  A participant alone in its room keeps its first
 * offer unpaired; the first newcomer's offer replaces it (it is closed).
 * Descriptions and candidates are then relayed, unchanged, to the other
 * end of their id.
 *
 * Across nodes (--redis) a newcomer's node may hear of the room's
 * members on other nodes only after the newcomer entered, and theirs of
 * it only after they did: nobody's `connected` knew the other.  So each
 * connection that hears of a member elsewhere (RG_HUB_JOINED_ELSEWHERE)
 * sends it its state, asking for the other's, with "paired": whether it
 * has a peer connection with it.  A pair that neither has paired gets one
 * peer connection, asked of the end with the smaller sid (create-offer):
 * one end, whatever order the states cross in.  An end that paired in its
 * `connected` (it knew the other) says so in every such state, so the
 * other never offers too.
 *
 * Revisions: a participant's state (tracks, connected/disconnected) has
 * one revision, raised by its own connection at each change; `published`
 * and `subscribed` have one per recipient, raised at each message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/track.h"
#include "signal/twilio.h"
#include "crypto/random.h"

static void send_update(sig_conn *c, json_t *update)
{
    if (update == NULL) return;
    json_object_set_new(update, "type", json_string("update"));
    tw_send_body(c, update);
}

/* A fresh id for a peer connection or a session: 32 hex digits. */
static int fresh_id(char out[RG_SID_SIZE], const char prefix[2])
{
    uint8_t rnd[16];
    if (rg_random(rnd, sizeof rnd) != RG_OK) return -1;
    rg_sid_format(out, prefix, rnd);
    return 0;
}

json_t *tw_state(sig_conn *c, int want)
{
    tw_conn *tw = tw_of(c);
    json_t *v = json_pack("{s:s, s:s, s:s, s:I, s:O}", "tw", "state", "identity", c->p.identity,
                          "state", tw->detached ? "reconnecting" : "connected", "revision",
                          (json_int_t)tw->rev, "tracks", tw->mine);
    if (v && want) json_object_set_new(v, "want", json_true());
    return v;
}

/* 1 when one of my peer connections pairs me with sid. */
static int paired_with(const tw_conn *tw, const char *sid)
{
    const char *key;
    const json_t *to;
    json_object_foreach(tw->pcs, key, to) if (strcmp(json_string_value(to), sid) == 0) return 1;
    return 0;
}

/* My state for sid alone, saying whether I am paired with it. */
static json_t *state_to(sig_conn *c, const char *sid, int want)
{
    json_t *v = tw_state(c, want);
    if (v) json_object_set_new(v, "paired", json_boolean(paired_with(tw_of(c), sid)));
    return v;
}

static json_t *pc_message(const json_t *pc)
{
    return json_pack("{s:s, s:O}", "tw", "pc", "pc", pc);
}

static json_t *close_pc(const char *id)
{
    return json_pack("{s:s, s:{s:s, s:i}}", "id", id, "description", "type", "close", "revision",
                     0x7fffffff);
}

/* ---- joined: `connected`, then the pairs -------------------------------- */

/* The newcomer's peer connections with those already in the room. */
static void pair_with(sig_conn *c, json_t *participants)
{
    tw_conn *tw = tw_of(c);
    json_t *p, *pc, *asks = json_array();
    size_t i, j;
    int offered = 0; /* the first offer went to someone */
    json_array_foreach(participants, i, p)
    {
        const char *sid = json_string_value(json_object_get(p, "sid"));
        if (sid == NULL || strcmp(sid, c->p.sid) == 0) continue;
        if (!offered && json_array_size(tw->initial) > 0) {
            offered = 1;
            json_array_foreach(tw->initial, j, pc)
            {
                json_object_set_new(tw->pcs, json_string_value(json_object_get(pc, "id")),
                                    json_string(sid));
                tw_queue(c, sid, pc_message(pc));
            }
            continue;
        }
        char id[RG_SID_SIZE];
        if (fresh_id(id, "PC") != 0) continue;
        json_object_set_new(tw->pcs, id, json_string(sid));
        json_array_append_new(asks, json_pack("{s:s, s:{s:s, s:i}}", "id", id, "description",
                                              "type", "create-offer", "revision", 1));
    }
    if (json_array_size(participants) == 0)
        json_array_foreach(tw->initial, j, pc) json_object_set_new(
            tw->pcs, json_string_value(json_object_get(pc, "id")), json_string(""));
    if (json_array_size(asks) > 0)
        send_update(c, json_pack("{s:o}", "peer_connections", asks));
    else
        json_decref(asks);
}

/* The seat is taken (room->lock held; room->members: the others). */
/* The status callback events of what changed from prev to next, recorded
 * before the others hear of it (the hooks write them in the store).  Each
 * event is a durable row and a request to the account's receiver, so a
 * connection has a budget of them (TW_TRACK_EVENTS_*): -1, nothing
 * recorded, when the change does not fit (docs/security.md, "Red-team
 * pass"). */
static int record_tracks(sig_conn *c, const json_t *prev, const json_t *next)
{
    rg_track_event ev[2 * RG_TW_MAX_TRACKS];
    rg_hub_peer *p = &c->p;
    size_t n = rg_tw_track_changes(prev, next, ev);
    int64_t now_ms = (int64_t)h2o_now(p->t->ctx->loop);
    for (size_t i = 0; i < n; i++)
        if (!rg_bucket_take(&tw_of(c)->track_budget, now_ms)) return -1;
    if (n > 0 && p->t->hub->hooks.tracks)
        p->t->hub->hooks.tracks(p->t->w, p->sid, ev, n, rg_hub_now(p->t));
    return 0;
}

static void on_joined(sig_conn *c, const rg_hub_room *room)
{
    tw_conn *tw = tw_of(c);
    json_t *others = json_array();
    for (const rg_hub_member *m = room->members; m && others; m = m->next)
        if (m->lobby == 0) json_array_append_new(others, json_pack("{s:s}", "sid", m->sid));
    if (others == NULL || fresh_id(tw->session, "SE") != 0) {
        json_decref(others);
        tw_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    tw->joined = 1;
    /* those of connect, added now it is seated: at most RG_TW_MAX_TRACKS,
     * within a fresh budget */
    (void)record_tracks(c, NULL, tw->mine);
    tw->rev = 1;
    tw->published_rev = 1;
    tw_send_body(c, json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:[], s:[], s:o, s:{s:i}}",
                              "type", "connected", "session", tw->session, "sid", room->sid, "name",
                              room->name, "participant", "sid", c->p.sid, "identity", c->p.identity,
                              "participants", "peer_connections", "published",
                              rg_tw_published(tw->mine, tw->published_rev), "options",
                              "session_timeout", TW_SESSION_TIMEOUT));
    pair_with(c, others);
    json_decref(others);
    json_decref(tw->initial);
    tw->initial = NULL;
    tw_queue(c, "*", tw_state(c, 1));
}

/* ---- the others ---------------------------------------------------------- */

/* What the client hears of peer sid: its state and every subscription. */
static void tell_peer(sig_conn *c, const char *sid, const json_t *peer, const json_t *pcs)
{
    tw_conn *tw = tw_of(c);
    char *s = tw_update_text(tw->peers, sid, peer, ++tw->subscribed_rev, pcs);
    if (s != NULL) rg_sig_send(c, s, strlen(s));
    free(s);
}

/* A peer elsewhere that has no peer connection with me and says it has
 * none with me either: the end with the smaller sid asks its client for
 * an offer on a new id (my unpaired first offer, useless now, closed). */
static void pair_late(sig_conn *c, const char *from, int peer_paired)
{
    tw_conn *tw = tw_of(c);
    json_t *pcs, *to;
    const char *key;
    void *tmp;
    char id[RG_SID_SIZE];
    /* at most one per peer (paired_with), so the room's size bounds them */
    if (peer_paired || strcmp(c->p.sid, from) >= 0 || paired_with(tw, from) ||
        fresh_id(id, "PC") != 0 || (pcs = json_array()) == NULL)
        return;
    json_object_foreach_safe(tw->pcs, tmp, key, to)
    {
        if (json_string_length(to) != 0) continue;
        json_array_append_new(pcs, close_pc(key));
        json_object_del(tw->pcs, key);
    }
    json_object_set_new(tw->pcs, id, json_string(from));
    json_array_append_new(pcs, json_pack("{s:s, s:{s:s, s:i}}", "id", id, "description", "type",
                                         "create-offer", "revision", 1));
    send_update(c, json_pack("{s:o}", "peer_connections", pcs));
}

static void on_state(sig_conn *c, const char *from, json_t *data)
{
    tw_conn *tw = tw_of(c);
    json_t *old = json_object_get(tw->peers, from);
    json_t *rev = json_object_get(data, "revision"), *tracks = json_object_get(data, "tracks");
    json_t *paired = json_object_get(data, "paired");
    if (!json_is_integer(rev) || !json_is_array(tracks) ||
        !json_is_string(json_object_get(data, "identity")))
        return;
    if (json_is_boolean(paired)) { /* a peer elsewhere */
        pair_late(c, from, json_is_true(paired));
        if (json_is_true(json_object_get(data, "want"))) tw_queue(c, from, state_to(c, from, 0));
        json_object_del(data, "want"); /* answered */
    }
    if (old && tw_peer_rev(old) >= json_integer_value(rev))
        return; /* an older state overtaken by a newer one */
    const char *state = json_string_value(json_object_get(data, "state"));
    json_t *peer = tw_peer_new(json_string_value(json_object_get(data, "identity")),
                               state && strcmp(state, "reconnecting") == 0 ? state : "connected",
                               json_integer_value(rev), tracks);
    if (peer == NULL || json_object_set_new(tw->peers, from, peer) != 0) return;
    tell_peer(c, from, peer, NULL);
    if (json_is_true(json_object_get(data, "want"))) tw_queue(c, from, tw_state(c, 0));
}

/* A peer connection id from a peer: the first time, it pairs us (and my
 * unpaired first offer, now useless, is closed). */
static void on_pc(sig_conn *c, const char *from, json_t *data)
{
    tw_conn *tw = tw_of(c);
    json_t *pc = json_object_get(data, "pc"), *closes = json_array(), *mapped;
    const char *id = json_string_value(json_object_get(pc, "id")), *key;
    void *tmp;
    if (id == NULL || strlen(id) > RG_TW_ID_MAX) {
        json_decref(closes);
        return;
    }
    mapped = json_object_get(tw->pcs, id);
    if (mapped && strcmp(json_string_value(mapped), from) != 0) {
        json_decref(closes); /* another pair's id: not this peer's to touch */
        return;
    }
    if (mapped == NULL) {
        json_object_foreach_safe(tw->pcs, tmp, key, mapped)
        {
            if (json_string_length(mapped) != 0) continue;
            json_array_append_new(closes, close_pc(key));
            json_object_del(tw->pcs, key);
        }
        json_object_set_new(tw->pcs, id, json_string(from));
    }
    json_array_append(closes, pc);
    send_update(c, json_pack("{s:o}", "peer_connections", closes));
}

static void on_left(sig_conn *c, const char *sid)
{
    tw_conn *tw = tw_of(c);
    json_t *peer = sid ? json_object_get(tw->peers, sid) : NULL, *pcs = json_array(), *to;
    const char *key;
    void *tmp;
    if (peer == NULL) {
        json_decref(pcs);
        return;
    }
    json_object_foreach_safe(tw->pcs, tmp, key, to)
    {
        if (strcmp(json_string_value(to), sid) != 0) continue;
        json_array_append_new(pcs, close_pc(key));
        json_object_del(tw->pcs, key);
    }
    json_incref(peer);
    json_object_del(tw->peers, sid);
    tw_peer_gone(peer);
    tell_peer(c, sid, peer, pcs);
    json_decref(peer);
    json_decref(pcs);
}

static void on_signal(sig_conn *c, json_t *v)
{
    const char *from = json_string_value(json_object_get(v, "from"));
    json_t *data = json_object_get(v, "data");
    const char *what = json_string_value(json_object_get(data, "tw"));
    if (from == NULL || what == NULL || tw_on_session_message(c, from, what, data)) return;
    if (!tw_of(c)->joined) return;
    if (strcmp(what, "state") == 0)
        on_state(c, from, data);
    else if (strcmp(what, "pc") == 0)
        on_pc(c, from, data);
}

static void on_relay(sig_conn *c, const char *text, size_t len)
{
    json_t *v = json_loadb(text, len, 0, NULL);
    if (v != NULL) on_signal(c, v);
    json_decref(v);
}

static void deliver(rg_hub_peer *p, const rg_hub_event *ev)
{
    sig_conn *c = (sig_conn *)p;
    if (c->closing) return;
    switch (ev->kind) {
    case RG_HUB_LEFT:
        on_left(c, ev->sid);
        break;
    case RG_HUB_RELAY:
        on_relay(c, ev->text, ev->len);
        break;
    case RG_HUB_CLOSE: /* already out of the room: never said connected again */
        tw_of(c)->removed = 1;
        if (tw_of(c)->detached || c->ws == NULL)
            rg_sig_reap(c); /* kicked or replaced while waiting for its sync: nobody to tell */
        else
            p->proto->fail(p, ev->code, ev->text);
        break;
    case RG_HUB_WAITING:
        rg_sig_wait(c);
        break;
    case RG_HUB_ADMIT:
        rg_sig_admitted(c, ev->code);
        break;
    case RG_HUB_JOINED: /* a local newcomer announces itself with its state */
        if (ev->code == RG_HUB_JOINED_ELSEWHERE && tw_of(c)->joined && ev->sid != NULL)
            tw_queue(c, ev->sid, state_to(c, ev->sid, 1));
        break;
    default:
        /* the rest (the lobby's requests) has no Twilio counterpart */
        break;
    }
}

static void entered(rg_hub_peer *p, rg_hub_room *room)
{
    on_joined((sig_conn *)p, room);
}

static void fail(rg_hub_peer *p, int code, const char *message)
{
    sig_conn *c = (sig_conn *)p;
    tw_send_body(c, rg_tw_error(code, message));
    rg_sig_close(c, rg_sig_close_status(code));
}

/* Twilio's SDK has no drain hint: it hears the close and reconnects. */
static void drain_hint(rg_hub_peer *p, int close_in_ms)
{
    (void)p;
    (void)close_in_ms;
}

static void shut(rg_hub_peer *p)
{
    sig_conn *c = (sig_conn *)p;
    if (c->closing || c->dead) return;
    tw_send_body(c, rg_tw_error(RG_SIG_E_SERVER, "The server is shutting down"));
    rg_sig_close(c, RG_WS_CLOSE_GOING_AWAY);
}

const rg_sig_proto tw_proto = {
    "twilio",
    deliver,
    entered,
    fail,
    rg_sig_conn_is_open,
    drain_hint,
    shut,
    rg_sig_conn_destroy_peer,
};

/* ---- the client's update ------------------------------------------------- */

int tw_take_tracks(sig_conn *c, json_t *tracks, long long revision)
{
    tw_conn *tw = tw_of(c);
    uint8_t rnd[RG_TW_MAX_TRACKS * 16];
    json_t *mine;
    if (revision <= tw->client_rev) return 0;
    if (rg_random(rnd, sizeof rnd) != RG_OK ||
        (mine = rg_tw_assign_sids(tracks, tw->mine, rnd)) == NULL)
        return 0;
    /* the same tracks again: the others have heard them already (an
     * update without a change must not make every member receive its
     * whole state, docs/security.md) */
    if (json_equal(mine, tw->mine)) {
        json_decref(mine);
        tw->client_rev = revision;
        return 2;
    }
    if (record_tracks(c, tw->mine, mine) != 0) {
        json_decref(mine);
        tw_fail(c, RG_SIG_E_RATE, "Too many track changes per second");
        return -1;
    }
    json_decref(tw->mine);
    tw->mine = mine;
    tw->client_rev = revision;
    tw->rev++;
    return 1;
}

/* -1 after failing c: more track changes than its budget allows. */
static int on_tracks(sig_conn *c, const rg_tw_msg *m)
{
    tw_conn *tw = tw_of(c);
    int rc = tw_take_tracks(c, m->tracks, m->revision);
    if (rc <= 0) return rc;
    /* the client still hears its revision taken */
    send_update(c, json_pack("{s:o}", "published", rg_tw_published(tw->mine, ++tw->published_rev)));
    if (rc == 1) tw_queue(c, "*", tw_state(c, 0));
    return 0;
}

void tw_on_update(sig_conn *c, const rg_tw_msg *m)
{
    tw_conn *tw = tw_of(c);
    json_t *pc;
    size_t i;
    if (m->tracks && on_tracks(c, m) != 0) return;
    json_array_foreach(m->peer_connections, i, pc)
    {
        const char *id = json_string_value(json_object_get(pc, "id"));
        const char *to = json_string_value(json_object_get(tw->pcs, id));
        /* a first offer, unpaired; a client alone cannot grow the list
         * past what any real one has (the SDK makes one) */
        if (to == NULL && json_object_size(tw->peers) == 0 &&
            json_object_size(tw->pcs) < RG_TW_MAX_PCS)
            json_object_set_new(tw->pcs, id, json_string(""));
        else if (to != NULL && to[0] != '\0')
            tw_queue(c, to, pc_message(pc));
    }
}

/* ---- posting what was queued --------------------------------------------- */

static char *relay_body(sig_conn *c, json_t *data)
{
    return rg_sig_dump(
        json_pack("{s:s, s:s, s:O}", "type", "signal", "from", c->p.sid, "data", data));
}

/* What REST shows of my tracks (rg_signal_tracks): every state change
 * goes through a flush, so the member's copy is set here, under the lock. */
static void publish_tracks(sig_conn *c, rg_hub_member *m)
{
    json_t *list = json_array(), *t;
    size_t i;
    if (list == NULL) {
        json_decref(list);
        return;
    }
    json_array_foreach(tw_of(c)->mine, i, t) json_array_append_new(
        list, json_pack("{s:O, s:O, s:O, s:O}", "sid", json_object_get(t, "sid"), "name",
                        json_object_get(t, "name"), "kind", json_object_get(t, "kind"), "enabled",
                        json_object_get(t, "enabled")));
    char *s = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (s == NULL) return;
    free(m->tracks);
    m->tracks = s;
}

void tw_flush(h2o_timeout_entry_t *e)
{
    tw_conn *tw = H2O_STRUCT_FROM_MEMBER(tw_conn, flush_entry, e);
    sig_conn *c = tw->conn;
    json_t *out = tw->outbox, *item;
    size_t i;
    tw->outbox = NULL;
    rg_hub_room *room = c->p.room;
    rg_hub_member *me;
    if (out == NULL || room == NULL || c->p.state != RG_SIGST_JOINED || tw->removed) {
        json_decref(out);
        return;
    }
    pthread_mutex_lock(&room->lock);
    /* taken out of the room (a kick, a replacement, its end) after this
     * was queued: the others heard it left, and nothing may say otherwise */
    if ((me = rg_hub_member_find(room, c->p.sid)) == NULL || me->lobby != 0) {
        pthread_mutex_unlock(&room->lock);
        json_decref(out);
        return;
    }
    publish_tracks(c, me);
    json_array_foreach(out, i, item)
    {
        const char *to = json_string_value(json_object_get(item, "to"));
        char *body = relay_body(c, json_object_get(item, "data"));
        rg_hub_member *m;
        if (body == NULL) continue;
        rg_hub_event ev = {RG_HUB_RELAY, 0, c->p.sid, c->p.identity, body, strlen(body)};
        if (strcmp(to, "*") == 0)
            rg_hub_broadcast(c->p.t->hub, room, c->p.sid, &ev);
        else if ((m = rg_hub_member_find(room, to)) != NULL && m->lobby == 0)
            rg_hub_post(c->p.t->hub, m, &ev);
        free(body);
    }
    pthread_mutex_unlock(&room->lock);
    json_decref(out);
}

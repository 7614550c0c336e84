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

/* A fresh id for a peer connection: 32 hex digits. */
static int fresh_id(char out[RG_SID_SIZE], const char prefix[2])
{
    uint8_t rnd[16];
    if (tw_random(rnd, sizeof rnd) != RG_OK) return -1;
    rg_sid_format(out, prefix, rnd);
    return 0;
}

/* 1 when one of my peer connections pairs me with sid. */
static int paired_with(const tw_conn *tw, const char *sid)
{
    const char *key;
    const json_t *to;
    json_object_foreach(tw->pcs, key, to) if (strcmp(json_string_value(to), sid) == 0) return 1;
    return 0;
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

/* Asking the client for an offer on each new id (create-offer): the ids
 * are hex, so the text is written as it is. */
#define ASK_FMT "%s{\"id\":\"%s\",\"description\":{\"type\":\"create-offer\",\"revision\":1}}"
#define ASK_MAX (sizeof ASK_FMT + RG_SID_SIZE)

/* The newcomer's peer connections with those already in the room
 * (room->lock held): its first offer is relayed to one, and the asks for
 * the others are returned, the text of `connected`'s peer_connections
 * array (the SDK takes them there as in an update: one frame less), or
 * NULL when none (or out of memory: "[]", and they get no call). */
static char *pair_with(sig_conn *c, const rg_hub_room *room)
{
    tw_conn *tw = tw_of(c);
    json_t *pc;
    size_t j, n = 0, len = 0;
    char *asks = NULL;
    int offered = 0, others = 0; /* the first offer went to someone */
    for (const rg_hub_member *m = room->members; m; m = m->next)
        n++;
    for (const rg_hub_member *m = room->members; m; m = m->next) {
        const char *sid = m->sid;
        if (m->lobby != 0 || strcmp(sid, c->p.sid) == 0) continue;
        others = 1;
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
        if (asks == NULL && (asks = malloc(n * ASK_MAX + 8)) != NULL)
            len = (size_t)sprintf(asks, "[");
        if (asks == NULL || fresh_id(id, "PC") != 0) continue;
        json_object_set_new(tw->pcs, id, json_string(sid));
        len += (size_t)sprintf(asks + len, ASK_FMT, len > 1 ? "," : "", id);
    }
    if (!others)
        json_array_foreach(tw->initial, j, pc) json_object_set_new(
            tw->pcs, json_string_value(json_object_get(pc, "id")), json_string(""));
    if (asks != NULL && len > 1) {
        memcpy(asks + len, "]", 2);
        return asks;
    }
    free(asks);
    return NULL;
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
    if (n > 0) rg_hub_tracks(p, ev, n);
    return 0;
}

/* The others already in the room (room->lock held): each whose record is
 * here (its latest state, hub member's `state`) is my peer at once, told
 * in `connected` as Twilio's server does, so nobody has to answer me.  1
 * when some could not be known so (a member of another node, or one whose
 * first state is not posted yet): their states are asked for. */
static int know_members(sig_conn *c, const rg_hub_room *room)
{
    tw_conn *tw = tw_of(c);
    int ask = 0, want;
    for (const rg_hub_member *m = room->members; m; m = m->next) {
        if (m->lobby != 0 || strcmp(m->sid, c->p.sid) == 0) continue;
        json_t *peer = m->state ? tw_state_parse(m->state, strlen(m->state), &want, NULL) : NULL;
        if (peer == NULL || json_object_set_new(tw->peers, m->sid, peer) != 0) ask = 1;
    }
    return ask;
}

static void on_joined(sig_conn *c, const rg_hub_room *room)
{
    tw_conn *tw = tw_of(c);
    int ask = know_members(c, room);
    tw->rev = 1;
    tw->published_rev = 1;
    /* `subscribed` only with someone to subscribe to (it is revision 1 then) */
    long long sub_rev = json_object_size(tw->peers) > 0 ? ++tw->subscribed_rev : 0;
    char *asks = pair_with(c, room);
    char *s = tw_connected_text(c, room->sid, room->name, sub_rev, tw->published_rev, asks);
    free(asks);
    if (s == NULL) {
        tw_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    tw->joined = 1;
    /* those of connect, added now it is seated: at most RG_TW_MAX_TRACKS,
     * within a fresh budget */
    (void)record_tracks(c, NULL, tw->mine);
    rg_sig_send(c, s, strlen(s));
    free(s);
    json_decref(tw->initial);
    tw->initial = NULL;
    tw_queue_state(c, "*", ask, -1);
}

/* ---- the others ---------------------------------------------------------- */

/* What the client hears of peer sid: its state, and every subscription
 * when they changed (subs; the SDK takes `subscribed` only when present,
 * and a list of every track in the room for each state of each peer
 * would make a join into a room of n cost O(n^2)). */
static void tell_peer(sig_conn *c, const char *sid, const json_t *peer, const json_t *pcs, int subs)
{
    tw_conn *tw = tw_of(c);
    char *s = tw_update_text(tw->peers, sid, peer, subs ? ++tw->subscribed_rev : 0, pcs);
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

/* A peer's state relay (signal/twilio_peers.c). */
static void on_state(sig_conn *c, const char *from, const char *text, size_t len)
{
    tw_conn *tw = tw_of(c);
    int want = 0, paired = -1;
    json_t *peer = tw_state_parse(text, len, &want, &paired),
           *old = json_object_get(tw->peers, from);
    if (peer == NULL) return;
    if (paired >= 0) pair_late(c, from, paired); /* a peer elsewhere */
    /* asked: told, whatever this says (a peer elsewhere: whether paired) */
    if (want) tw_queue_state(c, from, 0, paired >= 0 ? paired_with(tw, from) : -1);
    if (old && tw_peer_rev(old) >= tw_peer_rev(peer)) {
        json_decref(peer); /* an older state overtaken by a newer one */
        return;
    }
    int subs = strcmp(old ? tw_peer_subs(old) : "", tw_peer_subs(peer)) != 0;
    if (json_object_set_new(tw->peers, from, peer) != 0) return;
    tell_peer(c, from, peer, NULL, subs);
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
    int subs = tw_peer_subs(peer)[0] != '\0';
    tw_peer_gone(peer);
    tell_peer(c, sid, peer, pcs, subs);
    json_decref(peer);
    json_decref(pcs);
}

static void on_signal(sig_conn *c, json_t *v)
{
    const char *from = json_string_value(json_object_get(v, "from"));
    json_t *data = json_object_get(v, "data");
    const char *what = json_string_value(json_object_get(data, "tw"));
    if (from == NULL || what == NULL || tw_on_session_message(c, from, what, data)) return;
    if (!c->closing && tw_of(c)->joined && strcmp(what, "pc") == 0) on_pc(c, from, data);
}

static void on_relay(sig_conn *c, const rg_hub_event *ev)
{
    static const size_t pre = sizeof TW_STATE_PREFIX - 1;
    if (ev->len >= pre && memcmp(ev->text, TW_STATE_PREFIX, pre) == 0) {
        if (!c->closing && tw_of(c)->joined && ev->sid != NULL)
            on_state(c, ev->sid, ev->text, ev->len);
        return;
    }
    json_t *v = json_loadb(ev->text, ev->len, 0, NULL);
    if (v != NULL) on_signal(c, v);
    json_decref(v);
}

static void deliver(rg_hub_peer *p, const rg_hub_event *ev)
{
    sig_conn *c = (sig_conn *)p;
    /* a session's handover goes on while its socket closes: dropped, the
     * participant would be left with no connection, or a sync unanswered */
    if (c->closing && ev->kind != RG_HUB_RELAY && ev->kind != RG_HUB_UNDELIVERED) return;
    switch (ev->kind) {
    case RG_HUB_LEFT:
        on_left(c, ev->sid);
        break;
    case RG_HUB_RELAY:
        on_relay(c, ev);
        break;
    case RG_HUB_UNDELIVERED:
        tw_resume_refused(c);
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
            tw_queue_state(c, ev->sid, 1, paired_with(tw_of(c), ev->sid));
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
    if (tw_random(rnd, 16 * json_array_size(tracks)) != RG_OK ||
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
    tw_set_mine(c, mine);
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
    if (rc == 1) tw_queue_state(c, "*", 0, -1);
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

/* Sets text (taken; NULL: unchanged) as *slot, under the room's lock. */
static void set_text(char **slot, char *text)
{
    if (text == NULL) return;
    free(*slot);
    *slot = text;
}

/* Posts the outbox under the room's lock, with the member's copies the
 * others read: REST's tracks (rg_signal_tracks) when they changed, and
 * the record a newcomer reads (know_members) when a state went to all. */
void tw_flush(h2o_timeout_entry_t *e)
{
    tw_conn *tw = H2O_STRUCT_FROM_MEMBER(tw_conn, flush_entry, e);
    sig_conn *c = tw->conn;
    tw_out *out = tw->outbox;
    size_t n = tw->nout;
    int state = tw->state_queued;
    char *record = NULL, *rest = NULL;
    rg_hub_room *room = c->p.room;
    rg_hub_member *me;
    tw->outbox = NULL;
    tw->nout = tw->capout = 0;
    tw->state_queued = 0;
    if (n == 0 || room == NULL || c->p.state != RG_SIGST_JOINED || tw->removed) goto done;
    /* made before the lock: it is held by every member's flush */
    if (state && tw->me_tail != NULL)
        record = tw_state_text(tw->rev, tw->detached, 0, -1, tw->me_tail, NULL);
    if (tw->rest_dirty && tw->me_rest != NULL) rest = strdup(tw->me_rest);
    pthread_mutex_lock(&room->lock);
    /* taken out of the room (a kick, a replacement, its end) after this
     * was queued: the others heard it left, and nothing may say otherwise */
    if ((me = rg_hub_member_find(room, c->p.sid)) == NULL || me->lobby != 0) {
        pthread_mutex_unlock(&room->lock);
        goto done;
    }
    if (rest != NULL) tw->rest_dirty = 0;
    set_text(&me->tracks, rest);
    set_text(&me->state, record);
    rest = record = NULL;
    for (size_t i = 0; i < n; i++) {
        rg_hub_member *m;
        rg_hub_event ev = {RG_HUB_RELAY, 0, c->p.sid, c->p.identity, out[i].text, out[i].len};
        if (strcmp(out[i].to, "*") == 0)
            rg_hub_broadcast(c->p.t->hub, room, c->p.sid, &ev);
        else if ((m = rg_hub_member_find(room, out[i].to)) != NULL && m->lobby == 0)
            rg_hub_post(c->p.t->hub, m, &ev);
    }
    pthread_mutex_unlock(&room->lock);
done:
    free(record);
    free(rest);
    for (size_t i = 0; i < n; i++)
        free(out[i].text);
    free(out);
}

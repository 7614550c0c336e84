/* signal/hub_remote.c - rooms across nodes (--redis; issue 15): what the
 * hub tells other nodes through Redis (bus/bus.h) and what it does with
 * what they tell it.  The rules are in signal/hub.h ("between nodes").
 *
 * Channels (each prefixed by the bus with "roomgate:DB:"):
 *   room:RM...  one per room, subscribed while this node holds a member:
 *     {"t":"j","m":[{"s":PA,"i":identity,"p":protocol,"perms":n,"l":0|1}]}
 *                 members this node serves entered (l 0) or wait in the
 *                 lobby (l 1); also the answer to a hello
 *     {"t":"l","s":PA}            one of them is gone
 *     {"t":"e","to":PA,"k":kind,"c":code,"s":PA,"i":identity,"x":text}
 *                 an event for a member the receiving node serves
 *     {"t":"h","re":0|1}          a node (re)subscribed: who is here?
 *                 (re 1: after an outage, so everyone renegotiates)
 *     {"t":"s","s":PA,"i":identity,"x":decision,"w":PA or ""}
 *                 a guest the sending node serves is settled: the hosts
 *                 but w hear it (the guest's node decides: the first
 *                 answer it hears wins, "e" k ADMIT carrying the host)
 *   ctl         {"t":"rm","r":RM,"s":PA,"c":code,"m":text} a removal,
 *               {"t":"close","r":RM,"c":code,"m":text} a room closed,
 *               {"t":"rev","a":AC,"r":RM,"rn":name,"i":identity,"b":before}
 *               a revocation (the receivers' sets take it as is),
 *               {"t":"keys"} accounts or keys changed (reload the cache),
 *               all after the store's commit; a kick publishes its
 *               revocation first, so a node that hears of the removal
 *               already refuses the kicked token
 * Every message carries "n", the sending node's random id: a node skips
 * its own.
 *
 * Redis may lose any of these.  The store stays the truth: the change
 * watcher's listener (signal/sync.c) closes local connections whose rows
 * another node ended and drops remote members whose rows are no longer
 * connected; with --redis it also runs every few seconds
 * (signal/module.c), so a lost message is made good soon after. */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "core/errors.h"
#include "crypto/random.h"
#include "signal/hub.h"
#include "store/keycache.h"
#include "store/revcache.h"

typedef struct rg_hub_remote {
    rg_bus *bus;
    /* Held while a message from Redis is handled (one at a time; a post
     * to a loop that is gone is dropped by the hub: rg_signal_thread_dispose
     * leaves its state closed in hub->threads until rg_hub_free). */
    pthread_mutex_t lock;
    char node[17];
    atomic_int up;
} rg_hub_remote;

/* Remote members' protocols: the names the hub compares. */
static const rg_sig_proto shadows[] = {{.name = "roomgate"}, {.name = "twilio"}};

static const rg_sig_proto *shadow_named(const char *name)
{
    for (size_t i = 0; name && i < sizeof shadows / sizeof *shadows; i++)
        if (strcmp(shadows[i].name, name) == 0) return &shadows[i];
    return NULL;
}

#define ROOM_CHANNEL(buf, sid) snprintf(buf, sizeof buf, "room:%s", sid)

/* Publishes msg (consumed) with this node's id. */
static void publish(rg_hub_remote *r, const char *channel, json_t *msg)
{
    char *s;
    if (msg == NULL) return;
    json_object_set_new(msg, "n", json_string(r->node));
    if ((s = json_dumps(msg, JSON_COMPACT)) != NULL) rg_bus_publish(r->bus, channel, s, strlen(s));
    free(s);
    json_decref(msg);
}

static json_t *member_json(const rg_hub_member *m)
{
    return json_pack("{s:s, s:s, s:s, s:i, s:i}", "s", m->sid, "i", m->identity, "p",
                     m->proto->name, "perms", (int)m->perms, "l", m->lobby != 0);
}

/* Publishes the room's members this node serves ("j"); room->lock held. */
static void publish_roster(rg_hub_remote *r, const rg_hub_room *room)
{
    char ch[64];
    json_t *list = json_array();
    for (const rg_hub_member *m = room->members; m && list; m = m->next)
        if (m->thread != RG_HUB_REMOTE && m->lobby != RG_HUB_SEATING)
            json_array_append_new(list, member_json(m));
    if (list == NULL || json_array_size(list) == 0) {
        json_decref(list);
        return;
    }
    ROOM_CHANNEL(ch, room->sid);
    publish(r, ch, json_pack("{s:s, s:o}", "t", "j", "m", list));
}

/* After lost messages: the local participants renegotiate with the
 * others (only when there are others elsewhere); room->lock held. */
static void resync(rg_sig_hub *hub, rg_hub_room *room)
{
    rg_hub_event ev = {RG_HUB_RESYNC, 0, NULL, NULL, NULL, 0};
    int remote = 0;
    for (rg_hub_member *m = room->members; m; m = m->next)
        remote |= m->thread == RG_HUB_REMOTE && m->lobby == 0;
    if (!remote) return;
    for (rg_hub_member *m = room->members; m; m = m->next)
        if (m->thread != RG_HUB_REMOTE && m->lobby == 0) rg_hub_post(hub, m, &ev);
}

/* ---- what this node tells ------------------------------------------------ */

static void fan_room(rg_sig_hub *hub, const char *room_sid, int live)
{
    char ch[64];
    if (hub->remote == NULL) return;
    ROOM_CHANNEL(ch, room_sid);
    if (live)
        rg_bus_subscribe(hub->remote->bus, ch);
    else
        rg_bus_unsubscribe(hub->remote->bus, ch);
}

static void fan_announce(rg_sig_hub *hub, const rg_hub_member *m)
{
    char ch[64];
    json_t *list;
    if (hub->remote == NULL || !rg_bus_up(hub->remote->bus)) return;
    if ((list = json_array()) == NULL) return;
    json_array_append_new(list, member_json(m));
    ROOM_CHANNEL(ch, m->room_sid);
    publish(hub->remote, ch, json_pack("{s:s, s:o}", "t", "j", "m", list));
}

static void fan_gone(rg_sig_hub *hub, const rg_hub_member *m)
{
    char ch[64];
    if (hub->remote == NULL || m->thread == RG_HUB_REMOTE || !rg_bus_up(hub->remote->bus)) return;
    ROOM_CHANNEL(ch, m->room_sid);
    publish(hub->remote, ch, json_pack("{s:s, s:s}", "t", "l", "s", m->sid));
}

static void fan_post(rg_sig_hub *hub, const rg_hub_member *to, const rg_hub_event *ev)
{
    char ch[64];
    json_t *msg;
    if (hub->remote == NULL || !rg_bus_up(hub->remote->bus)) return;
    if (ev->kind != RG_HUB_CLOSE && ev->kind != RG_HUB_ADMIT && ev->kind != RG_HUB_RELAY)
        return; /* room-wide news: the member's node hears the announcement */
    msg = json_pack("{s:s, s:s, s:i, s:i}", "t", "e", "to", to->sid, "k", (int)ev->kind, "c",
                    ev->code);
    if (msg == NULL) return;
    if (ev->sid) json_object_set_new(msg, "s", json_string(ev->sid));
    if (ev->identity) json_object_set_new(msg, "i", json_string(ev->identity));
    if (ev->text)
        json_object_set_new(msg, "x",
                            ev->kind == RG_HUB_RELAY ? json_stringn(ev->text, ev->len)
                                                     : json_string(ev->text));
    ROOM_CHANNEL(ch, to->room_sid);
    publish(hub->remote, ch, msg);
}

static void fan_removed(rg_sig_hub *hub, const char *room_sid, const char *participant_sid,
                        int code, const char *message)
{
    if (hub->remote == NULL || !rg_bus_up(hub->remote->bus)) return;
    publish(hub->remote, "ctl",
            json_pack("{s:s, s:s, s:s, s:i, s:s}", "t", "rm", "r", room_sid, "s", participant_sid,
                      "c", code, "m", message ? message : ""));
}

static void fan_closed(rg_sig_hub *hub, const char *room_sid, int code, const char *message)
{
    if (hub->remote == NULL || !rg_bus_up(hub->remote->bus)) return;
    publish(hub->remote, "ctl",
            json_pack("{s:s, s:s, s:i, s:s}", "t", "close", "r", room_sid, "c", code, "m",
                      message ? message : ""));
}

static void fan_revoked(rg_sig_hub *hub, const rg_revocation *v)
{
    if (hub->remote == NULL || !rg_bus_up(hub->remote->bus)) return;
    publish(hub->remote, "ctl",
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "t", "rev", "a", v->account_sid, "r",
                      v->room_sid, "rn", v->room_name, "i", v->identity, "b",
                      (json_int_t)v->before));
}

static void fan_settled(rg_sig_hub *hub, const rg_hub_member *guest, const char *decision,
                        const char *except)
{
    char ch[64];
    if (hub->remote == NULL || guest->thread == RG_HUB_REMOTE || !rg_bus_up(hub->remote->bus))
        return;
    ROOM_CHANNEL(ch, guest->room_sid);
    publish(hub->remote, ch,
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "t", "s", "s", guest->sid, "i", guest->identity,
                      "x", decision, "w", except ? except : ""));
}

static void fan_keys(rg_sig_hub *hub, int unused)
{
    (void)unused;
    if (hub->remote == NULL || !rg_bus_up(hub->remote->bus)) return;
    publish(hub->remote, "ctl", json_pack("{s:s}", "t", "keys"));
}

/* ---- what other nodes tell (the bus thread) -------------------------------- */

static const char *str(const json_t *v, const char *key)
{
    return json_string_value(json_object_get(v, key));
}

static int sid_ok(const char *s)
{
    return s != NULL && strlen(s) < RG_SID_SIZE && s[0] != '\0';
}

/* A member another node serves, new to this one: linked, and announced
 * to the local participants (or, waiting, to the local hosts). */
static void learn(rg_sig_hub *hub, rg_hub_room *room, const char *sid, const char *identity,
                  const rg_sig_proto *proto, unsigned perms, int lobby)
{
    rg_hub_member *m = calloc(1, sizeof *m);
    if (m == NULL || (m->identity = strdup(identity)) == NULL) {
        free(m);
        return;
    }
    memcpy(m->sid, sid, strlen(sid) + 1);
    m->proto = proto;
    m->room_sid = room->sid;
    m->thread = RG_HUB_REMOTE;
    m->perms = perms;
    m->lobby = lobby;
    m->next = room->members;
    room->members = m;
    if (!lobby) {
        rg_hub_event joined = {
            RG_HUB_JOINED, RG_HUB_JOINED_ELSEWHERE, m->sid, m->identity, NULL, 0};
        rg_hub_broadcast(hub, room, m->sid, &joined);
    } else {
        rg_hub_event ask = {RG_HUB_ENTRY_REQUESTED, 0, m->sid, m->identity, NULL, 0};
        for (rg_hub_member *h = room->members; h; h = h->next)
            if (h->lobby == 0 && (h->perms & RG_PERM_ALLOW_JOIN) && h->thread != RG_HUB_REMOTE)
                rg_hub_post(hub, h, &ask);
    }
}

/* A member another node serves entered, waits, or was already there. */
static void on_member(rg_sig_hub *hub, rg_hub_room *room, const json_t *item)
{
    const char *sid = str(item, "s"), *identity = str(item, "i");
    const rg_sig_proto *proto = shadow_named(str(item, "p"));
    int lobby = json_integer_value(json_object_get(item, "l")) != 0;
    unsigned perms = (unsigned)json_integer_value(json_object_get(item, "perms"));
    rg_hub_member *m;
    if (!sid_ok(sid) || identity == NULL || proto == NULL) return;
    if ((m = rg_hub_member_find(room, sid)) == NULL) {
        learn(hub, room, sid, identity, proto, perms, lobby);
        return;
    }
    if (m->thread != RG_HUB_REMOTE) return; /* ours */
    m->perms = perms;                       /* known from its relay (on_event) until now */
    if (m->lobby != 0 && !lobby) {
        rg_hub_event joined = {
            RG_HUB_JOINED, RG_HUB_JOINED_ELSEWHERE, m->sid, m->identity, NULL, 0};
        m->lobby = 0; /* an admitted guest */
        rg_hub_broadcast(hub, room, m->sid, &joined);
    }
}

static void on_gone(rg_sig_hub *hub, rg_hub_room *room, const char *sid)
{
    rg_hub_member *m = sid_ok(sid) ? rg_hub_member_find(room, sid) : NULL;
    if (m == NULL || m->thread != RG_HUB_REMOTE) return;
    m = rg_hub_member_take(room, sid);
    if (m->lobby == 0) {
        rg_hub_event left = {RG_HUB_LEFT, 0, m->sid, m->identity, NULL, 0};
        rg_hub_broadcast(hub, room, NULL, &left);
    }
    rg_hub_member_free(m);
}

/* A guest another node serves is settled: this node's hosts but the one
 * whose answer won hear it. */
static void on_settled(rg_sig_hub *hub, rg_hub_room *room, const json_t *v)
{
    const char *sid = str(v, "s"), *identity = str(v, "i"), *decision = str(v, "x");
    const char *winner = str(v, "w");
    rg_hub_event ev = {RG_HUB_ENTRY_SETTLED, 0, sid, identity, decision, 0};
    if (!sid_ok(sid) || identity == NULL || winner == NULL ||
        (strcmp(decision ? decision : "", "allowed") != 0 &&
         strcmp(decision ? decision : "", "denied") != 0 &&
         strcmp(decision ? decision : "", "left") != 0))
        return;
    for (rg_hub_member *h = room->members; h; h = h->next)
        if (h->lobby == 0 && (h->perms & RG_PERM_ALLOW_JOIN) && h->thread != RG_HUB_REMOTE &&
            strcmp(h->sid, winner) != 0)
            rg_hub_post(hub, h, &ev);
}

/* An event for a member this node serves. */
static void on_event(rg_sig_hub *hub, rg_hub_room *room, const json_t *v)
{
    const char *to = str(v, "to"), *text = str(v, "x");
    int kind = (int)json_integer_value(json_object_get(v, "k"));
    rg_hub_event ev = {(rg_hub_event_kind)kind,
                       (int)json_integer_value(json_object_get(v, "c")),
                       str(v, "s"),
                       str(v, "i"),
                       text,
                       text ? json_string_length(json_object_get(v, "x")) : 0};
    rg_hub_member *m = sid_ok(to) ? rg_hub_member_find(room, to) : NULL;
    const rg_sig_proto *proto;
    if (m == NULL || m->thread == RG_HUB_REMOTE) return;
    switch (kind) {
    case RG_HUB_CLOSE: /* replaced or removed on another node */
        rg_hub_evict(hub, room, rg_hub_member_take(room, to), ev.code,
                     text ? text : "Removed from the room");
        break;
    case RG_HUB_ADMIT:
        if (m->lobby != 1) break; /* the first answer wins: the host that sent it hears */
        m->lobby = 2;
        rg_hub_post(hub, m, &ev);
        rg_hub_tell_hosts(hub, room, m, ev.code ? "allowed" : "denied", ev.sid);
        break;
    case RG_HUB_RELAY:
        if (!sid_ok(ev.sid) || ev.identity == NULL || ev.text == NULL || m->lobby != 0) break;
        ev.code = 0; /* a bounce names a loop of the sender's node: never one of this */
        /* A relay can come before its sender's announcement: that was
         * published when this node was not yet subscribed, and the roster
         * answering this node's hello is published by the sender's node
         * after what its loops published first.  Only a member relays, and
         * its node says "l" after its last relay (one connection to Redis,
         * in order), so the sender is learnt here, a participant of the
         * target's protocol (a room has one), announced before its relay:
         * an answer to it is not dropped for want of its member. */
        if (rg_hub_member_find(room, ev.sid) == NULL && (proto = shadow_named(m->proto->name)))
            learn(hub, room, ev.sid, ev.identity, proto, 0, 0);
        rg_hub_post(hub, m, &ev);
        break;
    default:
        break;
    }
}

static void on_room(rg_sig_hub *hub, const char *room_sid, const json_t *v, const char *t)
{
    rg_hub_room *room = rg_hub_room_find(hub, room_sid);
    const json_t *item;
    size_t i;
    if (room == NULL) return; /* nobody of it here any more */
    pthread_mutex_lock(&room->lock);
    if (strcmp(t, "j") == 0) {
        json_array_foreach(json_object_get(v, "m"), i, item) on_member(hub, room, item);
    } else if (strcmp(t, "l") == 0) {
        on_gone(hub, room, str(v, "s"));
    } else if (strcmp(t, "e") == 0) {
        on_event(hub, room, v);
    } else if (strcmp(t, "s") == 0) {
        on_settled(hub, room, v);
    } else if (strcmp(t, "h") == 0) {
        publish_roster(hub->remote, room);
        if (json_integer_value(json_object_get(v, "re"))) resync(hub, room);
    }
    pthread_mutex_unlock(&room->lock);
    rg_hub_room_unref(hub, room);
}

/* Copies s into dst (size bytes): 0, or -1 when absent or too long. */
static int field(char *dst, size_t size, const char *s)
{
    if (s == NULL || strlen(s) >= size) return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

static void on_revoked(rg_sig_hub *hub, const json_t *v)
{
    rg_revocation rev;
    memset(&rev, 0, sizeof rev);
    if (hub->app->revocations == NULL ||
        field(rev.account_sid, sizeof rev.account_sid, str(v, "a")) ||
        field(rev.room_sid, sizeof rev.room_sid, str(v, "r")) ||
        field(rev.room_name, sizeof rev.room_name, str(v, "rn")) ||
        field(rev.identity, sizeof rev.identity, str(v, "i")) ||
        !json_is_integer(json_object_get(v, "b")))
        return;
    rev.before = (int64_t)json_integer_value(json_object_get(v, "b"));
    rg_revcache_add(hub->app->revocations, &rev);
}

static void on_control(rg_sig_hub *hub, const json_t *v, const char *t)
{
    const char *room = str(v, "r"), *sid = str(v, "s"), *text = str(v, "m");
    int code = (int)json_integer_value(json_object_get(v, "c"));
    if (strcmp(t, "rev") == 0) {
        on_revoked(hub, v);
        return;
    }
    if (strcmp(t, "keys") == 0) {
        if (hub->app->keys != NULL) rg_keycache_reload(hub->app->keys);
        return;
    }
    if (!sid_ok(room) || text == NULL) return;
    if (strcmp(t, "rm") == 0 && sid_ok(sid))
        rg_hub_remove(hub, room, sid, code, text);
    else if (strcmp(t, "close") == 0)
        rg_hub_close_room(hub, room, code, text);
}

static void on_message(void *ud, const char *channel, const char *data, size_t len)
{
    rg_sig_hub *hub = ud;
    rg_hub_remote *r = hub->remote;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    const char *node = str(v, "n"), *t = str(v, "t");
    if (v != NULL && node != NULL && t != NULL && strcmp(node, r->node) != 0) {
        pthread_mutex_lock(&r->lock);
        if (strcmp(channel, "ctl") == 0)
            on_control(hub, v, t);
        else if (strncmp(channel, "room:", 5) == 0)
            on_room(hub, channel + 5, v, t);
        pthread_mutex_unlock(&r->lock);
    }
    json_decref(v);
}

/* A room's channel is (again) subscribed: ask who is there; after an
 * outage also say who is here, and renegotiate. */
static void on_subscribed(void *ud, const char *channel, int again)
{
    rg_sig_hub *hub = ud;
    rg_hub_remote *r = hub->remote;
    rg_hub_room *room;
    if (strncmp(channel, "room:", 5) != 0) return;
    pthread_mutex_lock(&r->lock);
    if ((room = rg_hub_room_find(hub, channel + 5)) != NULL) {
        pthread_mutex_lock(&room->lock);
        publish(r, channel, json_pack("{s:s, s:i}", "t", "h", "re", again));
        if (again) {
            publish_roster(r, room);
            resync(hub, room);
        }
        pthread_mutex_unlock(&room->lock);
        rg_hub_room_unref(hub, room);
    }
    pthread_mutex_unlock(&r->lock);
}

static void on_state(void *ud, int up)
{
    rg_sig_hub *hub = ud;
    atomic_store(&hub->remote->up, up);
}

/* ---- start and stop ------------------------------------------------------- */

static const rg_hub_fanout fanout = {fan_room,   fan_announce, fan_gone, fan_post,   fan_removed,
                                     fan_closed, fan_revoked,  fan_keys, fan_settled};

int rg_hub_remote_start(rg_sig_hub *hub, const rg_redis_url *url)
{
    static const rg_bus_handler handler = {on_message, on_subscribed, on_state};
    static const char hex[] = "0123456789abcdef";
    unsigned char id[8];
    rg_hub_remote *r = calloc(1, sizeof *r);
    if (r == NULL || rg_random(id, sizeof id) != 0) {
        free(r);
        return RG_ENOMEM;
    }
    for (size_t i = 0; i < sizeof id; i++) {
        r->node[2 * i] = hex[id[i] >> 4];
        r->node[2 * i + 1] = hex[id[i] & 15];
    }
    pthread_mutex_init(&r->lock, NULL);
    hub->remote = r; /* before the thread: its handlers read it */
    if ((r->bus = rg_bus_start(url, &handler, hub)) == NULL) {
        hub->remote = NULL;
        pthread_mutex_destroy(&r->lock);
        free(r);
        return RG_ENOMEM;
    }
    rg_bus_subscribe(r->bus, "ctl");
    hub->fanout = &fanout;
    return RG_OK;
}

void rg_hub_remote_stop(rg_sig_hub *hub)
{
    rg_hub_remote *r = hub->remote;
    if (r == NULL) return;
    hub->fanout = NULL;
    rg_bus_stop(r->bus); /* joined: no handler runs after */
    hub->remote = NULL;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

int rg_hub_remote_ok(rg_sig_hub *hub)
{
    return hub == NULL || hub->remote == NULL || atomic_load(&hub->remote->up);
}

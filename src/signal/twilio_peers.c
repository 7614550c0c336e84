/* signal/twilio_peers.c - what a Twilio connection keeps of each other
 * participant (signal/twilio.h, tw->peers), compactly.
 *
 * Every connection of a room keeps every other participant's state (its
 * revision, state, identity and tracks), so a room of n costs n * (n - 1)
 * of them: kept as jansson objects (a hashtable per track) that was ~2.5 KB
 * per peer with two tracks, ~120 KB per connection in a room of fifty.
 * Each peer is instead one small array of the texts the client is sent:
 *   [revision, state, identity (JSON text), tracks (JSON text of
 *    [{sid,name,kind,enabled,priority}]), subscribed (its entries of
 *    `subscribed`, {"sid","id"},... without brackets)]
 * and the updates are written from those texts, without building a DOM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signal/twilio.h"

enum { P_REV, P_STATE, P_IDENTITY, P_TRACKS, P_SUBS };

static const char *text_at(const json_t *peer, size_t i)
{
    const char *s = json_string_value(json_array_get(peer, i));
    return s ? s : "";
}

static char *dump_inner(json_t *array) /* "a,b" of [a,b]; steals array */
{
    char *s = array ? json_dumps(array, JSON_COMPACT) : NULL;
    json_decref(array);
    if (s == NULL) return NULL;
    size_t n = strlen(s);
    memmove(s, s + 1, n - 2); /* drop the brackets */
    s[n - 2] = '\0';
    return s;
}

json_t *tw_peer_new(const char *identity, const char *state, long long rev, const json_t *tracks)
{
    json_t *shown = json_array(), *subs = json_array(), *t, *peer = NULL;
    json_t *id = json_string(identity);
    size_t i;
    json_array_foreach(tracks, i, t)
    {
        json_array_append_new(
            shown,
            json_pack("{s:O, s:O, s:O, s:O, s:O}", "sid", json_object_get(t, "sid"), "name",
                      json_object_get(t, "name"), "kind", json_object_get(t, "kind"), "enabled",
                      json_object_get(t, "enabled"), "priority", json_object_get(t, "priority")));
        json_array_append_new(subs, json_pack("{s:O, s:O}", "sid", json_object_get(t, "sid"), "id",
                                              json_object_get(t, "id")));
    }
    char *shown_s = shown ? json_dumps(shown, JSON_COMPACT) : NULL;
    char *id_s = id ? json_dumps(id, JSON_ENCODE_ANY) : NULL;
    char *subs_s = dump_inner(subs);
    if (shown_s && id_s && subs_s)
        peer = json_pack("[I, s, s, s, s]", (json_int_t)rev, state, id_s, shown_s, subs_s);
    json_decref(shown);
    json_decref(id);
    free(shown_s);
    free(id_s);
    free(subs_s);
    return peer;
}

long long tw_peer_rev(const json_t *peer)
{
    return json_integer_value(json_array_get(peer, P_REV));
}

void tw_peer_gone(json_t *peer)
{
    json_array_set_new(peer, P_REV, json_integer(tw_peer_rev(peer) + 1));
    json_array_set_new(peer, P_STATE, json_string("disconnected"));
    json_array_set_new(peer, P_TRACKS, json_string("[]"));
    json_array_set_new(peer, P_SUBS, json_string(""));
}

/* ---- text ---------------------------------------------------------------- */

typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s2 = realloc(b->s, cap);
        if (s2 == NULL) {
            b->failed = 1;
            return;
        }
        b->s = s2;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_participant(buf *b, const char *sid, const json_t *peer)
{
    char head[160];
    snprintf(head, sizeof head, "{\"sid\":\"%s\",\"identity\":", sid);
    puts_(b, head);
    puts_(b, text_at(peer, P_IDENTITY));
    snprintf(head, sizeof head,
             ",\"state\":\"%s\",\"revision\":%lld,\"tracks\":", text_at(peer, P_STATE),
             tw_peer_rev(peer));
    puts_(b, head);
    puts_(b, text_at(peer, P_TRACKS));
    puts_(b, "}");
}

static void put_subscribed(buf *b, const json_t *peers, long long rev)
{
    const char *key;
    json_t *p;
    char head[64];
    int first = 1;
    snprintf(head, sizeof head, "{\"revision\":%lld,\"tracks\":[", rev);
    puts_(b, head);
    json_object_foreach((json_t *)peers, key, p)
    {
        const char *subs = text_at(p, P_SUBS);
        if (subs[0] == '\0') continue;
        if (!first) puts_(b, ",");
        puts_(b, subs);
        first = 0;
    }
    puts_(b, "]}");
}

char *tw_update_text(const json_t *peers, const char *sid, const json_t *peer, long long sub_rev,
                     const json_t *pcs)
{
    buf b = {0};
    puts_(&b, "{\"type\":\"msg\",\"body\":{\"type\":\"update\",\"participants\":[");
    put_participant(&b, sid, peer);
    puts_(&b, "],\"subscribed\":");
    put_subscribed(&b, peers, sub_rev);
    if (pcs != NULL) {
        char *s = json_dumps(pcs, JSON_COMPACT);
        if (s == NULL) b.failed = 1;
        puts_(&b, ",\"peer_connections\":");
        if (s) puts_(&b, s);
        free(s);
    }
    puts_(&b, "}}");
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

json_t *tw_peers_participants(const json_t *peers)
{
    buf b = {0};
    const char *sid;
    json_t *p, *out;
    int first = 1;
    puts_(&b, "[");
    json_object_foreach((json_t *)peers, sid, p)
    {
        if (!first) puts_(&b, ",");
        put_participant(&b, sid, p);
        first = 0;
    }
    puts_(&b, "]");
    out = b.failed ? NULL : json_loads(b.s, 0, NULL);
    free(b.s);
    return out;
}

json_t *tw_peers_subscribed(const json_t *peers, long long rev)
{
    buf b = {0};
    json_t *out;
    put_subscribed(&b, peers, rev);
    out = b.failed ? NULL : json_loads(b.s, 0, NULL);
    free(b.s);
    return out;
}

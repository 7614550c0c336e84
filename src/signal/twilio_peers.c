/* signal/twilio_peers.c - what a Twilio connection keeps of each other
 * participant (signal/twilio.h, tw->peers), compactly, and the texts made
 * of it.
 *
 * Every connection of a room keeps every other participant's state (its
 * revision, state, identity and tracks), so a room of n costs n * (n - 1)
 * of them: kept as jansson objects (a hashtable per track) that was ~2.5 KB
 * per peer with two tracks, ~120 KB per connection in a room of fifty.
 * Each peer is instead one small array of the texts the client is sent:
 *   [revision, state, identity (JSON text), tracks (JSON text of
 *    [{sid,name,kind,enabled,priority}]), subscribed (its entries of
 *    `subscribed`, {"sid","id"},... without brackets)]
 * and the updates are written from those texts, without building a DOM.
 *
 * A participant's own connection makes those texts once per change of its
 * tracks (tw_me_texts) and relays them as they are (tw_state_text): a join
 * costs no JSON encoding or parsing of states at either end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonw.h"
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

/* s as a JSON string (s is valid UTF-8: jansson or the token checked it). */
static void put_str(buf *b, const char *s)
{
    size_t n = strlen(s), cap = 6 * n + 3;
    char small[512], *tmp = cap <= sizeof small ? small : malloc(cap);
    rg_jw w;
    if (tmp == NULL) {
        b->failed = 1;
        return;
    }
    rg_jw_init(&w, tmp, cap);
    rg_jw_str(&w, s, n);
    if (w.overflow)
        b->failed = 1;
    else
        put(b, tmp, w.len);
    if (tmp != small) free(tmp);
}

static char *done(buf *b, size_t *len)
{
    if (b->failed || b->s == NULL) {
        free(b->s);
        return NULL;
    }
    if (len) *len = b->len;
    return b->s;
}

/* ---- my state, for the others --------------------------------------------- */

/* Nothing published: the texts without a DOM. */
static int me_texts_empty(const char *identity, char **tail, char **rest)
{
    buf b = {0};
    puts_(&b, "\n");
    put_str(&b, identity);
    puts_(&b, "\n[]\n");
    *tail = done(&b, NULL);
    char *fit = *tail ? realloc(*tail, b.len + 1) : NULL;
    if (fit != NULL) *tail = fit;
    *rest = strdup("[]");
    if (*tail && *rest) return 0;
    free(*tail);
    free(*rest);
    *tail = *rest = NULL;
    return -1;
}

int tw_me_texts(const char *identity, const json_t *mine, char **tail, char **rest)
{
    if (json_array_size(mine) == 0) return me_texts_empty(identity, tail, rest);
    json_t *shown = json_array(), *subs = json_array(), *listed = json_array(), *t;
    size_t i;
    buf b = {0};
    json_array_foreach(mine, i, t)
    {
        json_t *sid = json_object_get(t, "sid"), *name = json_object_get(t, "name");
        json_t *kind = json_object_get(t, "kind"), *enabled = json_object_get(t, "enabled");
        json_array_append_new(shown, json_pack("{s:O, s:O, s:O, s:O, s:O}", "sid", sid, "name",
                                               name, "kind", kind, "enabled", enabled, "priority",
                                               json_object_get(t, "priority")));
        json_array_append_new(subs,
                              json_pack("{s:O, s:O}", "sid", sid, "id", json_object_get(t, "id")));
        json_array_append_new(listed, json_pack("{s:O, s:O, s:O, s:O}", "sid", sid, "name", name,
                                                "kind", kind, "enabled", enabled));
    }
    char *shown_s = shown ? json_dumps(shown, JSON_COMPACT) : NULL;
    char *subs_s = dump_inner(subs);
    *rest = listed ? json_dumps(listed, JSON_COMPACT) : NULL;
    json_decref(shown);
    json_decref(listed);
    puts_(&b, "\n");
    put_str(&b, identity);
    puts_(&b, "\n");
    puts_(&b, shown_s ? shown_s : "");
    puts_(&b, "\n");
    puts_(&b, subs_s ? subs_s : "");
    *tail = done(&b, NULL);
    char *fit = *tail ? realloc(*tail, b.len + 1) : NULL;
    if (fit != NULL) *tail = fit;
    int ok = shown_s && subs_s && *rest && *tail;
    free(shown_s);
    free(subs_s);
    if (ok) return 0;
    free(*tail);
    free(*rest);
    *tail = *rest = NULL;
    return -1;
}

/* Kept texts (a member's record, my tail) are allocated to their size,
 * not to buf's growth steps: they live as long as the connection. */
char *tw_state_text(long long rev, int reconnecting, int want, int paired, const char *tail,
                    size_t *len)
{
    char head[96];
    int n = snprintf(head, sizeof head, TW_STATE_PREFIX "%lld %s %d %c", rev,
                     reconnecting ? "reconnecting" : "connected", want ? 1 : 0,
                     paired < 0 ? '-'
                     : paired   ? '1'
                                : '0');
    size_t tn = strlen(tail);
    char *s = n > 0 ? malloc((size_t)n + tn + 1) : NULL;
    if (s == NULL) return NULL;
    memcpy(s, head, (size_t)n);
    memcpy(s + n, tail, tn + 1);
    if (len) *len = (size_t)n + tn;
    return s;
}

json_t *tw_state_parse(const char *text, size_t len, int *want, int *paired)
{
    static const size_t pre = sizeof TW_STATE_PREFIX - 1;
    const char *end = text + len, *p, *nl[3];
    char head[64];
    long long rev;
    int w, used = 0;
    char state[16], pc;
    if (len < pre || memcmp(text, TW_STATE_PREFIX, pre) != 0) return NULL;
    /* the head, up to the first newline: three words */
    if ((nl[0] = memchr(text, '\n', len)) == NULL || (size_t)(nl[0] - text) >= sizeof head)
        return NULL;
    memcpy(head, text + pre, (size_t)(nl[0] - text) - pre);
    head[nl[0] - text - pre] = '\0';
    if (sscanf(head, "%lld %15s %d %c%n", &rev, state, &w, &pc, &used) != 4 || head[used] != '\0' ||
        rev < 0 || (pc != '-' && pc != '0' && pc != '1') ||
        (strcmp(state, "connected") != 0 && strcmp(state, "reconnecting") != 0))
        return NULL;
    for (int i = 1; i < 3; i++)
        if ((nl[i] = memchr(nl[i - 1] + 1, '\n', (size_t)(end - nl[i - 1] - 1))) == NULL)
            return NULL;
    p = nl[0] + 1; /* identity: a JSON string; tracks: a JSON array */
    if (nl[1] - p < 2 || p[0] != '"' || nl[2] - nl[1] < 3 || nl[1][1] != '[') return NULL;
    *want = w != 0;
    if (paired) *paired = pc == '-' ? -1 : pc == '1';
    return json_pack("[I, s, s%, s%, s%]", (json_int_t)rev, state, p, (size_t)(nl[1] - p),
                     nl[1] + 1, (size_t)(nl[2] - nl[1] - 1), nl[2] + 1, (size_t)(end - nl[2] - 1));
}

long long tw_peer_rev(const json_t *peer)
{
    return json_integer_value(json_array_get(peer, P_REV));
}

const char *tw_peer_subs(const json_t *peer)
{
    return text_at(peer, P_SUBS);
}

void tw_peer_gone(json_t *peer)
{
    json_array_set_new(peer, P_REV, json_integer(tw_peer_rev(peer) + 1));
    json_array_set_new(peer, P_STATE, json_string("disconnected"));
    json_array_set_new(peer, P_TRACKS, json_string("[]"));
    json_array_set_new(peer, P_SUBS, json_string(""));
}

/* ---- what the client is sent --------------------------------------------- */

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

static void put_participants(buf *b, const json_t *peers)
{
    const char *sid;
    json_t *p;
    int first = 1;
    puts_(b, "[");
    json_object_foreach((json_t *)peers, sid, p)
    {
        if (!first) puts_(b, ",");
        put_participant(b, sid, p);
        first = 0;
    }
    puts_(b, "]");
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

static void put_json(buf *b, const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    if (s == NULL) b->failed = 1;
    if (s) puts_(b, s);
    free(s);
}

char *tw_update_text(const json_t *peers, const char *sid, const json_t *peer, long long sub_rev,
                     const json_t *pcs)
{
    buf b = {0};
    puts_(&b, "{\"type\":\"msg\",\"body\":{\"type\":\"update\",\"participants\":[");
    put_participant(&b, sid, peer);
    puts_(&b, "]");
    if (sub_rev > 0) {
        puts_(&b, ",\"subscribed\":");
        put_subscribed(&b, peers, sub_rev);
    }
    if (pcs != NULL) {
        puts_(&b, ",\"peer_connections\":");
        put_json(&b, pcs);
    }
    puts_(&b, "}}");
    return done(&b, NULL);
}

/* published: {"revision":rev,"tracks":[{"id","sid","state":"ready"}]}
 * (core/twmsg.c rg_tw_published, written as text). */
static void put_published(buf *b, const json_t *mine, long long rev)
{
    char head[96];
    json_t *t;
    size_t i;
    snprintf(head, sizeof head, "{\"revision\":%lld,\"tracks\":[", rev);
    puts_(b, head);
    json_array_foreach(mine, i, t)
    {
        const char *id = json_string_value(json_object_get(t, "id"));
        const char *sid = json_string_value(json_object_get(t, "sid"));
        puts_(b, i ? ",{\"id\":" : "{\"id\":");
        put_str(b, id ? id : "");
        puts_(b, ",\"sid\":");
        put_str(b, sid ? sid : "");
        puts_(b, ",\"state\":\"ready\"}");
    }
    puts_(b, "]}");
}

char *tw_connected_text(sig_conn *c, const char *room_sid, const char *room_name, long long sub_rev,
                        long long pub_rev, const char *pcs)
{
    tw_conn *tw = tw_of(c);
    char head[160];
    buf b = {0};
    snprintf(head, sizeof head,
             "{\"type\":\"msg\",\"body\":{\"type\":\"connected\",\"session\":\"%s\",\"sid\":\"%s\","
             "\"name\":",
             tw->session, room_sid);
    puts_(&b, head);
    put_str(&b, room_name);
    snprintf(head, sizeof head, ",\"participant\":{\"sid\":\"%s\",\"identity\":", c->p.sid);
    puts_(&b, head);
    put_str(&b, c->p.identity);
    puts_(&b, "},\"participants\":");
    put_participants(&b, tw->peers);
    if (sub_rev > 0) {
        puts_(&b, ",\"subscribed\":");
        put_subscribed(&b, tw->peers, sub_rev);
    }
    puts_(&b, ",\"peer_connections\":");
    puts_(&b, pcs ? pcs : "[]");
    puts_(&b, ",\"published\":");
    put_published(&b, tw->mine, pub_rev);
    snprintf(head, sizeof head, ",\"options\":{\"session_timeout\":%d}}}", TW_SESSION_TIMEOUT);
    puts_(&b, head);
    return done(&b, NULL);
}

json_t *tw_peers_participants(const json_t *peers)
{
    buf b = {0};
    put_participants(&b, peers);
    char *s = done(&b, NULL);
    json_t *out = s ? json_loads(s, 0, NULL) : NULL;
    free(s);
    return out;
}

json_t *tw_peers_subscribed(const json_t *peers, long long rev)
{
    buf b = {0};
    put_subscribed(&b, peers, rev);
    char *s = done(&b, NULL);
    json_t *out = s ? json_loads(s, 0, NULL) : NULL;
    free(s);
    return out;
}

/* twmsg.c - Twilio's signaling messages checked against their table of
 * fields and shapes: the TCMP envelope (hello, msg, heartbeat, bye) and the
 * RSP room messages inside it, plus the server's welcome (twmsg.h). */
#include "core/twmsg.h"

#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/signal_msg.h"
#include "core/token.h"

typedef enum {
    F_TOKEN = 1,   /* an access token */
    F_NAME,        /* a room name */
    F_SESSION,     /* a session id the server gave */
    F_PARTICIPANT, /* {"revision": n, "tracks": [...]} */
    F_PCS,         /* [{"id", "description"?, "ice"?}] */
    F_VERSION,     /* an integer, any value the client speaks */
} field_shape;

typedef struct {
    const char *name;
    field_shape shape;
    int required;
} field;

#define MAX_FIELDS 5

typedef struct {
    const char *name;
    rg_tw_type type;
    field fields[MAX_FIELDS];
} msg_spec;

static const msg_spec SPECS[] = {
    {"ice", RG_TW_ICE, {{"token", F_TOKEN, 1}, {"version", F_VERSION, 0}}},
    {"connect",
     RG_TW_CONNECT,
     {{"token", F_TOKEN, 1},
      {"name", F_NAME, 0},
      {"participant", F_PARTICIPANT, 0},
      {"peer_connections", F_PCS, 0},
      {"version", F_VERSION, 0}}},
    {"update",
     RG_TW_UPDATE,
     {{"session", F_SESSION, 0},
      {"participant", F_PARTICIPANT, 0},
      {"peer_connections", F_PCS, 0}}},
    {"sync",
     RG_TW_SYNC,
     {{"token", F_TOKEN, 1},
      {"session", F_SESSION, 1},
      {"name", F_NAME, 0},
      {"participant", F_PARTICIPANT, 0},
      {"peer_connections", F_PCS, 0}}},
    {"disconnect", RG_TW_DISCONNECT, {{"session", F_SESSION, 0}}},
};

/* 1..max bytes of printable text (jansson has checked the UTF-8). */
static int text_ok(const json_t *v, size_t max)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (s == NULL || len == 0 || len > max || memchr(s, '\0', len) != NULL) return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

static int one_of(const json_t *v, const char *const *names)
{
    const char *s = json_string_value(v);
    for (; s && *names; names++)
        if (strcmp(s, *names) == 0) return 1;
    return 0;
}

static const char *const KINDS[] = {"audio", "video", "data", NULL};

/* {"id","kind","name","enabled","priority"?}: what a participant says it
 * publishes; anything else in the object is ignored. */
static int track_ok(const json_t *t)
{
    json_t *prio = json_object_get(t, "priority");
    return json_is_object(t) && text_ok(json_object_get(t, "id"), RG_TW_ID_MAX) &&
           one_of(json_object_get(t, "kind"), KINDS) &&
           (json_object_get(t, "name") == NULL ||
            text_ok(json_object_get(t, "name"), RG_IDENTITY_MAX)) &&
           json_is_boolean(json_object_get(t, "enabled")) && (prio == NULL || text_ok(prio, 32));
}

static int participant_ok(const json_t *p, rg_tw_msg *out)
{
    json_t *rev = json_object_get(p, "revision"), *tracks = json_object_get(p, "tracks");
    size_t i;
    json_t *t;
    if (!json_is_object(p) || !json_is_integer(rev) || json_integer_value(rev) < 0 ||
        !json_is_array(tracks) || json_array_size(tracks) > RG_TW_MAX_TRACKS)
        return 0;
    json_array_foreach(tracks, i, t)
    {
        if (!track_ok(t)) return 0;
        /* one publication per id: the id names the track in the SDP */
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(t, "id"),
                           json_object_get(json_array_get(tracks, j), "id")))
                return 0;
    }
    out->tracks = tracks;
    out->revision = json_integer_value(rev);
    return 1;
}

static const char *const DESC_TYPES[] = {"offer", "answer", "pranswer", "close", "rollback", NULL};

/* description: {"type", "revision", "sdp"?}; ice: {"candidates":[...],
 * "revision", "ufrag"?, "complete"?}.  Relayed as they are. */
static int pc_ok(const json_t *pc)
{
    json_t *d = json_object_get(pc, "description"), *ice = json_object_get(pc, "ice");
    if (!json_is_object(pc) || !text_ok(json_object_get(pc, "id"), RG_TW_ID_MAX)) return 0;
    if (d != NULL &&
        (!json_is_object(d) || !one_of(json_object_get(d, "type"), DESC_TYPES) ||
         !json_is_integer(json_object_get(d, "revision")) ||
         (json_object_get(d, "sdp") != NULL && !json_is_string(json_object_get(d, "sdp")))))
        return 0;
    if (ice != NULL &&
        (!json_is_object(ice) || !json_is_array(json_object_get(ice, "candidates")) ||
         !json_is_integer(json_object_get(ice, "revision"))))
        return 0;
    return 1;
}

static int take_field(const field *f, json_t *v, rg_tw_msg *out)
{
    size_t i;
    json_t *pc;
    switch (f->shape) {
    case F_TOKEN:
        if (!text_ok(v, RG_TOKEN_MAX_LEN)) return -1;
        out->token = json_string_value(v), out->token_len = json_string_length(v);
        return 0;
    case F_NAME:
        if (!text_ok(v, RG_IDENTITY_MAX)) return -1;
        out->name = json_string_value(v);
        return 0;
    case F_SESSION:
        if (!text_ok(v, RG_TW_ID_MAX)) return -1;
        out->session = json_string_value(v);
        return 0;
    case F_PARTICIPANT:
        return participant_ok(v, out) ? 0 : -1;
    case F_PCS:
        if (!json_is_array(v) || json_array_size(v) > RG_TW_MAX_PCS) return -1;
        json_array_foreach(v, i, pc) if (!pc_ok(pc)) return -1;
        out->peer_connections = v;
        return 0;
    case F_VERSION:
        return json_is_integer(v) ? 0 : -1;
    }
    return -1;
}

int rg_tw_msg_parse(json_t *body, rg_tw_msg *out, const char **why)
{
    const char *type = json_string_value(json_object_get(body, "type"));
    const msg_spec *spec = NULL;
    memset(out, 0, sizeof *out);
    out->revision = -1;
    for (size_t i = 0; type && i < sizeof SPECS / sizeof SPECS[0]; i++)
        if (strcmp(SPECS[i].name, type) == 0) spec = &SPECS[i];
    if (!json_is_object(body)) return *why = "a message body is a JSON object", RG_EINVAL;
    if (spec == NULL) return *why = "unknown room message type", RG_EINVAL;
    out->type = spec->type;
    for (int i = 0; i < MAX_FIELDS && spec->fields[i].name; i++) {
        const field *f = &spec->fields[i];
        json_t *v = json_object_get(body, f->name);
        if (v == NULL && !f->required) continue;
        if (v == NULL || take_field(f, v, out) != 0) {
            *why = v == NULL ? "a required field is missing" : "a field has a bad value";
            memset(out, 0, sizeof *out);
            return RG_EINVAL;
        }
    }
    return RG_OK;
}

/* ---- the envelope -------------------------------------------------------- */

static const struct {
    const char *name;
    rg_tw_env_type type;
} ENV_TYPES[] = {
    {"hello", RG_TW_HELLO},
    {"msg", RG_TW_MSG},
    {"heartbeat", RG_TW_HEARTBEAT},
    {"bye", RG_TW_BYE},
};

static int env_fields(rg_tw_env *e, const char **why)
{
    json_t *body = json_object_get(e->root, "body");
    if (e->type == RG_TW_HELLO) {
        json_t *v = json_object_get(e->root, "version"), *t = json_object_get(e->root, "timeout");
        if (!json_is_integer(v) || json_integer_value(v) != 2)
            return *why = "only version 2 of the envelope is spoken", -1;
        if (t != NULL && !json_is_number(t)) return *why = "hello's timeout is a number", -1;
    }
    if (e->type == RG_TW_MSG && body == NULL) return *why = "msg needs a body", -1;
    if (body != NULL && (e->type == RG_TW_HELLO || e->type == RG_TW_MSG)) {
        if (!json_is_object(body)) return *why = "a message body is a JSON object", -1;
        e->body = body;
    }
    return 0;
}

int rg_tw_env_parse(const char *text, size_t len, rg_tw_env *out, const char **why)
{
    const char *type;
    memset(out, 0, sizeof *out);
    out->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (out->root == NULL) return *why = "malformed JSON", RG_EINVAL;
    type = json_string_value(json_object_get(out->root, "type"));
    for (size_t i = 0; type && i < sizeof ENV_TYPES / sizeof ENV_TYPES[0]; i++)
        if (strcmp(ENV_TYPES[i].name, type) == 0) out->type = ENV_TYPES[i].type;
    if (!json_is_object(out->root))
        *why = "a message is a JSON object";
    else if (out->type == 0)
        *why = "unknown message type";
    else if (env_fields(out, why) == 0)
        return RG_OK;
    rg_tw_env_clear(out);
    return RG_EINVAL;
}

void rg_tw_env_clear(rg_tw_env *e)
{
    json_decref(e->root);
    memset(e, 0, sizeof *e);
}

char rg_tw_track_kind(const json_t *track)
{
    const char *k = json_string_value(json_object_get(track, "kind"));
    return k ? k[0] : '?';
}

/* ---- server -> client ---------------------------------------------------- */

size_t rg_tw_welcome(char out[RG_TW_WELCOME_MAX], int negotiated_ms)
{
    int n = snprintf(out, RG_TW_WELCOME_MAX, "{\"type\":\"welcome\",\"negotiatedTimeout\":%d}",
                     negotiated_ms);
    return n > 0 && n < RG_TW_WELCOME_MAX ? (size_t)n : 0;
}

char *rg_tw_wrap(json_t *body)
{
    return body ? rg_sig_dump(json_pack("{s:s, s:o}", "type", "msg", "body", body)) : NULL;
}

json_t *rg_tw_error(int code, const char *message)
{
    return json_pack("{s:s, s:i, s:s}", "type", "error", "code", code, "message", message);
}

static const char *sid_of(const json_t *prev, const json_t *id)
{
    size_t i;
    json_t *t;
    json_array_foreach(prev, i,
                       t) if (json_equal(json_object_get(t, "id"),
                                         id)) return json_string_value(json_object_get(t, "sid"));
    return NULL;
}

json_t *rg_tw_assign_sids(const json_t *tracks, const json_t *prev, const uint8_t *rnd)
{
    json_t *out = json_array(), *t;
    size_t i;
    if (out == NULL) return NULL;
    json_array_foreach(tracks, i, t)
    {
        char fresh[RG_SID_SIZE] = {0}; /* written only when the client gave no sid */
        const char *sid = sid_of(prev, json_object_get(t, "id"));
        json_t *prio = json_object_get(t, "priority"), *name = json_object_get(t, "name");
        if (sid == NULL) rg_sid_format(fresh, "MT", rnd + 16 * i);
        if (json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, s:s, s:s}", "id",
                                                 json_object_get(t, "id"), "kind",
                                                 json_object_get(t, "kind"), "name",
                                                 name ? name : json_object_get(t, "id"), "enabled",
                                                 json_object_get(t, "enabled"), "priority",
                                                 prio ? json_string_value(prio) : "standard", "sid",
                                                 sid ? sid : fresh)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

json_t *rg_tw_published(const json_t *mine, long long rev)
{
    json_t *tracks = json_array(), *t;
    size_t i;
    json_array_foreach(mine, i, t) json_array_append_new(
        tracks, json_pack("{s:O, s:O, s:s}", "id", json_object_get(t, "id"), "sid",
                          json_object_get(t, "sid"), "state", "ready"));
    return tracks ? json_pack("{s:I, s:o}", "revision", (json_int_t)rev, "tracks", tracks) : NULL;
}

json_t *rg_tw_participant(const char *sid, const char *identity, const char *state, long long rev,
                          const json_t *mine)
{
    json_t *tracks = json_array(), *t;
    size_t i;
    json_array_foreach(mine, i, t) json_array_append_new(
        tracks,
        json_pack("{s:O, s:O, s:O, s:O, s:O}", "sid", json_object_get(t, "sid"), "name",
                  json_object_get(t, "name"), "kind", json_object_get(t, "kind"), "enabled",
                  json_object_get(t, "enabled"), "priority", json_object_get(t, "priority")));
    return tracks ? json_pack("{s:s, s:s, s:s, s:I, s:o}", "sid", sid, "identity", identity,
                              "state", state, "revision", (json_int_t)rev, "tracks", tracks)
                  : NULL;
}

json_t *rg_tw_subscribed(const json_t *peers, long long rev)
{
    json_t *tracks = json_array(), *p, *t;
    const char *key;
    size_t i;
    json_object_foreach((json_t *)peers, key, p)
    {
        json_array_foreach(json_object_get(p, "tracks"), i, t)
            json_array_append_new(tracks, json_pack("{s:O, s:O}", "sid", json_object_get(t, "sid"),
                                                    "id", json_object_get(t, "id")));
    }
    return tracks ? json_pack("{s:I, s:o}", "revision", (json_int_t)rev, "tracks", tracks) : NULL;
}

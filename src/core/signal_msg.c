/* signal_msg.c - see signal_msg.h.  Each message type is a row of a table
 * naming its fields, their JSON type and their shape, so adding a message
 * is adding a row, and no handler sees an unchecked field. */
#include "core/signal_msg.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/jsonr.h"
#include "core/token.h"

typedef enum { F_TOKEN = 1, F_ROOM, F_PA, F_OBJECT, F_DECISION, F_KIND } field_shape;

typedef struct {
    const char *name;
    field_shape shape;
    int required;
} field;

#define MAX_FIELDS 3

typedef struct {
    const char *name;
    rg_sig_type type;
    field fields[MAX_FIELDS];
} msg_spec;

static const msg_spec SPECS[] = {
    {"join", RG_SIG_JOIN, {{"token", F_TOKEN, 1}, {"room", F_ROOM, 0}}},
    {"signal", RG_SIG_SIGNAL, {{"to", F_PA, 1}, {"data", F_OBJECT, 1}}},
    {"entry_response",
     RG_SIG_ENTRY_RESPONSE,
     {{"participant", F_PA, 1}, {"decision", F_DECISION, 1}}},
    {"mute", RG_SIG_MUTE, {{"participant", F_PA, 1}, {"kind", F_KIND, 1}}},
    {"kick", RG_SIG_KICK, {{"participant", F_PA, 1}}},
};

/* A room name: 1..RG_IDENTITY_MAX bytes, no control characters (jansson
 * has already checked the UTF-8). */
static int text_ok(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max || memchr(s, '\0', len) != NULL) return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 0;
    return 1;
}

/* Checks one field's value and stores it in out. */
static int take_field(const field *f, json_t *v, rg_sig_msg *out)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    switch (f->shape) {
    case F_TOKEN:
        if (s == NULL || !text_ok(s, len, RG_TOKEN_MAX_LEN)) return -1;
        out->token = s, out->token_len = len;
        return 0;
    case F_ROOM:
        if (s == NULL || !text_ok(s, len, RG_IDENTITY_MAX)) return -1;
        out->room = s;
        return 0;
    case F_PA:
        if (s == NULL || !rg_sid_valid(s, len, "PA")) return -1;
        out->target = s;
        return 0;
    case F_OBJECT:
        if (!json_is_object(v)) return -1;
        out->data = v;
        return 0;
    case F_DECISION:
        if (s == NULL || (strcmp(s, "allowed") != 0 && strcmp(s, "denied") != 0)) return -1;
        out->allowed = s[0] == 'a';
        return 0;
    case F_KIND:
        if (s == NULL || (strcmp(s, "audio") != 0 && strcmp(s, "video") != 0)) return -1;
        out->kind = s[0] == 'a' ? RG_SIG_AUDIO : RG_SIG_VIDEO;
        return 0;
    }
    return -1;
}

static const msg_spec *spec_of(const char *type)
{
    for (size_t i = 0; type && i < sizeof SPECS / sizeof SPECS[0]; i++)
        if (strcmp(SPECS[i].name, type) == 0) return &SPECS[i];
    return NULL;
}

/* The relay's fast path: most of a call's messages are signals whose data
 * is an ICE candidate or a small object, relayed as they came.  The claim
 * reader (core/jsonr.c: jansson's rules, duplicates refused, fuzzed
 * against jansson) checks the whole frame and finds the three fields
 * without building a tree; the data is spliced into the relayed frame
 * when its text is already what jansson's compact dump writes
 * (`canonical`).  Anything else (an escaped string in the data, such as an
 * SDP's \r\n; a large frame; another type; a field out of shape) takes
 * jansson's path below, which decides with the same rules.  0 when taken. */
static int parse_signal_fast(const char *text, size_t len, rg_sig_msg *out)
{
    static const rg_jr_path paths[] = {RG_JR_PATH(-1, "type"), RG_JR_PATH(-1, "to"),
                                       RG_JR_PATH(-1, "data")};
    rg_jr_val v[3], root;
    if (len > RG_JR_MAX_INPUT || rg_jr_read(text, len, paths, 3, v, &root) != RG_JR_OK) return -1;
    if (root.type != RG_JR_OBJECT || !rg_jr_str_is(&v[0], "signal", 6) ||
        v[1].type != RG_JR_STRING || v[1].escaped || v[1].raw_len != RG_SID_LEN + 2 ||
        !rg_sid_valid(v[1].raw + 1, RG_SID_LEN, "PA") || v[2].type != RG_JR_OBJECT ||
        !v[2].canonical)
        return -1;
    out->type = RG_SIG_SIGNAL;
    memcpy(out->target_buf, v[1].raw + 1, RG_SID_LEN);
    out->target_buf[RG_SID_LEN] = '\0';
    out->target = out->target_buf;
    out->data_raw = v[2].raw;
    out->data_len = v[2].raw_len;
    return 0;
}

int rg_sig_parse(const char *text, size_t len, rg_sig_msg *out, const char **why)
{
    const msg_spec *spec;
    memset(out, 0, sizeof *out);
    if (parse_signal_fast(text, len, out) == 0) return RG_OK;
    /* no duplicate keys: a message must mean one thing */
    out->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (out->root == NULL) return *why = "malformed JSON", RG_EINVAL;
    if (!json_is_object(out->root)) {
        *why = "a message is a JSON object";
        goto bad;
    }
    if ((spec = spec_of(json_string_value(json_object_get(out->root, "type")))) == NULL) {
        *why = "unknown message type";
        goto bad;
    }
    out->type = spec->type;
    for (int i = 0; i < MAX_FIELDS && spec->fields[i].name; i++) {
        const field *f = &spec->fields[i];
        json_t *v = json_object_get(out->root, f->name);
        if (v == NULL && !f->required) continue;
        if (v == NULL || take_field(f, v, out) != 0) {
            *why = v == NULL ? "a required field is missing" : "a field has a bad value";
            goto bad;
        }
    }
    return RG_OK;
bad:
    rg_sig_msg_clear(out);
    return RG_EINVAL;
}

void rg_sig_msg_clear(rg_sig_msg *m)
{
    json_decref(m->root);
    memset(m, 0, sizeof *m);
}

char *rg_sig_relay_json(const rg_sig_msg *m, const char *from)
{
    static const char head[] = "{\"type\":\"signal\",\"from\":\"", mid[] = "\",\"data\":";
    if (m->data_raw == NULL || !rg_sid_valid(from, strlen(from), "PA"))
        return rg_sig_dump(
            json_pack("{s:s, s:s, s:O}", "type", "signal", "from", from, "data", m->data));
    size_t n = sizeof head - 1 + RG_SID_LEN + sizeof mid - 1 + m->data_len + 1;
    char *s = malloc(n + 1), *p = s;
    if (s == NULL) return NULL;
    memcpy(p, head, sizeof head - 1), p += sizeof head - 1;
    memcpy(p, from, RG_SID_LEN), p += RG_SID_LEN;
    memcpy(p, mid, sizeof mid - 1), p += sizeof mid - 1;
    memcpy(p, m->data_raw, m->data_len), p += m->data_len;
    *p++ = '}';
    *p = '\0';
    return s;
}

char *rg_sig_dump(json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return s;
}

char *rg_sig_error_json(int code, const char *message)
{
    return rg_sig_dump(
        json_pack("{s:s, s:i, s:s}", "type", "error", "code", code, "message", message));
}

char *rg_sig_peer_json(const char *type, const char *sid, const char *identity)
{
    return rg_sig_dump(json_pack("{s:s, s:{s:s, s:s}}", "type", type, "participant", "sid", sid,
                                 "identity", identity));
}

char *rg_sig_entry_json(const char *sid, const char *identity, const char *decision)
{
    return rg_sig_dump(json_pack("{s:s, s:{s:s, s:s}, s:s}", "type", "entry_responded",
                                 "participant", "sid", sid, "identity", identity, "decision",
                                 decision));
}

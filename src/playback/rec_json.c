/* rec_json.c - recordings and audit rows as JSON. */
#include "playback/rec_json.h"

#include <stdio.h>

#include "core/recfmt.h"
#include "core/timefmt.h"
#include "api/page.h"
#include "playback/playback.h"

static json_t *json_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

/* A stored JSON array (or an empty array if it is not one). */
static json_t *array_of(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    if (json_is_array(v)) return v;
    json_decref(v);
    return json_array();
}

json_t *rg_recording_json(rg_call *c, const rg_recording *r)
{
    /* absolute, as a room's url: the base is the request's scheme and Host */
    const char *base = rg_base_url(c);
    char kid[65], url[400];
    rg_hex_encode(kid, r->key_id, sizeof r->key_id);
    snprintf(url, sizeof url, "%s/v1/Recordings/%s", base, r->sid);
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:s}", "sid", r->sid,
        "account_sid", r->account_sid, "size", (json_int_t)r->size, "content_type", r->content_type,
        "duration", r->duration >= 0 ? json_integer(r->duration) : json_null(), "room_sid",
        json_or_null(r->room_sid), "consultation_id", json_or_null(r->consultation_id),
        "allowed_identities", array_of(r->allowed_identities), "allowed_roles",
        array_of(r->allowed_roles), "source", r->source, "date_created",
        rg_fmt_iso8601(c, r->date_created), "url", url);
    json_object_set_new(o, "encryption",
                        json_pack("{s:s, s:s, s:s, s:i, s:s}", "type", "rsa-aes-segmented",
                                  "key_wrap", "RSA-OAEP-SHA256", "cipher", "AES-256-GCM",
                                  "segment_size", RG_REC_SEGMENT, "key_id", kid));
    snprintf(url, sizeof url, "%s/v1/Recordings/%s/AccessLog", base, r->sid);
    json_object_set_new(o, "links", json_pack("{s:s}", "access_log", url));
    return o;
}

json_t *rg_audit_row_export(const rg_audit_row *r)
{
    char ts[RG_TIMEFMT_SIZE], h[65], ph[65];
    /* milliseconds: the ISO helper formats whole seconds */
    rg_time_iso8601(r->ts_ms / 1000, ts);
    snprintf(ts + 20, sizeof ts - 20, "%03dZ", (int)(r->ts_ms % 1000));
    rg_hex_encode(h, r->hash, sizeof r->hash);
    rg_hex_encode(ph, r->prev_hash, sizeof r->prev_hash);
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}", "seq",
        (json_int_t)r->seq, "date", ts, "action", r->action, "outcome", r->outcome, "reason",
        json_or_null(r->reason), "account_sid", json_or_null(r->account_sid), "recording_sid",
        json_or_null(r->recording_sid), "identity", json_or_null(r->identity), "realm_user_id",
        json_or_null(r->realm_user_id), "roles", r->roles[0] ? array_of(r->roles) : json_array(),
        "client_ip", json_or_null(r->client_ip), "user_agent", json_or_null(r->user_agent),
        "prev_hash", ph, "hash", h);
}

json_t *rg_audit_row_json(rg_call *c, const rg_audit_row *r)
{
    (void)c;
    return rg_audit_row_export(r);
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

void rg_rec_audit_row(rg_call *c, rg_audit_row *row, const char *action, const char *outcome,
                      const char *reason, const rg_recording *r, const rg_principal *p)
{
    memset(row, 0, sizeof *row);
    copy(row->action, sizeof row->action, action);
    copy(row->outcome, sizeof row->outcome, outcome);
    copy(row->reason, sizeof row->reason, reason);
    if (r) {
        copy(row->recording_sid, sizeof row->recording_sid, r->sid);
        copy(row->account_sid, sizeof row->account_sid, r->account_sid);
    }
    if (p)
        copy(row->identity, sizeof row->identity,
             p->kind == RG_PRINCIPAL_KEY ? p->key_sid : p->account_sid);
    rg_audit_client(c, row);
}

/* hook/request.c - one status callback request from an outbox row: the
 * row's parameters (hook/params.h) plus SequenceNumber, sorted, form-encoded into the
 * body (POST) or the query (GET), signed as Twilio signs. */
#include "hook/request.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "hook/params.h"

#define MAX_PARAMS 32

/* Every value as text: strings as they are, integers in decimal. */
static int collect(json_t *obj, rg_kv *kv, char nums[][24], size_t *n)
{
    const char *name;
    json_t *v;
    *n = 0;
    json_object_foreach(obj, name, v)
    {
        if (*n == MAX_PARAMS - 1) return -1;
        if (json_is_string(v)) {
            kv[*n].value = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(nums[*n], sizeof nums[*n], "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            kv[*n].value = nums[*n];
        } else {
            return -1;
        }
        kv[(*n)++].name = name;
    }
    return 0;
}

int rg_hook_request_build(const rg_outbox_row *row, const char *token, size_t toklen,
                          rg_hook_request *out, const char **why)
{
    rg_kv kv[MAX_PARAMS];
    char nums[MAX_PARAMS][24], seq[24];
    size_t n = 0;
    json_t *obj = rg_hook_params(row);
    int rc = -1;
    memset(out, 0, sizeof *out);
    *why = "the event's parameters are not a flat object";
    if (obj && json_is_object(obj) && collect(obj, kv, nums, &n) == 0) {
        snprintf(seq, sizeof seq, "%" PRId64, row->seq);
        kv[n++] = (rg_kv){"SequenceNumber", seq};
        rg_kv_sort(kv, n);
        *why = "out of memory";
        if (row->get) {
            /* the query joins whatever query the target already has */
            char prefix[RG_OUTBOX_URL_MAX + 2];
            snprintf(prefix, sizeof prefix, "%s%c", row->url, strchr(row->url, '?') ? '&' : '?');
            out->url = rg_form_encode(prefix, kv, n);
            rc = out->url && rg_twsig(out->url, NULL, 0, token, toklen, out->signature) == 0 ? 0
                                                                                             : -1;
        } else {
            out->url = strdup(row->url);
            out->body = rg_form_encode("", kv, n);
            rc = out->url && out->body &&
                         rg_twsig(row->url, kv, n, token, toklen, out->signature) == 0
                     ? 0
                     : -1;
        }
    }
    json_decref(obj);
    if (rc != 0) rg_hook_request_free(out);
    return rc;
}

void rg_hook_request_free(rg_hook_request *r)
{
    free(r->url);
    free(r->body);
    free(r->jwt);
    r->url = r->body = r->jwt = NULL;
}

/* ---- LiveKit's format ----------------------------------------------------- */

static const char *livekit_name(const char *event)
{
    static const char *const map[][2] = {{"room-created", "room_started"},
                                         {"room-ended", "room_finished"},
                                         {"participant-connected", "participant_joined"},
                                         {"participant-disconnected", "participant_left"},
                                         {"track-added", "track_published"},
                                         {"track-removed", "track_unpublished"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(event, map[i][0]) == 0) return map[i][1];
    return NULL;
}

static const char *param(json_t *p, const char *name)
{
    const char *v = json_string_value(json_object_get(p, name));
    return v ? v : "";
}

static const char *track_type(const char *kind)
{
    return strcmp(kind, "audio") == 0 ? "AUDIO" : strcmp(kind, "video") == 0 ? "VIDEO" : "DATA";
}

/* The WebhookEvent in protobuf's JSON form (camelCase names). */
static char *livekit_body(const rg_outbox_row *row, const char *name, json_t *p)
{
    json_t *ev = json_pack("{s:s, s:s, s:I, s:{s:s, s:s}}", "event", name, "id", row->event_id,
                           "createdAt", (json_int_t)row->created, "room", "sid",
                           param(p, "RoomSid"), "name", param(p, "RoomName"));
    int track = strncmp(row->event, "track-", 6) == 0;
    if (ev && (track || strncmp(row->event, "participant-", 12) == 0))
        json_object_set_new(ev, "participant",
                            json_pack("{s:s, s:s, s:s}", "sid", param(p, "ParticipantSid"),
                                      "identity", param(p, "ParticipantIdentity"), "state",
                                      strcmp(row->event, "participant-disconnected") != 0
                                          ? "ACTIVE"
                                          : "DISCONNECTED"));
    if (ev && track) /* TrackInfo: its type is protobuf's enum name */
        json_object_set_new(ev, "track",
                            json_pack("{s:s, s:s, s:s}", "sid", param(p, "TrackSid"), "type",
                                      track_type(param(p, "TrackKind")), "name",
                                      param(p, "TrackName")));
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
    json_decref(ev);
    return text;
}

static char *b64url_json(json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT);
    char *out = text ? malloc(rg_b64url_len(strlen(text)) + 1) : NULL;
    if (out) rg_b64url_encode(out, (const uint8_t *)text, strlen(text));
    free(text);
    return out;
}

/* header.payload.signature, HS256 with the key's secret. */
static char *livekit_jwt(const rg_outbox_row *row, const char *body, const char *secret,
                         size_t secretlen, int64_t now)
{
    uint8_t digest[32], mac[32];
    char sha[48], sig[48];
    unsigned maclen = 0;
    SHA256((const unsigned char *)body, strlen(body), digest);
    rg_b64_encode(sha, digest, sizeof digest);
    json_t *hdr = json_pack("{s:s, s:s}", "alg", "HS256", "typ", "JWT");
    json_t *claims =
        json_pack("{s:s, s:I, s:I, s:s}", "iss", row->key_sid, "nbf", (json_int_t)(now - 60), "exp",
                  (json_int_t)(now + 600), "sha256", sha);
    char *h = hdr ? b64url_json(hdr) : NULL, *c = claims ? b64url_json(claims) : NULL;
    char *jwt = NULL;
    json_decref(hdr);
    json_decref(claims);
    if (h && c && (jwt = malloc(strlen(h) + strlen(c) + 48)) != NULL) {
        sprintf(jwt, "%s.%s", h, c);
        if (HMAC(EVP_sha256(), secret, (int)secretlen, (const unsigned char *)jwt, strlen(jwt), mac,
                 &maclen) == NULL ||
            maclen != sizeof mac) {
            free(jwt);
            jwt = NULL;
        } else {
            rg_b64url_encode(sig, mac, sizeof mac);
            strcat(jwt, ".");
            strcat(jwt, sig);
        }
    }
    free(h);
    free(c);
    return jwt;
}

int rg_hook_request_livekit(const rg_outbox_row *row, const char *secret, size_t secretlen,
                            int64_t now, rg_hook_request *out, const char **why)
{
    const char *name = livekit_name(row->event);
    json_t *p;
    memset(out, 0, sizeof *out);
    if (!name) return 1;
    *why = "the event's parameters are not a JSON object";
    if ((p = rg_hook_params(row)) == NULL) return -1;
    *why = "out of memory";
    out->url = strdup(row->url);
    out->body = livekit_body(row, name, p);
    json_decref(p);
    if (out->url && out->body) out->jwt = livekit_jwt(row, out->body, secret, secretlen, now);
    if (out->jwt) return 0;
    rg_hook_request_free(out);
    return -1;
}

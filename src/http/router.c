/* router.c - a flat route table matched segment by segment.
 *
 * A dozen routes do not need a trie; a linear scan over short patterns is
 * faster than anything clever and keeps the whole API visible in one place. */
#include <stdio.h>

#include "http/router.h"

const rg_route rg_routes[] = {
    {"GET", "/healthz", rg_h_health},
    {"POST", "/2010-04-01/Accounts/{AC}/Keys.json", rg_h_keys_create},
    {"GET", "/2010-04-01/Accounts/{AC}/Keys.json", rg_h_keys_list},
    {"GET", "/2010-04-01/Accounts/{AC}/Keys/{SK}.json", rg_h_key_fetch},
    {"POST", "/2010-04-01/Accounts/{AC}/Keys/{SK}.json", rg_h_key_update},
    {"DELETE", "/2010-04-01/Accounts/{AC}/Keys/{SK}.json", rg_h_key_delete},
    {"POST", "/v1/AccessTokens", rg_h_access_tokens},
    {"GET", "/token", rg_h_token},
    {"GET", "/get-token", rg_h_get_token},
    {"POST", "/v1/Accounts/{AC}/Tokens/validate", rg_h_validate},
    /* VideoSDK rooms (h_meetings.c) */
    {"POST", "/v2/rooms", rg_h_rooms_create},
    {"GET", "/v2/rooms", rg_h_rooms_list},
    {"GET", "/v2/rooms/validate/{roomId}", rg_h_room_fetch},
    {"POST", "/v2/rooms/deactivate", rg_h_room_deactivate},
    {"GET", "/v2/rooms/{roomId}", rg_h_room_fetch},
    {"POST", "/create-meeting", rg_h_create_meeting},
    {"POST", "/validate-meeting/{id}", rg_h_validate_meeting},
    /* 1:1 consultations (h_consultations.c) */
    {"POST", "/v1/Consultations", rg_h_consultations_create},
    {"GET", "/v1/Consultations/{id}", rg_h_consultation_fetch},
    {"DELETE", "/v1/Consultations/{id}", rg_h_consultation_cancel},
    {"POST", "/v1/Consultations/{id}/Tokens", rg_h_consultation_token},
    /* Twilio Video rooms and participants (h_rooms.c, h_participants.c) */
    {"POST", "/v1/Rooms", rg_h_v1_rooms_create},
    {"GET", "/v1/Rooms", rg_h_v1_rooms_list},
    {"GET", "/v1/Rooms/{room}", rg_h_v1_room_fetch},
    {"POST", "/v1/Rooms/{room}", rg_h_v1_room_update},
    {"GET", "/v1/Rooms/{room}/Participants", rg_h_v1_participants_list},
    {"GET", "/v1/Rooms/{room}/Participants/{participant}", rg_h_v1_participant_fetch},
    {"POST", "/v1/Rooms/{room}/Participants/{participant}", rg_h_v1_participant_update},
    /* Recordings and secure playback (h_recordings.c, h_rec_create.c,
     * h_sec_rec.c, h_media.c) */
    {"POST", "/v1/Recordings", rg_h_recordings_create},
    {"GET", "/v1/Recordings", rg_h_recordings_list},
    {"GET", "/v1/Recordings/{RE}", rg_h_recording_fetch},
    {"DELETE", "/v1/Recordings/{RE}", rg_h_recording_delete},
    {"GET", "/v1/Recordings/{RE}/AccessLog", rg_h_recording_access_log},
    {"GET", "/sec_rec", rg_h_sec_rec},
    {"OPTIONS", "/sec_rec", rg_h_playback_preflight},
    {"GET", "/media/{RE}", rg_h_media},
    {"OPTIONS", "/media/{RE}", rg_h_playback_preflight},
    {"GET", "/demo-api/recordings", rg_h_demo_recordings},
    /* WebSocket signaling (signal_conn.c) */
    {"GET", "/v1/signal", rg_h_signal},
    /* TURN credentials (h_turn.c) */
    {"POST", "/2010-04-01/Accounts/{AC}/Tokens.json", rg_h_nts_token},
    {"GET", "/v1/turn", rg_h_turn},
    {NULL, NULL, NULL},
};

/* Matches one pattern segment against one path segment. */
static int match_segment(const char *pat, size_t plen, const char *seg, size_t slen, rg_call *c)
{
    const char *close;
    size_t suffix;
    if (plen == 0 || pat[0] != '{') return plen == slen && memcmp(pat, seg, slen) == 0;
    close = memchr(pat, '}', plen);
    suffix = plen - (size_t)(close - pat) - 1;
    if (slen <= suffix || memcmp(seg + slen - suffix, close + 1, suffix) != 0) return 0;
    if (c->nargs == RG_MAX_ARGS) return 0;
    c->args[c->nargs++] = h2o_iovec_init(seg, slen - suffix);
    return 1;
}

static int match_path(const char *pattern, h2o_iovec_t path, rg_call *c)
{
    const char *p = pattern, *s = path.base, *pend = pattern + strlen(pattern),
               *send = path.base + path.len;
    c->nargs = 0;
    while (p < pend && s < send) {
        const char *pn, *sn;
        if (*p != '/' || *s != '/') return 0;
        p++, s++;
        pn = memchr(p, '/', (size_t)(pend - p));
        sn = memchr(s, '/', (size_t)(send - s));
        if (!pn) pn = pend;
        if (!sn) sn = send;
        if (!match_segment(p, (size_t)(pn - p), s, (size_t)(sn - s), c)) return 0;
        p = pn, s = sn;
    }
    return p == pend && s == send;
}

static int method_is(h2o_iovec_t m, const char *want)
{
    if (rg_iov_eq(m, want)) return 1;
    return rg_iov_eq(m, "HEAD") && strcmp(want, "GET") == 0;
}

void rg_route_dispatch(rg_call *c)
{
    char allow[64] = "";
    size_t alen = 0;
    for (const rg_route *r = rg_routes; r->method != NULL; r++) {
        if (!match_path(r->pattern, c->req->path_normalized, c)) continue;
        if (method_is(c->req->method, r->method)) {
            /* h2o enforces the larger upload limit for every route; the
             * others keep --max-body */
            if (c->req->entity.len > c->w->app->cfg.max_body && r->fn != rg_h_recordings_create) {
                rg_reply_error(c, 413, 21617, "Request body too large");
                return;
            }
            r->fn(c);
            return;
        }
        alen += (size_t)snprintf(allow + alen, sizeof allow - alen, "%s%s", alen ? ", " : "",
                                 r->method);
        if (alen >= sizeof allow) alen = sizeof allow - 1;
    }
    if (alen > 0) {
        h2o_add_header(&c->req->pool, &c->req->res.headers, H2O_TOKEN_ALLOW, NULL,
                       h2o_strdup(&c->req->pool, allow, alen).base, alen);
        rg_reply_error(c, 405, 20004, "Method not allowed");
        return;
    }
    rg_reply_error(c, 404, 20404, "The requested resource was not found");
}

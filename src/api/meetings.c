/* api/meetings.c - VideoSDK rooms (seed 002): POST/GET /v2/rooms,
 * GET /v2/rooms/{roomId}, GET /v2/rooms/validate/{roomId},
 * POST /v2/rooms/deactivate, and the seed example server's aliases
 * POST /create-meeting and POST /validate-meeting/{id}.
 *
 * Auth is VideoSDK's: the raw JWT in Authorization (no "Bearer"), or for
 * the aliases also {token} in the body.  The token must be a VideoSDK token
 * (apikey claim) of a live key with the "crawler" role; its key's account
 * owns the rooms.  A token that names a roomId is a participant's token: it
 * may look at that room only (and deactivate it only with allow_mod), and
 * cannot create or list.
 * Errors carry VideoSDK codes in the standard error JSON. */
#include <stdio.h>

#include "app/meetings.h"
#include "core/errors.h"
#include "core/jsonw.h"
#include "core/timefmt.h"
#include "store/hotcache.h"
#include "http/limits.h"
#include "http/module.h"
#include "store/meetings.h"

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100

static const char *const P_TOKEN[] = {"token", NULL};
static const char *const P_CUSTOM[] = {"customRoomId", NULL};
static const char *const P_ROOM_ID[] = {"roomId", NULL};
static const char *const P_PAGE[] = {"page", NULL};
static const char *const P_PER_PAGE[] = {"perPage", NULL};

/* Who is calling: the token's key and account, and its room scope. */
typedef struct {
    char account_sid[RG_SID_SIZE];
    char key_sid[RG_SID_SIZE];
    char room[RG_IDENTITY_MAX + 1]; /* the roomId claim; "" = any room of the account */
    unsigned permissions;           /* RG_PERM_* */
    rg_token_result *token;         /* for the revocation check (load), in the pool */
} caller;

static int deny(rg_call *c, int status, int code, const char *msg)
{
    rg_reply_error(c, status, code, "%s", msg);
    return -1;
}

/* Validates tok as a VideoSDK token allowed to call the REST routes. */
static int auth_token(rg_call *c, const char *tok, size_t len, caller *who)
{
    rg_token_result r;
    int rc = 0;
    if (tok == NULL || len == 0)
        return deny(c, 401, RG_VSDK_INVALID_TOKEN,
                    "Missing token: send the VideoSDK JWT in the Authorization header");
    /* the token is the credential: failed ones count like wrong secrets */
    if (rg_limit_token_begin(c) != 0) return -1;
    rg_token_check(c->w->hmac, tok, len, c->now, rg_keycache_lookup_key, c->w->app->keys, &r);
    if (rg_limit_token_guess(r.code)) rg_limit_token_failed(c);
    if (r.kind == RG_TOKEN_VIDEOSDK && r.code == RG_TOK_BAD_ISSUER)
        rc = deny(c, 401, RG_VSDK_INVALID_APIKEY, "Invalid apikey: no such API key");
    else if (r.code != RG_TOK_VALID || r.kind != RG_TOKEN_VIDEOSDK)
        rc = deny(c, 401, RG_VSDK_INVALID_TOKEN,
                  r.code != RG_TOK_VALID ? rg_tok_message(r.code)
                                         : "Invalid token: a VideoSDK token (apikey) is required");
    else if ((r.roles & RG_ROLE_CRAWLER) == 0)
        rc = deny(c, 403, RG_VSDK_INVALID_PERMISSIONS,
                  "Invalid permissions: the REST API needs a token with the crawler role");
    if (rc == 0) {
        memcpy(who->account_sid, r.account_sid, RG_SID_SIZE);
        memcpy(who->key_sid, r.key_sid, RG_SID_SIZE);
        memcpy(who->room, r.room, sizeof who->room);
        who->permissions = r.permissions;
        who->token = h2o_mem_alloc_pool(&c->req->pool, sizeof *who->token);
        memcpy(who->token, &r, sizeof r);
        who->token->payload = NULL; /* rg_token_check makes none */
    }
    rg_token_result_clear(&r);
    return rc;
}

/* The raw JWT of the Authorization header. */
static int auth_header(rg_call *c, caller *who)
{
    ssize_t i = h2o_find_header(&c->req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    h2o_iovec_t v = i == -1 ? h2o_iovec_init(NULL, 0) : c->req->headers.entries[i].value;
    return auth_token(c, v.base, v.len, who);
}

/* The seed's server takes {token} in the body, else the header. */
static int auth_body_or_header(rg_call *c, caller *who)
{
    size_t len;
    const char *tok;
    if (rg_call_params(c) != 0) return -1;
    tok = rg_param(c, P_TOKEN, &len);
    return tok != NULL ? auth_token(c, tok, len, who) : auth_header(c, who);
}

/* Create and list are not about one room: a room-scoped token is refused. */
static int need_unscoped(rg_call *c, const caller *who)
{
    if (who->room[0] == '\0') return 0;
    return deny(c, 403, RG_VSDK_INVALID_PERMISSIONS,
                "Invalid permissions: this token is limited to one room");
}

/* The room as VideoSDK writes it, appended to w.  Built without jansson:
 * validate is a hot route and a DOM costs more than the whole lookup. */
static void room_jw(rg_jw *w, const rg_meeting *m)
{
    char created[RG_TIMEFMT_SIZE], updated[RG_TIMEFMT_SIZE];
    size_t clen = strlen(m->custom_room_id);
    rg_time_iso8601(m->date_created, created);
    rg_time_iso8601(m->date_updated, updated);
    rg_jw_lit(w, "{\"roomId\":\"");
    rg_jw_raw(w, m->room_id, strlen(m->room_id));
    rg_jw_lit(w, "\",\"customRoomId\":");
    if (clen > 0)
        rg_jw_str(w, m->custom_room_id, clen);
    else
        rg_jw_lit(w, "null");
    if (m->disabled)
        rg_jw_lit(w, ",\"disabled\":true,\"createdAt\":\"");
    else
        rg_jw_lit(w, ",\"disabled\":false,\"createdAt\":\"");
    rg_jw_raw(w, created, strlen(created));
    rg_jw_lit(w, "\",\"updatedAt\":\"");
    rg_jw_raw(w, updated, strlen(updated));
    rg_jw_lit(w, "\",\"id\":\"");
    rg_jw_raw(w, m->id, strlen(m->id));
    rg_jw_lit(w, "\",\"links\":{\"get_room\":\"/v2/rooms/");
    rg_jw_raw(w, m->room_id, strlen(m->room_id));
    rg_jw_lit(w, "\"},\"apiKey\":\"");
    rg_jw_raw(w, m->api_key, strlen(m->api_key));
    rg_jw_lit(w, "\"}");
}

/* Bytes room_jw needs at most: the fixed text, dates and ids, and a
 * customRoomId escaped at worst 6 bytes per byte (\u00XX). */
#define ROOM_JSON_CAP (512 + 6 * RG_IDENTITY_MAX)

static void reply_room(rg_call *c, const rg_meeting *m)
{
    char *buf = h2o_mem_alloc_pool(&c->req->pool, ROOM_JSON_CAP);
    rg_jw w;
    rg_jw_init(&w, buf, ROOM_JSON_CAP);
    room_jw(&w, m);
    rg_jw_lit(&w, "\n");
    rg_reply_pooled(c, 200, buf, w.len);
}

static void not_found(rg_call *c)
{
    rg_reply_error(c, 404, RG_VSDK_INVALID_MEETING, "Invalid roomId: no such room");
}

static void store_failed(rg_call *c)
{
    rg_reply_error(c, 503, 20500, "The room store is unavailable; try again");
}

/* Creates a room, or finds the account's room with this customRoomId. */
static int create(rg_call *c, const caller *who, rg_meeting *m)
{
    const char *custom;
    if (need_unscoped(c, who) != 0 || rg_call_params(c) != 0 ||
        rg_param_text(c, P_CUSTOM, 0, RG_IDENTITY_MAX, &custom) != 0)
        return -1;
    /* A path segment cannot carry '/' (it is decoded before routing), so
     * such a room could never be looked up again. */
    if (custom != NULL && strchr(custom, '/') != NULL) {
        rg_reply_error(c, 400, 21603, "Invalid parameter customRoomId: '/' is not allowed");
        return -1;
    }
    if (rg_app_meeting_create(c->w->app, who->account_sid, who->key_sid, custom, c->now, m) !=
        RG_OK) {
        store_failed(c);
        return -1;
    }
    return 0;
}

/* The room named by key, within the caller's account and room scope. */
static int load(rg_call *c, const caller *who, const char *key, size_t len, rg_meeting *m)
{
    int rc;
    if (len == 0 || len > RG_IDENTITY_MAX || !rg_text_valid(key, len)) {
        not_found(c);
        return -1;
    }
    rc = rg_hot_meeting_get(c->w->app->hot, c->w->app->store, who->account_sid, key, m);
    if (rc == RG_ENOTFOUND) {
        not_found(c);
        return -1;
    }
    if (rc != RG_OK) {
        store_failed(c);
        return -1;
    }
    if (who->room[0] != '\0' && strcmp(who->room, m->room_id) != 0 &&
        strcmp(who->room, m->custom_room_id) != 0)
        return deny(c, 403, RG_VSDK_INVALID_PERMISSIONS,
                    "Invalid permissions: this token is limited to another room");
    /* removed from this room by a kick: also a token for any room, which a
     * kick revokes for the room it was used in (the set knows the room by
     * its roomId, whatever name the token gives) */
    if (rg_revcache_token_revoked(c->w->app->revocations, NULL, NULL, who->token, m->room_id))
        return deny(c, 401, RG_VSDK_INVALID_TOKEN,
                    "Invalid token: it was revoked: removed from this room");
    return 0;
}

/* The path capture as a NUL-terminated string in the pool. */
static const char *arg(rg_call *c, size_t i)
{
    return h2o_strdup(&c->req->pool, c->args[i].base, c->args[i].len).base;
}

void rg_h_rooms_create(rg_call *c)
{
    caller who;
    rg_meeting m;
    if (auth_header(c, &who) != 0 || create(c, &who, &m) != 0) return;
    reply_room(c, &m);
}

void rg_h_rooms_list(rg_call *c)
{
    caller who;
    int64_t page, per_page, total;
    size_t count, cap;
    rg_meeting *rows;
    char *buf;
    rg_jw w;
    if (auth_header(c, &who) != 0 || need_unscoped(c, &who) != 0 || rg_call_params(c) != 0 ||
        rg_param_int(c, P_PAGE, 1, 1000000, 1, &page) != 0 ||
        rg_param_int(c, P_PER_PAGE, 1, PER_PAGE_MAX, PER_PAGE_DEFAULT, &per_page) != 0)
        return;
    rows = h2o_mem_alloc_pool(&c->req->pool, sizeof *rows * (size_t)per_page);
    if (rg_store_meeting_list(c->w->app->store, who.account_sid, (size_t)((page - 1) * per_page),
                              (size_t)per_page, rows, &count, &total) != RG_OK) {
        store_failed(c);
        return;
    }
    cap = 256 + count * (ROOM_JSON_CAP + 1);
    buf = h2o_mem_alloc_pool(&c->req->pool, cap);
    rg_jw_init(&w, buf, cap);
    rg_jw_lit(&w, "{\"pageInfo\":{\"currentPage\":");
    rg_jw_i64(&w, page);
    rg_jw_lit(&w, ",\"perPage\":");
    rg_jw_i64(&w, per_page);
    rg_jw_lit(&w, ",\"lastPage\":");
    rg_jw_i64(&w, total > 0 ? (total + per_page - 1) / per_page : 1);
    rg_jw_lit(&w, ",\"total\":");
    rg_jw_i64(&w, total);
    rg_jw_lit(&w, "},\"data\":[");
    for (size_t i = 0; i < count; i++) {
        if (i > 0) rg_jw_lit(&w, ",");
        room_jw(&w, &rows[i]);
    }
    rg_jw_lit(&w, "]}\n");
    rg_reply_pooled(c, 200, buf, w.len);
}

/* GET /v2/rooms/{roomId} and GET /v2/rooms/validate/{roomId}: roomId or
 * customRoomId. */
void rg_h_room_fetch(rg_call *c)
{
    caller who;
    rg_meeting m;
    if (auth_header(c, &who) != 0 || load(c, &who, arg(c, 0), c->args[0].len, &m) != 0) return;
    reply_room(c, &m);
}

/* Deactivation ends the room's session (app/meetings.h). */
void rg_h_room_deactivate(rg_call *c)
{
    caller who;
    rg_meeting m;
    const char *key;
    int rc;
    if (auth_header(c, &who) != 0 || rg_call_params(c) != 0 ||
        rg_param_text(c, P_ROOM_ID, 1, RG_IDENTITY_MAX, &key) != 0 ||
        load(c, &who, key, strlen(key), &m) != 0)
        return;
    if (who.room[0] != '\0' && (who.permissions & RG_PERM_ALLOW_MOD) == 0) {
        deny(c, 403, RG_VSDK_INVALID_PERMISSIONS,
             "Invalid permissions: deactivating needs allow_mod with a room-scoped token");
        return;
    }
    rc = rg_app_meeting_deactivate(c->w->app, who.account_sid, m.room_id, c->now, &m);
    if (rc != RG_OK) {
        if (rc == RG_ENOTFOUND)
            not_found(c);
        else
            store_failed(c);
        return;
    }
    reply_room(c, &m);
}

void rg_h_create_meeting(rg_call *c)
{
    caller who;
    rg_meeting m;
    if (auth_body_or_header(c, &who) != 0 || create(c, &who, &m) != 0) return;
    rg_reply_json(c, 200, json_pack("{s:s}", "meetingId", m.room_id));
}

void rg_h_validate_meeting(rg_call *c)
{
    caller who;
    rg_meeting m;
    if (auth_body_or_header(c, &who) != 0 || load(c, &who, arg(c, 0), c->args[0].len, &m) != 0)
        return;
    reply_room(c, &m);
}

/* VideoSDK rooms and the seed's aliases */
static const rg_route routes[] = {
    {"POST", "/v2/rooms", rg_h_rooms_create, RG_ROUTE_AUTH},
    {"GET", "/v2/rooms", rg_h_rooms_list, RG_ROUTE_AUTH},
    {"GET", "/v2/rooms/validate/{roomId}", rg_h_room_fetch, RG_ROUTE_AUTH},
    {"POST", "/v2/rooms/deactivate", rg_h_room_deactivate, RG_ROUTE_AUTH},
    {"GET", "/v2/rooms/{roomId}", rg_h_room_fetch, RG_ROUTE_AUTH},
    {"POST", "/create-meeting", rg_h_create_meeting, RG_ROUTE_AUTH},
    {"POST", "/validate-meeting/{id}", rg_h_validate_meeting, RG_ROUTE_AUTH},
    {NULL, NULL, NULL, 0},
};

const rg_module rg_mod_meetings = {.name = "meetings", .routes = routes};

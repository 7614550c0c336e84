/* signal/twilio.c - GET /signaling: Twilio's signaling for twilio-video.js
 * 2.x (signal/twilio.h; docs/migrate-from-twilio.md).  The connection's
 * envelope (hello -> welcome, msg, heartbeat, bye) and the client's room
 * messages: ice (-> iced with roomgate's STUN/TURN), connect (a join of the
 * hub: rg_sig_join), update (signal/twilio_room.c), disconnect.
 *
 * Bad input closes: a frame that is not an envelope, anything before
 * hello, a second hello, or a room message out of place gets a `bad` or
 * an error saying why, then the close.  The keepalive is Twilio's: the
 * welcome's negotiatedTimeout is the signaling ping interval; a heartbeat
 * goes out every interval, and a client silent for ping_misses intervals
 * is dropped. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/metrics.h"
#include "signal/signal.h"
#include "signal/twilio.h"
#include "crypto/random.h"
#include "turn/ice.h"

/* ---- sending ------------------------------------------------------------- */

void tw_send_body(sig_conn *c, json_t *body)
{
    char *s = rg_tw_wrap(body);
    if (s != NULL) rg_sig_send(c, s, strlen(s));
    free(s);
}

void tw_fail(sig_conn *c, int code, const char *message)
{
    tw_send_body(c, rg_tw_error(code, message));
    rg_sig_close(c,
                 rg_sig_close_status(code)); /* as a refused join (4052 for a deactivated room) */
    /* a connection kept for a session on its way (tw_on_closed) has no
     * socket to close: it ends from the reap timer */
    if (c->ws == NULL) rg_sig_reap(c);
}

/* An envelope the client got wrong: Twilio's `bad`, then the close. */
static void bad(sig_conn *c, const char *why)
{
    rg_sig_send_str(c, rg_sig_dump(json_pack("{s:s, s:s}", "type", "bad", "reason", why)));
    rg_sig_close(c, RG_WS_CLOSE_POLICY);
}

/* Appends text (taken) for tw_flush, which runs after this loop turn. */
static void queue_text(sig_conn *c, const char *to, char *text, size_t len)
{
    tw_conn *tw = tw_of(c);
    if (text == NULL) return;
    if (strlen(to) >= RG_SID_SIZE) {
        free(text);
        return;
    }
    if (tw->nout == tw->capout) {
        size_t cap = tw->capout ? 2 * tw->capout : 4;
        tw_out *o = realloc(tw->outbox, cap * sizeof *o);
        if (o == NULL) {
            free(text);
            return;
        }
        tw->outbox = o;
        tw->capout = cap;
    }
    tw_out *o = &tw->outbox[tw->nout++];
    strcpy(o->to, to);
    o->text = text;
    o->len = len;
    if (!h2o_timeout_is_linked(&tw->flush_entry))
        h2o_timeout_link(c->p.t->ctx->loop, &c->p.t->reap_timeout, &tw->flush_entry);
}

void tw_queue(sig_conn *c, const char *to, json_t *data)
{
    char *s = data ? rg_sig_dump(json_pack("{s:s, s:s, s:o}", "type", "signal", "from", c->p.sid,
                                           "data", data))
                   : NULL;
    if (s != NULL) queue_text(c, to, s, strlen(s));
}

/* My texts, made when first needed after a change of `mine` (the identity
 * is known only once admitted). */
static const char *me_tail(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    if (tw->me_tail == NULL &&
        tw_me_texts(c->p.identity ? c->p.identity : "", tw->mine, &tw->me_tail, &tw->me_rest) != 0)
        return NULL;
    return tw->me_tail;
}

void tw_queue_state(sig_conn *c, const char *to, int want, int paired)
{
    tw_conn *tw = tw_of(c);
    const char *tail = me_tail(c);
    size_t len;
    char *s = tail ? tw_state_text(tw->rev, tw->detached, want, paired, tail, &len) : NULL;
    if (s == NULL) return;
    if (strcmp(to, "*") == 0) tw->state_queued = 1;
    queue_text(c, to, s, len);
}

void tw_set_mine(sig_conn *c, json_t *mine)
{
    tw_conn *tw = tw_of(c);
    json_decref(tw->mine);
    tw->mine = mine;
    free(tw->me_tail);
    free(tw->me_rest);
    tw->me_tail = tw->me_rest = NULL;
    tw->rest_dirty = 1;
}

/* Randomness for the ids a join makes (its session, its tracks' sids,
 * peer connection ids), drawn from OpenSSL by the block: RAND_bytes costs
 * about as much per call as for a block, and one per id was ~2 % of a
 * join.  Each loop thread has its own pool (no lock); a byte is handed out
 * once, then wiped.  The server never forks, so no child shares a pool. */
#define TW_POOL 1024
int tw_random(void *out, size_t n)
{
    static _Thread_local uint8_t pool[TW_POOL];
    static _Thread_local size_t left;
    if (n > TW_POOL) return rg_random(out, n);
    if (n > left) {
        if (rg_random(pool, sizeof pool) != RG_OK) return RG_ECRYPTO;
        left = sizeof pool;
    }
    uint8_t *p = pool + sizeof pool - left;
    memcpy(out, p, n);
    memset(p, 0, n);
    left -= n;
    return RG_OK;
}

/* ---- room messages ------------------------------------------------------- */

int tw_admit(sig_conn *c, const rg_tw_msg *m, rg_sig_entry *e)
{
    rg_sig_thread *t = c->p.t;
    const char *message = NULL;
    int code = RG_SIG_E_SERVER;
    memset(e, 0, sizeof *e);
    /* ice and sync come before any join: they are refused whenever the
     * join would be, with its code (docs/security.md, "Twilio's ice and
     * sync are admitted as a connect") */
    if (t->hub->hooks.check != NULL && t->hub->hooks.check(t->w, m->token, m->token_len, m->name,
                                                           rg_hub_now(t), e, &code, &message) == 0)
        return 0;
    tw_fail(c, code, message ? message : "Could not join the room; try again");
    return -1;
}

/* ice: the token and its room are checked as a connect would be, then
 * the STUN/TURN servers: TURN credentials only for who could join now. */
static void on_ice(sig_conn *c, const rg_tw_msg *m)
{
    rg_sig_entry e;
    if (tw_admit(c, m, &e) == 0) {
        json_t *servers = rg_turn_ice_servers(c->p.t->w->app, e.identity, rg_hub_now(c->p.t));
        tw_send_body(c, json_pack("{s:s, s:o}", "type", "iced", "ice_servers",
                                  servers ? servers : json_array()));
    }
    free(e.identity);
}

/* connect: the tracks and the first offer are kept for when the hub's
 * `joined` comes (signal/twilio_room.c); the join is the hub's. */
static void on_connect(sig_conn *c, const rg_tw_msg *m)
{
    tw_conn *tw = tw_of(c);
    /* the session's id, then 16 bytes per track: one draw */
    uint8_t rnd[16 + RG_TW_MAX_TRACKS * 16];
    size_t n = json_array_size(m->tracks);
    json_t *mine;
    /* no participant: nothing published yet (an empty array for assign_sids) */
    if (tw_random(rnd, 16 + 16 * n) != RG_OK ||
        (mine = m->tracks ? rg_tw_assign_sids(m->tracks, NULL, rnd + 16) : json_array()) == NULL) {
        tw_fail(c, RG_SIG_E_SERVER, "Out of memory");
        return;
    }
    tw_set_mine(c, mine);
    rg_sid_format(tw->session, "SE", rnd);
    tw->client_rev = m->revision;
    tw->initial = m->peer_connections ? json_incref(m->peer_connections) : json_array();
    tw->connecting = 1;
    rg_sig_join(c, m->token, m->token_len, m->name);
}

static void on_room_message(sig_conn *c, json_t *body)
{
    tw_conn *tw = tw_of(c);
    rg_tw_msg m;
    const char *why;
    if (rg_tw_msg_parse(body, &m, &why) != RG_OK) {
        tw_fail(c, RG_SIG_E_INVALID_MESSAGE, why);
        return;
    }
    int before = !tw->connecting;
    switch (m.type) {
    case RG_TW_ICE:
        if (before) {
            on_ice(c, &m);
            return;
        }
        break;
    case RG_TW_CONNECT:
        if (before) {
            on_connect(c, &m);
            return;
        }
        break;
    case RG_TW_UPDATE:
        if (tw->joined) {
            tw_on_update(c, &m);
            return;
        }
        /* sent before `connected` reached the client: nothing to relay yet */
        if (tw->connecting) return;
        break;
    case RG_TW_SYNC:
        if (before) {
            tw_on_sync(c, &m);
            return;
        }
        break;
    case RG_TW_DISCONNECT:
        rg_sig_close(c, 1000);
        return;
    }
    tw_fail(c, RG_SIG_E_INVALID_MESSAGE, "This message is not expected now");
}

/* ---- the envelope -------------------------------------------------------- */

static void on_text(sig_conn *c, const uint8_t *text, size_t len)
{
    tw_conn *tw = tw_of(c);
    rg_tw_env e;
    const char *why;
    if (rg_tw_env_parse((const char *)text, len, &e, &why) != RG_OK) {
        rg_metrics_sig_message(c->p.t->w->metrics, 0);
        bad(c, why);
        return;
    }
    if (e.type == RG_TW_HELLO && tw->welcomed)
        bad(c, "hello was already said");
    else if (e.type != RG_TW_HELLO && !tw->welcomed)
        bad(c, "the first message is hello");
    else if (e.type == RG_TW_BYE)
        rg_sig_close(c, 1000);
    else if (e.type == RG_TW_HELLO || e.type == RG_TW_MSG) {
        if (e.type == RG_TW_HELLO) {
            char w[RG_TW_WELCOME_MAX];
            rg_sig_send(c, w, rg_tw_welcome(w, c->p.t->w->app->cfg.signal.ping_interval_ms));
            tw->welcomed = 1;
        }
        if (e.body != NULL) on_room_message(c, e.body);
    }
    /* a heartbeat only counts as heard (the keepalive) */
    rg_tw_env_clear(&e);
}

static void on_tick(sig_conn *c)
{
    static const char HEARTBEAT[] = "{\"type\":\"heartbeat\"}";
    if (tw_of(c)->welcomed) rg_sig_send(c, HEARTBEAT, sizeof HEARTBEAT - 1);
}

static void dispose(sig_conn *c)
{
    tw_conn *tw = tw_of(c);
    if (h2o_timeout_is_linked(&tw->flush_entry)) h2o_timeout_unlink(&tw->flush_entry);
    json_decref(tw->mine);
    json_decref(tw->peers);
    json_decref(tw->pcs);
    json_decref(tw->initial);
    for (size_t i = 0; i < tw->nout; i++)
        free(tw->outbox[i].text);
    free(tw->outbox);
    free(tw->me_tail);
    free(tw->me_rest);
    json_decref(tw->sync_pcs);
    json_decref(tw->sync_tracks);
    tw_drop_resumed(c);
    if (h2o_timeout_is_linked(&tw->session_entry)) h2o_timeout_unlink(&tw->session_entry);
    if (h2o_timeout_is_linked(&tw->adopt_entry)) h2o_timeout_unlink(&tw->adopt_entry);
}

static const sig_wire WIRE = {
    .on_text = on_text,
    .on_tick = on_tick,
    .dispose = dispose,
    .on_closed = tw_on_closed,
    .ext_size = sizeof(tw_conn),
    .what = "GET /signaling is a WebSocket endpoint (HTTP/1.1 Upgrade: websocket)",
};

void rg_h_twilio_signal(rg_call *call)
{
    sig_conn *c = rg_sig_accept(call, &tw_proto, &WIRE);
    if (c == NULL) return;
    tw_conn *tw = tw_of(c);
    tw->conn = c;
    tw->flush_entry.cb = tw_flush;
    tw->session_entry.cb = tw_on_session_timeout;
    tw->adopt_entry.cb = tw_adopt;
    tw->peers = json_object();
    tw->pcs = json_object();
    rg_bucket_init(&tw->track_budget, TW_TRACK_EVENTS_RATE, TW_TRACK_EVENTS_BURST,
                   (int64_t)h2o_now(c->p.t->ctx->loop));
}

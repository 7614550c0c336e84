/* signal/proto_roomgate.c - roomgate's own wire protocol over the hub
 * (GET /v1/signal, docs/signaling.md): the client's frames checked and
 * dispatched (signal/proto_roomgate_msg.c does each message), and the
 * hub's events told in this protocol's words.  The connection itself
 * (limits, keepalive, the deadline) is signal/conn.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/roomtype.h"
#include "http/metrics.h"
#include "signal/proto_roomgate_msg.h"
#include "signal/signal.h"
#include "turn/ice.h"

/* ---- receiving ----------------------------------------------------------- */

static void dispatch(sig_conn *c, const rg_sig_msg *m)
{
    const char *why;
    int fatal;
    if (rg_sig_allowed(c->p.state, m->type, &why, &fatal) != RG_OK) {
        if (fatal)
            rg_sig_fail(c, RG_SIG_E_INVALID_MESSAGE, why);
        else
            rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_INVALID_MESSAGE, why));
        return;
    }
    switch (m->type) {
    case RG_SIG_JOIN:
        rg_sig_join(c, m->token, m->token_len, m->room);
        break;
    case RG_SIG_SIGNAL:
        rg_sig_on_signal(c, m);
        break;
    case RG_SIG_ENTRY_RESPONSE:
        rg_sig_on_entry_response(c, m);
        break;
    case RG_SIG_MUTE:
        rg_sig_on_mute(c, m);
        break;
    case RG_SIG_KICK:
        rg_sig_on_kick(c, m);
        break;
    }
}

static void on_text(sig_conn *c, const uint8_t *text, size_t len)
{
    rg_sig_msg m;
    const char *why;
    rg_wmetrics *metrics = c->p.t->w->metrics;
    if (rg_sig_parse((const char *)text, len, &m, &why) != RG_OK) {
        rg_metrics_sig_message(metrics, 0);
        /* before the join nothing is trusted: a bad first message closes */
        if (c->p.state == RG_SIGST_NEW)
            rg_sig_fail(c, RG_SIG_E_INVALID_MESSAGE, why);
        else
            rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_INVALID_MESSAGE, why));
        return;
    }
    rg_metrics_sig_message(metrics, (int)m.type);
    dispatch(c, &m);
    rg_sig_msg_clear(&m);
}

/* ---- the hub's events in this protocol's words --------------------------- */

/* The lobby answered this guest: it hears the decision, then enters or
 * goes. */
static void on_admit(sig_conn *c, int allowed)
{
    if (c->p.state != RG_SIGST_LOBBY) return;
    rg_sig_send_str(c, rg_sig_dump(json_pack("{s:s, s:s}", "type", "entry_responded", "decision",
                                             allowed ? "allowed" : "denied")));
    rg_sig_admitted(c, allowed);
}

static void deliver(rg_hub_peer *p, const rg_hub_event *ev)
{
    sig_conn *c = (sig_conn *)p;
    if (c->closing) return;
    switch (ev->kind) {
    case RG_HUB_JOINED:
        rg_sig_send_str(c, rg_sig_peer_json("participant_joined", ev->sid, ev->identity));
        break;
    case RG_HUB_LEFT:
        rg_sig_send_str(c, rg_sig_peer_json("participant_left", ev->sid, ev->identity));
        break;
    case RG_HUB_CLOSE: /* already out of the room */
        rg_sig_fail(c, ev->code, ev->text);
        break;
    case RG_HUB_WAITING:
        rg_sig_send_str(c, rg_sig_peer_json("waiting", ev->sid, ev->identity));
        rg_sig_wait(c);
        break;
    case RG_HUB_ENTRY_REQUESTED:
        rg_sig_send_str(c, rg_sig_peer_json("entry_requested", ev->sid, ev->identity));
        break;
    case RG_HUB_ENTRY_SETTLED:
        rg_sig_send_str(c, rg_sig_entry_json(ev->sid, ev->identity, ev->text));
        break;
    case RG_HUB_ADMIT:
        on_admit(c, ev->code);
        break;
    case RG_HUB_RELAY: /* bytes a peer of this protocol made */
        rg_sig_send(c, ev->text, ev->len);
        break;
    case RG_HUB_RESYNC: {
        static const char msg[] = "{\"type\":\"resync\",\"reason\":\"signaling_interrupted\"}";
        rg_sig_send(c, msg, sizeof msg - 1);
        break;
    }
    case RG_HUB_UNDELIVERED: /* it sends no relay asking to hear of this */
        break;
    }
}

static json_t *peer_json(const char *sid, const char *identity)
{
    return json_pack("{s:s, s:s}", "sid", sid, "identity", identity);
}

/* joined: the room, p, the participants already in, and ICE servers. */
static void entered(rg_hub_peer *p, rg_hub_room *room)
{
    json_t *list = json_array();
    json_t *ice = rg_turn_ice_servers(p->t->w->app, p->identity, rg_hub_now(p->t));
    for (rg_hub_member *o = room->members; o && list; o = o->next)
        if (o->lobby == 0) json_array_append_new(list, peer_json(o->sid, o->identity));
    rg_sig_send_str((sig_conn *)p,
                    rg_sig_dump(json_pack(
                        "{s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o}", "type", "joined", "room", "sid",
                        room->sid, "name", room->name, "type", rg_room_type_name(room->type),
                        "participant", peer_json(p->sid, p->identity), "participants",
                        list ? list : json_array(), "ice_servers", ice ? ice : json_array())));
}

static void fail(rg_hub_peer *p, int code, const char *message)
{
    sig_conn *c = (sig_conn *)p;
    rg_sig_send_str(c, rg_sig_error_json(code, message));
    rg_sig_close(c, rg_sig_close_status(code));
}

static void drain_hint(rg_hub_peer *p, int close_in_ms)
{
    char hint[128];
    snprintf(hint, sizeof hint,
             "{\"type\":\"reconnect\",\"reason\":\"draining\",\"close_in_ms\":%d}", close_in_ms);
    rg_sig_send((sig_conn *)p, hint, strlen(hint));
}

static void shut(rg_hub_peer *p)
{
    sig_conn *c = (sig_conn *)p;
    if (c->closing || c->dead) return;
    rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_SERVER, "The server is shutting down"));
    rg_sig_close(c, RG_WS_CLOSE_GOING_AWAY);
}

static const rg_sig_proto ROOMGATE = {
    "roomgate",          deliver,    entered, fail,
    rg_sig_conn_is_open, drain_hint, shut,    rg_sig_conn_destroy_peer,
};

static const sig_wire WIRE = {
    on_text, NULL, NULL, 0, "GET /v1/signal is a WebSocket endpoint (HTTP/1.1 Upgrade: websocket)",
    NULL,
};

void rg_h_signal(rg_call *call)
{
    rg_sig_accept(call, &ROOMGATE, &WIRE);
}

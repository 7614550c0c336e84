/* signal/proto_roomgate_msg.c - roomgate's protocol: a client's relay
 * (signal), lobby answer (entry_response), mute and kick, each turned
 * into the hub's terms (signal/hub.h) and answered in this
 * protocol's words. */
#include "signal/proto_roomgate_msg.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"

static void no_such(sig_conn *c, const char *what)
{
    rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_UNKNOWN_PARTICIPANT, what));
}

void rg_sig_on_signal(sig_conn *c, const rg_sig_msg *m)
{
    char *out = rg_sig_relay_json(m, c->p.sid);
    if (out == NULL) {
        rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_SERVER, "Out of memory"));
        return;
    }
    if (rg_hub_relay(&c->p, m->target, out, strlen(out)) != RG_OK)
        no_such(c, "No such participant in this room");
    free(out);
}

static int permitted(sig_conn *c, rg_sig_type type)
{
    if (rg_sig_permitted(c->p.perms, type)) return 1;
    rg_sig_send_str(
        c, rg_sig_error_json(RG_SIG_E_PERMISSION, type == RG_SIG_ENTRY_RESPONSE
                                                      ? "Answering the lobby needs allow_join"
                                                      : "Moderation needs allow_mod"));
    return 0;
}

void rg_sig_on_entry_response(sig_conn *c, const rg_sig_msg *m)
{
    if (!permitted(c, RG_SIG_ENTRY_RESPONSE)) return;
    if (rg_hub_answer(&c->p, m->target, m->allowed) != RG_OK)
        no_such(c, "No such guest waiting in the lobby");
}

void rg_sig_on_mute(sig_conn *c, const rg_sig_msg *m)
{
    char *body;
    if (!permitted(c, RG_SIG_MUTE)) return;
    body = rg_sig_dump(json_pack("{s:s, s:s, s:s}", "type", "mute", "kind",
                                 m->kind == RG_SIG_AUDIO ? "audio" : "video", "by", c->p.sid));
    if (body && rg_hub_relay(&c->p, m->target, body, strlen(body)) != RG_OK)
        no_such(c, "No such participant in this room");
    free(body);
}

/* As the REST kick (the kick hook): the store disconnects and revokes,
 * and the live connection is closed on whichever loop it runs. */
void rg_sig_on_kick(sig_conn *c, const rg_sig_msg *m)
{
    int rc;
    if (!permitted(c, RG_SIG_KICK)) return;
    if ((rc = rg_hub_kick(&c->p, m->target)) == RG_ENOTFOUND)
        no_such(c, "No such participant in this room");
    else if (rc != RG_OK)
        rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_SERVER, "Could not remove the participant"));
}

/* signal_room.c - what a joined participant may say: relay to a peer of
 * the same room, answer the lobby (allow_join), mute and kick (allow_mod).
 * Targets are looked up in the sender's room only, so nothing crosses
 * rooms or accounts. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "http/rooms_app.h"
#include "http/signal_int.h"

static char *dump(json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    return s;
}

static void no_such(sig_conn *c, const char *what)
{
    rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_UNKNOWN_PARTICIPANT, what));
}

/* Sends body to the participant sid of c's room (not c itself); -1 when
 * there is none. */
static int post_to_participant(sig_conn *c, const char *sid, const char *body)
{
    sig_member *m;
    int rc = -1;
    pthread_mutex_lock(&c->room->lock);
    if (strcmp(sid, c->sid) != 0 && (m = rg_sig_member_find(c->room, sid)) != NULL &&
        m->lobby == 0) {
        rg_sig_post(c->t->hub, m->thread, m->sid, POST_SEND, 0, body, strlen(body));
        rc = 0;
    }
    pthread_mutex_unlock(&c->room->lock);
    return rc;
}

void rg_sig_on_signal(sig_conn *c, const rg_sig_msg *m)
{
    char *out =
        dump(json_pack("{s:s, s:s, s:O}", "type", "signal", "from", c->sid, "data", m->data));
    if (out == NULL) {
        rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_SERVER, "Out of memory"));
        return;
    }
    if (post_to_participant(c, m->target, out) != 0) no_such(c, "No such participant in this room");
    free(out);
}

static int permitted(sig_conn *c, rg_sig_type type)
{
    if (rg_sig_permitted(c->perms, type)) return 1;
    rg_sig_send_str(
        c, rg_sig_error_json(RG_SIG_E_PERMISSION, type == RG_SIG_ENTRY_RESPONSE
                                                      ? "Answering the lobby needs allow_join"
                                                      : "Moderation needs allow_mod"));
    return 0;
}

void rg_sig_on_entry_response(sig_conn *c, const rg_sig_msg *m)
{
    sig_member *g;
    char *body;
    int answered = 0;
    if (!permitted(c, RG_SIG_ENTRY_RESPONSE)) return;
    body = dump(json_pack("{s:s, s:s}", "type", "entry_responded", "decision",
                          m->allowed ? "allowed" : "denied"));
    if (body == NULL) return;
    pthread_mutex_lock(&c->room->lock);
    /* the first answer wins; the guest is told on its own loop */
    if ((g = rg_sig_member_find(c->room, m->target)) != NULL && g->lobby == 1) {
        g->lobby = 2;
        answered = 1;
        rg_sig_post(c->t->hub, g->thread, g->sid, POST_ADMIT, m->allowed, body, strlen(body));
        /* the other hosts drop the request from their screens */
        rg_sig_tell_hosts(c->t->hub, c->room, g, m->allowed ? "allowed" : "denied", c->sid);
    }
    pthread_mutex_unlock(&c->room->lock);
    if (!answered) no_such(c, "No such guest waiting in the lobby");
    free(body);
}

void rg_sig_on_mute(sig_conn *c, const rg_sig_msg *m)
{
    char *body;
    if (!permitted(c, RG_SIG_MUTE)) return;
    body = dump(json_pack("{s:s, s:s, s:s}", "type", "mute", "kind",
                          m->kind == RG_SIG_AUDIO ? "audio" : "video", "by", c->sid));
    if (body && post_to_participant(c, m->target, body) != 0)
        no_such(c, "No such participant in this room");
    free(body);
}

/* As the REST kick: the store disconnects and revokes, and rg_rooms_kick
 * closes the live connection (rg_signal_remove), on whichever loop. */
void rg_sig_on_kick(sig_conn *c, const rg_sig_msg *m)
{
    rg_room room;
    rg_participant part;
    sig_member *t;
    int present;
    if (!permitted(c, RG_SIG_KICK)) return;
    pthread_mutex_lock(&c->room->lock);
    t = rg_sig_member_find(c->room, m->target);
    present = t != NULL && t->lobby == 0 && strcmp(m->target, c->sid) != 0;
    pthread_mutex_unlock(&c->room->lock);
    if (!present) {
        no_such(c, "No such participant in this room");
        return;
    }
    memset(&room, 0, sizeof room);
    memcpy(room.sid, c->room->sid, sizeof room.sid);
    memcpy(room.account_sid, c->room->account_sid, sizeof room.account_sid);
    strncpy(room.unique_name, c->room->name, sizeof room.unique_name - 1);
    if (rg_rooms_kick(c->t->w->app, &room, m->target, rg_sig_now(c->t), &part) != RG_OK)
        rg_sig_send_str(c, rg_sig_error_json(RG_SIG_E_SERVER, "Could not remove the participant"));
}

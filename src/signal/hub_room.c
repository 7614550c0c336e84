/* signal/hub_room.c - what a joined participant does to others of its
 * room, whatever its wire protocol: relay to a peer, answer the lobby,
 * kick.  Targets are looked up in the sender's room only, so nothing
 * crosses rooms or accounts.  Permissions are the protocol's to check
 * (core/sigadmit.h's rg_sig_permitted) before it asks. */
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/twmsg.h"
#include "signal/hub.h"

int rg_hub_relay(rg_hub_peer *p, const char *to, const char *body, size_t len)
{
    rg_hub_member *m;
    rg_hub_event ev = {RG_HUB_RELAY, 0, p->sid, p->identity, body, len};
    int rc = RG_ENOTFOUND;
    pthread_mutex_lock(&p->room->lock);
    /* a protocol's bytes mean nothing to another protocol's client */
    if (strcmp(to, p->sid) != 0 && (m = rg_hub_member_find(p->room, to)) != NULL && m->lobby == 0 &&
        rg_hub_same_proto(m->proto, p->proto)) {
        rg_hub_post(p->t->hub, m, &ev);
        rc = RG_OK;
    }
    pthread_mutex_unlock(&p->room->lock);
    return rc;
}

int rg_hub_answer(rg_hub_peer *p, const char *guest, int allowed)
{
    rg_hub_member *g;
    rg_hub_event ev = {RG_HUB_ADMIT, allowed, NULL, NULL, NULL, 0};
    int rc = RG_ENOTFOUND;
    pthread_mutex_lock(&p->room->lock);
    /* the first answer wins; the guest is told on its own loop */
    if ((g = rg_hub_member_find(p->room, guest)) != NULL && g->lobby == 1) {
        g->lobby = 2;
        rc = RG_OK;
        if (g->thread == RG_HUB_REMOTE) {
            /* a host on another node may answer at once: the guest's node
             * takes the first answer it hears and tells the hosts which */
            ev.sid = p->sid;
            rg_hub_post(p->t->hub, g, &ev);
        } else {
            rg_hub_post(p->t->hub, g, &ev);
            /* the other hosts drop the request from their screens */
            rg_hub_tell_hosts(p->t->hub, p->room, g, allowed ? "allowed" : "denied", p->sid);
        }
    }
    pthread_mutex_unlock(&p->room->lock);
    return rc;
}

/* As the REST kick: the hook disconnects and revokes in the store, and
 * closes the live connection (rg_signal_remove), on whichever loop. */
int rg_hub_kick(rg_hub_peer *p, const char *target)
{
    rg_hub_member *m;
    rg_room room;
    int present;
    pthread_mutex_lock(&p->room->lock);
    m = rg_hub_member_find(p->room, target);
    present = m != NULL && m->lobby == 0 && strcmp(target, p->sid) != 0;
    pthread_mutex_unlock(&p->room->lock);
    if (!present) return RG_ENOTFOUND;
    memset(&room, 0, sizeof room);
    memcpy(room.sid, p->room->sid, sizeof room.sid);
    memcpy(room.account_sid, p->room->account_sid, sizeof room.account_sid);
    strncpy(room.unique_name, p->room->name, sizeof room.unique_name - 1);
    int rc = p->t->hub->hooks.kick(p->t->w, &room, target, rg_hub_now(p->t));
    /* RG_ENOTFOUND says "not in this room" to the caller; the store not
     * finding a member the room holds is a failure to remove it */
    return rc == RG_ENOTFOUND ? RG_EIO : rc;
}

/* ---- track events at the writer -------------------------------------------- */

struct rg_hub_tracks {
    char sid[RG_SID_SIZE];
    int64_t now;
    size_t n;
    rg_track_event ev[2 * RG_TW_MAX_TRACKS];
    char text[]; /* the events' strings */
};

/* A copy of the events, their strings after them; NULL on OOM. */
static struct rg_hub_tracks *tracks_copy(const rg_hub_peer *p, const rg_track_event *ev, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(ev[i].sid) + strlen(ev[i].kind) + strlen(ev[i].name) + 3;
    struct rg_hub_tracks *tr = malloc(sizeof *tr + len);
    if (tr == NULL) return NULL;
    memcpy(tr->sid, p->sid, sizeof tr->sid);
    tr->now = rg_hub_now(p->t);
    tr->n = n;
    char *d = tr->text;
    for (size_t i = 0; i < n; i++) {
        const char *src[3] = {ev[i].sid, ev[i].kind, ev[i].name};
        const char *dst[3];
        for (int k = 0; k < 3; k++) {
            size_t l = strlen(src[k]) + 1;
            memcpy(d, src[k], l);
            dst[k] = d;
            d += l;
        }
        tr->ev[i] = (rg_track_event){ev[i].change, dst[0], dst[1], dst[2]};
    }
    return tr;
}

static void tracks_write(rg_sig_hub *hub, rg_hub_job **jobs, int n)
{
    for (int j = 0; j < n; j++) {
        const struct rg_hub_tracks *tr = jobs[j]->tracks;
        hub->hooks.tracks(hub->app, tr->sid, tr->ev, tr->n, tr->now);
    }
}

static void tracks_written(rg_sig_thread *t, rg_hub_job *job)
{
    (void)t, (void)job; /* nothing to tell: recording never fails an update */
}

void rg_hub_tracks(rg_hub_peer *p, const rg_track_event *ev, size_t n)
{
    rg_sig_hub *hub = p->t->hub;
    rg_hub_job *job;
    if (n == 0 || hub->hooks.tracks == NULL) return;
    if (n > 2 * RG_TW_MAX_TRACKS) n = 2 * RG_TW_MAX_TRACKS;
    if (hub->writer != NULL && !p->t->disposing &&
        (job = rg_hub_job_new(p->t, tracks_write, tracks_written)) != NULL) {
        if ((job->tracks = tracks_copy(p, ev, n)) != NULL) {
            rg_hub_writer_post(hub, job);
            return;
        }
        free(job);
    }
    hub->hooks.tracks(hub->app, p->sid, ev, n, rg_hub_now(p->t));
}

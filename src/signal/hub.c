/* signal/hub.c - the rooms shared by every loop, their members, delivery
 * of events between loops, the per-address counts and the per-loop
 * set-up and drain (rules in signal/hub.h).  Nothing here knows a wire
 * protocol: events reach a connection through its protocol's ops. */
#include "signal/hub.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"
#include "http/module.h"
#include "signal/joinrate.h"
#include "signal/signal.h"

rg_sig_hub *rg_hub_new(rg_app *app, const rg_sig_hooks *hooks)
{
    const rg_signal_config *cfg = &app->cfg.signal;
    rg_sig_hub *hub = calloc(1, sizeof *hub);
    if (hub == NULL) return NULL;
    if ((hub->joins = rg_joinrate_new(cfg->join_burst, cfg->join_interval_ms)) == NULL) {
        free(hub);
        return NULL;
    }
    pthread_mutex_init(&hub->lock, NULL);
    hub->app = app;
    hub->hooks = *hooks;
    return hub;
}

void rg_hub_free(rg_sig_hub *hub)
{
    if (hub == NULL) return;
    /* the loops are gone: every connection released its room and address */
    rg_addrcount_clear(&hub->ips);
    for (int i = 0; i < 256; i++)
        if (hub->threads[i] != NULL) {
            pthread_mutex_destroy(&hub->threads[i]->post_lock);
            free(hub->threads[i]);
        }
    rg_joinrate_free(hub->joins);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

int64_t rg_hub_now(const rg_sig_thread *t)
{
    return (int64_t)(h2o_now(t->ctx->loop) / 1000);
}

/* ---- rooms and members --------------------------------------------------- */

static rg_hub_room **room_slot(rg_sig_hub *hub, const char *sid)
{
    rg_hub_room **p = &hub->rooms[rg_fnv1a_str(sid) % SIG_ROOM_BUCKETS];
    while (*p && strcmp((*p)->sid, sid) != 0)
        p = &(*p)->next;
    return p;
}

static rg_hub_room *room_new(const rg_room *r)
{
    rg_hub_room *room = calloc(1, sizeof *room);
    if (room == NULL) return NULL;
    if ((room->name = strdup(r->unique_name)) == NULL) {
        free(room);
        return NULL;
    }
    memcpy(room->sid, r->sid, sizeof room->sid);
    memcpy(room->account_sid, r->account_sid, sizeof room->account_sid);
    room->type = r->type;
    pthread_mutex_init(&room->lock, NULL);
    return room;
}

rg_hub_room *rg_hub_room_ref(rg_sig_hub *hub, const rg_room *r)
{
    rg_hub_room **p, *room;
    pthread_mutex_lock(&hub->lock);
    p = room_slot(hub, r->sid);
    if ((room = *p) == NULL && (room = room_new(r)) != NULL) {
        *p = room;
        RG_HUB_FANOUT(hub, room, room->sid, 1);
    }
    if (room) room->refs++;
    pthread_mutex_unlock(&hub->lock);
    return room;
}

rg_hub_room *rg_hub_room_find(rg_sig_hub *hub, const char *room_sid)
{
    rg_hub_room *room;
    pthread_mutex_lock(&hub->lock);
    if ((room = *room_slot(hub, room_sid)) != NULL) room->refs++;
    pthread_mutex_unlock(&hub->lock);
    return room;
}

void rg_hub_room_unref(rg_sig_hub *hub, rg_hub_room *room)
{
    rg_hub_room **p;
    pthread_mutex_lock(&hub->lock);
    if (--room->refs == 0) {
        p = room_slot(hub, room->sid);
        *p = room->next;
        RG_HUB_FANOUT(hub, room, room->sid, 0);
        /* what is left are other nodes' members: nobody here to tell */
        for (rg_hub_member *m = room->members, *next; m; m = next) {
            next = m->next;
            rg_hub_member_free(m);
        }
        pthread_mutex_destroy(&room->lock);
        free(room->name);
        free(room);
    }
    pthread_mutex_unlock(&hub->lock);
}

void rg_hub_room_hold(rg_sig_hub *hub, rg_hub_room *room)
{
    pthread_mutex_lock(&hub->lock);
    room->refs++;
    pthread_mutex_unlock(&hub->lock);
}

rg_hub_member *rg_hub_member_find(rg_hub_room *room, const char *sid)
{
    for (rg_hub_member *m = room->members; m; m = m->next)
        if (strcmp(m->sid, sid) == 0) return m;
    return NULL;
}

rg_hub_member *rg_hub_member_take(rg_hub_room *room, const char *sid)
{
    for (rg_hub_member **p = &room->members; *p; p = &(*p)->next)
        if (strcmp((*p)->sid, sid) == 0) {
            rg_hub_member *m = *p;
            *p = m->next;
            m->next = NULL;
            return m;
        }
    return NULL;
}

void rg_hub_member_free(rg_hub_member *m)
{
    if (m == NULL) return;
    free(m->identity);
    free(m->tracks);
    free(m->state);
    free(m);
}

/* ---- the sid table of a loop ------------------------------------------- */

static uint32_t hash_sid(const char *sid)
{
    return rg_fnv1a_str(sid) % SIG_CONN_BUCKETS;
}

static rg_hub_peer *peer_lookup(rg_sig_thread *t, const char *sid)
{
    for (rg_hub_peer *p = t->conns[hash_sid(sid)]; p; p = p->next)
        if (strcmp(p->sid, sid) == 0) return p;
    return NULL;
}

rg_hub_peer *rg_hub_peer_find(rg_sig_thread *t, const char *sid)
{
    return peer_lookup(t, sid);
}

/* Once admitted (its sid known) a peer can be reached by events. */
void rg_hub_peer_index(rg_hub_peer *p)
{
    rg_hub_peer **head = &p->t->conns[hash_sid(p->sid)];
    p->next = *head;
    *head = p;
    p->in_table = 1;
}

void rg_hub_peer_attach(rg_sig_thread *t, rg_hub_peer *p, const rg_sig_proto *proto)
{
    p->proto = proto;
    p->t = t;
    h2o_linklist_insert(&t->all, &p->link);
}

void rg_hub_peer_unindex(rg_hub_peer *p)
{
    if (p->in_table)
        for (rg_hub_peer **q = &p->t->conns[hash_sid(p->sid)]; *q; q = &(*q)->next)
            if (*q == p) {
                *q = p->next;
                break;
            }
    p->in_table = 0;
}

void rg_hub_peer_detach(rg_hub_peer *p)
{
    rg_hub_peer_unindex(p);
    if (h2o_linklist_is_linked(&p->link)) h2o_linklist_unlink(&p->link);
}

/* ---- delivery ------------------------------------------------------------ */

/* An event on its way to another loop, its strings copied after it. */
typedef struct {
    h2o_multithread_message_t super;
    rg_hub_event ev;
    char to[RG_SID_SIZE];
    char sid[RG_SID_SIZE];
    char data[]; /* identity \0 text \0 */
} hub_post;

static void deliver(rg_sig_thread *t, const char *to, const rg_hub_event *ev)
{
    rg_hub_peer *p = peer_lookup(t, to);
    if (p != NULL) {
        p->proto->deliver(p, ev);
    } else if (ev->kind == RG_HUB_RELAY && ev->code > 0 && ev->sid != NULL) {
        rg_hub_event back = {RG_HUB_UNDELIVERED, 0, to, NULL, NULL, 0};
        rg_hub_member sender;
        memset(&sender, 0, sizeof sender);
        memcpy(sender.sid, ev->sid, sizeof sender.sid);
        sender.thread = ev->code - 1;
        rg_hub_post(t->hub, &sender, &back);
    }
}

static hub_post *post_new(const char *to, const rg_hub_event *ev)
{
    size_t ilen = ev->identity ? strlen(ev->identity) : 0;
    size_t tlen = ev->text ? (ev->kind == RG_HUB_RELAY ? ev->len : strlen(ev->text)) : 0;
    hub_post *p = malloc(sizeof *p + ilen + tlen + 2);
    if (p == NULL) return NULL;
    memset(&p->super, 0, sizeof p->super);
    p->ev = *ev;
    memcpy(p->to, to, sizeof p->to);
    memset(p->sid, 0, sizeof p->sid);
    if (ev->sid) strncpy(p->sid, ev->sid, sizeof p->sid - 1);
    p->ev.sid = ev->sid ? p->sid : NULL;
    memcpy(p->data, ev->identity ? ev->identity : "", ilen + 1);
    p->ev.identity = ev->identity ? p->data : NULL;
    if (tlen) memcpy(p->data + ilen + 1, ev->text, tlen);
    p->data[ilen + 1 + tlen] = '\0';
    p->ev.text = ev->text ? p->data + ilen + 1 : NULL;
    p->ev.len = tlen;
    return p;
}

/* An event for a peer of the calling loop is delivered at once when
 * nothing posted to that loop earlier is still queued (so the order the
 * room's lock gave is kept): a relay between two peers of one loop costs
 * no wake-up.  An admission always queues: it takes the room's lock,
 * which the poster may hold. */
void rg_hub_post(rg_sig_hub *hub, const rg_hub_member *to, const rg_hub_event *ev)
{
    rg_sig_thread *t;
    hub_post *p;
    if (to->thread == RG_HUB_REMOTE) {
        RG_HUB_FANOUT(hub, post, to, ev);
        return;
    }
    if ((t = hub->threads[to->thread]) == NULL) return;
    if (ev->kind != RG_HUB_ADMIT && pthread_equal(t->owner, pthread_self()) &&
        atomic_load(&t->queued) == 0) {
        deliver(t, to->sid, ev);
        return;
    }
    if ((p = post_new(to->sid, ev)) == NULL) return; /* out of memory: lost, as on a network */
    /* a loop disposing its signaling (shutdown: the others may still be
     * draining theirs) takes no more posts */
    pthread_mutex_lock(&t->post_lock);
    if (t->closed) {
        pthread_mutex_unlock(&t->post_lock);
        free(p);
        return;
    }
    atomic_fetch_add(&t->queued, 1);
    h2o_multithread_send_message(&t->receiver, &p->super);
    pthread_mutex_unlock(&t->post_lock);
}

static void on_posts(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    rg_sig_thread *t = H2O_STRUCT_FROM_MEMBER(rg_sig_thread, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        hub_post *p = H2O_STRUCT_FROM_MEMBER(hub_post, super.link, messages->next);
        h2o_linklist_unlink(&p->super.link);
        deliver(t, p->to, &p->ev);
        atomic_fetch_sub(&t->queued, 1);
        free(p);
    }
}

void rg_hub_broadcast(rg_sig_hub *hub, rg_hub_room *room, const char *except,
                      const rg_hub_event *ev)
{
    for (rg_hub_member *m = room->members; m; m = m->next)
        if (m->lobby == 0 && (except == NULL || strcmp(m->sid, except) != 0))
            rg_hub_post(hub, m, ev);
}

void rg_hub_tell_hosts(rg_sig_hub *hub, rg_hub_room *room, const rg_hub_member *guest,
                       const char *decision, const char *except)
{
    rg_hub_event ev = {RG_HUB_ENTRY_SETTLED, 0, guest->sid, guest->identity, decision, 0};
    for (rg_hub_member *h = room->members; h; h = h->next)
        if (h->lobby == 0 && (h->perms & RG_PERM_ALLOW_JOIN) && h->thread != RG_HUB_REMOTE &&
            (except == NULL || strcmp(h->sid, except) != 0))
            rg_hub_post(hub, h, &ev);
    /* the other nodes' hosts, whether or not this node knows them yet */
    RG_HUB_FANOUT(hub, settled, guest, decision, except);
}

void rg_hub_evict(rg_sig_hub *hub, rg_hub_room *room, rg_hub_member *m, int code,
                  const char *message)
{
    rg_hub_event close = {RG_HUB_CLOSE, code, NULL, NULL, message, 0};
    rg_hub_event left = {RG_HUB_LEFT, 0, m->sid, m->identity, NULL, 0};
    rg_hub_post(hub, m, &close);
    if (m->lobby == 0) rg_hub_broadcast(hub, room, NULL, &left);
    if (m->lobby != RG_HUB_SEATING) RG_HUB_FANOUT(hub, gone, m); /* never announced */
    rg_hub_member_free(m);
}

/* ---- per-address counts -------------------------------------------------- */

int rg_hub_ip_acquire(rg_sig_hub *hub, const uint8_t addr[16], int limit)
{
    pthread_mutex_lock(&hub->lock);
    int rc = rg_addrcount_acquire(&hub->ips, addr, limit);
    pthread_mutex_unlock(&hub->lock);
    return rc;
}

void rg_hub_ip_release(rg_sig_hub *hub, const uint8_t addr[16])
{
    pthread_mutex_lock(&hub->lock);
    rg_addrcount_release(&hub->ips, addr);
    pthread_mutex_unlock(&hub->lock);
}

/* ---- loops --------------------------------------------------------------- */

extern const rg_module rg_mod_signal;

rg_sig_thread *rg_sig_loop(rg_worker *w)
{
    return rg_worker_get(w, &rg_mod_signal);
}

int rg_signal_thread_init(rg_worker *w, h2o_context_t *ctx)
{
    rg_sig_hub *hub = w->app->signal;
    void **slot = rg_worker_state(w, &rg_mod_signal);
    rg_sig_thread *t;
    if (hub == NULL) return 0;
    if (slot == NULL || w->index < 0 || w->index >= 256 || (t = calloc(1, sizeof *t)) == NULL)
        return -1;
    t->hub = hub;
    t->w = w;
    t->owner = pthread_self(); /* called on the loop's own thread */
    t->index = w->index;
    t->ctx = ctx;
    h2o_linklist_init_anchor(&t->all);
    pthread_mutex_init(&t->post_lock, NULL);
    h2o_timeout_init(ctx->loop, &t->ping_timeout, (uint64_t)w->app->cfg.signal.ping_interval_ms);
    h2o_timeout_init(ctx->loop, &t->lobby_timeout,
                     (uint64_t)w->app->cfg.signal.lobby_timeout * 1000);
    h2o_timeout_init(ctx->loop, &t->reap_timeout, 0);
    h2o_timeout_init(ctx->loop, &t->close_timeout, 1000);
    h2o_timeout_init(ctx->loop, &t->seat_timeout, 0);
    h2o_timeout_init(ctx->loop, &t->session_timeout, (uint64_t)RG_HUB_SESSION_TIMEOUT * 1000);
    h2o_multithread_register_receiver(ctx->queue, &t->receiver, on_posts);
    if (hub->durable_done != NULL)
        h2o_multithread_register_receiver(ctx->queue, &t->durable_receiver, hub->durable_done);
    if (hub->writer_done != NULL)
        h2o_multithread_register_receiver(ctx->queue, &t->writer_receiver, hub->writer_done);
    hub->threads[t->index] = t;
    *slot = t;
    return 0;
}

void rg_signal_thread_dispose(rg_worker *w)
{
    void **slot = rg_worker_state(w, &rg_mod_signal);
    rg_sig_thread *t = slot != NULL ? *slot : NULL;
    if (t == NULL) return;
    t->ending = 1;
    /* the drain closed the connections; what a deadline cut short goes now,
     * and posts still queued are dropped */
    while (!h2o_linklist_is_empty(&t->all)) {
        rg_hub_peer *p = H2O_STRUCT_FROM_MEMBER(rg_hub_peer, link, t->all.next);
        p->proto->destroy(p);
    }
    /* the writer's jobs of this loop come back (seats written for peers
     * now gone queue their leaves), and from now on the loop writes its
     * own: then their leaves, and the sockets that waited for them, by
     * the leave timer's own callback (hub_leave.c), linked while any is
     * queued */
    if (t->hub->writer_done != NULL) {
        t->hub->writer_flush(t);
        h2o_multithread_unregister_receiver(t->ctx->queue, &t->writer_receiver);
    }
    t->disposing = 1;
    if (h2o_timeout_is_linked(&t->leave_entry)) t->leave_entry.cb(&t->leave_entry);
    /* other loops may still be draining (their leaves post here): closed,
     * no post reaches the receiver any more, and those already in it go
     * now, to nobody (h2o asserts a receiver empty when it unregisters;
     * nothing else reads its list but this loop) */
    pthread_mutex_lock(&t->post_lock);
    t->closed = 1;
    pthread_mutex_unlock(&t->post_lock);
    on_posts(&t->receiver, &t->receiver._messages);
    h2o_multithread_unregister_receiver(t->ctx->queue, &t->receiver);
    if (t->hub->durable_done != NULL) { /* the same for synced seats: to nobody */
        t->hub->durable_done(&t->durable_receiver, &t->durable_receiver._messages);
        h2o_multithread_unregister_receiver(t->ctx->queue, &t->durable_receiver);
    }
    h2o_timeout_dispose(t->ctx->loop, &t->ping_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->lobby_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->reap_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->close_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->seat_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->session_timeout);
    *slot = NULL; /* t stays in hub->threads, closed, until rg_hub_free */
}

int rg_signal_thread_open(rg_worker *w)
{
    rg_sig_thread *t = rg_sig_loop(w);
    int n = 0;
    if (t == NULL) return 0;
    for (h2o_linklist_t *l = t->all.next; l != &t->all; l = l->next) {
        rg_hub_peer *p = H2O_STRUCT_FROM_MEMBER(rg_hub_peer, link, l);
        n += p->proto->is_open(p);
    }
    return n;
}

/* The hint first, so a client can move to another server before this one
 * closes it; its own close (or its departure) ends its part of the drain. */
int rg_signal_thread_drain(rg_worker *w, int close_in_ms)
{
    rg_sig_thread *t = rg_sig_loop(w);
    if (t == NULL) return 0;
    t->draining = 1;
    for (h2o_linklist_t *l = t->all.next; l != &t->all; l = l->next) {
        rg_hub_peer *p = H2O_STRUCT_FROM_MEMBER(rg_hub_peer, link, l);
        if (p->proto->is_open(p)) p->proto->drain_hint(p, close_in_ms);
    }
    return rg_signal_thread_open(w);
}

void rg_signal_thread_close_all(rg_worker *w)
{
    rg_sig_thread *t = rg_sig_loop(w);
    if (t == NULL) return;
    t->draining = 1;
    for (h2o_linklist_t *l = t->all.next; l != &t->all; l = l->next) {
        rg_hub_peer *p = H2O_STRUCT_FROM_MEMBER(rg_hub_peer, link, l);
        p->proto->shut(p);
    }
}

/* ---- removals from outside the connection's loop ---------------------- */

void rg_hub_remove(rg_sig_hub *hub, const char *room_sid, const char *participant_sid, int code,
                   const char *message)
{
    rg_hub_room *room;
    rg_hub_member *m;
    if ((room = rg_hub_room_find(hub, room_sid)) == NULL) return;
    pthread_mutex_lock(&room->lock);
    if ((m = rg_hub_member_take(room, participant_sid)) != NULL)
        rg_hub_evict(hub, room, m, code, message);
    pthread_mutex_unlock(&room->lock);
    rg_hub_room_unref(hub, room);
}

void rg_signal_remove(rg_app *app, const char *room_sid, const char *participant_sid, int code,
                      const char *message)
{
    if (app->signal == NULL) return;
    rg_hub_remove(app->signal, room_sid, participant_sid, code, message);
    RG_HUB_FANOUT(app->signal, removed, room_sid, participant_sid, code, message);
}

json_t *rg_signal_tracks(rg_app *app, const char *room_sid, const char *participant_sid,
                         int subscribed)
{
    rg_hub_room *room;
    json_t *out = json_array();
    if (out == NULL || app->signal == NULL ||
        (room = rg_hub_room_find(app->signal, room_sid)) == NULL)
        return out;
    pthread_mutex_lock(&room->lock);
    for (rg_hub_member *m = room->members; m; m = m->next) {
        json_t *tracks, *t;
        size_t i;
        if (m->lobby != 0 || m->tracks == NULL ||
            (strcmp(m->sid, participant_sid) == 0) == subscribed)
            continue;
        if ((tracks = json_loads(m->tracks, 0, NULL)) == NULL) continue;
        json_array_foreach(tracks, i, t)
        {
            json_object_set_new(t, "publisher_sid", json_string(m->sid));
            json_array_append(out, t);
        }
        json_decref(tracks);
    }
    pthread_mutex_unlock(&room->lock);
    rg_hub_room_unref(app->signal, room);
    return out;
}

void rg_signal_room_completed(rg_app *app, const char *room_sid)
{
    rg_signal_room_close(app, room_sid, RG_SIG_E_ROOM_COMPLETED, "The room was completed");
}

/* Everyone is closed, and nobody hears the others leave: the room is gone.
 * Other nodes' members are their nodes' to close (rg_signal_room_close
 * tells them). */
void rg_hub_close_room(rg_sig_hub *hub, const char *room_sid, int code, const char *message)
{
    rg_hub_room *room;
    rg_hub_member *m;
    rg_hub_event close = {RG_HUB_CLOSE, code, NULL, NULL, message, 0};
    if ((room = rg_hub_room_find(hub, room_sid)) == NULL) return;
    pthread_mutex_lock(&room->lock);
    while ((m = room->members) != NULL) {
        room->members = m->next;
        if (m->thread != RG_HUB_REMOTE) rg_hub_post(hub, m, &close);
        rg_hub_member_free(m);
    }
    pthread_mutex_unlock(&room->lock);
    rg_hub_room_unref(hub, room);
}

void rg_signal_revoked(rg_app *app, const rg_revocation *r)
{
    if (app->signal != NULL) RG_HUB_FANOUT(app->signal, revoked, r);
}

void rg_signal_keys_changed(rg_app *app)
{
    if (app->signal != NULL) RG_HUB_FANOUT(app->signal, keys, 0);
}

void rg_signal_room_close(rg_app *app, const char *room_sid, int code, const char *message)
{
    if (app->signal == NULL) return;
    rg_hub_close_room(app->signal, room_sid, code, message);
    RG_HUB_FANOUT(app->signal, closed, room_sid, code, message);
}

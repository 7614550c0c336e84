/* signal_hub.c - the rooms shared by every loop, cross-loop delivery, and
 * the per-loop setup (see signal_int.h for the locking rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/fnv.h"
#include "http/signal_int.h"

int rg_signal_start(rg_app *app, int64_t now)
{
    rg_sig_hub *hub = calloc(1, sizeof *hub);
    int changed = 0;
    if (hub == NULL) return RG_ENOMEM;
    pthread_mutex_init(&hub->lock, NULL);
    hub->app = app;
    app->signal = hub;
    /* no connection survives a restart: rows left connected by a crash
     * would hold seats (and show in REST) forever */
    int rc = rg_store_participant_disconnect_all(app->store, now, &changed);
    if (rc == RG_OK) rc = rg_sig_sync_start(app);
    if (rc == RG_OK && changed > 0)
        fprintf(stderr,
                "roomgate: %d participant(s) left connected by the last run marked "
                "disconnected\n",
                changed);
    return rc;
}

void rg_signal_stop(rg_app *app)
{
    rg_sig_hub *hub = app->signal;
    if (hub == NULL) return;
    /* the loops are gone: every connection released its room and address */
    for (int i = 0; i < SIG_IP_BUCKETS; i++)
        while (hub->ips[i]) {
            sig_ip *n = hub->ips[i]->next;
            free(hub->ips[i]);
            hub->ips[i] = n;
        }
    pthread_mutex_destroy(&hub->lock);
    free(hub);
    app->signal = NULL;
}

/* ---- rooms --------------------------------------------------------------- */

static sig_room **room_slot(rg_sig_hub *hub, const char *sid)
{
    sig_room **p = &hub->rooms[rg_fnv1a_str(sid) % SIG_ROOM_BUCKETS];
    while (*p && strcmp((*p)->sid, sid) != 0)
        p = &(*p)->next;
    return p;
}

sig_room *rg_sig_room_ref(rg_sig_hub *hub, const rg_room *r)
{
    sig_room **p, *room;
    pthread_mutex_lock(&hub->lock);
    p = room_slot(hub, r->sid);
    if ((room = *p) == NULL && (room = calloc(1, sizeof *room)) != NULL) {
        if ((room->name = strdup(r->unique_name)) == NULL) {
            free(room);
            room = NULL;
        } else {
            memcpy(room->sid, r->sid, sizeof room->sid);
            memcpy(room->account_sid, r->account_sid, sizeof room->account_sid);
            room->type = r->type;
            pthread_mutex_init(&room->lock, NULL);
            *p = room;
        }
    }
    if (room) room->refs++;
    pthread_mutex_unlock(&hub->lock);
    return room;
}

sig_room *rg_sig_room_find(rg_sig_hub *hub, const char *room_sid)
{
    sig_room *room;
    pthread_mutex_lock(&hub->lock);
    if ((room = *room_slot(hub, room_sid)) != NULL) room->refs++;
    pthread_mutex_unlock(&hub->lock);
    return room;
}

void rg_sig_room_unref(rg_sig_hub *hub, sig_room *room)
{
    sig_room **p;
    pthread_mutex_lock(&hub->lock);
    if (--room->refs == 0) {
        p = room_slot(hub, room->sid);
        *p = room->next;
        pthread_mutex_destroy(&room->lock);
        free(room->name);
        free(room);
    }
    pthread_mutex_unlock(&hub->lock);
}

sig_member *rg_sig_member_find(sig_room *room, const char *sid)
{
    for (sig_member *m = room->members; m; m = m->next)
        if (strcmp(m->sid, sid) == 0) return m;
    return NULL;
}

sig_member *rg_sig_member_take(sig_room *room, const char *sid)
{
    for (sig_member **p = &room->members; *p; p = &(*p)->next)
        if (strcmp((*p)->sid, sid) == 0) {
            sig_member *m = *p;
            *p = m->next;
            m->next = NULL;
            return m;
        }
    return NULL;
}

void rg_sig_member_free(sig_member *m)
{
    if (m == NULL) return;
    free(m->identity);
    free(m);
}

/* ---- delivery ------------------------------------------------------------ */

/* What a post does on the connection's own loop. */
static void deliver(rg_sig_thread *t, post_kind kind, const char *to, int code, const char *body,
                    size_t len)
{
    sig_conn *c = rg_sig_conn_lookup(t, to);
    if (c == NULL || c->closing) return;
    switch (kind) {
    case POST_SEND:
        rg_sig_send(c, body, len);
        break;
    case POST_CLOSE:
        rg_sig_send(c, body, len);
        rg_sig_close(c, RG_WS_CLOSE_POLICY);
        break;
    case POST_ADMIT:
        rg_sig_on_admit(c, code, body, len);
        break;
    }
}

/* A post for a connection of the calling loop is delivered at once when
 * nothing posted to that loop earlier is still queued (so the order the
 * room's lock gave is kept): a relay between two peers of one loop costs
 * no wake-up.  An admission always queues: it takes the room's lock,
 * which the poster may hold. */
void rg_sig_post(rg_sig_hub *hub, int thread, const char *sid, post_kind kind, int code,
                 const char *body, size_t len)
{
    rg_sig_thread *t = hub->threads[thread];
    if (t == NULL) return;
    if (kind != POST_ADMIT && pthread_equal(t->owner, pthread_self()) &&
        atomic_load(&t->queued) == 0) {
        deliver(t, kind, sid, code, body, len);
        return;
    }
    sig_post *p = malloc(sizeof *p + len + 1);
    if (p == NULL) return; /* out of memory: the message is lost, as on a network */
    memset(&p->super, 0, sizeof p->super);
    p->kind = kind;
    p->code = code;
    memcpy(p->to, sid, sizeof p->to);
    p->len = len;
    memcpy(p->body, body, len);
    p->body[len] = '\0';
    atomic_fetch_add(&t->queued, 1);
    h2o_multithread_send_message(&t->receiver, &p->super);
}

void rg_sig_broadcast(rg_sig_hub *hub, sig_room *room, const char *except, const char *body)
{
    size_t len = strlen(body);
    for (sig_member *m = room->members; m; m = m->next)
        if (m->lobby == 0 && (except == NULL || strcmp(m->sid, except) != 0))
            rg_sig_post(hub, m->thread, m->sid, POST_SEND, 0, body, len);
}

void rg_sig_tell_hosts(rg_sig_hub *hub, sig_room *room, const sig_member *guest,
                       const char *decision, const char *except)
{
    char *body = rg_sig_entry_json(guest->sid, guest->identity, decision);
    if (body == NULL) return;
    for (sig_member *h = room->members; h; h = h->next)
        if (h->lobby == 0 && (h->perms & RG_PERM_ALLOW_JOIN) &&
            (except == NULL || strcmp(h->sid, except) != 0))
            rg_sig_post(hub, h->thread, h->sid, POST_SEND, 0, body, strlen(body));
    free(body);
}

static void on_posts(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    rg_sig_thread *t = H2O_STRUCT_FROM_MEMBER(rg_sig_thread, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        sig_post *p = H2O_STRUCT_FROM_MEMBER(sig_post, super.link, messages->next);
        h2o_linklist_unlink(&p->super.link);
        deliver(t, p->kind, p->to, p->code, p->body, p->len);
        atomic_fetch_sub(&t->queued, 1);
        free(p);
    }
}

/* ---- per-address counts -------------------------------------------------- */

static sig_ip **ip_slot(rg_sig_hub *hub, const uint8_t addr[16])
{
    sig_ip **p = &hub->ips[rg_fnv1a(addr, 16) % SIG_IP_BUCKETS];
    while (*p && memcmp((*p)->addr, addr, 16) != 0)
        p = &(*p)->next;
    return p;
}

int rg_sig_ip_acquire(rg_sig_hub *hub, const uint8_t addr[16], int limit)
{
    int rc = 0;
    pthread_mutex_lock(&hub->lock);
    sig_ip **p = ip_slot(hub, addr);
    if (*p == NULL && (*p = calloc(1, sizeof **p)) != NULL) memcpy((*p)->addr, addr, 16);
    if (*p == NULL || (limit > 0 && (*p)->count >= limit))
        rc = -1;
    else
        (*p)->count++;
    pthread_mutex_unlock(&hub->lock);
    return rc;
}

void rg_sig_ip_release(rg_sig_hub *hub, const uint8_t addr[16])
{
    pthread_mutex_lock(&hub->lock);
    sig_ip **p = ip_slot(hub, addr), *e = *p;
    if (e && --e->count <= 0) {
        *p = e->next;
        free(e);
    }
    pthread_mutex_unlock(&hub->lock);
}

/* ---- loops --------------------------------------------------------------- */

int rg_signal_thread_init(rg_worker *w, h2o_context_t *ctx)
{
    rg_sig_hub *hub = w->app->signal;
    rg_sig_thread *t;
    if (hub == NULL) return 0;
    if (w->index < 0 || w->index >= 256 || (t = calloc(1, sizeof *t)) == NULL) return -1;
    t->hub = hub;
    t->w = w;
    t->owner = pthread_self(); /* called on the loop's own thread */
    t->index = w->index;
    t->ctx = ctx;
    h2o_linklist_init_anchor(&t->all);
    h2o_timeout_init(ctx->loop, &t->ping_timeout, (uint64_t)w->app->cfg.signal.ping_interval_ms);
    h2o_timeout_init(ctx->loop, &t->lobby_timeout,
                     (uint64_t)w->app->cfg.signal.lobby_timeout * 1000);
    h2o_timeout_init(ctx->loop, &t->reap_timeout, 0);
    h2o_timeout_init(ctx->loop, &t->close_timeout, 1000);
    h2o_multithread_register_receiver(ctx->queue, &t->receiver, on_posts);
    hub->threads[t->index] = t;
    w->sig = t;
    return 0;
}

void rg_signal_thread_dispose(rg_worker *w)
{
    rg_sig_thread *t = w->sig;
    if (t == NULL) return;
    /* the drain closed the connections; what a deadline cut short goes now,
     * and posts still queued are dropped */
    rg_sig_destroy_all(t);
    h2o_multithread_unregister_receiver(t->ctx->queue, &t->receiver);
    h2o_timeout_dispose(t->ctx->loop, &t->ping_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->lobby_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->reap_timeout);
    h2o_timeout_dispose(t->ctx->loop, &t->close_timeout);
    free(t);
    w->sig = NULL;
}

/* ---- removals from outside the connection's loop ---------------------- */

void rg_signal_remove(rg_app *app, const char *room_sid, const char *participant_sid, int code,
                      const char *message)
{
    sig_room *room;
    sig_member *m;
    char *err, *left;
    if (app->signal == NULL || (room = rg_sig_room_find(app->signal, room_sid)) == NULL) return;
    pthread_mutex_lock(&room->lock);
    if ((m = rg_sig_member_take(room, participant_sid)) != NULL) {
        if ((err = rg_sig_error_json(code, message)) != NULL)
            rg_sig_post(app->signal, m->thread, m->sid, POST_CLOSE, 0, err, strlen(err));
        if (m->lobby == 0 &&
            (left = rg_sig_peer_json("participant_left", m->sid, m->identity)) != NULL) {
            rg_sig_broadcast(app->signal, room, NULL, left);
            free(left);
        }
        free(err);
        rg_sig_member_free(m);
    }
    pthread_mutex_unlock(&room->lock);
    rg_sig_room_unref(app->signal, room);
}

void rg_signal_room_completed(rg_app *app, const char *room_sid)
{
    sig_room *room;
    sig_member *m;
    char *err;
    if (app->signal == NULL || (room = rg_sig_room_find(app->signal, room_sid)) == NULL) return;
    err = rg_sig_error_json(RG_SIG_E_ROOM_COMPLETED, "The room was completed");
    pthread_mutex_lock(&room->lock);
    while ((m = room->members) != NULL) {
        room->members = m->next;
        if (err) rg_sig_post(app->signal, m->thread, m->sid, POST_CLOSE, 0, err, strlen(err));
        rg_sig_member_free(m);
    }
    pthread_mutex_unlock(&room->lock);
    free(err);
    rg_sig_room_unref(app->signal, room);
}

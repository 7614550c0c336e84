/* bus/bus.c - the Redis thread (bus/bus.h): a queue from the loops, two
 * hiredis connections (blocking, with a 1 s timeout, used only here), and
 * a poll on the subscriber's socket and the queue's wake-up pipe. */
#include "bus/bus.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUEUE_MAX 100000 /* commands waiting: beyond, publishes are dropped */
#define RETRY_MS 1000    /* between connection attempts; also the idle PING period */

enum { OP_PUBLISH, OP_SUBSCRIBE, OP_UNSUBSCRIBE };

typedef struct cmd {
    struct cmd *next;
    int op;
    size_t chlen, len;
    char buf[]; /* prefixed channel \0 data */
} cmd;

typedef struct {
    char *name;  /* prefixed */
    int refs;    /* subscribe calls not yet undone */
    int was_up;  /* confirmed on an earlier connection: a re-subscription is "again" */
    int confirm; /* confirmed on this connection */
} chan;

struct rg_bus {
    rg_redis_url url;
    rg_bus_handler h;
    void *ud;
    char prefix[32];
    size_t plen;
    pthread_t thread;
    pthread_mutex_t lock; /* the queue */
    cmd *head, **tail;
    size_t queued;
    int wake[2];
    atomic_int up, stop;
    /* the thread's alone */
    redisContext *sub, *pub;
    chan *chans;
    int nchans, cap;
    int outage_logged;
    char why[128]; /* the last connection failure, for the log */
};

/* ---- the queue (any thread) ------------------------------------------- */

static void enqueue(rg_bus *b, int op, const char *channel, const char *data, size_t len)
{
    size_t chlen = strlen(channel);
    cmd *c = malloc(sizeof *c + b->plen + chlen + len + 2);
    int was_empty;
    if (c == NULL) return; /* lost, as on a network */
    c->next = NULL;
    c->op = op;
    c->chlen = b->plen + chlen;
    c->len = len;
    memcpy(c->buf, b->prefix, b->plen);
    memcpy(c->buf + b->plen, channel, chlen + 1);
    if (len) memcpy(c->buf + c->chlen + 1, data, len);
    c->buf[c->chlen + 1 + len] = '\0';
    pthread_mutex_lock(&b->lock);
    if (op == OP_PUBLISH && b->queued >= QUEUE_MAX) {
        pthread_mutex_unlock(&b->lock);
        free(c);
        return;
    }
    was_empty = b->head == NULL;
    *b->tail = c;
    b->tail = &c->next;
    b->queued++;
    pthread_mutex_unlock(&b->lock);
    if (was_empty) {
        ssize_t w = write(b->wake[1], "", 1); /* full pipe: a wake-up is pending anyway */
        (void)w;
    }
}

void rg_bus_publish(rg_bus *b, const char *channel, const char *data, size_t len)
{
    if (b != NULL && atomic_load(&b->up)) enqueue(b, OP_PUBLISH, channel, data, len);
}

void rg_bus_subscribe(rg_bus *b, const char *channel)
{
    if (b != NULL) enqueue(b, OP_SUBSCRIBE, channel, NULL, 0);
}

void rg_bus_unsubscribe(rg_bus *b, const char *channel)
{
    if (b != NULL) enqueue(b, OP_UNSUBSCRIBE, channel, NULL, 0);
}

int rg_bus_up(const rg_bus *b)
{
    return b != NULL && atomic_load(&((rg_bus *)b)->up);
}

static cmd *take_all(rg_bus *b)
{
    char sink[64];
    cmd *all;
    while (read(b->wake[0], sink, sizeof sink) > 0) {
    }
    pthread_mutex_lock(&b->lock);
    all = b->head;
    b->head = NULL;
    b->tail = &b->head;
    b->queued = 0;
    pthread_mutex_unlock(&b->lock);
    return all;
}

/* ---- connections (the thread) ---------------------------------------- */

static void disconnect(rg_bus *b, const char *why)
{
    if (b->sub != NULL) redisFree(b->sub);
    if (b->pub != NULL) redisFree(b->pub);
    b->sub = b->pub = NULL;
    for (int i = 0; i < b->nchans; i++)
        b->chans[i].confirm = 0;
    if (atomic_exchange(&b->up, 0)) {
        fprintf(stderr, "roomgate: redis: connection to %s:%d lost (%s); retrying every second\n",
                b->url.host, b->url.port, why);
        b->outage_logged = 1;
        if (b->h.state) b->h.state(b->ud, 0);
    }
}

/* Sends what is appended to c's output buffer: 0, or -1. */
static int flush(redisContext *c)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(c, &done) != REDIS_OK) return -1;
    return 0;
}

static int auth(rg_bus *b, redisContext *c)
{
    redisReply *r;
    int ok;
    if (b->url.password[0] == '\0') return 0;
    if (b->url.user[0] != '\0')
        r = redisCommand(c, "AUTH %s %s", b->url.user, b->url.password);
    else
        r = redisCommand(c, "AUTH %s", b->url.password);
    ok = r != NULL && r->type != REDIS_REPLY_ERROR;
    if (r) freeReplyObject(r);
    return ok ? 0 : -1;
}

static redisContext *open_one(rg_bus *b, const char **why)
{
    struct timeval tv = {RETRY_MS / 1000, 0};
    redisContext *c = redisConnectWithTimeout(b->url.host, b->url.port, tv);
    if (c == NULL || c->err) {
        snprintf(b->why, sizeof b->why, "%s", c != NULL ? c->errstr : "out of memory");
        *why = b->why;
        if (c) redisFree(c);
        return NULL;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK || auth(b, c) != 0) {
        *why = "AUTH refused";
        redisFree(c);
        return NULL;
    }
    return c;
}

/* SUBSCRIBE or UNSUBSCRIBE of one channel on the subscriber. */
static int sub_cmd(rg_bus *b, const char *verb, const char *channel)
{
    const char *argv[2] = {verb, channel};
    if (redisAppendCommandArgv(b->sub, 2, argv, NULL) != REDIS_OK) return -1;
    return flush(b->sub);
}

static int connect_all(rg_bus *b)
{
    const char *why = "cannot connect";
    if ((b->sub = open_one(b, &why)) == NULL || (b->pub = open_one(b, &why)) == NULL) {
        if (!b->outage_logged)
            fprintf(stderr, "roomgate: redis: %s:%d unreachable (%s); retrying every second\n",
                    b->url.host, b->url.port, why);
        b->outage_logged = 1;
        disconnect(b, why);
        return -1;
    }
    for (int i = 0; i < b->nchans; i++)
        if (sub_cmd(b, "SUBSCRIBE", b->chans[i].name) != 0) {
            disconnect(b, "write failed");
            return -1;
        }
    fprintf(stderr, "roomgate: redis: connected to %s:%d\n", b->url.host, b->url.port);
    b->outage_logged = 0;
    atomic_store(&b->up, 1);
    if (b->h.state) b->h.state(b->ud, 1);
    return 0;
}

/* ---- channels (the thread) ------------------------------------------- */

static chan *chan_find(rg_bus *b, const char *name)
{
    for (int i = 0; i < b->nchans; i++)
        if (strcmp(b->chans[i].name, name) == 0) return &b->chans[i];
    return NULL;
}

static void chan_add(rg_bus *b, const char *name)
{
    chan *ch = chan_find(b, name);
    if (ch != NULL) {
        ch->refs++;
        return;
    }
    if (b->nchans == b->cap) {
        int cap = b->cap ? b->cap * 2 : 16;
        chan *grown = realloc(b->chans, (size_t)cap * sizeof *grown);
        if (grown == NULL) return;
        b->chans = grown;
        b->cap = cap;
    }
    ch = &b->chans[b->nchans];
    if ((ch->name = strdup(name)) == NULL) return;
    ch->refs = 1;
    ch->was_up = ch->confirm = 0;
    b->nchans++;
    if (b->sub != NULL && sub_cmd(b, "SUBSCRIBE", name) != 0) disconnect(b, "write failed");
}

static void chan_drop(rg_bus *b, const char *name)
{
    chan *ch = chan_find(b, name);
    if (ch == NULL || --ch->refs > 0) return;
    if (b->sub != NULL && sub_cmd(b, "UNSUBSCRIBE", name) != 0) disconnect(b, "write failed");
    free(ch->name);
    *ch = b->chans[--b->nchans];
}

/* ---- the thread ------------------------------------------------------- */

/* The queue's commands in order; publishes pipelined, then their replies
 * read (each is the number of receivers, or an error). */
static void run_cmds(rg_bus *b)
{
    cmd *c = take_all(b), *next;
    int pending = 0;
    for (; c; c = next) {
        next = c->next;
        if (c->op == OP_SUBSCRIBE)
            chan_add(b, c->buf);
        else if (c->op == OP_UNSUBSCRIBE)
            chan_drop(b, c->buf);
        else if (b->pub != NULL) {
            const char *argv[3] = {"PUBLISH", c->buf, c->buf + c->chlen + 1};
            size_t lens[3] = {7, c->chlen, c->len};
            if (redisAppendCommandArgv(b->pub, 3, argv, lens) == REDIS_OK) pending++;
        }
        free(c);
    }
    if (pending && b->pub != NULL && flush(b->pub) != 0) pending = -1;
    while (pending > 0) {
        void *r = NULL;
        if (redisGetReply(b->pub, &r) != REDIS_OK) {
            pending = -1;
            break;
        }
        freeReplyObject(r);
        pending--;
    }
    if (pending < 0) disconnect(b, "publish failed");
}

static void on_reply(rg_bus *b, redisReply *r)
{
    const char *kind, *name;
    chan *ch;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
        return;
    kind = r->element[0]->str;
    name = r->element[1]->str;
    if (r->element[1]->len < b->plen || memcmp(name, b->prefix, b->plen) != 0) return;
    if (strcmp(kind, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING) {
        if (b->h.message)
            b->h.message(b->ud, name + b->plen, r->element[2]->str, r->element[2]->len);
    } else if (strcmp(kind, "subscribe") == 0 && (ch = chan_find(b, name)) != NULL &&
               !ch->confirm) {
        int again = ch->was_up;
        ch->was_up = ch->confirm = 1;
        if (b->h.subscribed) b->h.subscribed(b->ud, name + b->plen, again);
    }
}

static void read_sub(rg_bus *b)
{
    void *r;
    if (redisBufferRead(b->sub) != REDIS_OK) {
        disconnect(b, "connection closed");
        return;
    }
    for (;;) {
        r = NULL;
        if (redisGetReplyFromReader(b->sub, &r) != REDIS_OK) {
            disconnect(b, "protocol error");
            return;
        }
        if (r == NULL) return;
        on_reply(b, r);
        freeReplyObject(r);
        if (b->sub == NULL) return;
    }
}

/* Idle for a second: a PING on the publisher finds a dead peer that
 * never closed (a partition). */
static void ping(rg_bus *b)
{
    redisReply *r = redisCommand(b->pub, "PING");
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        if (r) freeReplyObject(r);
        disconnect(b, "no answer to PING");
        return;
    }
    freeReplyObject(r);
}

static void *run(void *arg)
{
    rg_bus *b = arg;
    while (!atomic_load(&b->stop)) {
        struct pollfd fds[2] = {{b->wake[0], POLLIN, 0}, {-1, POLLIN, 0}};
        int n;
        if (b->sub == NULL && connect_all(b) != 0) {
            poll(fds, 1, RETRY_MS);
            run_cmds(b); /* subscriptions kept for later, publishes dropped */
            continue;
        }
        fds[1].fd = b->sub->fd;
        n = poll(fds, 2, RETRY_MS);
        if (n < 0 && errno != EINTR) break;
        if (n == 0) {
            ping(b);
            continue;
        }
        if (fds[0].revents) run_cmds(b);
        if (b->sub != NULL && fds[1].revents) read_sub(b);
    }
    return NULL;
}

rg_bus *rg_bus_start(const rg_redis_url *url, const rg_bus_handler *h, void *ud)
{
    rg_bus *b = calloc(1, sizeof *b);
    if (b == NULL) return NULL;
    b->url = *url;
    b->h = *h;
    b->ud = ud;
    snprintf(b->prefix, sizeof b->prefix, "roomgate:%d:", url->db);
    b->plen = strlen(b->prefix);
    b->tail = &b->head;
    pthread_mutex_init(&b->lock, NULL);
    if (pipe2(b->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    if (pthread_create(&b->thread, NULL, run, b) != 0) {
        close(b->wake[0]);
        close(b->wake[1]);
        pthread_mutex_destroy(&b->lock);
        free(b);
        return NULL;
    }
    return b;
}

void rg_bus_stop(rg_bus *b)
{
    cmd *c, *next;
    if (b == NULL) return;
    atomic_store(&b->stop, 1);
    ssize_t w = write(b->wake[1], "", 1);
    (void)w;
    pthread_join(b->thread, NULL);
    if (b->sub) redisFree(b->sub);
    if (b->pub) redisFree(b->pub);
    for (c = b->head; c; c = next) {
        next = c->next;
        free(c);
    }
    for (int i = 0; i < b->nchans; i++)
        free(b->chans[i].name);
    free(b->chans);
    close(b->wake[0]);
    close(b->wake[1]);
    pthread_mutex_destroy(&b->lock);
    memset(b->url.password, 0, sizeof b->url.password);
    free(b);
}

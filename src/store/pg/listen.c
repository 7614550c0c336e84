/* listen.c - the change mark from PostgreSQL's notifications (pg.h).
 *
 * Every committed change to the store's tables notifies the channel
 * roomgate_changes (store_changed(), migration 8: once per transaction, at
 * its commit).  Each store handle that asks for the mark keeps a second
 * connection that LISTENs there, made at the first ask (the CLI's, the
 * heartbeat's and the audit log's handles never ask, and hold one
 * connection each); the mark counts what it heard from sessions other
 * than the handle's own (a notification names the backend that sent it) and of
 * other schemas (its payload names the changed table's schema, migration
 * 9: channels are per database), read from that connection's socket
 * without a round trip.  So the change watcher's
 * tick (store/watch.c, ten a second) no longer queues a statement behind
 * the loops' on the connection they share (by default: pg.h).
 *
 * Until the LISTEN is in place (a connection that broke, the database
 * restarting), rg_pg_listen_mark answers 0 and the caller asks
 * store_changes as before.  The connection is remade as the main one is
 * (conn.c): a reset started at most once a second and advanced without
 * waiting; each LISTEN that takes effect counts as a change, since what
 * was committed while nobody listened went unheard. */
#include "store/pg/pg.h"

#include <stdlib.h>
#include <string.h>

#include "core/errors.h"

#define CHANNEL "roomgate_changes"

enum { UNOPENED, RESETTING, SUBSCRIBING, LISTENING };

struct rg_pg_listen {
    pthread_mutex_t mu; /* the callers: the watcher's tick, the key cache's reloads */
    PGconn *conn;       /* NULL while UNOPENED */
    char *location;     /* UNOPENED: where to connect */
    int state;
    rg_pg_reset reset; /* RESETTING: the reconnect (conn.c) */
    int64_t heard;     /* others' notifications, and each LISTEN made */
    int refused;       /* SUBSCRIBING: the LISTEN failed */
    char schema[64];   /* the store's (NAMEDATALEN), read with the LISTEN */
};

/* Sends the LISTEN, and asks the schema the store's tables are in (the
 * connection's search_path is the main one's), without waiting for the
 * answers (SUBSCRIBING reads them). */
static void subscribe(struct rg_pg_listen *l)
{
    l->schema[0] = '\0';
    if (PQsetnonblocking(l->conn, 1) == 0 &&
        PQsendQuery(l->conn, "LISTEN " CHANNEL "; SELECT current_schema()") == 1 &&
        PQflush(l->conn) >= 0)
        l->state = SUBSCRIBING;
    else
        l->state = RESETTING; /* the next reset remakes the connection */
}

/* SUBSCRIBING: the LISTEN's answer, read as far as it has come (a
 * PQgetResult with nothing to read would wait). */
static void read_subscribed(struct rg_pg_listen *l)
{
    if (!PQconsumeInput(l->conn)) {
        l->state = RESETTING;
        return;
    }
    while (!PQisBusy(l->conn)) {
        PGresult *r = PQgetResult(l->conn);
        if (r == NULL) { /* the whole answer */
            l->state = l->refused ? RESETTING : LISTENING;
            if (!l->refused) l->heard++; /* what nobody heard while this was down */
            l->refused = 0;
            return;
        }
        if (PQresultStatus(r) == PGRES_TUPLES_OK) {
            const char *name = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
            if (name[0] == '\0' || strlen(name) >= sizeof l->schema)
                l->refused = 1;
            else
                memcpy(l->schema, name, strlen(name) + 1);
        } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            l->refused = 1;
        }
        PQclear(r);
    }
}

/* LISTENING: the notifications that came, ours and other schemas' left
 * out (an empty payload, from before migration 9, counts: a change heard
 * twice costs a reload, one missed a stale cache). */
/* Whether pid is the backend of one of st's links: its own change. */
static int own(rg_store *st, int pid)
{
    for (int i = 0; i < st->nlinks; i++)
        if (atomic_load(&st->links[i].own_pid) == pid) return 1;
    return 0;
}

static void read_notifications(rg_store *st, struct rg_pg_listen *l)
{
    PGnotify *n;
    if (!PQconsumeInput(l->conn) || PQstatus(l->conn) == CONNECTION_BAD) {
        l->state = RESETTING;
        return;
    }
    while ((n = PQnotifies(l->conn)) != NULL) {
        if (!own(st, n->be_pid) && (n->extra[0] == '\0' || strcmp(n->extra, l->schema) == 0))
            l->heard++;
        PQfreemem(n);
    }
}

/* A broken connection's FATAL (the server shut down, the backend was
 * ended) is a notice too: the mark falls back and says nothing, as the
 * main connection's handling says what there is to say. */
static void quiet(void *ud, const PGresult *r)
{
    (void)ud;
    (void)r;
}

int rg_pg_listen_open(rg_store *st, const char *location)
{
    struct rg_pg_listen *l = calloc(1, sizeof *l);
    if (l == NULL || (l->location = strdup(location)) == NULL) {
        free(l);
        return RG_ENOMEM;
    }
    pthread_mutex_init(&l->mu, NULL);
    l->state = UNOPENED;
    st->listen = l;
    return RG_OK;
}

/* UNOPENED: the connect, waited for as the main connection's at the
 * open was (the first ask is the change watcher's, made as the server
 * starts, before any loop runs), so the LISTEN is on its way at once and
 * the mark settles as soon as before; out of memory, tried again at the
 * next ask.  A connection that failed is remade by the resets' steps. */
static void open_now(struct rg_pg_listen *l)
{
    l->conn = rg_pg_connect(l->location);
    if (l->conn == NULL) return;
    PQsetNoticeReceiver(l->conn, quiet, NULL);
    l->state = RESETTING;
    if (PQstatus(l->conn) == CONNECTION_OK) subscribe(l);
    free(l->location);
    l->location = NULL;
}

void rg_pg_listen_close(rg_store *st)
{
    struct rg_pg_listen *l = st->listen;
    if (l == NULL) return;
    PQfinish(l->conn);
    pthread_mutex_destroy(&l->mu);
    free(l->location);
    free(l);
    st->listen = NULL;
}

int rg_pg_listen_mark(rg_store *st, int64_t *mark)
{
    struct rg_pg_listen *l = st->listen;
    int on;
    if (l == NULL) return 0;
    pthread_mutex_lock(&l->mu);
    if (l->state == UNOPENED) open_now(l);
    if (l->state == RESETTING && rg_pg_reset_step(l->conn, &l->reset)) subscribe(l);
    if (l->state == SUBSCRIBING) read_subscribed(l);
    if (l->state == LISTENING) read_notifications(st, l);
    on = l->state == LISTENING;
    *mark = l->heard;
    pthread_mutex_unlock(&l->mu);
    return on;
}

int rg_pg_listen_pid(rg_store *st)
{
    struct rg_pg_listen *l = st->listen;
    int pid = 0;
    if (l == NULL) return 0;
    pthread_mutex_lock(&l->mu);
    if (l->state == LISTENING) pid = PQbackendPID(l->conn);
    pthread_mutex_unlock(&l->mu);
    return pid;
}

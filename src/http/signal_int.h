/* signal_int.h - what the signaling files (signal_*.c) share: the hub of
 * rooms, the per-loop thread state, the connection.
 *
 * Ownership and locking:
 * - rg_sig_hub (one per process) owns the room table and the per-address
 *   connection counts, under hub->lock.
 * - a sig_room owns its members under room->lock; a member is one
 *   connection (a participant, or a guest waiting in the lobby) and names
 *   the loop it lives on.  Whoever removes a member (its own connection
 *   closing, a kick, a replacement) is the one who tells the others
 *   (participant_left) and the store, so each join has exactly one leave.
 *   Lock order: hub->lock, then a room's lock; never the other way.
 * - a sig_conn is its loop's alone; other threads reach it only by posting
 *   (sid, payload) to the loop's queue, which looks the sid up again. */
#ifndef RG_HTTP_SIGNAL_INT_H
#define RG_HTTP_SIGNAL_INT_H

#include <h2o/multithread.h>
#include <pthread.h>
#include <stdatomic.h>

#include "core/ratelimit.h"
#include "core/sigadmit.h"
#include "http/signal.h"
#include "http/wsconn.h"
#include "store/rooms.h"

typedef struct sig_member {
    char sid[RG_SID_SIZE];
    char *identity; /* malloc'd */
    int thread;     /* loop index of its connection */
    unsigned perms; /* RG_PERM_* */
    int lobby;      /* 1 waiting, 2 answered (in flight), 0 participant */
    struct sig_member *next;
} sig_member;

typedef struct sig_room {
    char sid[RG_SID_SIZE]; /* the store's room: the key */
    char account_sid[RG_SID_SIZE];
    char *name; /* unique name, malloc'd */
    rg_room_type type;
    int refs; /* connections holding it (hub->lock) */
    pthread_mutex_t lock;
    sig_member *members; /* room->lock */
    struct sig_room *next;
} sig_room;

#define SIG_ROOM_BUCKETS 1024
#define SIG_IP_BUCKETS 1024
#define SIG_CONN_BUCKETS 4096

typedef struct sig_ip {
    uint8_t addr[16];
    int count;
    struct sig_ip *next;
} sig_ip;

typedef struct rg_sig_hub {
    rg_app *app;
    pthread_mutex_t lock;
    sig_room *rooms[SIG_ROOM_BUCKETS];
    sig_ip *ips[SIG_IP_BUCKETS];
    struct rg_sig_thread *threads[256];
    int64_t store_version; /* data_version last synced (signal_sync.c; main thread) */
} rg_sig_hub;

/* What one loop posts to another about a connection. */
typedef enum {
    POST_SEND = 1, /* send body */
    POST_CLOSE,    /* send body (an error), then close; already out of the room */
    POST_ADMIT,    /* the lobby answered: body is entry_responded; code 1 = allowed */
} post_kind;

typedef struct {
    h2o_multithread_message_t super;
    post_kind kind;
    int code;
    char to[RG_SID_SIZE];
    size_t len;
    char body[];
} sig_post;

typedef struct sig_conn sig_conn;

typedef struct rg_sig_thread {
    rg_sig_hub *hub;
    rg_worker *w;
    int index;
    h2o_context_t *ctx;
    h2o_multithread_receiver_t receiver;
    pthread_t owner;   /* the loop's thread */
    atomic_int queued; /* posts sent to receiver, not yet delivered */
    h2o_timeout_t ping_timeout, lobby_timeout;
    h2o_timeout_t reap_timeout;        /* 0 ms: destroys what was marked dead */
    h2o_timeout_t close_timeout;       /* a closing connection's deadline for the handshake */
    sig_conn *conns[SIG_CONN_BUCKETS]; /* joined and waiting, by sid */
    h2o_linklist_t all;                /* every connection, for the drain */
    int draining;
} rg_sig_thread;

struct sig_conn {
    rg_ws *ws; /* NULL once the socket is gone */
    rg_sig_thread *t;
    rg_sig_state state;
    int closing;  /* the close frame is queued */
    int dead;     /* to be destroyed from the reap timer (a peer that does not read) */
    int in_table; /* in t->conns */
    int missed;   /* pings without a pong */
    char sid[RG_SID_SIZE];
    char *identity;
    rg_token_kind kind;
    unsigned perms;
    sig_room *room; /* a reference, once joining */
    uint8_t addr[16];
    rg_bucket bucket;
    h2o_timeout_entry_t ping_entry, lobby_entry, reap_entry;
    h2o_linklist_t link; /* t->all */
    sig_conn *next;      /* t->conns chain */
};

/* signal_hub.c */
sig_room *rg_sig_room_ref(rg_sig_hub *hub, const rg_room *r); /* NULL on OOM */
void rg_sig_room_unref(rg_sig_hub *hub, sig_room *room);
sig_room *rg_sig_room_find(rg_sig_hub *hub, const char *room_sid); /* +1 ref, or NULL */
/* Posts to the connection sid on loop thread; body copied. */
void rg_sig_post(rg_sig_hub *hub, int thread, const char *sid, post_kind kind, int code,
                 const char *body, size_t len);
/* Posts body to every participant (not guests) of the room but `except`;
 * room->lock held. */
void rg_sig_broadcast(rg_sig_hub *hub, sig_room *room, const char *except, const char *body);
/* Tells the room's hosts (allow_join participants) but `except` that the
 * guest's request is settled: entry_responded with the guest and the
 * decision ("allowed", "denied", or "left" when it gave up or timed out).
 * room->lock held. */
void rg_sig_tell_hosts(rg_sig_hub *hub, sig_room *room, const sig_member *guest,
                       const char *decision, const char *except);
sig_member *rg_sig_member_find(sig_room *room, const char *sid); /* room->lock held */
/* Unlinks and returns the member, NULL when absent; room->lock held. */
sig_member *rg_sig_member_take(sig_room *room, const char *sid);
void rg_sig_member_free(sig_member *m);
/* Per-address counting: 0 when admitted, -1 over the limit. */
int rg_sig_ip_acquire(rg_sig_hub *hub, const uint8_t addr[16], int limit);
void rg_sig_ip_release(rg_sig_hub *hub, const uint8_t addr[16]);

/* signal_sync.c: closes what another process ended (a poller). */
int rg_sig_sync_start(rg_app *app);

/* signal_conn.c */
sig_conn *rg_sig_conn_lookup(rg_sig_thread *t, const char *sid);
void rg_sig_conn_index(sig_conn *c); /* enters c->sid into the thread's table */
void rg_sig_send(sig_conn *c, const char *text, size_t len);  /* queued, written at once */
void rg_sig_send_str(sig_conn *c, char *text);                /* sends and frees text */
void rg_sig_fail(sig_conn *c, int code, const char *message); /* error, then close */
void rg_sig_close(sig_conn *c, uint16_t status);              /* close after what is queued */
int64_t rg_sig_now(rg_sig_thread *t);                         /* unix seconds */
void rg_sig_destroy_all(rg_sig_thread *t);                    /* at loop disposal */

/* signal_join.c */
void rg_sig_on_join(sig_conn *c, const rg_sig_msg *m);
/* The lobby's answer reached the guest's loop. */
void rg_sig_on_admit(sig_conn *c, int allowed, const char *body, size_t len);
void rg_sig_on_lobby_timeout(sig_conn *c);
/* The connection is going away: leave its room (once). */
void rg_sig_leave(sig_conn *c);

/* signal_room.c: messages of joined participants */
void rg_sig_on_signal(sig_conn *c, const rg_sig_msg *m);
void rg_sig_on_entry_response(sig_conn *c, const rg_sig_msg *m);
void rg_sig_on_mute(sig_conn *c, const rg_sig_msg *m);
void rg_sig_on_kick(sig_conn *c, const rg_sig_msg *m);

#endif

/* signal/hub.h - the room hub: who is in which signaling room (members,
 * capacity, replacement by identity, the lobby, moderation) and delivery
 * of events between connections on any loop.  It knows no wire protocol:
 * each protocol sits on top as an adapter (roomgate's own, GET /v1/signal:
 * signal/proto_roomgate*.c; Twilio's, GET /signaling: signal/twilio*.c),
 * and the hub reaches the rest of the server only through the hooks it was
 * started with (signal/hooks.h).  tests/unit/test_hub.c drives it with a
 * protocol and hooks of its own.
 *
 * ## Adding a wire protocol (nothing in the hub changes)
 *
 * 1. Write a `static const rg_sig_proto` (below) whose ops say the hub's
 *    events in your protocol's words, and a `sig_wire` (signal/conn.h)
 *    with your frame handler and per-connection state size.
 * 2. Your route's handler calls rg_sig_accept(call, &proto, &wire): the
 *    upgrade with the limits every protocol shares (the per-address cap
 *    spans protocols; draining refuses).  It gives you a sig_conn, whose
 *    first member is the rg_hub_peer.  (Without signal/conn.c: embed an
 *    rg_hub_peer first in your own struct, rg_hub_ip_acquire, then
 *    rg_hub_peer_attach; and on the way out rg_hub_leave,
 *    rg_hub_peer_detach, rg_hub_ip_release.)
 * 3. When the client asks to join: rg_sig_join (rg_hub_admit, same token
 *    rules and rooms, then rg_hub_enter).  The hub answers through your
 *    ops: entered (the seat is taken), fail (refused), deliver
 *    (RG_HUB_WAITING: the lobby).  signal/conn.c runs rg_hub_seats_run
 *    before a queued peer's next frame, so its messages follow its join.
 * 4. Room actions: rg_hub_relay (opaque bytes to one peer of the room, of
 *    the same protocol), rg_hub_answer (lobby), rg_hub_kick.
 * 5. Register the route in signal/module.c.
 *
 * Ownership and locking:
 * - rg_sig_hub (one per process) owns the room table and the per-address
 *   connection counts, under hub->lock.
 * - an rg_hub_room owns its members under room->lock; a member is one
 *   peer (a participant, or a guest waiting in the lobby) and names the
 *   loop it lives on.  Whoever removes a member (its own connection
 *   leaving, a kick, a replacement) is the one who tells the others
 *   (RG_HUB_LEFT) and the store, so each join has exactly one leave.
 *   Lock order: hub->lock, then a room's lock; never the other way.
 * - a peer is its loop's alone; other threads reach it only by posting an
 *   event for its sid to the loop's queue, which looks the sid up again
 *   (so an event for a peer that is gone is dropped, never dereferenced). */
#ifndef RG_SIGNAL_HUB_H
#define RG_SIGNAL_HUB_H

#include <h2o/multithread.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "core/addrcount.h"
#include "core/redisurl.h"
#include "http/call.h"
#include "signal/hooks.h"

#define SIG_ROOM_BUCKETS 1024
#define SIG_CONN_BUCKETS 4096
#define SIG_SEAT_BATCH 64 /* joins one loop turn commits together */
#define RG_HUB_SESSION_TIMEOUT                                                                     \
    30 /* seconds a dropped session may wait to resume (Twilio's sync)                             \
        */

typedef struct rg_hub_peer rg_hub_peer;
typedef struct rg_sig_thread rg_sig_thread;

/* This loop's hub state (rg_signal_thread_init's, in the signal module's
 * slot of the worker, http/module.h); NULL when signaling is not set up on
 * it. */
rg_sig_thread *rg_sig_loop(rg_worker *w);

/* What the hub tells a peer.  sid/identity: the peer or guest concerned;
 * text: see each kind. */
typedef enum {
    RG_HUB_JOINED = 1,      /* another participant entered the room */
    RG_HUB_LEFT,            /* another participant left it */
    RG_HUB_CLOSE,           /* you are out of the room (code, text: why): say so, close */
    RG_HUB_WAITING,         /* you wait in the lobby (sid/identity: yours) */
    RG_HUB_ENTRY_REQUESTED, /* to a host: a guest waits */
    RG_HUB_ENTRY_SETTLED,   /* to a host: the guest's request is settled (text: decision) */
    RG_HUB_ADMIT,           /* to a guest: the lobby answered (code 1: allowed) */
    RG_HUB_RELAY,           /* from a peer of your protocol: its bytes (text, len) */
    RG_HUB_RESYNC,          /* signaling between nodes was interrupted (Redis): what peers
                               sent meanwhile may be lost; renegotiate (an ICE restart) */
    RG_HUB_UNDELIVERED,     /* a relay you sent asking to hear of it (code) found nobody
                               (sid: its target) */
} rg_hub_event_kind;

typedef struct {
    rg_hub_event_kind kind;
    /* CLOSE: why; ADMIT: 1 allowed.  RELAY to a peer of this node: when
     * set, and its target is gone, the sender (sid, on loop code - 1)
     * hears RG_HUB_UNDELIVERED, so a request never waits for an answer
     * nobody will give; 0: dropped silently, as most relays are. */
    int code;
    const char *sid, *identity;
    const char *text; /* CLOSE: message; ENTRY_SETTLED: "allowed", "denied" or "left"; RELAY */
    size_t len;       /* RELAY: bytes of text */
} rg_hub_event;

/* A member seated by the store whose batch awaits the durable commit of
 * a room (signal/hub_durable.c): counted for replacement and the room's
 * protocol, invisible to everything else, announced when the commit is. */
#define RG_HUB_SEATING 3

/* A member's thread on another node (--redis): events to it go there
 * through Redis (signal/hub_remote.c). */
#define RG_HUB_REMOTE (-1)
/* RG_HUB_JOINED's code when the member is served by another node (the
 * node heard of it on the room's channel, perhaps only after its own
 * members entered: Twilio's connections then exchange their states with
 * it, signal/twilio_room.c). */
#define RG_HUB_JOINED_ELSEWHERE 1

typedef struct rg_hub_member {
    char sid[RG_SID_SIZE];
    char *identity; /* malloc'd */
    /* Its protocol: a remote member's is a stand-in with only the name,
     * so compare protocols with rg_hub_same_proto. */
    const struct rg_sig_proto *proto;
    const char *room_sid; /* its room's (room->sid: the room outlives its members) */
    int thread;           /* loop index of its connection, or RG_HUB_REMOTE */
    unsigned perms;       /* RG_PERM_* */
    /* 1 waiting, 2 answered (in flight), 0 participant, RG_HUB_SEATING:
     * seated, unannounced until its room's commit is durable */
    int lobby;
    /* What it publishes, for REST (Twilio's PublishedTracks): a JSON array
     * of {sid, name, kind, enabled}, malloc'd, set by its protocol under
     * room->lock; NULL when the protocol says nothing of tracks. */
    char *tracks;
    /* Its protocol's word for a newcomer, so none has to ask (Twilio's:
     * its latest state relay, signal/twilio_peers.c), malloc'd, set under
     * room->lock; NULL when none (a remote member: the newcomer asks). */
    char *state;
    /* Its connection is gone and its leave waits for the loop turn's
     * store write (signal/hub_leave.c): still a member to everyone, so
     * nobody hears of the leave before it is written. */
    int leaving;
    struct rg_hub_member *next;
} rg_hub_member;

typedef struct rg_hub_room {
    char sid[RG_SID_SIZE]; /* the store's room: the key */
    char account_sid[RG_SID_SIZE];
    char *name; /* unique name, malloc'd */
    rg_room_type type;
    int refs; /* peers holding it (hub->lock) */
    pthread_mutex_t lock;
    rg_hub_member *members; /* room->lock */
    struct rg_hub_room *next;
} rg_hub_room;

/* A wire protocol, as the hub calls it.  Every op runs on the peer's own
 * loop.  deliver may run with a room's lock held (a delivery to a peer of
 * the poster's loop is made at once): it must not take a room lock or
 * leave the room, except for RG_HUB_ADMIT, which always arrives through
 * the loop's queue, outside any lock. */
typedef struct rg_sig_proto {
    const char *name;
    void (*deliver)(rg_hub_peer *p, const rg_hub_event *ev);
    /* p took its seat: tell it (the room and who is in it).  room->lock
     * held; room->members are the others (p is linked just after). */
    void (*entered)(rg_hub_peer *p, rg_hub_room *room);
    /* Refused or failed: tell code and message, then close. */
    void (*fail)(rg_hub_peer *p, int code, const char *message);
    /* Server drain: 1 while the connection is open and not closing. */
    int (*is_open)(const rg_hub_peer *p);
    /* Server drain, step 1: hint the client to move elsewhere before the
     * server closes it in close_in_ms. */
    void (*drain_hint)(rg_hub_peer *p, int close_in_ms);
    /* Server drain, step 2: tell it the server is going away, close. */
    void (*shut)(rg_hub_peer *p);
    /* Loop disposal: free it now (leaving its room first). */
    void (*destroy)(rg_hub_peer *p);
} rg_sig_proto;

/* One connection as the hub sees it; embedded first in a protocol's. */
struct rg_hub_peer {
    const rg_sig_proto *proto;
    rg_sig_thread *t;
    rg_sig_state state;
    char sid[RG_SID_SIZE]; /* PA..., from rg_hub_admit */
    char *identity;        /* malloc'd, from rg_hub_admit */
    rg_token_kind kind;
    unsigned perms;
    rg_hub_room *room;              /* a reference, once joining */
    uint8_t addr[16];               /* counted by rg_hub_ip_acquire */
    int in_table;                   /* in t->conns */
    int seat_queued;                /* in t->seats: admitted, its seat not taken yet */
    struct rg_hub_opening *opening; /* its seat creates its room (rg_sig_entry.open) */
    /* its seat is decided, or its batch durable, and it is not told yet
     * (RG_HUB_SEATING; or at the writer, signal/hub_writer.c) */
    int durable_wait;
    int reopened; /* admitted again once (its room opened first by someone else) */
    /* Set by a connection layer that holds what the peer sends while
     * durable_wait: called once it is over (entered or failed), outside
     * any lock.  May be NULL. */
    void (*resumed)(rg_hub_peer *p);
    /* Set by a connection layer that can: runs fn(p) where it may wait for
     * the store without holding the loop (a fiber, signal/conn.c), now
     * or later; NULL: fn(p) is called at once. */
    void (*later)(rg_hub_peer *p, void (*fn)(rg_hub_peer *p));
    h2o_linklist_t link;      /* t->all */
    struct rg_hub_peer *next; /* t->conns chain */
};

typedef struct rg_sig_hub {
    rg_app *app;
    rg_sig_hooks hooks;
    pthread_mutex_t lock;
    rg_hub_room *rooms[SIG_ROOM_BUCKETS];
    rg_addrcount ips;                   /* signaling connections per address, under lock */
    struct rg_joinrate *joins;          /* joins per identity and room (signal/joinrate.h) */
    struct rg_sig_thread *threads[256]; /* owned: freed by rg_hub_free */
    const struct rg_hub_fanout *fanout; /* the other nodes (--redis); NULL: this node alone */
    struct rg_hub_remote *remote;       /* fanout's state (signal/hub_remote.c) */
    struct rg_hub_durable *durable;     /* signal/hub_durable.c; NULL without hooks.sync */
    struct rg_hub_writer *writer;       /* signal/hub_writer.c; NULL: the loops write */
    /* the loops' receiver of written jobs, and their wait for the writer
     * when they end: set by rg_hub_writer_start, before the loops start */
    void (*writer_done)(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
    void (*writer_flush)(rg_sig_thread *t);
    /* the loops' receiver of synced seats (rg_hub_durable_done), set by
     * rg_hub_durable_start, before the loops start */
    void (*durable_done)(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
} rg_sig_hub;

/* A leave of this loop turn, for the store's batch (signal/hub_leave.c). */
typedef struct {
    char sid[RG_SID_SIZE];
    int64_t now;
    struct rg_hub_room *room; /* a reference */
} rg_hub_gone;

/* What waits for the leaves queued before it (a socket to close). */
typedef struct {
    void (*fn)(void *arg);
    void *arg;
} rg_hub_after;

/* One loop's signaling state.  The timeouts are shared by every protocol
 * on the loop (h2o keeps one list per duration). */
struct rg_sig_thread {
    rg_sig_hub *hub;
    rg_worker *w;
    int index;
    h2o_context_t *ctx;
    h2o_multithread_receiver_t receiver;
    h2o_multithread_receiver_t durable_receiver; /* rg_hub_waiting back from the sync */
    pthread_t owner;                             /* the loop's thread */
    atomic_int queued;                           /* posts sent to receiver, not yet delivered */
    pthread_mutex_t post_lock;     /* posts from other threads vs the loop's disposal */
    int closed;                    /* disposed: posts are dropped (post_lock) */
    h2o_timeout_t ping_timeout;    /* cfg.signal.ping_interval_ms */
    h2o_timeout_t lobby_timeout;   /* cfg.signal.lobby_timeout: the lobby, and the join deadline */
    h2o_timeout_t reap_timeout;    /* 0 ms: destroys what was marked dead */
    h2o_timeout_t close_timeout;   /* 1 s: a closing connection's deadline for the handshake */
    h2o_timeout_t seat_timeout;    /* 0 ms: the seats asked for in this loop turn */
    h2o_timeout_t session_timeout; /* RG_HUB_SESSION_TIMEOUT: a dropped session's wait */
    h2o_timeout_entry_t seat_entry;
    rg_hub_peer *seats[SIG_SEAT_BATCH]; /* waiting for their seat, in arrival order */
    int nseats;
    int seats_again;                  /* in rg_hub_seats_run's second pass */
    h2o_timeout_entry_t leave_entry;  /* on seat_timeout: the turn's leaves */
    rg_hub_gone gone[SIG_SEAT_BATCH]; /* leaving, in order, not written yet */
    int ngone;
    rg_hub_after after[SIG_SEAT_BATCH]; /* run once those are written and told */
    int nafter;
    int leaves_flying; /* leave batches at the writer, not back yet */
    int disposing;     /* the loop ends: its writes are its own again */
    int ending;        /* the loop ends: connections go now, whatever they wait for */
    h2o_multithread_receiver_t writer_receiver; /* rg_hub_job back from the writer */
    rg_hub_peer *conns[SIG_CONN_BUCKETS];       /* joined and waiting, by sid */
    h2o_linklist_t all;                         /* every peer, for the drain */
    int draining;
};

static inline int rg_hub_same_proto(const rg_sig_proto *a, const rg_sig_proto *b)
{
    return a == b || strcmp(a->name, b->name) == 0;
}

/* ---- the hub itself (signal/hub.c) ---- */

rg_sig_hub *rg_hub_new(rg_app *app, const rg_sig_hooks *hooks); /* NULL on OOM */
void rg_hub_free(rg_sig_hub *hub);
int64_t rg_hub_now(const rg_sig_thread *t); /* unix seconds, the loop's clock */

/* A new connection on t (its loop): into t->all, for the drain. */
void rg_hub_peer_attach(rg_sig_thread *t, rg_hub_peer *p, const rg_sig_proto *proto);
/* Enters p's sid (set by rg_hub_admit) into its loop's table, so events
 * reach it. */
void rg_hub_peer_index(rg_hub_peer *p);
/* Out of t->all and the sid table; after rg_hub_leave. */
void rg_hub_peer_detach(rg_hub_peer *p);
/* Out of the sid table only (before p->sid changes: a resumed session
 * takes the sid of the peer it replaces). */
void rg_hub_peer_unindex(rg_hub_peer *p);
/* Per-address counting: 0 when admitted, -1 over the limit (0: none). */
int rg_hub_ip_acquire(rg_sig_hub *hub, const uint8_t addr[16], int limit);
void rg_hub_ip_release(rg_sig_hub *hub, const uint8_t addr[16]);

/* The room with this sid, +1 reference (rg_hub_room_unref), or NULL. */
rg_hub_room *rg_hub_room_find(rg_sig_hub *hub, const char *room_sid);
rg_hub_room *rg_hub_room_ref(rg_sig_hub *hub, const rg_room *r); /* NULL on OOM */
void rg_hub_room_unref(rg_sig_hub *hub, rg_hub_room *room);
void rg_hub_room_hold(rg_sig_hub *hub, rg_hub_room *room);             /* +1 reference */
rg_hub_member *rg_hub_member_find(rg_hub_room *room, const char *sid); /* room->lock held */
/* Unlinks and returns the member, NULL when absent; room->lock held. */
rg_hub_member *rg_hub_member_take(rg_hub_room *room, const char *sid);
void rg_hub_member_free(rg_hub_member *m);
/* Delivers ev to the member's peer, on its loop (ev's strings copied). */
void rg_hub_post(rg_sig_hub *hub, const rg_hub_member *to, const rg_hub_event *ev);
/* ev to every participant (not guests) of the room but `except`;
 * room->lock held. */
void rg_hub_broadcast(rg_sig_hub *hub, rg_hub_room *room, const char *except,
                      const rg_hub_event *ev);
/* Tells the room's hosts (allow_join participants) but `except` that the
 * guest's request is settled (RG_HUB_ENTRY_SETTLED: "allowed", "denied",
 * or "left" when it gave up or timed out), on every node: the guest's
 * node is the one that settles it (hub_remote.c).  room->lock held. */
void rg_hub_tell_hosts(rg_sig_hub *hub, rg_hub_room *room, const rg_hub_member *guest,
                       const char *decision, const char *except);
/* m is out of the room (kicked, replaced, room closed): it is told why
 * and closed, and when it was a participant the others hear it left.
 * Frees m; room->lock held. */
void rg_hub_evict(rg_sig_hub *hub, rg_hub_room *room, rg_hub_member *m, int code,
                  const char *message);

/* This node's removals (a kick, a room closed), not told to other nodes:
 * rg_signal_remove and rg_signal_room_close do both. */
void rg_hub_remove(rg_sig_hub *hub, const char *room_sid, const char *participant_sid, int code,
                   const char *message);
void rg_hub_close_room(rg_sig_hub *hub, const char *room_sid, int code, const char *message);

/* ---- between nodes (signal/hub_remote.c, --redis) ----
 *
 * Each node's hub rooms also hold the members other nodes serve
 * (thread RG_HUB_REMOTE), learned on the room's Redis channel, which a
 * node subscribes to while it holds one of the room's members.  The
 * node that serves a member is the only one that announces it (joined,
 * waiting, gone); events for a remote member (relay, lobby answers,
 * close) are published to the room's channel for its node to deliver.
 * Every call is a no-op without --redis (hub->remote NULL). */
/* Starts the Redis thread (bus/bus.h): RG_OK or RG_ENOMEM. */
int rg_hub_remote_start(rg_sig_hub *hub, const rg_redis_url *url);
void rg_hub_remote_stop(rg_sig_hub *hub);
/* 0 when --redis is set and Redis is unreachable (readiness: degraded). */
int rg_hub_remote_ok(rg_sig_hub *hub);
/* What the hub tells other nodes, set by rg_hub_remote_start (hub->fanout;
 * NULL: this node alone).  The hub calls it through these pointers, as it
 * calls its hooks: hub_remote.c is the one that calls into the hub. */
typedef struct rg_hub_fanout {
    /* A room became live on this node (live 1) or is gone from it (0);
     * hub->lock held. */
    void (*room)(rg_sig_hub *hub, const char *room_sid, int live);
    /* Local member m entered its room or its lobby (room->lock held)... */
    void (*announce)(rg_sig_hub *hub, const rg_hub_member *m);
    /* ...or is out of it (room->lock held).  No-op for a remote member. */
    void (*gone)(rg_sig_hub *hub, const rg_hub_member *m);
    /* ev for remote member `to`, through its node (room->lock held).  The
     * room-wide news (joined, left, a guest waiting) is not forwarded: the
     * member's node tells its own connections when it hears the
     * announcements. */
    void (*post)(rg_sig_hub *hub, const rg_hub_member *to, const rg_hub_event *ev);
    /* The other nodes do the same removal (after the store's commit). */
    void (*removed)(rg_sig_hub *hub, const char *room_sid, const char *participant_sid, int code,
                    const char *message);
    void (*closed)(rg_sig_hub *hub, const char *room_sid, int code, const char *message);
    /* The other nodes' caches learn at once what this node committed: a
     * revocation (a kick), or that accounts or keys changed. */
    void (*revoked)(rg_sig_hub *hub, const rg_revocation *r);
    void (*keys)(rg_sig_hub *hub, int unused);
    /* A guest this node serves is settled (rg_hub_tell_hosts): the other
     * nodes tell their hosts but `except` (NULL: all); room->lock held. */
    void (*settled)(rg_sig_hub *hub, const rg_hub_member *guest, const char *decision,
                    const char *except);
} rg_hub_fanout;

/* hub's fanout op with these arguments, when there is a fanout (a
 * statement). */
#define RG_HUB_FANOUT(hub, op, ...)                                                                \
    do {                                                                                           \
        if ((hub)->fanout != NULL) (hub)->fanout->op((hub), __VA_ARGS__);                          \
    } while (0)

/* ---- seats awaiting a durable commit (signal/hub_durable.c) ---- */

/* One loop's seats whose batch must be durable up to point before they
 * are announced; sent back to the loop with rc, the sync's. */
typedef struct {
    h2o_multithread_message_t super;
    int64_t point;
    int rc;
    int thread; /* the loop's index */
    int n;
    char sids[SIG_SEAT_BATCH][RG_SID_SIZE]; /* looked up again on the loop */
} rg_hub_waiting;

/* The sync thread (hub->durable), when hooks.sync is set: after
 * rg_hub_new, before the loops' rg_signal_thread_init.  RG_OK or
 * RG_ENOMEM.  Stopped after the loops are gone, before rg_hub_free (NULL
 * is fine). */
int rg_hub_durable_start(rg_sig_hub *hub);
void rg_hub_durable_stop(rg_sig_hub *hub);
/* Queues w (owned from now on) for the next sync. */
void rg_hub_durable_wait(rg_sig_hub *hub, rg_hub_waiting *w);
/* The loop's receiver of synced batches: announces (or refuses) each
 * seat whose peer is still there and seated (hub_join.c). */
void rg_hub_durable_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);
/* The peer of the calling loop with this sid, or NULL. */
rg_hub_peer *rg_hub_peer_find(rg_sig_thread *t, const char *sid);

/* ---- the hub's writes off the loops (signal/hub_writer.c) ----
 *
 * When the store is across the network (PostgreSQL), a loop does not
 * wait for its seats and leaves to be written: each batch is a job for
 * the writer thread, which writes the jobs in the order they came (so
 * the store's order of one node's seats and leaves is the order they
 * were asked in) and then makes the room changes they decide under the
 * rooms' locks, as the loop did; the loop hears back through its
 * writer_receiver and tells its own peers. */
typedef struct {
    char sid[RG_SID_SIZE];          /* the peer's, looked up again on the loop */
    rg_seat seat;                   /* rc: the store's answer, or SEAT_OTHER_PROTOCOL */
    rg_hub_member *m;               /* until the writer links it (RG_HUB_SEATING) */
    rg_hub_room *room;              /* a reference */
    struct rg_hub_opening *opening; /* the peer's, while it is written */
} rg_hub_wseat;

typedef struct rg_hub_job {
    h2o_multithread_message_t super;
    int thread; /* the loop's index */
    /* set by who queues it: its write, on the writer's thread, and what
     * its loop does when it is back (the writer frees it after) */
    void (*write)(rg_sig_hub *hub, struct rg_hub_job **jobs, int n); /* n of one kind */
    void (*written)(rg_sig_thread *t, struct rg_hub_job *job);
    int nseats;
    rg_hub_wseat seats[SIG_SEAT_BATCH];
    int ngone; /* leaves, and what waits for them */
    rg_hub_gone gone[SIG_SEAT_BATCH];
    int nafter;
    rg_hub_after after[SIG_SEAT_BATCH];
    struct rg_hub_tracks *tracks; /* track events to record (hub_room.c), malloc'd */
} rg_hub_job;

/* Starts the writer (hub->writer): after rg_hub_new, before the loops'
 * rg_signal_thread_init; init(arg) runs first on its thread (the store
 * connection it binds).  RG_OK or RG_ENOMEM.  Stopped after the loops are
 * gone (NULL is fine). */
int rg_hub_writer_start(rg_sig_hub *hub, void (*init)(void *arg), void *arg);
void rg_hub_writer_stop(rg_sig_hub *hub);
/* A new job of loop t (NULL: no memory) with its two steps; queues it
 * (owned from now on). */
rg_hub_job *rg_hub_job_new(rg_sig_thread *t, void (*write)(rg_sig_hub *, rg_hub_job **, int),
                           void (*written)(rg_sig_thread *, rg_hub_job *));
/* Jobs of one kind queued one after another are written together (one
 * transaction for the loops' turns of a round trip), up to this many jobs
 * and rows (seats or leaves; a job has at most SIG_SEAT_BATCH). */
#define RG_HUB_WRITE_GROUP 64
#define RG_HUB_WRITE_ROWS 512
/* the first job of a write is taken whatever its rows */
_Static_assert(RG_HUB_WRITE_ROWS >= SIG_SEAT_BATCH, "a job's rows fit in a write");
void rg_hub_writer_post(rg_sig_hub *hub, rg_hub_job *job);

/* ---- joining and leaving (signal/hub_join.c) ---- */

/* Asks the hooks to admit p with this token into `room` (NULL: the
 * token's); fills p (sid, identity, kind, perms, room) and indexes it.
 * 0 to enter directly, 1 to wait in the lobby, or -1 after telling p why
 * (ops->fail). */
int rg_hub_admit(rg_hub_peer *p, const char *token, size_t len, const char *room);
/* After rg_hub_admit: into the room directly (a seat at the end of this
 * loop turn; ops->entered or ops->fail follow) or, lobby set, into its
 * lobby (RG_HUB_WAITING follows at once). */
void rg_hub_enter(rg_hub_peer *p, int lobby);
/* Takes the seats queued on this loop: one store transaction for all of
 * them, then each enters its room in that order. */
void rg_hub_seats_run(rg_sig_thread *t);
/* The lobby's answer (RG_HUB_ADMIT) reached the guest: allowed takes a
 * seat; denied leaves the room (the protocol closes).  No-op unless
 * p->state is RG_SIGST_LOBBY. */
void rg_hub_admitted(rg_hub_peer *p, int allowed);
/* The guest gave up waiting (the lobby deadline): out of the lobby, the
 * hosts told. */
void rg_hub_lobby_expired(rg_hub_peer *p);
/* The connection is going away: leave its room (once).  A participant's
 * leave is written with the loop turn's others (hub_leave.c). */
void rg_hub_leave(rg_hub_peer *p);

/* ---- between hub_join.c, hub_seats.c and hub_enter.c ---- */

/* What admitted a join that opens its room, kept until its seat is
 * decided: the room to create, and the token and room asked for, to admit
 * it again when another opened that room first. */
struct rg_hub_opening {
    rg_room room;
    int has_room;     /* room_arg given (else the token's) */
    size_t token_len; /* token at data, then room_arg */
    char data[];
};
/* A seat not asked of the store: the room is another protocol's. */
#define RG_HUB_OTHER_PROTOCOL 1
/* Queues p for the seats of this loop turn (rg_hub_seats_run)... */
void rg_hub_take_seat(rg_hub_peer *p);
/* ...or takes it out of them (gone before its seat: none taken). */
void rg_hub_unqueue_seat(rg_hub_peer *p);
/* p's member (a guest of the lobby when lobby is 1); NULL: no memory. */
rg_hub_member *rg_hub_member_new(rg_hub_peer *p, int lobby);
/* room->lock held: the identity's other connection (of any protocol,
 * seated or seating) out of the room, told why: the store replaced it. */
void rg_hub_replace_identity(rg_sig_hub *hub, rg_hub_room *room, const char *identity);
/* room->lock held: the others hear p joined, p is told it entered, m is
 * linked; rg_hub_enter_room replaces p's identity's older connection
 * first. */
void rg_hub_announce(rg_hub_peer *p, rg_hub_member *m);
void rg_hub_enter_room(rg_hub_peer *p, rg_hub_member *m);
/* The store hears p left (one leave, on the calling thread). */
void rg_hub_store_leave(rg_hub_peer *p);
/* Tells p why its seat was refused (rc: the store's, or
 * RG_HUB_OTHER_PROTOCOL), and closes it.  Outside the locks. */
void rg_hub_seat_refused(rg_hub_peer *p, int rc);
/* p's room was opened first by someone else: admitted again, to be
 * queued for a seat by the caller (0), or refused and told (-1).
 * Outside the locks. */
int rg_hub_readmit(rg_hub_peer *p);
/* What p's seat will open (a copy of room, the token and room asked),
 * NULL on OOM; and p's freed. */
struct rg_hub_opening *rg_hub_opening_new(const rg_room *room, const char *token, size_t len,
                                          const char *room_arg);
void rg_hub_opening_done(rg_hub_peer *p);
/* The join metric a refusal code counts as (RG_MJOIN_*). */
int rg_hub_refusal_kind(int code);

/* ---- leaves in batches (signal/hub_leave.c) ---- */

/* Queues the leave of p's member m (room->lock held; m stays, leaving),
 * taking over p's reference to its room.  The queue has room: the caller
 * ran rg_hub_leaves_run when it was full (outside the locks). */
void rg_hub_leave_queue(rg_hub_peer *p, rg_hub_member *m);
/* The same for member sid (marked leaving by the caller) of room, whose
 * peer is gone (a seat written after its connection went), taking over a
 * reference to room. */
void rg_hub_leave_queue_sid(rg_sig_thread *t, const char *sid, rg_hub_room *room);
/* Writes the queued leaves in one store call, then each member goes and
 * the others hear it left; then what waited for them runs.  Outside any
 * lock; before the loop turn's seats (a rejoin after its leave). */
void rg_hub_leaves_run(rg_sig_thread *t);
/* fn(arg) once the leaves queued now are written and told; at once when
 * none is. */
void rg_hub_after_leaves(rg_sig_thread *t, void (*fn)(void *arg), void *arg);

/* ---- what a joined participant does (signal/hub_room.c) ---- */

/* Relays bytes to participant `to` of p's room (not p, same protocol):
 * RG_OK, or RG_ENOTFOUND. */
int rg_hub_relay(rg_hub_peer *p, const char *to, const char *body, size_t len);
/* A host answers guest `guest`: RG_OK, or RG_ENOTFOUND when no such guest
 * waits (the first answer wins). */
int rg_hub_answer(rg_hub_peer *p, const char *guest, int allowed);
/* Kicks participant `target` (not p) through the kick hook: RG_OK,
 * RG_ENOTFOUND, or the hook's error. */
int rg_hub_kick(rg_hub_peer *p, const char *target);
/* p's published tracks changed (ev, n: core/track.h): their status
 * callback events are recorded through the hooks, at the writer when the
 * hub has one (after p's seat, before its leave), else now. */
void rg_hub_tracks(rg_hub_peer *p, const rg_track_event *ev, size_t n);

#endif

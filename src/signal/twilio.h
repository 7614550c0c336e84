/* signal/twilio.h - what the two files of Twilio's protocol share
 * (signal/twilio.c: the connection, the envelope and the client's room
 * messages; signal/twilio_room.c: what the hub says, translated, and the
 * state each connection keeps of its room).
 *
 * A Twilio connection is a sig_conn (signal/conn.h) and a peer of the hub
 * like any other: it joins through rg_sig_join (same tokens, rooms,
 * capacity, store, REST), and the hub's events (entered, a participant
 * left, a relay, a close) reach it through its protocol's ops
 * (tw_proto, signal/twilio_room.c), which speak Twilio's.  Between two
 * Twilio connections, the relay (`signal` with a data object "tw") carries
 * each participant's published tracks and the peer connections' offers,
 * answers and candidates.
 *
 * Everything here is the connection's own loop's.  deliver may run while
 * another connection of the loop holds the room's lock, so nothing here
 * takes it there: what must reach other members is queued in `outbox` and
 * posted from a 0 ms timer (tw_flush). */
#ifndef RG_SIGNAL_TWILIO_H
#define RG_SIGNAL_TWILIO_H

#include "core/twmsg.h"
#include "signal/conn.h"

#define TW_SESSION_TIMEOUT RG_HUB_SESSION_TIMEOUT /* seconds; what `connected` announces */
/* Track events (status callbacks, durable rows) one connection may record:
 * a whole unpublish and republish at once, then a few a second, far more
 * than a person muting and sharing makes (twilio_room.c record_tracks). */
#define TW_TRACK_EVENTS_BURST (2 * RG_TW_MAX_TRACKS)
#define TW_TRACK_EVENTS_RATE 4 /* a second */

/* A relay queued for tw_flush: to a sid, or to everyone ("*"). */
typedef struct {
    char to[RG_SID_SIZE];
    char *text; /* the relayed text, malloc'd */
    size_t len;
} tw_out;

typedef struct {
    sig_conn *conn; /* the connection this state is the ext of */
    int welcomed;   /* welcome sent */
    int connecting; /* connect received, the join under way */
    int joined;     /* `connected` sent */
    char session[RG_SID_SIZE];
    json_t *mine;         /* my published tracks, with their MT sids */
    long long client_rev; /* the client's last participant revision */
    long long rev;        /* my revision as the others see it */
    long long published_rev, subscribed_rev;
    json_t *peers;   /* sid -> its state, compact (signal/twilio_peers.c) */
    json_t *pcs;     /* peer connection id -> the peer's sid ("" = mine, unpaired) */
    json_t *initial; /* connect's peer_connections, until joined */
    tw_out *outbox;  /* relays for the others, posted by tw_flush */
    size_t nout, capout;
    int state_queued; /* a state for everyone in the outbox: the member's record too */
    /* my state's texts for the others, made once per change of `mine`
     * (tw_set_mine; NULL: to make): "\n" identity "\n" shown tracks
     * "\n" subscriptions, and REST's tracks (rest_dirty: not posted yet) */
    char *me_tail, *me_rest;
    int rest_dirty;
    rg_bucket track_budget; /* track events it may still record */
    h2o_timeout_entry_t flush_entry;
    /* resumption (signal/twilio_sync.c) */
    int detached;        /* the socket dropped: in the room, waiting for a sync */
    int removed;         /* out of the room (RG_HUB_CLOSE): never said connected again */
    int resuming;        /* this new socket's sync asked the old connection for its session */
    json_t *sync_pcs;    /* the sync's peer_connections, until the session arrives */
    json_t *sync_tracks; /* the sync's participant tracks (NULL: none said), until then */
    long long sync_rev;  /* and their revision */
    json_t *resumed;     /* the session handed over, until tw_adopt */
    h2o_timeout_entry_t session_entry, adopt_entry;
} tw_conn;

static inline tw_conn *tw_of(sig_conn *c)
{
    return (tw_conn *)c->ext;
}

/* signal/twilio.c */
void tw_send_body(sig_conn *c, json_t *body); /* wraps in msg and writes; steals body */
void tw_fail(sig_conn *c, int code, const char *message);
/* n random bytes (rg_random's, from a per-loop pool): RG_OK or RG_ECRYPTO. */
int tw_random(void *out, size_t n);
void tw_queue(sig_conn *c, const char *to, json_t *data); /* for tw_flush; steals data */
/* My state (tw_state_text) for tw_flush, to a sid or "*". */
void tw_queue_state(sig_conn *c, const char *to, int want, int paired);
/* Takes mine as my published tracks (steals it); the texts made of them
 * are made again when next needed. */
void tw_set_mine(sig_conn *c, json_t *mine);

/* Checks m's token and room as a join would, creating nothing (the hub's
 * check hook): 0 with e filled (free e->identity after), or -1 after
 * failing c with the join's error. */
int tw_admit(sig_conn *c, const rg_tw_msg *m, rg_sig_entry *e);

/* signal/twilio_sync.c: a session outlives its socket for
 * RG_HUB_SESSION_TIMEOUT seconds and resumes on another with `sync`. */
int tw_on_closed(sig_conn *c);
void tw_on_sync(sig_conn *c, const rg_tw_msg *m);
void tw_on_session_timeout(h2o_timeout_entry_t *e);
void tw_adopt(h2o_timeout_entry_t *e);
/* c ends with a session handed over and not adopted: the room's reference
 * that came with it is released.  No-op without one. */
void tw_drop_resumed(sig_conn *c);
/* A sync's request for its session was refused, or found no connection
 * (the hub's bounce): the client hears 53002. */
void tw_resume_refused(sig_conn *c);
/* A relay about sessions (what: resume, resumed, refused): 1 when it was one. */
int tw_on_session_message(sig_conn *c, const char *from, const char *what, json_t *data);

/* signal/twilio_room.c */
extern const rg_sig_proto tw_proto; /* the hub's ops for a Twilio connection */
void tw_flush(h2o_timeout_entry_t *e);
/* The client's update: its tracks and its peer connections. */
void tw_on_update(sig_conn *c, const rg_tw_msg *m);
/* The client's tracks at this revision (an update's or a sync's): 1 when
 * newer than what it said before, and then taken (MT sids kept or given,
 * their status callback events recorded, my revision raised; the caller
 * tells the client and the others), 2 when newer but the same tracks as
 * before (the revision taken, nothing for the others), 0 when not newer,
 * -1 after failing c (more track changes than its budget allows). */
int tw_take_tracks(sig_conn *c, json_t *tracks, long long revision);
/* signal/twilio_peers.c: another participant as tw->peers keeps it (a
 * compact array of the texts its client is sent), from the state relayed.
 *
 * A state relay is text, not JSON, so neither end builds or parses a DOM:
 *   "tw1 state " REV " " STATE " " WANT " " PAIRED "\n" identity "\n" shown
 *   "\n" subs
 * (STATE connected or reconnecting; WANT 1 asks for the receiver's state;
 * PAIRED, to a member elsewhere, 1 or 0: whether the sender has a peer
 * connection with it, else "-"; the rest as a peer keeps them).  A
 * client's relay is always a JSON object ({"type":"signal",...}), so it
 * never reads as one. */
#define TW_STATE_PREFIX "tw1 state "
/* My texts (me_tail, me_rest) from identity and mine: 0, or -1 out of memory. */
int tw_me_texts(const char *identity, const json_t *mine, char **tail, char **rest);
/* A state relay (paired -1: not said), malloc'd (NULL out of memory),
 * its length in *len. */
char *tw_state_text(long long rev, int reconnecting, int want, int paired, const char *tail,
                    size_t *len);
/* The peer a state relay describes (its want in *want, its paired in
 * *paired when not NULL, -1 when not said), or NULL when the text is not
 * one. */
json_t *tw_state_parse(const char *text, size_t len, int *want, int *paired);
long long tw_peer_rev(const json_t *peer);
/* Its entries of `subscribed` (the text between the brackets). */
const char *tw_peer_subs(const json_t *peer);
/* It left: disconnected, no tracks, its revision raised. */
void tw_peer_gone(json_t *peer);
/* The whole `update` envelope telling of peer sid (with peer_connections
 * when pcs is not NULL) and `subscribed` at sub_rev (none when sub_rev is
 * 0: unchanged); malloc'd, NULL when out of memory. */
char *tw_update_text(const json_t *peers, const char *sid, const json_t *peer, long long sub_rev,
                     const json_t *pcs);
/* `connected`: the room, me, the peers already known (tw->peers) and
 * their subscriptions at sub_rev (none when 0), my published tracks at
 * pub_rev, peer_connections (a JSON array's text; NULL: empty); the whole
 * envelope, malloc'd, NULL when out of memory. */
char *tw_connected_text(sig_conn *c, const char *room_sid, const char *room_name, long long sub_rev,
                        long long pub_rev, const char *pcs);
/* For `synced`: every peer as `participants` lists them, and `subscribed`. */
json_t *tw_peers_participants(const json_t *peers);
json_t *tw_peers_subscribed(const json_t *peers, long long rev);

#endif

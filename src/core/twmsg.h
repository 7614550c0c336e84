/* twmsg.h - the messages of Twilio's signaling as twilio-video.js 2.x
 * speaks it on GET /signaling (docs/migrate-from-twilio.md): the envelope
 * ("TCMP" v2: hello, msg, heartbeat, bye from the client; welcome, msg,
 * heartbeat from the server) and the room messages inside it ("RSP" v2:
 * ice, connect, update, sync, disconnect).
 *
 * Pure: text in, a checked message out; JSON values out for the shell to
 * send.  Each message type is a row of a table naming its fields and their
 * shapes, so no handler sees an unchecked field.  Fields the server only
 * relays (an SDP, ICE candidates) are checked for shape and size, not
 * meaning: they are the two browsers' business. */
#ifndef RG_CORE_TWMSG_H
#define RG_CORE_TWMSG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/sid.h"

#define RG_TW_MAX_TRACKS 32 /* tracks one participant may publish */
#define RG_TW_MAX_PCS 16    /* peer connections named in one message */
#define RG_TW_ID_MAX 128    /* bytes of a track or peer connection id */

/* Envelope types, client -> server. */
typedef enum { RG_TW_HELLO = 1, RG_TW_MSG, RG_TW_HEARTBEAT, RG_TW_BYE } rg_tw_env_type;

/* Room message types, client -> server. */
typedef enum {
    RG_TW_ICE = 1,
    RG_TW_CONNECT,
    RG_TW_UPDATE,
    RG_TW_SYNC,
    RG_TW_DISCONNECT,
} rg_tw_type;

typedef struct {
    rg_tw_env_type type;
    json_t *body; /* hello (may be NULL) and msg: the room message, borrowed from root */
    json_t *root;
} rg_tw_env;

typedef struct {
    rg_tw_type type;
    const char *token; /* ice, connect, sync */
    size_t token_len;
    const char *name;         /* connect, sync: the room; NULL when absent */
    const char *session;      /* sync (and optionally update, disconnect) */
    json_t *tracks;           /* participant.tracks when present (checked), borrowed */
    long long revision;       /* participant.revision, -1 when no participant */
    json_t *peer_connections; /* checked array, borrowed; NULL when absent */
} rg_tw_msg;

/* Parses one text frame as an envelope.  RG_OK, or RG_EINVAL with *why (a
 * static explanation).  Release with rg_tw_env_clear. */
int rg_tw_env_parse(const char *text, size_t len, rg_tw_env *out, const char **why);
void rg_tw_env_clear(rg_tw_env *e);

/* Checks a room message (an envelope's body).  Pointers in out borrow from
 * body.  RG_OK, or RG_EINVAL with *why. */
int rg_tw_msg_parse(json_t *body, rg_tw_msg *out, const char **why);

/* A track's kind: 'a', 'v', 'd' from its "kind". */
char rg_tw_track_kind(const json_t *track);

/* ---- server -> client ---------------------------------------------------- */

/* The welcome, compact JSON text written into out (NUL-terminated); its
 * length.  A constant shape: no DOM for every hello. */
#define RG_TW_WELCOME_MAX 64
size_t rg_tw_welcome(char out[RG_TW_WELCOME_MAX], int negotiated_ms);
/* Compact JSON text, malloc'd (free with free()), NULL when out of memory. */
/* {"type":"msg","body":body}; steals body (may be NULL: then NULL). */
char *rg_tw_wrap(json_t *body);
/* {"type":"error","code":code,"message":message}, the room message. */
json_t *rg_tw_error(int code, const char *message);

/* The tracks a participant published, as kept by the server: its own
 * tracks (id, kind, name, enabled, priority) plus a "sid" (MT...), kept
 * from prev for an id seen before, else made from rnd (16 bytes per track,
 * RG_TW_MAX_TRACKS * 16 in all).  New array, or NULL when out of memory. */
json_t *rg_tw_assign_sids(const json_t *tracks, const json_t *prev, const uint8_t *rnd);
/* published: {"revision":rev,"tracks":[{"id","sid","state":"ready"}]}. */
json_t *rg_tw_published(const json_t *mine, long long rev);
/* What the others see of a participant:
 * {"sid","identity","state","revision","tracks":[{sid,name,kind,enabled,priority}]}. */
json_t *rg_tw_participant(const char *sid, const char *identity, const char *state, long long rev,
                          const json_t *mine);
/* subscribed: {"revision":rev,"tracks":[{"sid","id"}]} for every track of
 * every participant in peers (an object sid -> {"tracks": mine}). */
json_t *rg_tw_subscribed(const json_t *peers, long long rev);

#endif

/* signal_msg.h - the signaling protocol's messages (docs/signaling.md):
 * what a client may send, checked against a small table, and the error
 * codes the server answers with.
 *
 * Pure: text in, a checked message out.  The shell decides what to do with
 * it (the files of src/signal/). */
#ifndef RG_CORE_SIGNAL_MSG_H
#define RG_CORE_SIGNAL_MSG_H

#include <jansson.h>
#include <stddef.h>

#include "core/sid.h"

/* Error codes in {"type":"error","code":...}.  Twilio's where Twilio has
 * one (Video's 53xxx, the token's 2010x), VideoSDK's for VideoSDK rules. */
enum {
    RG_SIG_E_INVALID_MESSAGE = 53004, /* Twilio: client sent an invalid signaling message */
    RG_SIG_E_TIMEOUT = 53002,         /* keepalive lost, or the lobby wait ran out */
    RG_SIG_E_ROOM_NOT_FOUND = 53106,  /* no such room and auto-create is off */
    RG_SIG_E_ROOM_FULL = 53105,
    RG_SIG_E_ROOM_COMPLETED = 53118,
    RG_SIG_E_DUPLICATE_IDENTITY = 53205,
    RG_SIG_E_REMOVED = 53216,             /* kicked by a moderator or the REST API */
    RG_SIG_E_DENIED = 53217,              /* the lobby's answer was "denied" */
    RG_SIG_E_UNKNOWN_PARTICIPANT = 53204, /* no such participant in the room */
    RG_SIG_E_RATE = 20429,                /* too many messages per second */
    RG_SIG_E_SERVER = 53000,              /* the server failed or is shutting down */
    RG_SIG_E_PERMISSION = 4008,           /* the token's permissions do not allow it */
    RG_SIG_E_OTHER_PROTOCOL = 53104,      /* Twilio's "unable to connect to Room": the room is in
                                           * use by clients of the other wire protocol */
};

/* Client -> server message types. */
typedef enum {
    RG_SIG_JOIN = 1,
    RG_SIG_SIGNAL,
    RG_SIG_ENTRY_RESPONSE,
    RG_SIG_MUTE,
    RG_SIG_KICK,
} rg_sig_type;

enum { RG_SIG_AUDIO = 1, RG_SIG_VIDEO = 2 };

typedef struct {
    rg_sig_type type;
    const char *token; /* join */
    size_t token_len;
    const char *room;     /* join: optional room name or RM sid; NULL if absent */
    const char *target;   /* signal "to"; entry_response/mute/kick "participant" */
    json_t *data;         /* signal: the opaque payload (borrowed from root), or NULL when
                           * data_raw holds it */
    const char *data_raw; /* signal, the fast path: the payload's text in the frame, exactly
                           * as jansson's compact dump would write it (borrowed from the
                           * text parsed: valid while it is) */
    size_t data_len;
    char target_buf[RG_SID_SIZE]; /* the fast path's target */
    int allowed;                  /* entry_response: 1 allowed, 0 denied */
    int kind;                     /* mute: RG_SIG_AUDIO / RG_SIG_VIDEO */
    json_t *root;                 /* owns every pointer above */
} rg_sig_msg;

/* Parses and checks one text frame.  RG_OK, or RG_EINVAL with *why set to
 * a static explanation (malformed JSON, not an object, unknown type, a
 * field missing or of the wrong type or shape).  On success release with
 * rg_sig_msg_clear. */
int rg_sig_parse(const char *text, size_t len, rg_sig_msg *out, const char **why);

/* What the addressee of a signal gets: {"type":"signal","from":FROM,
 * "data":...}, compact, malloc'd (NULL: out of memory).  Byte for byte
 * the same text whichever path parsed m. */
char *rg_sig_relay_json(const rg_sig_msg *m, const char *from);
void rg_sig_msg_clear(rg_sig_msg *m);

/* v as compact JSON, malloc'd (free with free()); takes v, which may be
 * NULL (a builder out of memory): then NULL.  Every signaling protocol's
 * messages are written through this one. */
char *rg_sig_dump(json_t *v);

/* Server -> client builders: compact JSON, malloc'd (free with free()). */
char *rg_sig_error_json(int code, const char *message);
char *rg_sig_peer_json(const char *type, const char *sid, const char *identity);
/* What the other hosts hear when a lobby request is settled:
 * {"type":"entry_responded","participant":{sid,identity},"decision":...}. */
char *rg_sig_entry_json(const char *sid, const char *identity, const char *decision);

#endif

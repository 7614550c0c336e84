/* sigadmit.h - who may enter a signaling room, and what a connection may
 * say in each state (docs/signaling.md).
 *
 * Pure: a validated token and the message in, a decision out.  The shell
 * resolves the room and talks to the store; these rules are the contract.
 *
 * Decisions recorded here (and in docs/signaling.md):
 * - A Twilio token needs a video grant.  Its identity is grants.identity.
 *   It joins directly, counts as allow_join (it may answer the lobby), and
 *   has no moderation rights (Twilio has no such grant).
 * - A VideoSDK token needs the rtc role and allow_join or ask_join.  Its
 *   identity is participantId, else its jti (so one token always means one
 *   identity: a second connection with it replaces the first, and a kick
 *   revokes it); a token with neither is refused (4002).
 * - ask_join (without allow_join) waits in the lobby. */
#ifndef RG_CORE_SIGADMIT_H
#define RG_CORE_SIGADMIT_H

#include "core/signal_msg.h"
#include "core/token.h"

typedef enum {
    RG_ADMIT_REFUSE = 0,
    RG_ADMIT_DIRECT = 1, /* a participant at once (seat permitting) */
    RG_ADMIT_LOBBY = 2,  /* waits until a host answers */
} rg_admit_kind;

typedef struct {
    rg_admit_kind kind;
    int code;               /* when refused */
    const char *message;    /* when refused (static) */
    const char *room;       /* the room to look up: the message's, else the token's */
    const char *token_room; /* what the token names ("" = any room of its account) */
    const char *identity;   /* points into the token result */
    unsigned perms;         /* RG_PERM_*: what the participant may do once in */
} rg_admission;

/* The identity a join with the validated token r takes, so the one a kick
 * revokes: a Twilio token's grants.identity, a VideoSDK token's
 * participantId else its jti.  NULL when it has none (borrowed from r).
 * Every check of a kick's revocation asks with this identity. */
const char *rg_token_identity(const rg_token_result *r);

/* Decides from a validated (or not) token r and the join message's room
 * (NULL when absent).  Pointers in out borrow from r and room. */
void rg_sig_admit(const rg_token_result *r, const char *room, rg_admission *out);

/* 1 when the token's room (unique name or RM sid, "" = any) names the room
 * with this sid and unique name. */
int rg_sig_room_matches(const char *token_room, const char *room_sid, const char *room_name);

/* A connection's life: waiting for its join, in the lobby, in the room. */
typedef enum { RG_SIGST_NEW = 0, RG_SIGST_LOBBY = 1, RG_SIGST_JOINED = 2 } rg_sig_state;

/* Whether a message of this type is allowed in this state: RG_OK, or
 * RG_EINVAL with *why; *fatal tells whether the connection must close
 * (anything but a join before joining; nothing is said in the lobby). */
int rg_sig_allowed(rg_sig_state st, rg_sig_type type, const char **why, int *fatal);

/* Whether perms allow a joined participant to send this type (relay:
 * anyone; entry_response: allow_join; mute/kick: allow_mod). */
int rg_sig_permitted(unsigned perms, rg_sig_type type);

/* Why a seat the store refused (rc: RG_EFULL, RG_EGONE, RG_ENOTFOUND, or
 * a failure) is refused, in the words of the token's kind: a full room
 * is 53105 for a Twilio token, 4009 for a VideoSDK one.  Static message. */
void rg_sig_seat_refusal(int rc, rg_token_kind kind, int *code, const char **message);

#endif

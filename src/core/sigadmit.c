/* sigadmit.c - the signaling admission rules: a validated Twilio or
 * VideoSDK token to an identity, role and permissions or a refusal, the
 * room a token may name, and which message types each connection state and
 * permission allows (sigadmit.h). */
#include "core/sigadmit.h"

#include <string.h>

#include "core/errors.h"

static int refuse(rg_admission *out, int code, const char *message)
{
    out->kind = RG_ADMIT_REFUSE;
    out->code = code;
    out->message = message;
    return -1;
}

/* participantId, else jti: one token, one identity.  The validation kept
 * the jti (r->jti, "" when absent, not a string or too long). */
static const char *videosdk_identity(const rg_token_result *r)
{
    const char *jti = r->jti;
    if (r->identity[0] != '\0') return r->identity;
    if (jti[0] == '\0') return NULL;
    for (const char *p = jti; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return NULL;
    return jti;
}

const char *rg_token_identity(const rg_token_result *r)
{
    if (r->kind == RG_TOKEN_VIDEOSDK) return videosdk_identity(r);
    return r->identity[0] != '\0' ? r->identity : NULL;
}

static int admit_twilio(const rg_token_result *r, rg_admission *out)
{
    if (!r->has_video_grant) return refuse(out, RG_TOK_BAD_GRANTS, "The token has no video grant");
    if (r->identity[0] == '\0') return refuse(out, RG_TOK_INVALID, "The token has no identity");
    out->identity = r->identity;
    out->perms = RG_PERM_ALLOW_JOIN;
    out->kind = RG_ADMIT_DIRECT;
    return 0;
}

static int admit_videosdk(const rg_token_result *r, rg_admission *out)
{
    if (!(r->roles & RG_ROLE_RTC))
        return refuse(out, RG_VSDK_INVALID_PERMISSIONS, "The token's roles do not include rtc");
    if (!(r->permissions & (RG_PERM_ALLOW_JOIN | RG_PERM_ASK_JOIN)))
        return refuse(out, RG_VSDK_INVALID_PERMISSIONS,
                      "The token allows neither allow_join nor ask_join");
    if ((out->identity = videosdk_identity(r)) == NULL)
        return refuse(out, RG_VSDK_INVALID_TOKEN, "The token has neither participantId nor jti");
    out->perms = r->permissions;
    out->kind = r->permissions & RG_PERM_ALLOW_JOIN ? RG_ADMIT_DIRECT : RG_ADMIT_LOBBY;
    return 0;
}

void rg_sig_admit(const rg_token_result *r, const char *room, rg_admission *out)
{
    int rc;
    memset(out, 0, sizeof *out);
    if (r->code != RG_TOK_VALID) {
        refuse(out, (int)r->code, rg_tok_message(r->code));
        return;
    }
    out->token_room = r->room;
    out->room = room && room[0] ? room : r->room;
    if (r->kind == RG_TOKEN_TWILIO)
        rc = admit_twilio(r, out);
    else if (r->kind == RG_TOKEN_VIDEOSDK)
        rc = admit_videosdk(r, out);
    else
        rc = refuse(out, RG_TOK_INVALID, rg_tok_message(RG_TOK_INVALID));
    if (rc == 0 && out->room[0] == '\0')
        refuse(out, RG_SIG_E_INVALID_MESSAGE,
               "No room: the token names none, so join needs \"room\"");
}

int rg_sig_room_matches(const char *token_room, const char *room_sid, const char *room_name)
{
    return token_room[0] == '\0' || strcmp(token_room, room_sid) == 0 ||
           strcmp(token_room, room_name) == 0;
}

int rg_sig_allowed(rg_sig_state st, rg_sig_type type, const char **why, int *fatal)
{
    *fatal = 0;
    switch (st) {
    case RG_SIGST_NEW:
        if (type == RG_SIG_JOIN) return RG_OK;
        *fatal = 1;
        *why = "The first message must be a join";
        return RG_EINVAL;
    case RG_SIGST_LOBBY:
        *why = type == RG_SIG_JOIN ? "Already waiting to join a room"
                                   : "Nothing can be sent while waiting in the lobby";
        return RG_EINVAL;
    case RG_SIGST_JOINED:
        if (type != RG_SIG_JOIN) return RG_OK;
        *why = "Already joined: one room per connection";
        return RG_EINVAL;
    }
    *fatal = 1;
    *why = "Bad state";
    return RG_EINVAL;
}

int rg_sig_permitted(unsigned perms, rg_sig_type type)
{
    switch (type) {
    case RG_SIG_SIGNAL:
        return 1;
    case RG_SIG_ENTRY_RESPONSE:
        return (perms & RG_PERM_ALLOW_JOIN) != 0;
    case RG_SIG_MUTE:
    case RG_SIG_KICK:
        return (perms & RG_PERM_ALLOW_MOD) != 0;
    default:
        return 0;
    }
}

void rg_sig_seat_refusal(int rc, rg_token_kind kind, int *code, const char **message)
{
    if (rc == RG_EFULL) {
        *code = kind == RG_TOKEN_VIDEOSDK ? RG_VSDK_MAX_PARTICIPANTS : RG_SIG_E_ROOM_FULL;
        *message = "The room is full";
    } else if (rc == RG_EGONE) {
        *code = RG_SIG_E_ROOM_COMPLETED;
        *message = "The room has been completed";
    } else if (rc == RG_ENOTFOUND) {
        *code = RG_SIG_E_ROOM_NOT_FOUND;
        *message = "No such room";
    } else {
        *code = RG_SIG_E_SERVER;
        *message = "Could not join the room; try again";
    }
}

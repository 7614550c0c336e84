/* fuzz_signal.c - signaling message dispatch: what src/signal/proto_roomgate.c
 * does with a client's text frame, minus the sockets.  The frame is parsed
 * and checked (rg_sig_parse, src/core/signal_msg.c), allowed or refused for
 * the connection's state and permissions (src/core/sigadmit.c), and then
 * handled as its type says: a join validates its token at FZ_NOW and is
 * admitted or refused (rg_sig_admit), a relay builds the frame the other
 * side would get, the others build their answers.
 *
 * Input: a mode byte (bits 0-1: the connection's state, bits 2-4: its
 * permissions), then the text.  Checked: a refusal says why, an admission
 * names an identity and a room, and a relayed payload reaches the other
 * side unchanged. */
#include "core/errors.h"
#include "core/sigadmit.h"
#include "fuzz.h"

#define ME "PA00000000000000000000000000000001"
#define ROOM_SID "RM00000000000000000000000000000001"

static void answer(char *json)
{
    FZ_ASSERT(json != NULL); /* the server would send it */
    free(json);
}

static void on_join(const rg_sig_msg *m)
{
    rg_token_result r;
    rg_admission a;
    rg_token_validate(fz_hmac(), m->token, m->token_len, FZ_NOW, fz_lookup, NULL, &r);
    rg_sig_admit(&r, m->room, &a);
    if (a.kind == RG_ADMIT_REFUSE) {
        FZ_ASSERT(a.message != NULL && a.code != 0);
        answer(rg_sig_error_json(a.code, a.message));
    } else {
        FZ_ASSERT(r.code == RG_TOK_VALID);
        FZ_ASSERT(a.kind == RG_ADMIT_DIRECT || a.kind == RG_ADMIT_LOBBY);
        FZ_ASSERT(a.identity != NULL && a.identity[0] != '\0' &&
                  strlen(a.identity) <= RG_IDENTITY_MAX);
        FZ_ASSERT(a.room != NULL && a.room[0] != '\0' && a.token_room != NULL);
        /* without a room in the message, the token's own room is the one looked up */
        if (m->room == NULL) FZ_ASSERT(rg_sig_room_matches(a.token_room, ROOM_SID, a.room));
        answer(rg_sig_peer_json("participant_joined", ME, a.identity));
    }
    rg_token_result_clear(&r);
}

/* The frame the addressee of a relay gets carries the data as sent, and
 * is byte for byte what jansson builds from the frame: the fast path
 * (the data's text spliced, m->data NULL) and jansson's agree. */
static void on_signal(const rg_sig_msg *m, const char *text, size_t len)
{
    json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *data = json_object_get(in, "data");
    FZ_ASSERT(json_is_object(data) && (m->data == NULL || json_equal(m->data, data)));
    FZ_ASSERT((m->data == NULL) == (m->data_raw != NULL));
    json_t *ref = json_pack("{s:s, s:s, s:O}", "type", "signal", "from", ME, "data", data);
    char *want = ref ? json_dumps(ref, JSON_COMPACT) : NULL;
    char *got = rg_sig_relay_json(m, ME);
    FZ_ASSERT(want != NULL && got != NULL && strcmp(want, got) == 0);
    FZ_ASSERT(strcmp(m->target, json_string_value(json_object_get(in, "to"))) == 0);
    free(got);
    free(want);
    json_decref(ref);
    json_decref(in);
}

static void dispatch(const rg_sig_msg *m, rg_sig_state st, unsigned perms, const char *text,
                     size_t len)
{
    const char *why = NULL;
    int fatal = 0;
    if (rg_sig_allowed(st, m->type, &why, &fatal) != RG_OK) {
        FZ_ASSERT(why != NULL);
        FZ_ASSERT(st != RG_SIGST_NEW || fatal); /* nothing but a join before joining */
        answer(rg_sig_error_json(RG_SIG_E_INVALID_MESSAGE, why));
        return;
    }
    if (m->type != RG_SIG_JOIN && m->type != RG_SIG_SIGNAL && !rg_sig_permitted(perms, m->type)) {
        answer(rg_sig_error_json(RG_SIG_E_PERMISSION, "not permitted"));
        return;
    }
    switch (m->type) {
    case RG_SIG_JOIN:
        FZ_ASSERT(st == RG_SIGST_NEW && m->token != NULL && m->token_len > 0);
        on_join(m);
        break;
    case RG_SIG_SIGNAL:
        FZ_ASSERT(m->target != NULL && (json_is_object(m->data) || m->data_raw != NULL));
        on_signal(m, text, len);
        break;
    case RG_SIG_ENTRY_RESPONSE:
        answer(rg_sig_entry_json(m->target, "guest", m->allowed ? "allowed" : "denied"));
        break;
    case RG_SIG_MUTE:
        FZ_ASSERT(m->kind == RG_SIG_AUDIO || m->kind == RG_SIG_VIDEO);
        break;
    case RG_SIG_KICK:
        answer(rg_sig_peer_json("participant_left", m->target, "guest"));
        break;
    default:
        FZ_ASSERT(0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = {data, size};
    uint8_t mode = fz_byte(&in);
    rg_sig_msg m;
    const char *why = NULL;
    if (rg_sig_parse((const char *)in.p, in.n, &m, &why) != RG_OK) {
        FZ_ASSERT(why != NULL && m.root == NULL);
        answer(rg_sig_error_json(RG_SIG_E_INVALID_MESSAGE, why));
        return 0;
    }
    dispatch(&m, (rg_sig_state)(mode % 3), (mode >> 2) & 7, (const char *)in.p, in.n);
    rg_sig_msg_clear(&m);
    return 0;
}

/* fuzz_twmsg.c - Twilio's signaling on GET /signaling, minus the sockets:
 * what src/signal/twilio.c does with a client's text frame.  The frame is
 * parsed as an envelope (rg_tw_env_parse), its body as a room message
 * (rg_tw_msg_parse, src/core/twmsg.c), and a participant's tracks are
 * given sids and built into what the server sends (published, the
 * participant as the others see it, subscribed).
 *
 * Input: the text.  Checked: a refusal says why; a parsed message's
 * fields have the shapes the table promises; every track keeps its id
 * and gets a well-formed MT sid, kept when the same tracks come again. */
#include "core/errors.h"
#include "core/twmsg.h"
#include "fuzz.h"

static void on_tracks(const json_t *tracks)
{
    uint8_t rnd[RG_TW_MAX_TRACKS * 16];
    json_t *mine, *again, *pub, *peer, *peers, *sub;
    memset(rnd, 0x5a, sizeof rnd);
    FZ_ASSERT(json_array_size(tracks) <= RG_TW_MAX_TRACKS);
    mine = rg_tw_assign_sids(tracks, NULL, rnd);
    FZ_ASSERT(mine != NULL && json_array_size(mine) == json_array_size(tracks));
    for (size_t i = 0; i < json_array_size(mine); i++) {
        json_t *t = json_array_get(mine, i);
        const char *sid = json_string_value(json_object_get(t, "sid"));
        FZ_ASSERT(sid != NULL && rg_sid_valid(sid, strlen(sid), "MT"));
        FZ_ASSERT(
            json_equal(json_object_get(t, "id"), json_object_get(json_array_get(tracks, i), "id")));
        FZ_ASSERT(strchr("avd", rg_tw_track_kind(t)) != NULL);
    }
    memset(rnd, 0xa5, sizeof rnd);
    again = rg_tw_assign_sids(tracks, mine, rnd); /* the same ids: the same sids */
    FZ_ASSERT(again != NULL && json_equal(again, mine));
    pub = rg_tw_published(mine, 2);
    peer = rg_tw_participant("PA00000000000000000000000000000001", "who", "connected", 2, mine);
    peers = json_pack("{s:{s:O}}", "PA00000000000000000000000000000001", "tracks", mine);
    sub = rg_tw_subscribed(peers, 1);
    FZ_ASSERT(pub && peer && sub);
    FZ_ASSERT(json_array_size(json_object_get(sub, "tracks")) == json_array_size(tracks));
    free(rg_tw_wrap(
        json_pack("{s:s, s:O, s:O}", "type", "update", "participants", peer, "subscribed", sub)));
    for (json_t **v = (json_t *[]){mine, again, pub, peer, peers, sub, NULL}; *v; v++)
        json_decref(*v);
}

static void on_body(json_t *body)
{
    rg_tw_msg m;
    const char *why = NULL;
    if (rg_tw_msg_parse(body, &m, &why) != RG_OK) {
        FZ_ASSERT(why != NULL);
        free(rg_tw_wrap(rg_tw_error(53004, why)));
        return;
    }
    FZ_ASSERT(m.type >= RG_TW_ICE && m.type <= RG_TW_DISCONNECT);
    if (m.type == RG_TW_ICE || m.type == RG_TW_CONNECT || m.type == RG_TW_SYNC)
        FZ_ASSERT(m.token != NULL && m.token_len > 0 && m.token_len <= RG_TOKEN_MAX_LEN);
    if (m.type == RG_TW_SYNC) FZ_ASSERT(m.session != NULL);
    FZ_ASSERT((m.tracks == NULL) == (m.revision < 0));
    if (m.peer_connections) FZ_ASSERT(json_array_size(m.peer_connections) <= RG_TW_MAX_PCS);
    if (m.tracks) on_tracks(m.tracks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_tw_env e;
    const char *why = NULL;
    if (rg_tw_env_parse((const char *)data, size, &e, &why) != RG_OK) {
        FZ_ASSERT(why != NULL && e.root == NULL);
        return 0;
    }
    FZ_ASSERT(e.type >= RG_TW_HELLO && e.type <= RG_TW_BYE);
    if (e.type == RG_TW_MSG) FZ_ASSERT(json_is_object(e.body));
    if (e.body) on_body(e.body);
    rg_tw_env_clear(&e);
    return 0;
}

/* router.h - the route table: method + path pattern -> handler. */
#ifndef RG_HTTP_ROUTER_H
#define RG_HTTP_ROUTER_H

#include "http/call.h"

typedef struct {
    const char *method;  /* "GET", "POST", "DELETE" */
    const char *pattern; /* "/v1/Accounts/{AC}/Tokens/validate"; "{X}" is one segment,
                            "{X}.json" one segment ending in .json */
    rg_handler_fn fn;
} rg_route;

/* The table, terminated by a zeroed entry (also read by `roomgate routes`). */
extern const rg_route rg_routes[];

/* Finds the route for c->req, fills c->args and calls it; answers 404/405
 * itself when nothing matches. */
void rg_route_dispatch(rg_call *c);

/* Handlers (one file per resource). */
void rg_h_health(rg_call *c);
void rg_h_keys_create(rg_call *c);
void rg_h_keys_list(rg_call *c);
void rg_h_key_fetch(rg_call *c);
void rg_h_key_update(rg_call *c);
void rg_h_key_delete(rg_call *c);
void rg_h_access_tokens(rg_call *c);
void rg_h_token(rg_call *c);
void rg_h_get_token(rg_call *c);
void rg_h_validate(rg_call *c);
/* h_meetings.c: VideoSDK rooms and the seed's aliases */
void rg_h_rooms_create(rg_call *c);
void rg_h_rooms_list(rg_call *c);
void rg_h_room_fetch(rg_call *c);
void rg_h_room_deactivate(rg_call *c);
void rg_h_create_meeting(rg_call *c);
void rg_h_validate_meeting(rg_call *c);
/* h_consultations.c: 1:1 consultations */
void rg_h_consultations_create(rg_call *c);
void rg_h_consultation_fetch(rg_call *c);
void rg_h_consultation_cancel(rg_call *c);
void rg_h_consultation_token(rg_call *c);
/* h_rooms.c, h_participants.c: Twilio Video rooms and participants (v1) */
void rg_h_v1_rooms_create(rg_call *c);
void rg_h_v1_rooms_list(rg_call *c);
void rg_h_v1_room_fetch(rg_call *c);
void rg_h_v1_room_update(rg_call *c);
void rg_h_v1_participants_list(rg_call *c);
void rg_h_v1_participant_fetch(rg_call *c);
void rg_h_v1_participant_update(rg_call *c);

/* Recordings and secure playback */
void rg_h_recordings_create(rg_call *c);
void rg_h_recordings_list(rg_call *c);
void rg_h_recording_fetch(rg_call *c);
void rg_h_recording_delete(rg_call *c);
void rg_h_recording_access_log(rg_call *c);
void rg_h_sec_rec(rg_call *c);
void rg_h_media(rg_call *c);
void rg_h_playback_preflight(rg_call *c);
void rg_h_demo_recordings(rg_call *c);

/* WebSocket signaling (signal_conn.c) */
void rg_h_signal(rg_call *c);
/* h_turn.c: TURN credentials (Twilio NTS tokens, /v1/turn) */
void rg_h_nts_token(rg_call *c);
void rg_h_turn(rg_call *c);

#endif

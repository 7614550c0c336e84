/* app/rooms.h - the rooms' share of a running server: the in-memory
 * revocation set that token validation consults, the lifecycle timer
 * that completes empty and unused rooms (EmptyRoomTimeout,
 * UnusedRoomTimeout) without waiting for a request, and the room and
 * participant write actions (app/event.h says what an action does): the
 * REST API, the CLI and the signaling hooks (app/sighooks.c) call these. */
#ifndef RG_APP_ROOMS_H
#define RG_APP_ROOMS_H

#include "http/app.h"
#include "store/rooms.h"

/* Loads the revocation set into app->revocations and registers its
 * reload poll (100 ms) and the room sweep (1 s) as app pollers.  Call
 * before rg_server_run; RG_OK or the load's error. */
int rg_rooms_start(rg_app *app);
void rg_rooms_stop(rg_app *app);

/* Creates r as rg_store_room_create does (the caller sets the account,
 * name, type, capacity, timeouts, callback and date_created).  RG_EEXIST
 * when an in-progress room of the account has the name, RG_ENOTFOUND,
 * RG_EINVAL, store errors. */
int rg_app_room_create(rg_app *app, rg_room *r);
/* The in-progress room named unique_name for a signaling join, opened
 * (rg_store_room_open_for_join) when there is none.  RG_EGONE for a
 * deactivated VideoSDK room's name, store errors. */
int rg_app_room_open(rg_app *app, const char *account_sid, const char *unique_name,
                     rg_room_type type, int max_participants, int64_t now, rg_room *out);
/* A room for a signaling join to open in its seat's transaction
 * (rg_seat.open): a fresh RM sid, the defaults rg_store_room_open_for_join
 * gives, nothing stored.  RG_EINVAL for a name too long. */
int rg_app_room_new(const char *account_sid, const char *unique_name, rg_room_type type,
                    int max_participants, int64_t now, rg_room *out);
/* Completes *r (as read from the store; completing a completed room
 * changes nothing) and reads it back into *r; live connections get 53118
 * and close.  Store errors. */
int rg_app_room_complete(rg_app *app, rg_room *r, int64_t now);

/* Seats participants as rg_store_participant_join_batch does (one
 * transaction; seats[i].rc for each). */
void rg_app_participants_seat(rg_app *app, rg_seat *seats, size_t n);
/* Joins one participant (a fresh PA sid) into *out: `roomgate participant
 * join`.  RG_EFULL, RG_EGONE, RG_ENOTFOUND, store errors. */
int rg_app_participant_join(rg_app *app, const char *room_sid, const char *identity, int64_t now,
                            rg_participant *out);
/* A participant left on its own: marked disconnected (idempotent). */
int rg_app_participant_leave(rg_app *app, const char *participant_sid, int64_t now);
/* The loop turn's leaves of live connections, in one transaction
 * (rg_store_participant_leave_batch). */
void rg_app_participants_leave(rg_app *app, rg_leave *leaves, size_t n);
/* A connected participant's published tracks changed (the Twilio
 * adapter): their status callback events.  The change itself lives in
 * signaling's memory, so a store failure is logged, never refused. */
void rg_app_tracks_changed(rg_app *app, const char *participant_sid, const rg_track_event *ev,
                           size_t n, int64_t now);
/* Server start: every participant left connected by a previous run is
 * marked disconnected; *changed (may be NULL) = how many. */
int rg_app_participants_reset(rg_app *app, int64_t now, int *changed);

/* Kicks a participant (store) and enters the revocation in this process's
 * set in the same call, so the identity's older tokens for the room fail
 * validation from the answer on.  The REST kick and the signaling
 * server's moderation both come here.  out is required (the kicked
 * participant).  RG_ENOTFOUND, store errors. */
int rg_rooms_kick(rg_app *app, const rg_room *room, const char *sid_or_identity, int64_t now,
                  rg_participant *out);

#endif

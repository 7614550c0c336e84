/* signal/hooks.h - what the signaling hub asks of the rest of the server,
 * handed to it at start (rg_signal_start) as Janus hands janus_callbacks
 * to its plugins.
 *
 * The hub never includes the modules that answer these (app/, the store's
 * room rules, the token caches): they are the ones that call the hub (a
 * REST kick closes a live connection through rg_signal_remove), so a
 * direct call back would make a circle.  The server's implementation is
 * app/sighooks.c; a test could hand in another.
 *
 * Every hook runs on the calling loop's thread, outside any room lock
 * unless said otherwise: seat, leave and tracks, which only write, may run
 * on the hub's writer thread (signal/hub_writer.c), so they take the app
 * alone. */
#ifndef RG_SIGNAL_HOOKS_H
#define RG_SIGNAL_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "core/sigadmit.h"
#include "http/app.h"
#include "store/rooms.h"

struct rg_worker;

/* A join the hooks admitted: the store's room, and who enters it how. */
typedef struct {
    rg_room room;          /* in progress, or (open) the room the seat is to create */
    char sid[RG_SID_SIZE]; /* the new participant's (PA...) */
    char *identity;        /* malloc'd; the caller owns it */
    rg_token_kind kind;    /* the token's: VideoSDK refusals use their own codes */
    unsigned perms;        /* RG_PERM_* */
    int lobby;             /* 1: waits until a host answers (ask_join) */
    /* 1: no such room yet and the join may create it: room is that room
     * (a fresh sid), created by the seat's transaction (rg_seat.open), so
     * the room and the seat share one commit.  Never with lobby: a guest
     * waits in a room its hosts can find. */
    int open;
} rg_sig_entry;

typedef struct rg_sig_hooks {
    /* Admission: validates the token (the worker's HMAC context and key
     * cache), applies core/sigadmit.h's rules, and finds or opens the room
     * (by `room`, NULL for the token's), refusing deactivated, completed,
     * unknown and revoked ones.  0 with *out filled, or -1 with *code and
     * *message (static) set.  Same rules for every wire protocol. */
    int (*admit)(struct rg_worker *w, const char *token, size_t token_len, const char *room,
                 int64_t now, rg_sig_entry *out, int *code, const char **message);
    /* Takes n seats in one transaction (capacity, replacement by identity,
     * and the rooms of seats with open set, store/rooms.h rg_seat):
     * seats[i].rc set for each.  Called with the seats' room locks held,
     * or, when the store is across the network (PostgreSQL), on the hub's
     * writer thread without them (signal/hub_writer.c). */
    void (*seat)(rg_app *app, rg_seat *seats, size_t n);
    /* Seated participants left on their own (not kicked, not replaced):
     * their rows are marked disconnected, in one transaction (the loop
     * turn's leaves, signal/hub_leave.c); leaves[i].rc set for each.
     * Called outside any room lock, but for a seat refused after the
     * store took it (one leave, its room's lock held); on the hub's writer
     * thread when it has one, as seat. */
    void (*leave)(rg_app *app, rg_leave *leaves, size_t n);
    /* A seated participant's published tracks changed (ev, n: what
     * changed, core/track.h): their status callback events are recorded.
     * Never fails the update.  On the hub's writer thread when it has
     * one, as seat. */
    void (*tracks)(rg_app *app, const char *participant_sid, const rg_track_event *ev, size_t n,
                   int64_t now);
    /* Moderation: kicks the participant as the REST API does (store,
     * revocation, and then rg_signal_remove closes its connection).
     * RG_OK, RG_ENOTFOUND or a store error. */
    int (*kick)(struct rg_worker *w, const rg_room *room, const char *participant_sid, int64_t now);
    /* Start, before any connection: no connection survives a restart, so
     * the participants a previous run left connected (a crash) are marked
     * disconnected; *changed = how many.  RG_OK or a store error. */
    int (*reset)(rg_app *app, int64_t now, int *changed);
    /* What admit would decide now, taking and creating nothing: for what a
     * client may have only if it could join right now (Twilio's ice hands
     * out TURN credentials, its sync resumes a session).  The same refusals
     * (a completed room, a deactivated VideoSDK room, a revoked identity,
     * the token's); out->room is the room in progress, or, when the join
     * would open one, only its account and name (sid empty).  May be NULL
     * (then such requests are refused). */
    int (*check)(struct rg_worker *w, const char *token, size_t token_len, const char *room,
                 int64_t now, rg_sig_entry *out, int *code, const char **message);
    /* Makes the seats' commits durable up to point (rg_seat.durable, set
     * by seat): RG_OK, or an error after which those seats are refused
     * (and left).  Blocks; runs on the hub's own thread, one call for the
     * seats of every loop queued meanwhile.  NULL: seat's commits are
     * durable when it returns. */
    int (*sync)(rg_app *app, int64_t point);
} rg_sig_hooks;

#endif

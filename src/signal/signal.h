/* signal/signal.h - the WebSocket signaling server as the rest of the
 * server sees it: start and stop, each loop's connections, the upgrades
 * (GET /v1/signal, docs/signaling.md; GET /signaling,
 * docs/migrate-from-twilio.md), and removals from outside a connection's
 * loop (a REST kick, a completed or deactivated room).
 *
 * Connections live on the loop thread that accepted them; h2o objects are
 * not thread-safe, so everything sent to a connection from another thread
 * goes through that loop's h2o_multithread queue.  The rooms (who is in
 * which room, on which loop) are the hub's (signal/hub.h), shared under
 * locks; each wire protocol is an adapter over it. */
#ifndef RG_SIGNAL_SIGNAL_H
#define RG_SIGNAL_SIGNAL_H

#include "http/call.h"
#include "signal/hooks.h"

/* Creates app->signal with the server's hooks (copied; signal/hooks.h)
 * and marks participants left connected by a previous run (a crash)
 * disconnected.  Before rg_server_run; RG_OK or RG_E*. */
int rg_signal_start(rg_app *app, int64_t now, const rg_sig_hooks *hooks);
void rg_signal_stop(rg_app *app);

/* Per loop thread, called by the server on that thread's context. */
int rg_signal_thread_init(rg_worker *w, h2o_context_t *ctx);
/* Server shutdown, first step: every connection of the thread is sent a
 * `reconnect` hint (the server closes it in close_in_ms) and new upgrades
 * are refused.  Returns how many connections are still open. */
int rg_signal_thread_drain(rg_worker *w, int close_in_ms);
/* Connections of the thread not yet closed or closing. */
int rg_signal_thread_open(rg_worker *w);
/* Second step: what is left is told 53000 and closed (1001). */
void rg_signal_thread_close_all(rg_worker *w);
void rg_signal_thread_dispose(rg_worker *w);

/* GET /v1/signal: the WebSocket upgrade. */
void rg_h_signal(rg_call *c);
/* GET /signaling: the same rooms in Twilio's protocol (signal/twilio.c). */
void rg_h_twilio_signal(rg_call *c);

/* A participant was kicked (REST or moderation) or its room completed:
 * its live connection, if any, is told why and closed, and the others get
 * participant_left.  Safe from any thread; no-op without signaling. */
void rg_signal_remove(rg_app *app, const char *room_sid, const char *participant_sid, int code,
                      const char *message);
/* The tracks a live participant publishes (subscribed 0), or those of the
 * room's other participants, which it subscribes to (subscribed 1): a new
 * JSON array of {sid, name, kind, enabled, publisher_sid}; empty when the
 * participant or room is not live (or speaks no protocol with tracks).
 * NULL only when out of memory.  Safe from any thread. */
json_t *rg_signal_tracks(rg_app *app, const char *room_sid, const char *participant_sid,
                         int subscribed);
/* Every connection of the room is told the room completed and closed. */
void rg_signal_room_completed(rg_app *app, const char *room_sid);
/* The same with another reason (4052: a VideoSDK room deactivated). */
void rg_signal_room_close(rg_app *app, const char *room_sid, int code, const char *message);
/* After the commit of a revocation (a kick, a cancelled consultation) or
 * of a change to accounts or keys (this process's caches updated): with
 * --redis the other nodes update theirs at once instead of at their next
 * store poll.  Safe from any thread; no-op alone. */
void rg_signal_revoked(rg_app *app, const rg_revocation *r);
void rg_signal_keys_changed(rg_app *app);
/* 1 when --redis is set and Redis is unreachable: this node serves its
 * own connections, but not the rooms' members on other nodes. */
int rg_signal_degraded(rg_app *app);

#endif

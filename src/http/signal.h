/* signal.h - the WebSocket signaling server (GET /v1/signal), protocol in
 * docs/signaling.md.
 *
 * Connections live on the loop thread that accepted them; h2o objects are
 * not thread-safe, so everything sent to a connection from another thread
 * goes through that loop's h2o_multithread queue.  The rooms (who is in
 * which room, on which loop) are shared under locks (signal_hub.c). */
#ifndef RG_HTTP_SIGNAL_H
#define RG_HTTP_SIGNAL_H

#include "http/call.h"

/* Creates app->signal and marks participants left connected by a previous
 * run (a crash) disconnected.  Before rg_server_run; RG_OK or RG_E*. */
int rg_signal_start(rg_app *app, int64_t now);
void rg_signal_stop(rg_app *app);

/* Per loop thread, called by the server on that thread's context. */
int rg_signal_thread_init(rg_worker *w, h2o_context_t *ctx);
/* Asks every connection of the thread to close (server shutdown). */
void rg_signal_thread_drain(rg_worker *w);
void rg_signal_thread_dispose(rg_worker *w);

/* GET /v1/signal: the WebSocket upgrade. */
void rg_h_signal(rg_call *c);

/* A participant was kicked (REST or moderation) or its room completed:
 * its live connection, if any, is told why and closed, and the others get
 * participant_left.  Safe from any thread; no-op without signaling. */
void rg_signal_remove(rg_app *app, const char *room_sid, const char *participant_sid, int code,
                      const char *message);
/* Every connection of the room is told the room completed and closed. */
void rg_signal_room_completed(rg_app *app, const char *room_sid);

#endif

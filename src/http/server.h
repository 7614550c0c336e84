/* server.h - the event loops: listen, serve, drain on SIGTERM/SIGINT. */
#ifndef RG_HTTP_SERVER_H
#define RG_HTTP_SERVER_H

#include "http/app.h"

/* The one listening socket every event loop accepts from. */
typedef struct {
    int fd;              /* -1 when closed */
    unsigned short port; /* the bound port (the kernel's pick for port 0) */
    int metrics_fd;      /* --metrics-listen's socket; -1 when off or closed */
    unsigned short metrics_port;
} rg_listener;

/* Binds and listens on cfg's address, without SO_REUSEPORT, so it fails
 * (EADDRINUSE) while another process listens there.  Called before the
 * server touches its data directory: a second server on the same address
 * must not, say, mark the first one's participants disconnected.  Returns
 * 0, or -1 with the reason printed on stderr. */
int rg_server_listen(const rg_serve_config *cfg, rg_listener *l);
void rg_listener_close(rg_listener *l);

/* Runs until SIGTERM/SIGINT, then drains (WebSockets told to reconnect,
 * no new ones, in-flight requests finished; at most cfg.drain_grace
 * seconds, server.c) and returns 0; non-zero if it could not start (the
 * reason is printed on stderr).  Takes over l's socket. */
int rg_server_run(rg_app *app, rg_listener *l);

#define RG_DRAIN_SECONDS 10 /* --drain-grace's default */
#define RG_DRAIN_MAX 3600

#endif

/* server.h - the event loops: listen, serve, drain on SIGTERM/SIGINT. */
#ifndef RG_HTTP_SERVER_H
#define RG_HTTP_SERVER_H

#include "http/app.h"

/* Runs until SIGTERM/SIGINT, then stops accepting, lets in-flight requests
 * finish (at most RG_DRAIN_SECONDS) and returns 0; non-zero if it could not
 * start (the reason is printed on stderr). */
int rg_server_run(rg_app *app);

#define RG_DRAIN_SECONDS 10

#endif

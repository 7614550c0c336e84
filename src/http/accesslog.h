/* accesslog.h - one JSON line per request on stderr.
 *
 * Each loop thread appends to its own buffer and flushes it with a single
 * write(2) at the end of every event-loop turn, so lines never interleave
 * and a busy loop pays one syscall per turn, not per request.  Only the
 * method, the path without its query (queries may carry signatures), the
 * status and sizes are logged: never a header, a body or a token. */
#ifndef RG_HTTP_ACCESSLOG_H
#define RG_HTTP_ACCESSLOG_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <netdb.h>

#define RG_LOGBUF_SIZE 65536

typedef struct {
    char buf[RG_LOGBUF_SIZE];
    size_t len;
    int fd;
} rg_logbuf;

void rg_accesslog_append(rg_logbuf *lb, h2o_req_t *req);
void rg_accesslog_flush(rg_logbuf *lb);
/* The client's numeric address ("-" when unknown); its length. */
size_t rg_req_peer(h2o_req_t *req, char buf[NI_MAXHOST]);

/* Appends s as the body of a JSON string (no quotes), escaping quotes,
 * backslashes, control bytes and bytes >= 0x80.  Returns bytes written or
 * 0 when dst is too small. */
size_t rg_json_escape_ascii(char *dst, size_t cap, const char *s, size_t n);

#endif

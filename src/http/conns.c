/* conns.c - the open connections of one loop (http/conns.h). */
#include "http/conns.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct rg_conn {
    rg_conns *set;
    h2o_socket_t *sock;
    rg_conn *prev, *next;
    int counted;     /* holds one of lim's counts for key */
    int read_closed; /* rg_conns_close_idle shut its reads */
    int upgraded;    /* a WebSocket now: not HTTP's to close */
    uint8_t key[RG_CONNKEY_LEN];
};

static void on_close(void *data)
{
    rg_conn *c = data;
    rg_conns *set = c->set;
    if (c->counted) rg_connlimit_release(set->lim, c->key);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        set->head = c->next;
    if (c->next != NULL) c->next->prev = c->prev;
    set->n--;
    if (set->count != NULL) atomic_fetch_sub(set->count, 1);
    rg_metrics_conn(set->metrics, -1);
    free(c);
}

int rg_conns_add(rg_conns *set, h2o_socket_t *sock)
{
    rg_conn *c = calloc(1, sizeof *c);
    if (c != NULL && set->lim != NULL) {
        struct sockaddr_storage ss;
        socklen_t len = h2o_socket_getpeername(sock, (struct sockaddr *)&ss);
        rg_connlimit_key((struct sockaddr *)&ss, len, c->key);
        c->counted = rg_connlimit_acquire(set->lim, c->key) == 0;
        if (!c->counted) {
            free(c);
            c = NULL;
        }
    }
    if (c == NULL) {
        if (set->count != NULL) atomic_fetch_sub(set->count, 1);
        h2o_socket_close(sock);
        return -1;
    }
    c->set = set;
    c->sock = sock;
    c->next = set->head;
    if (set->head != NULL) set->head->prev = c;
    set->head = c;
    set->n++;
    sock->on_close.cb = on_close;
    sock->on_close.data = c;
    rg_metrics_conn(set->metrics, 1);
    return 0;
}

/* HTTP/2 is only offered over TLS (ALPN "h2"): cleartext connections are
 * HTTP/1 (server.c turns h2o's cleartext upgrade off). */
static int is_http2(h2o_socket_t *sock)
{
    h2o_iovec_t p;
    if (sock->ssl == NULL) return 0;
    p = h2o_socket_ssl_get_selected_protocol(sock);
    return p.len >= 2 && memcmp(p.base, "h2", 2) == 0;
}

void rg_conns_close_idle(rg_conns *set)
{
    for (rg_conn *c = set->head; c != NULL; c = c->next) {
        if (c->read_closed || c->upgraded || is_http2(c->sock)) continue;
        /* bytes of a request in its input (h2o keeps them until the
         * response is sent), or an answer being written: not idle */
        if (c->sock->input != NULL && c->sock->input->size != 0) continue;
        if (h2o_socket_is_writing(c->sock)) continue;
        /* a TLS connection still in its handshake has an empty input too:
         * it has no request yet, so it is idle as well */
        if (shutdown(h2o_socket_get_fd(c->sock), SHUT_RD) == 0) c->read_closed = 1;
    }
}

void rg_conns_upgraded(h2o_socket_t *sock)
{
    if (sock->on_close.cb == on_close) ((rg_conn *)sock->on_close.data)->upgraded = 1;
}

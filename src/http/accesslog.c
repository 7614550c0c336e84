/* accesslog.c - the access log's JSON line for a request (method, path
 * without query, status, sizes, time, peer), appended to the loop's buffer
 * and written out once per loop turn in PIPE_BUF pieces (accesslog.h). */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>

#include "http/accesslog.h"

#define MAX_LINE 1024

size_t rg_json_escape_ascii(char *dst, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (j + 6 >= cap) return 0;
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
            memcpy(dst + j, "\\u00", 4);
            dst[j + 4] = hex[ch >> 4];
            dst[j + 5] = hex[ch & 15];
            j += 6;
        } else {
            dst[j++] = (char)ch;
        }
    }
    return j;
}

static long elapsed_us(const h2o_req_t *req)
{
    struct timeval end; /* not response_end_at: h2o stamps it with the loop's cached time */
    gettimeofday(&end, NULL);
    return (end.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1000000L +
           (end.tv_usec - req->timestamps.request_begin_at.tv_usec);
}

static size_t peer_of(h2o_req_t *req, char *buf)
{
    struct sockaddr_storage ss;
    socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    size_t n = sl ? h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, buf) : SIZE_MAX;
    if (n == SIZE_MAX) {
        memcpy(buf, "-", 2);
        return 1;
    }
    return n;
}

size_t rg_req_peer(h2o_req_t *req, char buf[NI_MAXHOST])
{
    return peer_of(req, buf);
}

void rg_accesslog_append(rg_logbuf *lb, h2o_req_t *req)
{
    char line[MAX_LINE], method[64], path[512], peer[NI_MAXHOST], ts[32];
    struct tm tm;
    time_t now = req->processed_at.at.tv_sec;
    size_t mlen = rg_json_escape_ascii(method, sizeof method, req->method.base, req->method.len);
    size_t plen = rg_json_escape_ascii(path, sizeof path, req->path_normalized.base,
                                       req->path_normalized.len);
    size_t hlen = peer_of(req, peer);
    int n;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    n = snprintf(line, sizeof line,
                 "{\"ts\":\"%s\",\"remote\":\"%.*s\",\"method\":\"%.*s\",\"path\":\"%.*s\","
                 "\"proto\":\"HTTP/%d.%d\",\"status\":%d,\"bytes\":%zu,\"us\":%ld}\n",
                 ts, (int)hlen, peer, (int)mlen, method, (int)plen, path, req->version >> 8,
                 req->version & 0xff, req->res.status, req->bytes_sent, elapsed_us(req));
    if (n <= 0 || (size_t)n >= sizeof line) return;
    if (lb->len + (size_t)n > sizeof lb->buf) rg_accesslog_flush(lb);
    memcpy(lb->buf + lb->len, line, (size_t)n);
    lb->len += (size_t)n;
}

/* Writes in pieces of at most PIPE_BUF bytes cut at line ends: such a write
 * to a pipe is atomic, so lines from different threads never interleave. */
void rg_accesslog_flush(rg_logbuf *lb)
{
    size_t off = 0;
    while (off < lb->len) {
        size_t n = lb->len - off;
        ssize_t w;
        if (n > PIPE_BUF) {
            n = PIPE_BUF;
            while (n > 1 && lb->buf[off + n - 1] != '\n')
                n--;
        }
        w = write(lb->fd, lb->buf + off, n);
        if (w <= 0) break; /* a closed stderr must not stop the server */
        off += (size_t)w;
    }
    lb->len = 0;
}

/* hook_receiver.c - bench/webhooks.sh's status callback receiver: an
 * HTTP/1.1 server on 127.0.0.1 that reads each request whole (head, then
 * Content-Length bytes of body), counts it and answers 204, keeping the
 * connection open as the dispatcher's keep-alive expects.  No signature
 * check, as the Node receiver it replaces did none.
 *
 * Why C: a deployment's receiver runs on another machine; here it shares
 * the two cores with the server and the load client, and the Node one cost
 * about as much CPU per request as the dispatcher itself, so the joins paid
 * for the bench's receiver as much as for roomgate's delivery.  This one
 * does the same work (parse, read the body, answer) in a few microseconds.
 *
 * Usage: hook_receiver WANT PORT.  Prints "receiver ready" once listening;
 * {"received":N,"first_ms":T,"last_ms":T} when N reaches WANT and on
 * SIGUSR2 (times: unix milliseconds at a request's last byte). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536

typedef struct {
    int fd;
    size_t len; /* bytes buffered */
    char buf[BUF];
} conn;

static long long received, first_ms, last_ms, want;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void report(void)
{
    printf("{\"received\":%lld,\"first_ms\":%lld,\"last_ms\":%lld}\n", received, first_ms, last_ms);
    fflush(stdout);
}

/* Content-Length of the head [p, p+n), 0 when absent; -1 when malformed. */
static long long content_length(const char *p, size_t n)
{
    static const char name[] = "\r\ncontent-length:";
    for (size_t i = 0; i + sizeof name - 1 <= n; i++) {
        if (strncasecmp(p + i, name, sizeof name - 1) != 0) continue;
        char *end;
        long long v = strtoll(p + i + sizeof name - 1, &end, 10);
        return v < 0 || v > BUF ? -1 : v;
    }
    return 0;
}

/* Answers every whole request buffered; 0, or -1 to close. */
static int serve(conn *c)
{
    static const char answer[] = "HTTP/1.1 204 No Content\r\n\r\n";
    size_t off = 0;
    for (;;) {
        char *head = c->buf + off, *end = memmem(head, c->len - off, "\r\n\r\n", 4);
        if (!end) break;
        size_t hlen = (size_t)(end - head) + 4;
        long long body = content_length(head, hlen - 2);
        if (body < 0) return -1;
        if (c->len - off < hlen + (size_t)body) break;
        off += hlen + (size_t)body;
        last_ms = now_ms();
        if (!received++) first_ms = last_ms;
        if (write(c->fd, answer, sizeof answer - 1) != (ssize_t)(sizeof answer - 1)) return -1;
        if (received == want) report();
    }
    if (off == 0 && c->len == BUF) return -1; /* a head or body larger than the buffer */
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    return 0;
}

static int listen_on(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 512) != 0) {
        perror("hook_receiver: listen");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: hook_receiver WANT PORT\n");
        return 2;
    }
    want = atoll(argv[1]);
    int lfd = listen_on(atoi(argv[2])), ep = epoll_create1(EPOLL_CLOEXEC);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    int sfd = signalfd(-1, &usr2, SFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    conn *lmark = (conn *)&lfd, *smark = (conn *)&sfd; /* tags, never dereferenced as conn */
    ev.data.ptr = lmark;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    ev.data.ptr = smark;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    printf("receiver ready\n");
    fflush(stdout);
    struct epoll_event evs[64];
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 1;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == smark) {
                struct signalfd_siginfo si;
                if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) report();
            } else if (evs[i].data.ptr == lmark) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    int one = 1;
                    conn *c = malloc(sizeof *c);
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    c->len = 0;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
            } else {
                conn *c = evs[i].data.ptr;
                ssize_t got = read(c->fd, c->buf + c->len, BUF - c->len);
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (got > 0) c->len += (size_t)got;
                if (got <= 0 || serve(c) != 0) {
                    close(c->fd); /* also leaves the epoll set */
                    free(c);
                }
            }
        }
    }
}

/* receiver.c: a fast webhook receiver for bench/webhooks.sh. One thread, epoll, HTTP/1.1
 * keep-alive; answers every POST with 200 "ok", except paths starting with /hang, which it
 * reads and never answers. Prints nothing; stops on SIGTERM.
 * Usage: receiver PORT */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFSZ 65536

struct conn {
    int fd;
    size_t len;
    char buf[BUFSZ];
};

static const char reply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";

/* Consumes complete requests from c->buf, answering each; -1 when the connection should close. */
static int
serve(struct conn *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        size_t hlen, clen = 0, total;
        char *p;

        if (end == NULL) {
            return c->len >= BUFSZ ? -1 : 0;
        }
        hlen = (size_t)(end - c->buf) + 4;
        for (p = c->buf; p < end; p++) {
            if ((p == c->buf || p[-1] == '\n') && strncasecmp(p, "content-length:", 15) == 0) {
                clen = strtoul(p + 15, NULL, 10);
            }
        }
        total = hlen + clen;
        if (total > BUFSZ) {
            return -1;
        }
        if (c->len < total) {
            return 0;
        }
        if (strncmp(c->buf, "POST /hang", 10) != 0) {
            if (write(c->fd, reply, sizeof(reply) - 1) < 0) {
                return -1;
            }
        }
        memmove(c->buf, c->buf + total, c->len - total);
        c->len -= total;
    }
}

int
main(int argc, char **argv)
{
    struct sockaddr_in sa;
    struct epoll_event ev, evs[256];
    int lfd, ep, one = 1, i, n;

    if (argc != 2) {
        fprintf(stderr, "usage: receiver PORT\n");
        return 2;
    }
    lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(argv[1]));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 1024) != 0) {
        perror("receiver: bind/listen");
        return 1;
    }
    ep = epoll_create1(0);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        n = epoll_wait(ep, evs, 256, -1);
        for (i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            ssize_t r;

            if (c == NULL) {
                int fd;

                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    c = calloc(1, sizeof(*c));
                    c->fd = fd;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            r = read(c->fd, c->buf + c->len, BUFSZ - c->len);
            if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
                close(c->fd);
                free(c);
                continue;
            }
            if (r > 0) {
                c->len += (size_t)r;
                if (serve(c) != 0) {
                    close(c->fd);
                    free(c);
                }
            }
        }
    }
}

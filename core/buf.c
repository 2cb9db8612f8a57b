/* buf.c: growable byte buffer with a ceiling. */
#include "buf.h"

#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
    b->cap = 64;
    b->data = xmalloc(b->cap);
    b->data[0] = '\0';
    b->len = 0;
    b->max = max;
}

void
buf_release(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

static int
buf_grow(struct buf *b, size_t extra)
{
    size_t need;

    if (b->data == NULL) {
        buf_init(b, 0);
    }
    if (extra > SIZE_MAX - b->len - 1) {
        return -1;
    }
    need = b->len + extra;
    if (b->max != 0 && need > b->max) {
        return -1;
    }
    if (need + 1 <= b->cap) {
        return 0;
    }
    while (b->cap < need + 1) {
        b->cap = b->cap < SIZE_MAX / 2 ? b->cap * 2 : need + 1;
    }
    b->data = xrealloc(b->data, b->cap);
    return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_grow(b, n) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || buf_grow(b, (size_t)n) != 0) {
        return -1;
    }
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *
buf_detach(struct buf *b, size_t *len)
{
    char *p;

    if (b->data == NULL) {
        buf_init(b, b->max);
    }
    p = b->data;
    if (len != NULL) {
        *len = b->len;
    }
    buf_init(b, b->max);
    return p;
}

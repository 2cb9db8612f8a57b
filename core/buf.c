/* buf.c: growable byte buffer with a ceiling. */
#include "buf.h"

#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Empty buffers point here until the first append (git's strbuf_slopbuf), so buf_init and
 * buf_detach never allocate and "p = buf_detach(&b, NULL); return p;" leaks nothing. Only a
 * '\0' is ever written to it. */
static char buf_slop[1];

void
buf_init(struct buf *b, size_t max)
{
    b->cap = 0;
    b->data = buf_slop;
    b->len = 0;
    b->max = max;
}

void
buf_release(struct buf *b)
{
    if (b->cap > 0) {
        free(b->data);
    }
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
    size_t need, cap;

    if (b->data == NULL) {
        buf_init(b, b->max); /* released: usable again, ceiling kept */
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
    cap = b->cap > 0 ? b->cap : 64;
    while (cap < need + 1) {
        cap = cap < SIZE_MAX / 2 ? cap * 2 : need + 1;
    }
    if (b->cap == 0) {
        b->data = xmalloc(cap);
        b->data[0] = '\0';
    } else {
        b->data = xrealloc(b->data, cap);
    }
    b->cap = cap;
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
    n = vsnprintf(NULL, 0, fmt, cp); /* NOLINT(clang-analyzer-valist.Uninitialized) */
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

    if (b->data == NULL || b->cap == 0) {
        p = xmalloc(1); /* the caller always gets memory it can free() */
        p[0] = '\0';
    } else {
        p = b->data;
    }
    if (len != NULL) {
        *len = b->data == NULL ? 0 : b->len;
    }
    buf_init(b, b->max);
    return p;
}

int
buf_arr_add(struct buf *b, const char *s)
{
    const char *p;

    if (buf_putc(b, b->len == 0 ? '{' : ',') != 0 || buf_putc(b, '"') != 0) {
        return -1;
    }
    for (p = s; *p != '\0'; p++) {
        if ((*p == '"' || *p == '\\') && buf_putc(b, '\\') != 0) {
            return -1;
        }
        if (buf_putc(b, *p) != 0) {
            return -1;
        }
    }
    return buf_putc(b, '"');
}

int
buf_arr_end(struct buf *b)
{
    if (b->len == 0 && buf_putc(b, '{') != 0) {
        return -1;
    }
    return buf_putc(b, '}');
}

/* buf.h: growable byte buffer with a ceiling (git strbuf, curl dynbuf).
 * Invariants: data is never NULL after buf_init and always NUL-terminated; len excludes the NUL.
 * An append that would make len exceed max fails with -1 and leaves the buffer unchanged. */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max; /* 0: no ceiling */
};

#define BUF_MAX_DEFAULT ((size_t)64 * 1024 * 1024)

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b); /* frees data; buf_init again before reuse */
void buf_reset(struct buf *b);   /* len = 0, keeps memory */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the data to the caller (free() it) and re-initialises b. */
char *buf_detach(struct buf *b, size_t *len);

/* PostgreSQL array literals built element by element: buf_arr_add appends s as one quoted
 * element ("…" with \ and " escaped; the first call writes the opening brace), buf_arr_end
 * closes the literal ("{}" when nothing was added). Pass the result as a text parameter. */
int buf_arr_add(struct buf *b, const char *s);
int buf_arr_end(struct buf *b);

#endif /* GW_BUF_H */

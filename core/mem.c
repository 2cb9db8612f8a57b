/* mem.c: allocation wrappers that never return NULL (redis zmalloc, git wrapper.c) and a
 * truncating string copy. */
#include "gw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
mem_oom(size_t n)
{
    (void)fprintf(stderr, "{\"level\":\"error\",\"msg\":\"out of memory\",\"size\":%zu}\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);

    if (p == NULL) {
        mem_oom(n);
    }
    return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);

    if (p == NULL) {
        mem_oom(nmemb * size);
    }
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n == 0 ? 1 : n);

    if (q == NULL) {
        mem_oom(n);
    }
    return q;
}

char *
xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    return xmemdup0(s, strnlen(s, n));
}

char *
xmemdup0(const void *p, size_t n)
{
    char *q = xmalloc(n + 1);

    if (n > 0) {
        memcpy(q, p, n);
    }
    q[n] = '\0';
    return q;
}

void
gw_copy_str(char *dst, size_t dstsz, const char *src)
{
    size_t n;

    if (src == NULL) {
        dst[0] = '\0';
        return;
    }
    n = strnlen(src, dstsz - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* fuzz.h: helpers shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * Every harness defines LLVMFuzzerTestOneInput and checks properties with FUZZ_CHECK, which
 * aborts (a finding) with the failed condition; sanitizer reports (ASan, UBSan, leaks) are the
 * other kind of finding. Inputs that hold several strings split them at NUL bytes. */
#ifndef GW_FUZZ_H
#define GW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            (void)fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

#define FUZZ_MAX_PARTS 16

/* The input cut at NUL bytes into at most FUZZ_MAX_PARTS NUL-terminated strings (the last part
 * keeps any further NULs as its own bytes; len[] holds each part's length). */
struct fuzz_parts {
    char *copy;
    char *s[FUZZ_MAX_PARTS];
    size_t len[FUZZ_MAX_PARTS];
    size_t n;
};

static inline void
fuzz_parts_split(struct fuzz_parts *p, const uint8_t *data, size_t size)
{
    size_t i, start = 0;

    memset(p, 0, sizeof(*p));
    p->copy = malloc(size + 1);
    if (p->copy == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(p->copy, data, size);
    }
    p->copy[size] = '\0';
    for (i = 0; i <= size && p->n < FUZZ_MAX_PARTS; i++) {
        if (i == size || (p->copy[i] == '\0' && p->n + 1 < FUZZ_MAX_PARTS)) {
            p->s[p->n] = p->copy + start;
            p->len[p->n] = i - start;
            p->n++;
            start = i + 1;
        }
    }
}

/* Part i, or "" when the input has fewer parts. */
static inline const char *
fuzz_part(const struct fuzz_parts *p, size_t i)
{
    return i < p->n ? p->s[i] : "";
}

static inline size_t
fuzz_part_len(const struct fuzz_parts *p, size_t i)
{
    return i < p->n ? p->len[i] : 0;
}

static inline void
fuzz_parts_release(struct fuzz_parts *p)
{
    free(p->copy);
    memset(p, 0, sizeof(*p));
}

#endif /* GW_FUZZ_H */

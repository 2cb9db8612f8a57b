/* gw.h: error codes, the error struct, allocation wrappers and small shared macros. */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KIB           1024
#define UNUSED(x)     ((void)(x))
#define ARRAY_LEN(a)  (sizeof(a) / sizeof((a)[0]))
#define GW_AMOUNT_MAX INT64_C(2147483647) /* INTEGER columns of SPEC section 12 */
#define GW_ID_LEN     16                  /* characters after order_/pay_/rfnd_ */
#define GW_UUID_LEN   36
#define GW_TS_LEN     20 /* YYYY-MM-DDTHH:MM:SSZ */

/*
 * Error codes: status and the wire code of SPEC section 4.3. Append only.
 * The description sent to clients is err->msg for 4xx; 5xx always send the fixed text of
 * SPEC section 4.3 and err->msg only goes to the log.
 */
#define GW_ERRCODE_MAP(X)                      \
    X(BAD_REQUEST, 400, "BAD_REQUEST_ERROR")   \
    X(AUTH, 401, "AUTHENTICATION_ERROR")       \
    X(CSRF, 403, "AUTHENTICATION_ERROR")       \
    X(NOT_FOUND, 404, "NOT_FOUND_ERROR")       \
    X(METHOD, 405, "BAD_REQUEST_ERROR")        \
    X(TOO_LARGE, 413, "BAD_REQUEST_ERROR")     \
    X(MEDIA_TYPE, 415, "BAD_REQUEST_ERROR")    \
    X(RATE_LIMIT, 429, "RATE_LIMIT_ERROR")     \
    X(INVALID_VPA, 400, "INVALID_VPA")         \
    X(INVALID_CARD, 400, "INVALID_CARD")       \
    X(EXPIRED_CARD, 400, "EXPIRED_CARD")       \
    X(UNAVAILABLE, 503, "SERVICE_UNAVAILABLE") \
    X(INTERNAL, 500, "INTERNAL_ERROR")         \
    X(CONFLICT, 409, "BAD_REQUEST_ERROR") /* internal: unique violation, never sent as is */

enum gw_errcode {
    GW_E_OK = 0,
#define X(name, status, str) GW_E_##name,
    GW_ERRCODE_MAP(X)
#undef X
        GW_E__COUNT
};

struct gw_err {
    enum gw_errcode code;
    const char *file;
    int line;
    char msg[256];
};

#define GW_ERR_INIT       \
    {                     \
        GW_E_OK, NULL, 0, \
        {                 \
            0             \
        }                 \
    }

/* Fills err (if not already set: first error wins) and always returns -1:
 *     return GW_ERR(err, NOT_FOUND, "Payment not found"); */
#define GW_ERR(err, code, ...) gw_err_set_at((err), GW_E_##code, __FILE__, __LINE__, __VA_ARGS__)

int gw_err_set_at(struct gw_err *err, enum gw_errcode code, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void gw_err_clear(struct gw_err *err);
bool gw_err_is_set(const struct gw_err *err);
int gw_err_status(enum gw_errcode code);           /* HTTP status */
const char *gw_err_code_str(enum gw_errcode code); /* wire code, e.g. "NOT_FOUND_ERROR" */
/* Description for the client: err->msg for 4xx, the fixed SPEC text for 500 and 503. */
const char *gw_err_description(const struct gw_err *err);

/* Allocation: log and abort() on out of memory; never returns NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xmemdup0(const void *p, size_t n); /* copy of n bytes plus a NUL */

/* Truncating copy of src into dst (dstsz > 0 bytes), always NUL-terminated; NULL src gives "". */
void gw_copy_str(char *dst, size_t dstsz, const char *src);

/* Clocks (clock.c): the monotonic clock for intervals and deadlines, the wall clock for what is
 * stored or shown. gw_utc_iso writes "YYYY-MM-DDTHH:MM:SSZ" (GW_TS_LEN) of Unix time t. */
int64_t gw_mono_ns(void);
int64_t gw_mono_ms(void);
int64_t gw_unix_ms(void);
void gw_utc_iso(int64_t t, char out[GW_TS_LEN + 1]);

#endif /* GW_H */

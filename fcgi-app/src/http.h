/* http.h: one FastCGI request and its buffered response.
 *
 * A request is read from a CGI-style environment (char **envp, "NAME=value" strings, which is
 * what FCGX_ParamArray is) and a read callback, so unit tests need no socket. Pointers into envp
 * are kept, so http_req_release() must run before FCGX_Finish_r(). Everything else hanging off
 * the request (path, query, params, parsed JSON, decoded query values) is owned by the request
 * and freed by http_req_release(). */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include "app.h"
#include "buf.h"
#include "gw.h"
#include "idem.h"
#include "jsonh.h"
#include "merchant.h"
#include "model.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct route;

#define HTTP_MAX_BODY       65536 /* nginx client_max_body_size 64k */
#define HTTP_REQUEST_ID_MAX 128

/* I/O callbacks: production wraps FCGX_GetStr / FCGX_PutStr, tests use memory buffers. */
struct http_io {
    /* Reads up to n bytes; returns the count, 0 at end of input, -1 on error. */
    ssize_t (*read)(void *ctx, char *buf, size_t n);
    /* Writes all n bytes; 0 or -1. */
    int (*write)(void *ctx, const char *buf, size_t n);
    void *ctx;
    /* Optional: ends the connection without completing the response, so that the client sees
     * a truncated transfer rather than a complete one (a stream that failed midway). */
    void (*abort)(void *ctx);
};

/* Work pushed to Redis after the request's transaction committed. */
struct http_req_alloc; /* decoded query values, freed with the request */

struct http_req {
    struct app *app;
    const char *const *envp;  /* borrowed CGI params, valid until FCGX_Finish_r */
    const struct http_io *io; /* the request's I/O, for streamed responses */
    char method[8];
    char *path;  /* normalised: no query, one trailing slash removed */
    char *query; /* raw query string, "" when none */
    const struct route *route;
    const char *route_label; /* pattern for logs and metrics, "unmatched" when none */
    char *params[2];         /* path parameters in pattern order (NULL when absent) */
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    bool authenticated; /* merchant below is valid */
    bool via_session;   /* authenticated with the gw_session cookie */
    bool auth_pending;  /* ROUTE_INLINE: creds not yet checked (the handler's service does) */
    struct merchant_creds creds; /* ROUTE_INLINE: what the service checks */
    struct idem_req idem;        /* ROUTE_INLINE: Idempotency-Key (key NULL: none) */
    struct merchant merchant;    /* from core/model.h */
    char session_csrf[65];       /* CSRF token of the session when via_session */
    char *raw_body;              /* NUL-terminated copy of the body; "" when none */
    size_t body_len;
    bool body_bad_length;     /* longer than HTTP_MAX_BODY or shorter than CONTENT_LENGTH */
    struct json_object *body; /* parsed object for POST/PUT (empty body -> {} where allowed);
                                 owned by req */
    bool https;               /* HTTPS=on, or X-Forwarded-Proto https from a REAL_IP_FROM peer */
    uint64_t start_ns;        /* monotonic clock at init */
    struct http_req_alloc *allocs;
};

struct http_resp {
    int status;
    struct buf body;
    char content_type[64];     /* "application/json" unless a handler changes it (CSV) */
    struct buf headers;        /* extra "Name: value\r\n" lines */
    const char *cache_control; /* NULL: "no-store" (SPEC 4.5); a static string otherwise */
    bool streamed;             /* headers and body already written by http_resp_stream_* */
};

/* Parses envp into req and reads the body through io (up to CONTENT_LENGTH, capped at
 * HTTP_MAX_BODY + 1 bytes; a mismatch sets body_bad_length). Validates REQUEST_ID or makes a
 * new 32-hex id. Cannot fail: what the client sent wrong is judged by route_dispatch. */
void http_req_init(struct http_req *req, struct app *app, const char *const *envp,
                   const struct http_io *io);
void http_req_release(struct http_req *req);

/* Value of a CGI param by its exact name (e.g. "REQUEST_METHOD"); NULL if absent. */
const char *http_req_param_raw(const struct http_req *req, const char *name);
/* Header by its HTTP name: "Idempotency-Key" -> HTTP_IDEMPOTENCY_KEY ("Content-Type" and
 * "Content-Length" map to CONTENT_TYPE / CONTENT_LENGTH). First occurrence; NULL if absent. */
const char *http_req_header(const struct http_req *req, const char *name);
/* Number of occurrences of the header in the whole param array (nginx passes a repeated request
 * header as several params with the same name). */
size_t http_req_header_count(const struct http_req *req, const char *name);
/* Percent-decoded value of the first occurrence of a query parameter ('+' is a space); NULL when
 * absent. Owned by req. */
const char *http_req_query(struct http_req *req, const char *name);
/* Value of a cookie from the Cookie header; NULL when absent. Owned by req. */
const char *http_req_cookie(struct http_req *req, const char *name);
/* The dashboard session cookie, only on the listeners where it authenticates (GW_LISTENER
 * dashboard or tls, SPEC 17); NULL elsewhere, as if the browser had sent none. */
const char *http_req_session_token(struct http_req *req);

/* limit (1-100, default 10) and offset (>= 0, default 0) of SPEC 4.5; err BAD_REQUEST with the
 * SPEC descriptions. */
int http_req_list_params(struct http_req *req, int64_t *limit, int64_t *offset, struct gw_err *err);

/* limit (1-100, default 10), starting_after and ending_before of a cursor list (SPEC 21.1). */
struct cursor_req;
int http_req_cursor_params(struct http_req *req, struct cursor_req *c, struct gw_err *err);
/* A query parameter that must be a non-negative integer when present. */
bool http_parse_uint(const char *s, int64_t *out);

/* Ends a JSON answer written with jw into resp->body: status, or err INTERNAL when the writer
 * failed. */
int http_resp_json(struct http_resp *resp, struct jw *w, int status, struct gw_err *err);
/* ROUTE_INLINE: the service checked the API key pair (a->auth_ok); the request counts as
 * authenticated as the merchant it named, for the log line. */
void http_req_inline_done(struct http_req *req, const struct idem_answer *a);
/* The answer a ROUTE_INLINE service produced: its status and exact body, plus
 * Idempotent-Replayed for a replay. */
int http_resp_answer(struct http_resp *resp, const struct idem_answer *a, struct gw_err *err);
/* Helpers on the raw strings (exported for tests). */
bool http_content_type_is_json(const char *ct);
/* Copy of the path with one trailing slash removed (not of "/"); no query handling. */
char *http_normalise_path(const char *uri);
/* Percent-decodes s[0..len) ('+' as space when plus_space); NULL on a malformed escape. */
char *http_percent_decode(const char *s, size_t len, bool plus_space);

void http_resp_init(struct http_resp *resp);
void http_resp_release(struct http_resp *resp);
void http_resp_set_header(struct http_resp *resp, const char *name, const char *value);
/* Replaces status and body with the error envelope {"error":{"code":…,"description":…}}. */
void http_resp_error(struct http_resp *resp, const struct gw_err *err);
/* Writes "Status:", the common headers of SPEC 4.5, extra headers, then the body, at once. */
int http_resp_write(const struct http_resp *resp, const struct http_req *req,
                    const struct http_io *io);
/* Streamed responses (CSV export): _begin writes "Status:", the common headers, the extra
 * headers and no Content-Length (nginx frames the body); _write sends body bytes as they come;
 * afterwards http_resp_write writes nothing. _abort cuts the connection after a failure
 * midway, so that the client cannot take a truncated body for a complete one. */
int http_resp_stream_begin(struct http_resp *resp, const struct http_req *req);
int http_resp_stream_write(struct http_resp *resp, const struct http_req *req, const char *data,
                           size_t len);
void http_resp_stream_abort(struct http_resp *resp, const struct http_req *req);
const char *http_status_text(int status);

#endif /* GW_HTTP_H */

/* fuzz_http.c: the FastCGI request as the API process reads it.
 *
 * Input: CGI params "NAME=value", NUL-separated, then a last part that is the request body
 * (read through the http_io callbacks in short chunks, as FCGX_GetStr may return them). The
 * request goes through http_req_init and every lookup a handler can make: headers and their
 * counts, query parameters, cookies, the session cookie, list parameters, the content type,
 * the matcher on the request's method and path, and an error answer written back.
 * Properties: the request id is always valid; the body never exceeds HTTP_MAX_BODY and is the
 * CONTENT_LENGTH bytes unless flagged; lookups are stable (a second call returns the same
 * value); a bad limit or offset is a 400; percent-decoding never grows a value and is the
 * inverse of %XX encoding; the answer starts with a Status line and ends with its body. */
#include "fuzz.h"

#include "buf.h"
#include "cfg.h"
#include "http.h"
#include "log.h"
#include "netaddr.h"
#include "route.h"
#include "validate.h"

#include <errno.h>
#include <sys/types.h>

struct fuzz_io {
    const char *in;
    size_t len, pos;
    struct buf out;
};

static ssize_t
fuzz_read(void *ctx, char *buf, size_t n)
{
    struct fuzz_io *m = ctx;
    size_t left = m->len - m->pos;

    if (n > left) {
        n = left;
    }
    if (n > 7) {
        n = 7; /* short reads: the reader must loop */
    }
    memcpy(buf, m->in + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static int
fuzz_write(void *ctx, const char *buf, size_t n)
{
    struct fuzz_io *m = ctx;

    return buf_append(&m->out, buf, n);
}

static struct cfg fuzz_cfg;
static struct app fuzz_app;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct gw_err err = GW_ERR_INIT;

    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR); /* the 503s of the absent database are warnings */
    memset(&fuzz_cfg, 0, sizeof(fuzz_cfg));
    memset(&fuzz_app, 0, sizeof(fuzz_app));
    if (netaddr_list_parse("127.0.0.1 10.0.0.0/8 ::1", &fuzz_cfg.real_ip_from, &err) != 0) {
        abort();
    }
    fuzz_app.cfg = &fuzz_cfg;
    return 0;
}

static const char *const fuzz_headers[] = {
    "Content-Type", "Content-Length",    "Idempotency-Key", "X-Api-Key",    "X-Api-Secret",
    "Cookie",       "X-Forwarded-Proto", "X-Request-Id",    "X-CSRF-Token",
};

static const char *const fuzz_query_names[] = {
    "limit", "offset", "status", "method", "created_from", "created_to", "", "x y", "%",
};

static const char *const fuzz_cookie_names[] = { "gw_session", "gw_csrf", "", "a" };

/* %XX-encodes every byte of s[0..len) (no NUL inside) and decodes it back. */
static void
fuzz_http_decode_round_trip(const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *enc = malloc(len * 3 + 1), *dec;
    size_t i;

    FUZZ_CHECK(enc != NULL);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        enc[i * 3] = '%';
        enc[i * 3 + 1] = hex[c >> 4];
        enc[i * 3 + 2] = hex[c & 15];
    }
    enc[len * 3] = '\0';
    dec = http_percent_decode(enc, len * 3, true);
    FUZZ_CHECK(strlen(dec) == len && memcmp(dec, s, len) == 0);
    free(dec);
    dec = http_percent_decode(s, len, true);
    FUZZ_CHECK(strlen(dec) <= len);
    free(dec);
    dec = http_percent_decode(s, len, false);
    FUZZ_CHECK(strlen(dec) <= len);
    free(dec);
    free(enc);
}

static void
fuzz_http_lookups(struct http_req *req)
{
    size_t i;
    const char *v, *again;
    int64_t limit = -1, offset = -1;
    struct gw_err err = GW_ERR_INIT;

    for (i = 0; i < sizeof(fuzz_headers) / sizeof(fuzz_headers[0]); i++) {
        v = http_req_header(req, fuzz_headers[i]);
        FUZZ_CHECK((v != NULL) == (http_req_header_count(req, fuzz_headers[i]) > 0));
    }
    for (i = 0; i < sizeof(fuzz_query_names) / sizeof(fuzz_query_names[0]); i++) {
        v = http_req_query(req, fuzz_query_names[i]);
        again = http_req_query(req, fuzz_query_names[i]);
        FUZZ_CHECK(v == again);
        FUZZ_CHECK(v == NULL || strlen(v) <= strlen(req->query));
    }
    for (i = 0; i < sizeof(fuzz_cookie_names) / sizeof(fuzz_cookie_names[0]); i++) {
        v = http_req_cookie(req, fuzz_cookie_names[i]);
        again = http_req_cookie(req, fuzz_cookie_names[i]);
        FUZZ_CHECK(v == again);
    }
    (void)http_req_session_token(req);
    if (http_req_list_params(req, &limit, &offset, &err) == 0) {
        FUZZ_CHECK(limit >= 1 && limit <= 100 && offset >= 0);
    } else {
        FUZZ_CHECK(gw_err_status(err.code) == 400);
    }
    (void)http_content_type_is_json(http_req_header(req, "Content-Type"));
    (void)http_req_param_raw(req, "GW_LISTENER");
}

/* The route matcher on the request, then an error answer written through the io. */
static void
fuzz_http_answer(struct http_req *req, struct fuzz_io *m, const struct http_io *io)
{
    const struct route *r = NULL;
    char *params[2] = { NULL, NULL };
    char allow[128];
    struct http_resp resp;
    struct gw_err err = GW_ERR_INIT;
    const char *end;

    switch (route_match(req->method, req->path, &r, params, allow, sizeof(allow))) {
    case ROUTE_MATCHED:
        (void)GW_ERR(&err, BAD_REQUEST, "matched %s", r->pattern);
        break;
    case ROUTE_NO_METHOD:
        (void)GW_ERR(&err, METHOD, "Method not allowed");
        break;
    case ROUTE_NO_PATH:
        (void)GW_ERR(&err, NOT_FOUND, "Route not found");
        break;
    }
    free(params[0]);
    free(params[1]);
    http_resp_init(&resp);
    http_resp_error(&resp, &err);
    if (allow[0] != '\0') {
        http_resp_set_header(&resp, "Allow", allow);
    }
    FUZZ_CHECK(http_resp_write(&resp, req, io) == 0);
    FUZZ_CHECK(m->out.len > resp.body.len);
    FUZZ_CHECK(strncmp(m->out.data, "Status: ", 8) == 0);
    end = m->out.data + m->out.len - resp.body.len;
    FUZZ_CHECK(memcmp(end, resp.body.data, resp.body.len) == 0);
    FUZZ_CHECK(end - m->out.data >= 4 && memcmp(end - 4, "\r\n\r\n", 4) == 0);
    http_resp_release(&resp);
}

/* The whole of SPEC 4.1 steps 2-8 (route_dispatch) on the same request, with an app that has a
 * configuration but no database or Redis: any step that needs them answers 503, everything the
 * client got wrong is judged before. Never a 500; a JSON answer is valid JSON. */
static void
fuzz_http_dispatch(const char *const *envp, const char *body, size_t len)
{
    struct fuzz_io m;
    struct http_io io;
    struct http_req req;
    struct http_resp resp;
    struct json_object *o;

    memset(&m, 0, sizeof(m));
    m.in = body;
    m.len = len;
    buf_init(&m.out, 0);
    io.read = fuzz_read;
    io.write = fuzz_write;
    io.ctx = &m;
    io.abort = NULL;
    http_resp_init(&resp);
    http_req_init(&req, &fuzz_app, envp, &io);
    route_dispatch(&req, &resp);
    FUZZ_CHECK(resp.status >= 200 && resp.status < 600 && resp.status != 500);
    if (!resp.streamed && resp.status != 204
        && strcmp(resp.content_type, "application/json") == 0) {
        FUZZ_CHECK(validate_utf8(resp.body.data, resp.body.len));
        o = jsonh_parse_value(resp.body.data, resp.body.len);
        FUZZ_CHECK(o != NULL);
        json_object_put(o);
    }
    FUZZ_CHECK(http_resp_write(&resp, &req, &io) == 0);
    http_req_release(&req);
    http_resp_release(&resp);
    buf_release(&m.out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    const char *envp[FUZZ_MAX_PARTS + 1];
    const char *cl;
    struct http_req req;
    struct http_io io;
    struct fuzz_io m;
    size_t i, nenv;
    char *norm;

    fuzz_parts_split(&p, data, size);
    nenv = p.n - 1;
    for (i = 0; i < nenv; i++) {
        envp[i] = p.s[i];
    }
    envp[nenv] = NULL;
    memset(&m, 0, sizeof(m));
    m.in = p.s[nenv];
    m.len = p.len[nenv];
    buf_init(&m.out, 0);
    io.read = fuzz_read;
    io.write = fuzz_write;
    io.ctx = &m;
    io.abort = NULL;

    http_req_init(&req, size % 2 == 0 ? &fuzz_app : NULL, envp, &io);
    FUZZ_CHECK(req.path != NULL && req.query != NULL && req.raw_body != NULL);
    FUZZ_CHECK(validate_request_id(req.request_id, strlen(req.request_id)));
    FUZZ_CHECK(req.body_len <= HTTP_MAX_BODY && req.raw_body[req.body_len] == '\0');
    cl = http_req_param_raw(&req, "CONTENT_LENGTH");
    if (!req.body_bad_length && cl != NULL && cl[0] != '\0') {
        errno = 0;
        FUZZ_CHECK(strtoull(cl, NULL, 10) == req.body_len);
    }
    fuzz_http_lookups(&req);
    fuzz_http_answer(&req, &m, &io);
    for (i = 0; i < nenv; i++) {
        norm = http_normalise_path(envp[i]);
        FUZZ_CHECK(norm[0] != '\0' && strlen(norm) <= (p.len[i] > 0 ? p.len[i] : 1));
        free(norm);
        fuzz_http_decode_round_trip(p.s[i], p.len[i]);
    }
    http_req_release(&req);
    buf_release(&m.out);
    fuzz_http_dispatch(envp, p.s[nenv], p.len[nenv]);
    fuzz_parts_release(&p);
    return 0;
}

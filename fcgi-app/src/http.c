/* http.c: request parsing from a CGI environment and buffered response writing. */
#include "http.h"

#include "crypto.h"
#include "cursor.h"
#include "jsonh.h"
#include "log.h"
#include "netaddr.h"
#include "session.h"
#include "validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A value decoded for a handler; freed with the request. */
struct http_req_alloc {
    struct http_req_alloc *next;
    char *name; /* lookup key ("q:limit", "c:gw_session") */
    char *value;
};

/* Value of the entry "name=value" when entry starts with name and '='. */
static const char *
http_env_match(const char *entry, const char *name, size_t nlen)
{
    if (strncmp(entry, name, nlen) == 0 && entry[nlen] == '=') {
        return entry + nlen + 1;
    }
    return NULL;
}

const char *
http_req_param_raw(const struct http_req *req, const char *name)
{
    size_t nlen = strlen(name);
    const char *v;
    size_t i;

    if (req->envp == NULL) {
        return NULL;
    }
    for (i = 0; req->envp[i] != NULL; i++) {
        v = http_env_match(req->envp[i], name, nlen);
        if (v != NULL) {
            return v;
        }
    }
    return NULL;
}

/* "Idempotency-Key" -> "HTTP_IDEMPOTENCY_KEY"; false when the name does not fit. */
static bool
http_header_param_name(const char *name, char *out, size_t outsz)
{
    size_t i, o = 0;
    const char *prefix = "HTTP_";
    char c;

    if (strcasecmp(name, "Content-Type") == 0 || strcasecmp(name, "Content-Length") == 0) {
        prefix = "";
    }
    for (i = 0; prefix[i] != '\0'; i++) {
        out[o++] = prefix[i];
    }
    for (i = 0; name[i] != '\0'; i++) {
        if (o + 1 >= outsz) {
            return false;
        }
        c = name[i];
        if (c == '-') {
            c = '_';
        } else if (c >= 'a' && c <= 'z') {
            c = (char)(c - ('a' - 'A'));
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

const char *
http_req_header(const struct http_req *req, const char *name)
{
    char pname[128];

    if (!http_header_param_name(name, pname, sizeof(pname))) {
        return NULL;
    }
    return http_req_param_raw(req, pname);
}

size_t
http_req_header_count(const struct http_req *req, const char *name)
{
    char pname[128];
    size_t i, n = 0, nlen;

    if (req->envp == NULL || !http_header_param_name(name, pname, sizeof(pname))) {
        return 0;
    }
    nlen = strlen(pname);
    for (i = 0; req->envp[i] != NULL; i++) {
        if (http_env_match(req->envp[i], pname, nlen) != NULL) {
            n++;
        }
    }
    return n;
}

static int
http_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

char *
http_percent_decode(const char *s, size_t len, bool plus_space)
{
    char *out = xmalloc(len + 1);
    size_t i, o = 0;
    int hi, lo;

    for (i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len) {
            hi = http_hexval(s[i + 1]);
            lo = http_hexval(s[i + 2]);
            /* A malformed escape is kept as is; %00 too, so a value never hides a NUL. */
            if (hi >= 0 && lo >= 0 && (hi | lo) != 0) {
                out[o++] = (char)(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        if (plus_space && s[i] == '+') {
            out[o++] = ' ';
            continue;
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

char *
http_normalise_path(const char *uri)
{
    size_t len = strlen(uri);

    if (len > 1 && uri[len - 1] == '/') {
        len--;
    }
    if (len == 0) {
        return xstrdup("/");
    }
    return xstrndup(uri, len);
}

static const char *
http_alloc_find(const struct http_req *req, const char *name)
{
    const struct http_req_alloc *a;

    for (a = req->allocs; a != NULL; a = a->next) {
        if (strcmp(a->name, name) == 0) {
            return a->value;
        }
    }
    return NULL;
}

static const char *
http_alloc_add(struct http_req *req, const char *name, char *value)
{
    struct http_req_alloc *a = xcalloc(1, sizeof(*a));

    a->name = xstrdup(name);
    a->value = value;
    a->next = req->allocs;
    req->allocs = a;
    return value;
}

const char *
http_req_query(struct http_req *req, const char *name)
{
    char key[160];
    const char *p, *amp, *eq, *end;
    char *dname;
    bool match;
    int n;

    n = snprintf(key, sizeof(key), "q:%s", name);
    if (n < 0 || (size_t)n >= sizeof(key)) {
        return NULL;
    }
    p = http_alloc_find(req, key);
    if (p != NULL) {
        return p;
    }
    p = req->query != NULL ? req->query : "";
    while (*p != '\0') {
        amp = strchr(p, '&');
        end = amp != NULL ? amp : p + strlen(p);
        eq = memchr(p, '=', (size_t)(end - p));
        if (end > p) {
            dname = http_percent_decode(p, (size_t)((eq != NULL ? eq : end) - p), true);
            match = strcmp(dname, name) == 0;
            free(dname);
            if (match) {
                if (eq == NULL) {
                    return http_alloc_add(req, key, xstrdup(""));
                }
                return http_alloc_add(req, key,
                                      http_percent_decode(eq + 1, (size_t)(end - eq - 1), true));
            }
        }
        if (amp == NULL) {
            break;
        }
        p = amp + 1;
    }
    return NULL;
}

const char *
http_req_cookie(struct http_req *req, const char *name)
{
    char key[160];
    const char *cookie, *p, *semi, *end, *eq;
    size_t nlen = strlen(name);
    int n;

    n = snprintf(key, sizeof(key), "c:%s", name);
    if (n < 0 || (size_t)n >= sizeof(key)) {
        return NULL;
    }
    p = http_alloc_find(req, key);
    if (p != NULL) {
        return p;
    }
    cookie = http_req_header(req, "Cookie");
    if (cookie == NULL) {
        return NULL;
    }
    p = cookie;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        semi = strchr(p, ';');
        end = semi != NULL ? semi : p + strlen(p);
        eq = memchr(p, '=', (size_t)(end - p));
        if (eq != NULL && (size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0) {
            const char *v = eq + 1, *ve = end;

            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) {
                ve--;
            }
            if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
                v++;
                ve--;
            }
            return http_alloc_add(req, key, xstrndup(v, (size_t)(ve - v)));
        }
        if (semi == NULL) {
            break;
        }
        p = semi + 1;
    }
    return NULL;
}

const char *
http_req_session_token(struct http_req *req)
{
    const char *listener = http_req_param_raw(req, "GW_LISTENER");

    if (listener == NULL || (strcmp(listener, "dashboard") != 0 && strcmp(listener, "tls") != 0)) {
        return NULL;
    }
    return http_req_cookie(req, SESSION_COOKIE);
}

/* Strict non-negative decimal integer (no sign, no spaces); false on overflow. */
bool
http_parse_uint(const char *s, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    if (s == NULL || s[0] == '\0') {
        return false;
    }
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        if (v > (INT64_MAX - (s[i] - '0')) / 10) {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int
http_req_list_params(struct http_req *req, int64_t *limit, int64_t *offset, struct gw_err *err)
{
    const char *l = http_req_query(req, "limit");
    const char *o = http_req_query(req, "offset");

    *limit = 10;
    *offset = 0;
    if (l != NULL && (!http_parse_uint(l, limit) || *limit < 1 || *limit > 100)) {
        return GW_ERR(err, BAD_REQUEST, "limit must be an integer between 1 and 100");
    }
    if (o != NULL && !http_parse_uint(o, offset)) {
        return GW_ERR(err, BAD_REQUEST, "offset must be a non-negative integer");
    }
    return 0;
}

int
http_req_cursor_params(struct http_req *req, struct cursor_req *c, struct gw_err *err)
{
    const char *l = http_req_query(req, "limit");

    c->limit = 10;
    c->after = http_req_query(req, "starting_after");
    c->before = http_req_query(req, "ending_before");
    if (l != NULL && (!http_parse_uint(l, &c->limit) || c->limit < 1 || c->limit > 100)) {
        return GW_ERR(err, BAD_REQUEST, "limit must be an integer between 1 and 100");
    }
    if (c->after != NULL && c->before != NULL) {
        return GW_ERR(err, BAD_REQUEST, "starting_after and ending_before are exclusive");
    }
    return 0;
}

int
http_resp_json(struct http_resp *resp, struct jw *w, int status, struct gw_err *err)
{
    if (jw_finish(w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot write response");
    }
    resp->status = status;
    return 0;
}

void
http_req_inline_done(struct http_req *req, const struct idem_answer *a)
{
    if (!req->auth_pending || !a->auth_ok) {
        return;
    }
    req->auth_pending = false;
    req->authenticated = true;
    if (a->merchant_id[0] != '\0') {
        gw_copy_str(req->merchant.id, sizeof(req->merchant.id), a->merchant_id);
    }
}

int
http_resp_answer(struct http_resp *resp, const struct idem_answer *a, struct gw_err *err)
{
    resp->status = a->status;
    buf_reset(&resp->body);
    if (a->body.len > 0 && buf_append(&resp->body, a->body.data, a->body.len) != 0) {
        return GW_ERR(err, INTERNAL, "cannot write response");
    }
    if (a->live && a->match) {
        http_resp_set_header(resp, "Idempotent-Replayed", "true");
    }
    return 0;
}

bool
http_content_type_is_json(const char *ct)
{
    static const char want[] = "application/json";
    size_t wl = sizeof(want) - 1;
    const char *p;

    if (ct == NULL) {
        return false;
    }
    p = ct;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (strncasecmp(p, want, wl) != 0) {
        return false;
    }
    p += wl;
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    return *p == '\0' || *p == ';';
}

/* X-Forwarded-Proto counts only when the TCP peer nginx saw (GW_PEER_ADDR, before
 * X-Forwarded-For) is in REAL_IP_FROM (SPEC 2.2); without a config nothing is trusted. */
static bool
http_peer_trusted(const struct http_req *req)
{
    const struct netaddr_list *trusted;

    if (req->app == NULL || req->app->cfg == NULL) {
        return false;
    }
    trusted = &req->app->cfg->real_ip_from;
    return netaddr_list_contains_str(trusted, http_req_param_raw(req, "GW_PEER_ADDR"));
}

static void
http_new_request_id(char *out, size_t outsz)
{
    unsigned char raw[16];
    struct gw_err err = GW_ERR_INIT;
    static uint64_t fallback;

    if (outsz < 33) {
        return;
    }
    if (crypto_random_bytes(raw, sizeof(raw), &err) != 0) {
        /* Never fails in practice; keep ids unique within the process regardless. */
        uint64_t t = (uint64_t)gw_mono_ns() ^ ++fallback;

        memcpy(raw, &t, sizeof(t));
        memcpy(raw + 8, &fallback, sizeof(fallback));
    }
    crypto_hex(raw, sizeof(raw), out);
}

static void
http_read_body(struct http_req *req, const struct http_io *io)
{
    const char *cl = http_req_param_raw(req, "CONTENT_LENGTH");
    unsigned long long want = 0;
    size_t cap, got = 0;
    char *end = NULL;
    ssize_t n;

    req->raw_body = NULL;
    req->body_len = 0;
    if (cl != NULL && cl[0] != '\0') {
        errno = 0;
        want = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0' || cl[0] == '-') {
            req->body_bad_length = true;
            want = 0;
        }
    }
    if (want > HTTP_MAX_BODY) {
        req->body_bad_length = true;
        want = 0; /* never read an oversized body */
    }
    cap = (size_t)want;
    req->raw_body = xmalloc(cap + 1);
    while (got < cap && io != NULL && io->read != NULL) {
        n = io->read(io->ctx, req->raw_body + got, cap - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    if (got < cap) {
        req->body_bad_length = true;
    }
    req->raw_body[got] = '\0';
    req->body_len = got;
}

void
http_req_init(struct http_req *req, struct app *app, const char *const *envp,
              const struct http_io *io)
{
    const char *method, *uri, *query, *rid, *proto;
    int n;

    memset(req, 0, sizeof(*req));
    req->app = app;
    req->envp = envp;
    req->io = io;
    req->start_ns = (uint64_t)gw_mono_ns();
    req->route_label = "unmatched";

    method = http_req_param_raw(req, "REQUEST_METHOD");
    n = snprintf(req->method, sizeof(req->method), "%s", method != NULL ? method : "");
    if (n < 0 || (size_t)n >= sizeof(req->method)) {
        (void)snprintf(req->method, sizeof(req->method), "%s", "UNKNOWN");
    }

    uri = http_req_param_raw(req, "DOCUMENT_URI");
    if (uri != NULL && uri[0] != '\0') {
        req->path = http_normalise_path(uri);
    } else {
        const char *ru = http_req_param_raw(req, "REQUEST_URI");
        char *tmp;

        ru = ru != NULL ? ru : "/";
        tmp = xstrndup(ru, strcspn(ru, "?#"));
        req->path = http_normalise_path(tmp);
        free(tmp);
    }
    query = http_req_param_raw(req, "QUERY_STRING");
    req->query = xstrdup(query != NULL ? query : "");

    rid = http_req_param_raw(req, "REQUEST_ID");
    if (rid == NULL || !validate_request_id(rid, strlen(rid))) {
        rid = http_req_header(req, "X-Request-Id");
    }
    if (rid != NULL && validate_request_id(rid, strlen(rid))) {
        (void)snprintf(req->request_id, sizeof(req->request_id), "%s", rid);
    } else {
        http_new_request_id(req->request_id, sizeof(req->request_id));
    }

    proto = http_req_header(req, "X-Forwarded-Proto");
    req->https = (http_req_param_raw(req, "HTTPS") != NULL
                  && strcasecmp(http_req_param_raw(req, "HTTPS"), "on") == 0)
                 || (proto != NULL && strcasecmp(proto, "https") == 0 && http_peer_trusted(req));

    http_read_body(req, io);
}

void
http_req_release(struct http_req *req)
{
    struct http_req_alloc *a, *next;

    free(req->path);
    free(req->query);
    free(req->params[0]);
    free(req->params[1]);
    if (req->raw_body != NULL) {
        crypto_wipe(req->raw_body, req->body_len);
    }
    free(req->raw_body);
    jsonh_put_wiped(req->body); /* may hold card data (SPEC 17) */
    for (a = req->allocs; a != NULL; a = next) {
        next = a->next;
        free(a->name);
        free(a->value);
        free(a);
    }
    crypto_wipe(&req->merchant, sizeof(req->merchant));
    crypto_wipe(req->session_csrf, sizeof(req->session_csrf));
    memset(req, 0, sizeof(*req));
}

void
http_resp_init(struct http_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    buf_init(&resp->body, 0);
    buf_init(&resp->headers, 0);
    (void)snprintf(resp->content_type, sizeof(resp->content_type), "%s", "application/json");
}

void
http_resp_release(struct http_resp *resp)
{
    buf_release(&resp->body);
    buf_release(&resp->headers);
}

void
http_resp_set_header(struct http_resp *resp, const char *name, const char *value)
{
    /* Never let a value split the header block. */
    if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL) {
        log_error("refusing header with CR/LF", LOG_S("name", name));
        return;
    }
    (void)buf_printf(&resp->headers, "%s: %s\r\n", name, value);
}

void
http_resp_error(struct http_resp *resp, const struct gw_err *err)
{
    struct jw w;

    resp->status = gw_err_status(err->code);
    if (resp->status == 409) {
        resp->status = 500; /* CONFLICT is internal only */
    }
    (void)snprintf(resp->content_type, sizeof(resp->content_type), "%s", "application/json");
    buf_reset(&resp->body);
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "error");
    jw_obj_begin(&w);
    jw_key(&w, "code");
    jw_str(&w, gw_err_code_str(err->code));
    jw_key(&w, "description");
    jw_str(&w, gw_err_description(err));
    jw_obj_end(&w);
    jw_obj_end(&w);
    (void)jw_finish(&w);
}

const char *
http_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

/* "Status:", the common headers of SPEC 4.5, Content-Type, Content-Length when length is not
 * NULL, the extra headers and the blank line. */
static int
http_resp_head(const struct http_resp *resp, const struct http_req *req, const size_t *length,
               struct buf *h)
{
    if (buf_printf(h, "Status: %d %s\r\n", resp->status, http_status_text(resp->status)) != 0
        || buf_printf(h, "X-Request-Id: %s\r\n", req->request_id) != 0
        || buf_puts(h, "Access-Control-Allow-Origin: *\r\n"
                       "Access-Control-Allow-Headers: Content-Type, X-Api-Key, X-Api-Secret, "
                       "Idempotency-Key\r\n"
                       "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, OPTIONS\r\n"
                       "Access-Control-Expose-Headers: X-Request-Id\r\n")
               != 0
        || buf_printf(h, "Cache-Control: %s\r\n",
                      resp->cache_control != NULL ? resp->cache_control : "no-store")
               != 0
        || buf_printf(h, "Content-Type: %s\r\n", resp->content_type) != 0
        || (length != NULL && buf_printf(h, "Content-Length: %zu\r\n", *length) != 0)
        || buf_append(h, resp->headers.data, resp->headers.len) != 0 || buf_puts(h, "\r\n") != 0) {
        return -1;
    }
    return 0;
}

int
http_resp_write(const struct http_resp *resp, const struct http_req *req, const struct http_io *io)
{
    struct buf h;
    int ret = -1;
    bool empty = resp->status == 204 || resp->status == 304;

    if (resp->streamed) {
        return 0; /* http_resp_stream_* wrote it all */
    }
    buf_init(&h, 0);
    if (http_resp_head(resp, req, empty ? NULL : &resp->body.len, &h) != 0) {
        goto out;
    }
    if (!empty && buf_append(&h, resp->body.data, resp->body.len) != 0) {
        goto out;
    }
    if (io == NULL || io->write == NULL || io->write(io->ctx, h.data, h.len) != 0) {
        goto out;
    }
    ret = 0;
out:
    buf_release(&h);
    return ret;
}

int
http_resp_stream_begin(struct http_resp *resp, const struct http_req *req)
{
    const struct http_io *io = req->io;
    struct buf h;
    int ret = -1;

    resp->streamed = true; /* from here on, nothing else may be written */
    buf_init(&h, 0);
    if (http_resp_head(resp, req, NULL, &h) != 0 || io == NULL || io->write == NULL
        || io->write(io->ctx, h.data, h.len) != 0) {
        goto out;
    }
    ret = 0;
out:
    buf_release(&h);
    return ret;
}

int
http_resp_stream_write(struct http_resp *resp, const struct http_req *req, const char *data,
                       size_t len)
{
    const struct http_io *io = req->io;

    if (!resp->streamed || io == NULL || io->write == NULL) {
        return -1;
    }
    return len == 0 ? 0 : io->write(io->ctx, data, len);
}

void
http_resp_stream_abort(struct http_resp *resp, const struct http_req *req)
{
    const struct http_io *io = req->io;

    resp->streamed = true;
    if (io != NULL && io->abort != NULL) {
        io->abort(io->ctx);
    }
}

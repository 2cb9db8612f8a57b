/* check_http.c: request parsing from a fake CGI environment and a memory body, and response
 * writing into memory (no socket, STYLE 2.5). */
#include "unit.h"

#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mem_io {
    const char *in;
    size_t inlen, pos;
    struct buf out;
};

static ssize_t
mem_read(void *ctx, char *buf, size_t n)
{
    struct mem_io *m = ctx;
    size_t left = m->inlen - m->pos;

    if (n > left) {
        n = left;
    }
    if (n > 3) {
        n = 3; /* short reads: the reader must loop */
    }
    memcpy(buf, m->in + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static int
mem_write(void *ctx, const char *buf, size_t n)
{
    struct mem_io *m = ctx;

    return buf_append(&m->out, buf, n);
}

static void
init_req_app(struct http_req *req, struct app *app, const char *const *envp, const char *body,
             struct mem_io *m, struct http_io *io)
{

    if (m->out.data != NULL) {
        buf_release(&m->out); /* reused between requests of one test */
    }
    m->in = body != NULL ? body : "";
    m->inlen = strlen(m->in);
    m->pos = 0;
    buf_init(&m->out, 0);
    io->read = mem_read;
    io->write = mem_write;
    io->ctx = m;
    io->abort = NULL;
    http_req_init(req, app, envp, io);
}

static void
init_req(struct http_req *req, const char *const *envp, const char *body, struct mem_io *m,
         struct http_io *io)
{
    init_req_app(req, NULL, envp, body, m, io);
}

START_TEST(test_basic_parse)
{
    const char *envp[] = { "REQUEST_METHOD=POST",
                           "DOCUMENT_URI=/api/v1/orders/",
                           "QUERY_STRING=limit=5&status=pen%64ing&x=a+b&empty=&flag&status=other",
                           "CONTENT_TYPE=application/json",
                           "CONTENT_LENGTH=13",
                           "HTTP_IDEMPOTENCY_KEY=key-1",
                           "HTTP_X_API_KEY=k1",
                           "HTTP_X_API_KEY=k2",
                           "REQUEST_ID=abc.DEF_1-2",
                           NULL };
    struct http_req req;
    struct http_io io;
    struct mem_io m = { 0 };

    init_req(&req, envp, "{\"amount\":1}", &m, &io);
    ck_assert_str_eq(req.method, "POST");
    ck_assert_str_eq(req.path, "/api/v1/orders");
    ck_assert_str_eq(req.request_id, "abc.DEF_1-2");
    /* body shorter than CONTENT_LENGTH (12 of 13 bytes) */
    ck_assert_uint_eq(req.body_len, 12);
    ASSERT_TRUE(req.body_bad_length);
    ck_assert_str_eq(http_req_query(&req, "limit"), "5");
    ck_assert_str_eq(http_req_query(&req, "status"), "pending"); /* first occurrence */
    ck_assert_str_eq(http_req_query(&req, "x"), "a b");
    ck_assert_str_eq(http_req_query(&req, "empty"), "");
    ck_assert_str_eq(http_req_query(&req, "flag"), "");
    ASSERT_NULL(http_req_query(&req, "missing"));
    ck_assert_str_eq(http_req_header(&req, "Idempotency-Key"), "key-1");
    ck_assert_str_eq(http_req_header(&req, "idempotency-key"), "key-1");
    ck_assert_str_eq(http_req_header(&req, "Content-Type"), "application/json");
    ASSERT_NULL(http_req_header(&req, "X-Api-Secret"));
    ck_assert_uint_eq(http_req_header_count(&req, "X-Api-Key"), 2);
    ck_assert_uint_eq(http_req_header_count(&req, "X-Api-Secret"), 0);
    ck_assert_uint_eq(http_req_header_count(&req, "Idempotency-Key"), 1);
    http_req_release(&req);
    buf_release(&m.out);
}
END_TEST

START_TEST(test_body_lengths)
{
    const char *exact[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x", "CONTENT_LENGTH=7", NULL };
    const char *none[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x", NULL };
    const char *huge[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x", "CONTENT_LENGTH=65537", NULL };
    const char *bad[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/x", "CONTENT_LENGTH=-1", NULL };
    struct http_req req;
    struct http_io io;
    struct mem_io m = { 0 };

    init_req(&req, exact, "{\"a\":1}trailing-not-read", &m, &io);
    ck_assert_uint_eq(req.body_len, 7);
    ck_assert_str_eq(req.raw_body, "{\"a\":1}");
    ASSERT_FALSE(req.body_bad_length);
    http_req_release(&req);
    buf_release(&m.out);

    init_req(&req, none, "ignored", &m, &io);
    ck_assert_uint_eq(req.body_len, 0);
    ASSERT_FALSE(req.body_bad_length);
    http_req_release(&req);
    buf_release(&m.out);

    init_req(&req, huge, "{}", &m, &io);
    ASSERT_TRUE(req.body_bad_length);
    http_req_release(&req);
    buf_release(&m.out);

    init_req(&req, bad, "{}", &m, &io);
    ASSERT_TRUE(req.body_bad_length);
    http_req_release(&req);
    buf_release(&m.out);
}
END_TEST

START_TEST(test_path_fallback)
{
    const char *ru[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/v1/payments/?limit=1", NULL };
    const char *root[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", NULL };
    struct http_req req;
    struct http_io io;
    struct mem_io m = { 0 };
    char *p;

    init_req(&req, ru, NULL, &m, &io);
    ck_assert_str_eq(req.path, "/api/v1/payments");
    ck_assert_str_eq(req.query, "");
    http_req_release(&req);
    buf_release(&m.out);

    init_req(&req, root, NULL, &m, &io);
    ck_assert_str_eq(req.path, "/");
    http_req_release(&req);
    buf_release(&m.out);

    p = http_normalise_path("/a//");
    ck_assert_str_eq(p, "/a/"); /* only one trailing slash is ignored */
    free(p);
}
END_TEST

START_TEST(test_percent_decode)
{
    char *s;

    s = http_percent_decode("a%20b+c%2Bd", 11, true);
    ck_assert_str_eq(s, "a b c+d");
    free(s);
    s = http_percent_decode("a+b", 3, false);
    ck_assert_str_eq(s, "a+b");
    free(s);
    s = http_percent_decode("%zz%4", 5, true); /* malformed escapes kept */
    ck_assert_str_eq(s, "%zz%4");
    free(s);
    s = http_percent_decode("x%00y", 5, true); /* never a hidden NUL */
    ck_assert_str_eq(s, "x%00y");
    free(s);
    s = http_percent_decode("%e2%82%b9", 9, true);
    ck_assert_str_eq(s, "\xe2\x82\xb9");
    free(s);
}
END_TEST

START_TEST(test_request_id)
{
    const char *ok[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", "REQUEST_ID=req-1", NULL };
    const char *bad[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", "REQUEST_ID=bad id!", NULL };
    const char *hdr[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", "HTTP_X_REQUEST_ID=from.header",
                          NULL };
    char longid[160];
    const char *too_long[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", longid, NULL };
    struct http_req req;
    struct http_io io;
    struct mem_io m = { 0 };
    size_t i;

    init_req(&req, ok, NULL, &m, &io);
    ck_assert_str_eq(req.request_id, "req-1");
    http_req_release(&req);

    init_req(&req, bad, NULL, &m, &io);
    ck_assert_uint_eq(strlen(req.request_id), 32);
    for (i = 0; i < 32; i++) {
        ASSERT_TRUE((req.request_id[i] >= '0' && req.request_id[i] <= '9')
                    || (req.request_id[i] >= 'a' && req.request_id[i] <= 'f'));
    }
    http_req_release(&req);

    init_req(&req, hdr, NULL, &m, &io);
    ck_assert_str_eq(req.request_id, "from.header");
    http_req_release(&req);

    memcpy(longid, "REQUEST_ID=", 11);
    memset(longid + 11, 'a', 129);
    longid[140] = '\0';
    init_req(&req, too_long, NULL, &m, &io);
    ck_assert_uint_eq(strlen(req.request_id), 32);
    http_req_release(&req);
    buf_release(&m.out);
}
END_TEST

START_TEST(test_content_type)
{
    ASSERT_TRUE(http_content_type_is_json("application/json"));
    ASSERT_TRUE(http_content_type_is_json("Application/JSON"));
    ASSERT_TRUE(http_content_type_is_json("application/json; charset=utf-8"));
    ASSERT_TRUE(http_content_type_is_json("application/json;charset=UTF-8"));
    ASSERT_TRUE(http_content_type_is_json(" application/json "));
    ASSERT_FALSE(http_content_type_is_json(NULL));
    ASSERT_FALSE(http_content_type_is_json(""));
    ASSERT_FALSE(http_content_type_is_json("text/plain"));
    ASSERT_FALSE(http_content_type_is_json("application/jsonx"));
    ASSERT_FALSE(http_content_type_is_json("application/json-patch+json"));
    ASSERT_FALSE(http_content_type_is_json("application/x-www-form-urlencoded"));
}
END_TEST

static const char *
empty_env(const char *name, void *ctx)
{
    UNUSED(name);
    UNUSED(ctx);
    return NULL;
}

START_TEST(test_cookies_and_https)
{
    const char *envp[] = { "REQUEST_METHOD=GET",
                           "DOCUMENT_URI=/",
                           "HTTP_COOKIE=a=1; gw_session=tok_en; b=\"q\"",
                           "HTTP_X_FORWARDED_PROTO=https",
                           "REMOTE_ADDR=192.168.1.5",
                           "GW_PEER_ADDR=127.0.0.1",
                           NULL };
    const char *on[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", "HTTPS=on", NULL };
    struct http_req req;
    struct http_io io;
    struct mem_io m = { 0 };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;
    struct app app;

    ASSERT_OK(cfg_parse(&c, empty_env, NULL, &err)); /* REAL_IP_FROM 127.0.0.1/32 ::1/128 */
    memset(&app, 0, sizeof(app));
    app.cfg = &c;

    init_req_app(&req, &app, envp, NULL, &m, &io);
    ck_assert_str_eq(http_req_cookie(&req, "gw_session"), "tok_en");
    ck_assert_str_eq(http_req_cookie(&req, "a"), "1");
    ck_assert_str_eq(http_req_cookie(&req, "b"), "q");
    ASSERT_NULL(http_req_cookie(&req, "gw"));
    ASSERT_TRUE(req.https);
    http_req_release(&req);

    /* without a config nothing is trusted */
    init_req(&req, envp, NULL, &m, &io);
    ASSERT_FALSE(req.https);
    http_req_release(&req);

    init_req_app(&req, &app, on, NULL, &m, &io);
    ASSERT_TRUE(req.https);
    http_req_release(&req);
    init_req(&req, on, NULL, &m, &io);
    ASSERT_TRUE(req.https);
    http_req_release(&req);
    buf_release(&m.out);
    cfg_release(&c);
}
END_TEST

/* X-Forwarded-Proto counts only from a TCP peer (GW_PEER_ADDR) in REAL_IP_FROM (SPEC 2.2). */
START_TEST(test_forwarded_proto_trust)
{
    static const struct {
        const char *peer;   /* GW_PEER_ADDR, NULL: not passed */
        const char *remote; /* REMOTE_ADDR (after nginx's realip) */
        const char *proto;
        bool https;
    } cases[] = {
        { "127.0.0.1", "127.0.0.1", "https", true },
        { "127.0.0.1", "203.0.113.9", "HTTPS", true },
        { "::1", "::1", "https", true },
        { "::ffff:127.0.0.1", "10.0.0.1", "https", true },
        { "127.0.0.1", "127.0.0.1", "http", false },
        { "127.0.0.1", "127.0.0.1", "https, http", false },
        { "127.0.0.2", "127.0.0.2", "https", false },
        /* private but not in REAL_IP_FROM: the old "any private address" rule trusted these */
        { "192.168.1.5", "192.168.1.5", "https", false },
        { "10.0.0.1", "10.0.0.1", "https", false },
        { "fd00::1", "fd00::1", "https", false },
        /* a forged X-Forwarded-For turned REMOTE_ADDR into loopback: the peer decides */
        { "203.0.113.9", "127.0.0.1", "https", false },
        { NULL, "127.0.0.1", "https", false },
        { "", "127.0.0.1", "https", false },
        { "localhost", "127.0.0.1", "https", false },
    };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;
    struct app app;
    struct http_req req;
    struct http_io io;
    struct mem_io m = { 0 };
    char peer[64], remote[64], proto[64];
    size_t i;

    ASSERT_OK(cfg_parse(&c, empty_env, NULL, &err));
    memset(&app, 0, sizeof(app));
    app.cfg = &c;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const char *envp[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", remote, proto, peer, NULL };

        (void)snprintf(remote, sizeof(remote), "REMOTE_ADDR=%s", cases[i].remote);
        (void)snprintf(proto, sizeof(proto), "HTTP_X_FORWARDED_PROTO=%s", cases[i].proto);
        (void)snprintf(peer, sizeof(peer), "GW_PEER_ADDR=%s",
                       cases[i].peer != NULL ? cases[i].peer : "");
        if (cases[i].peer == NULL) {
            envp[4] = NULL;
        }
        init_req_app(&req, &app, envp, NULL, &m, &io);
        ck_assert_msg(req.https == cases[i].https, "peer %s remote %s proto %s: https %d",
                      cases[i].peer != NULL ? cases[i].peer : "(none)", cases[i].remote,
                      cases[i].proto, (int)req.https);
        http_req_release(&req);
    }
    buf_release(&m.out);
    cfg_release(&c);
}
END_TEST

START_TEST(test_list_params)
{
    static const struct {
        const char *query;
        int ok;
        long long limit, offset;
        const char *msg;
    } cases[] = {
        { "", 1, 10, 0, NULL },
        { "limit=1&offset=0", 1, 1, 0, NULL },
        { "limit=100&offset=250", 1, 100, 250, NULL },
        { "limit=0", 0, 0, 0, "limit must be an integer between 1 and 100" },
        { "limit=101", 0, 0, 0, "limit must be an integer between 1 and 100" },
        { "limit=1.5", 0, 0, 0, "limit must be an integer between 1 and 100" },
        { "limit=", 0, 0, 0, "limit must be an integer between 1 and 100" },
        { "limit=abc", 0, 0, 0, "limit must be an integer between 1 and 100" },
        { "offset=-1", 0, 0, 0, "offset must be a non-negative integer" },
        { "offset=1e3", 0, 0, 0, "offset must be a non-negative integer" },
        { "offset=99999999999999999999999", 0, 0, 0, "offset must be a non-negative integer" },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char qs[128];
        const char *envp[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", qs, NULL };
        struct gw_err err = GW_ERR_INIT;
        struct http_req req;
        struct http_io io;
        struct mem_io m = { 0 };
        int64_t limit = -1, offset = -1;
        int rc;

        (void)snprintf(qs, sizeof(qs), "QUERY_STRING=%s", cases[i].query);
        init_req(&req, envp, NULL, &m, &io);
        rc = http_req_list_params(&req, &limit, &offset, &err);
        if (cases[i].ok) {
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq(limit, cases[i].limit);
            ck_assert_int_eq(offset, cases[i].offset);
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_int_eq(err.code, GW_E_BAD_REQUEST);
            ck_assert_str_eq(err.msg, cases[i].msg);
        }
        http_req_release(&req);
        buf_release(&m.out);
    }
}
END_TEST

START_TEST(test_response_write)
{
    const char *envp[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", "REQUEST_ID=rid", NULL };
    struct gw_err err = GW_ERR_INIT;
    struct http_req req;
    struct http_resp resp;
    struct http_io io;
    struct mem_io m = { 0 };

    init_req(&req, envp, NULL, &m, &io);
    http_resp_init(&resp);
    (void)GW_ERR(&err, NOT_FOUND, "Payment not found");
    http_resp_error(&resp, &err);
    http_resp_set_header(&resp, "X-Evil", "a\r\nSet-Cookie: x"); /* refused */
    http_resp_set_header(&resp, "Allow", "GET");
    ASSERT_OK(http_resp_write(&resp, &req, &io));
    ck_assert_str_eq(m.out.data,
                     "Status: 404 Not Found\r\n"
                     "X-Request-Id: rid\r\n"
                     "Access-Control-Allow-Origin: *\r\n"
                     "Access-Control-Allow-Headers: Content-Type, X-Api-Key, X-Api-Secret, "
                     "Idempotency-Key\r\n"
                     "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, OPTIONS\r\n"
                     "Access-Control-Expose-Headers: X-Request-Id\r\n"
                     "Cache-Control: no-store\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: 70\r\n"
                     "Allow: GET\r\n"
                     "\r\n"
                     "{\"error\":{\"code\":\"NOT_FOUND_ERROR\",\"description\":\"Payment not "
                     "found\"}}");
    http_resp_release(&resp);

    /* 5xx never leak internal text */
    buf_reset(&m.out);
    http_resp_init(&resp);
    gw_err_clear(&err);
    (void)GW_ERR(&err, INTERNAL, "secret internal detail");
    http_resp_error(&resp, &err);
    ck_assert_int_eq(resp.status, 500);
    ck_assert_str_eq(resp.body.data, "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"description\":"
                                     "\"Internal server error\"}}");
    http_resp_release(&resp);

    /* 204 has no body */
    buf_reset(&m.out);
    http_resp_init(&resp);
    resp.status = 204;
    ASSERT_OK(http_resp_write(&resp, &req, &io));
    ASSERT_NULL(strstr(m.out.data, "Content-Length"));
    ck_assert_ptr_nonnull(strstr(m.out.data, "Status: 204 No Content\r\n"));
    http_resp_release(&resp);
    http_req_release(&req);
    buf_release(&m.out);
}
END_TEST

static void
mem_abort(void *ctx)
{
    struct mem_io *m = ctx;

    (void)buf_puts(&m->out, "<aborted>");
}

START_TEST(test_response_stream)
{
    const char *envp[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/", "REQUEST_ID=rid", NULL };
    struct http_req req;
    struct http_resp resp;
    struct http_io io;
    struct mem_io m = { 0 };

    init_req(&req, envp, NULL, &m, &io);
    io.abort = mem_abort;
    http_resp_init(&resp);
    /* nothing can be streamed before the headers */
    ASSERT_FAIL(http_resp_stream_write(&resp, &req, "x", 1));
    (void)snprintf(resp.content_type, sizeof(resp.content_type), "%s", "text/csv; charset=utf-8");
    http_resp_set_header(&resp, "Content-Disposition", "attachment; filename=\"payments.csv\"");
    ASSERT_OK(http_resp_stream_begin(&resp, &req));
    ASSERT_OK(http_resp_stream_write(&resp, &req, "a,b\r\n", 5));
    ASSERT_OK(http_resp_stream_write(&resp, &req, "", 0));
    ASSERT_OK(http_resp_stream_write(&resp, &req, "1,2\r\n", 5));
    /* the router's final write adds nothing, not even after an error replaced the status */
    ASSERT_OK(http_resp_write(&resp, &req, &io));
    ck_assert_str_eq(m.out.data, "Status: 200 OK\r\n"
                                 "X-Request-Id: rid\r\n"
                                 "Access-Control-Allow-Origin: *\r\n"
                                 "Access-Control-Allow-Headers: Content-Type, X-Api-Key, "
                                 "X-Api-Secret, Idempotency-Key\r\n"
                                 "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, OPTIONS\r\n"
                                 "Access-Control-Expose-Headers: X-Request-Id\r\n"
                                 "Cache-Control: no-store\r\n"
                                 "Content-Type: text/csv; charset=utf-8\r\n"
                                 "Content-Disposition: attachment; filename=\"payments.csv\"\r\n"
                                 "\r\n"
                                 "a,b\r\n1,2\r\n");
    http_resp_stream_abort(&resp, &req);
    ck_assert_ptr_nonnull(strstr(m.out.data, "1,2\r\n<aborted>"));
    http_resp_release(&resp);
    http_req_release(&req);
    buf_release(&m.out);
}
END_TEST

/* Also to be declared in unit.h by its owner. */
Suite *suite_http(void);

Suite *
suite_http(void)
{
    Suite *s = suite_create("http");

    UNIT_TCASE(s, "parse", 0, test_basic_parse, test_body_lengths, test_path_fallback,
               test_percent_decode, test_request_id, test_content_type, test_cookies_and_https,
               test_forwarded_proto_trust, test_list_params);
    UNIT_TCASE(s, "response", 0, test_response_write, test_response_stream);
    return s;
}

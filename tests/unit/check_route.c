/* check_route.c: route-table invariants, path matching and the generic checks of SPEC 4.1 that
 * need no database (route_dispatch with an app whose connections are absent). */
#include "unit.h"

#include "handlers.h"
#include "http.h"
#include "jsonh.h"
#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct route *
find(const char *method, const char *path, char *params[2])
{
    const struct route *r = NULL;
    char allow[64];

    if (route_match(method, path, &r, params, allow, sizeof(allow)) != ROUTE_MATCHED) {
        return NULL;
    }
    return r;
}

START_TEST(test_no_duplicates)
{
    size_t n, i, j;
    const struct route *t = route_table(&n);

    ck_assert_uint_gt(n, 0);
    ASSERT_NULL(t[n].method);
    for (i = 0; i < n; i++) {
        ASSERT_NOT_NULL(t[i].handler);
        ck_assert_int_eq(t[i].pattern[0], '/');
        for (j = i + 1; j < n; j++) {
            ck_assert_msg(strcmp(t[i].method, t[j].method) != 0
                              || strcmp(t[i].pattern, t[j].pattern) != 0,
                          "duplicate route %s %s", t[i].method, t[i].pattern);
        }
    }
}
END_TEST

START_TEST(test_flags_invariants)
{
    size_t n, i;
    const struct route *t = route_table(&n);
    static const char *const idem[] = { "/api/v1/orders", "/api/v1/payments",
                                        "/api/v1/payments/{payment_id}/refunds",
                                        "/api/v1/payments/{payment_id}/capture" };

    for (i = 0; i < n; i++) {
        /* DELETE (SPEC 21.2) takes no body either */
        bool is_get = strcmp(t[i].method, "GET") == 0 || strcmp(t[i].method, "DELETE") == 0;
        bool want_idem = false;
        size_t k;

        /* GETs accept no body; POST/PUT always parse one */
        if (is_get) {
            ck_assert_msg(!(t[i].flags & (ROUTE_BODY | ROUTE_EMPTY_OK | ROUTE_IDEM)),
                          "GET %s must take no body", t[i].pattern);
        } else {
            ck_assert_msg(t[i].flags & ROUTE_BODY, "%s %s must parse its body", t[i].method,
                          t[i].pattern);
        }
        for (k = 0; k < ARRAY_LEN(idem); k++) {
            if (strcmp(t[i].method, "POST") == 0 && strcmp(t[i].pattern, idem[k]) == 0) {
                want_idem = true;
            }
        }
        ck_assert_msg(((t[i].flags & ROUTE_IDEM) != 0) == want_idem, "idempotency of %s %s",
                      t[i].method, t[i].pattern);
        /* idempotent routes always have a merchant (the key's scope) */
        if (t[i].flags & ROUTE_IDEM) {
            ASSERT_TRUE(t[i].flags & ROUTE_AUTH);
        }
        /* every {param} has a kind */
        {
            int np = 0;
            const char *p;

            for (p = t[i].pattern; *p != '\0'; p++) {
                if (*p == '{') {
                    np++;
                }
            }
            ck_assert_int_le(np, 2);
            ck_assert_int_eq(np >= 1, t[i].params[0] != RP_NONE);
            ck_assert_int_eq(np >= 2, t[i].params[1] != RP_NONE);
        }
    }
}
END_TEST

START_TEST(test_empty_body_routes)
{
    static const char *const empty_ok[] = {
        "/api/v1/payments/{payment_id}/capture",
        "/api/v1/webhooks/{webhook_id}/retry",
        "/api/v1/merchant/webhook/secret",
        "/api/v1/merchant/webhook/test",
        "/api/v1/dashboard/logout",
        /* SPEC 21: every field optional */
        "/api/v1/events/{event_id}/resend",
        "/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret",
    };
    size_t n, i, k;
    const struct route *t = route_table(&n);

    for (i = 0; i < n; i++) {
        bool want = false;

        for (k = 0; k < ARRAY_LEN(empty_ok); k++) {
            want = want || strcmp(t[i].pattern, empty_ok[k]) == 0;
        }
        ck_assert_msg(((t[i].flags & ROUTE_EMPTY_OK) != 0) == want, "empty body on %s",
                      t[i].pattern);
    }
}
END_TEST

START_TEST(test_public_routes)
{
    /* SPEC 4.2 public routes; everything else needs a merchant */
    static const char *const pub[] = {
        "GET /health",
        "GET /api/v1/health",
        "GET /api/v1/test/merchant",
        "GET /api/v1/test/jobs/status",
        "GET /api/v1/orders/{order_id}/public",
        "POST /api/v1/payments/public",
        "GET /api/v1/payments/{payment_id}/public",
        "GET /api/v1/payments/public/{payment_id}",
        "POST /api/v1/payments/public/{payment_id}/3ds", /* SPEC 22 */
        "POST /api/v1/dashboard/login",
        "POST /api/v1/dashboard/logout",
        "GET /api/v1/dashboard/config",
        "GET /metrics",
        "GET /api/v1/dashboard/session",
        "GET /api/v1/openapi.json",
    };
    size_t n, i, k;
    const struct route *t = route_table(&n);
    char name[128];

    for (i = 0; i < n; i++) {
        bool is_pub = false;

        (void)snprintf(name, sizeof(name), "%s %s", t[i].method, t[i].pattern);
        for (k = 0; k < ARRAY_LEN(pub); k++) {
            is_pub = is_pub || strcmp(name, pub[k]) == 0;
        }
        ck_assert_msg(((t[i].flags & ROUTE_AUTH) == 0) == is_pub, "auth flag of %s", name);
    }
}
END_TEST

START_TEST(test_match_spec_paths)
{
    static const struct {
        const char *method, *path, *pattern, *p0;
    } cases[] = {
        { "GET", "/health", "/health", NULL },
        { "GET", "/health/", "/health", NULL },
        { "GET", "/api/v1/health", "/api/v1/health", NULL },
        { "GET", "/api/v1/test/merchant", "/api/v1/test/merchant", NULL },
        { "GET", "/api/v1/test/jobs/status/", "/api/v1/test/jobs/status", NULL },
        { "POST", "/api/v1/orders", "/api/v1/orders", NULL },
        { "POST", "/api/v1/orders/", "/api/v1/orders", NULL },
        { "GET", "/api/v1/orders", "/api/v1/orders", NULL },
        { "GET", "/api/v1/orders/order_abc", "/api/v1/orders/{order_id}", "order_abc" },
        { "GET", "/api/v1/orders/order_abc/public", "/api/v1/orders/{order_id}/public",
          "order_abc" },
        { "POST", "/api/v1/payments", "/api/v1/payments", NULL },
        { "GET", "/api/v1/payments/list", "/api/v1/payments/list", NULL },
        { "GET", "/api/v1/payments/stats", "/api/v1/payments/stats", NULL },
        { "GET", "/api/v1/payments/export.csv", "/api/v1/payments/export.csv", NULL },
        { "POST", "/api/v1/payments/public", "/api/v1/payments/public", NULL },
        { "GET", "/api/v1/payments/public/pay_x", "/api/v1/payments/public/{payment_id}", "pay_x" },
        { "GET", "/api/v1/payments/pay_x", "/api/v1/payments/{payment_id}", "pay_x" },
        { "GET", "/api/v1/payments/pay_x/public", "/api/v1/payments/{payment_id}/public", "pay_x" },
        { "POST", "/api/v1/payments/pay_x/capture", "/api/v1/payments/{payment_id}/capture",
          "pay_x" },
        { "POST", "/api/v1/payments/pay_x/refunds", "/api/v1/payments/{payment_id}/refunds",
          "pay_x" },
        { "GET", "/api/v1/payments/pay_x/refunds/", "/api/v1/payments/{payment_id}/refunds",
          "pay_x" },
        { "GET", "/api/v1/refunds/rfnd_x", "/api/v1/refunds/{refund_id}", "rfnd_x" },
        { "GET", "/api/v1/webhooks", "/api/v1/webhooks", NULL },
        { "GET", "/api/v1/webhooks/u", "/api/v1/webhooks/{webhook_id}", "u" },
        { "POST", "/api/v1/webhooks/u/retry", "/api/v1/webhooks/{webhook_id}/retry", "u" },
        { "GET", "/api/v1/merchant", "/api/v1/merchant", NULL },
        { "PUT", "/api/v1/merchant/webhook", "/api/v1/merchant/webhook", NULL },
        { "POST", "/api/v1/merchant/webhook/secret", "/api/v1/merchant/webhook/secret", NULL },
        { "POST", "/api/v1/merchant/webhook/test", "/api/v1/merchant/webhook/test", NULL },
        { "POST", "/api/v1/dashboard/login", "/api/v1/dashboard/login", NULL },
        { "GET", "/api/v1/dashboard/session", "/api/v1/dashboard/session", NULL },
        { "POST", "/api/v1/dashboard/logout", "/api/v1/dashboard/logout", NULL },
        { "GET", "/metrics", "/metrics", NULL },
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char *params[2] = { NULL, NULL };
        char *path = http_normalise_path(cases[i].path);
        const struct route *r = find(cases[i].method, path, params);

        ck_assert_msg(r != NULL, "no match for %s %s", cases[i].method, cases[i].path);
        ck_assert_str_eq(r->pattern, cases[i].pattern);
        ck_assert_str_eq(r->method, cases[i].method);
        if (cases[i].p0 == NULL) {
            ASSERT_NULL(params[0]);
        } else {
            ck_assert_str_eq(params[0], cases[i].p0);
        }
        free(params[0]);
        free(params[1]);
        free(path);
    }
}
END_TEST

START_TEST(test_literals_win)
{
    const struct route *r = NULL;
    char allow[64];

    /* GET on the literal "public" is a 405, not a payment id */
    ck_assert_int_eq(route_match("GET", "/api/v1/payments/public", &r, NULL, allow, sizeof(allow)),
                     ROUTE_NO_METHOD);
    ck_assert_str_eq(allow, "POST");
    ck_assert_int_eq(route_match("POST", "/api/v1/payments/stats", &r, NULL, allow, sizeof(allow)),
                     ROUTE_NO_METHOD);
    ck_assert_str_eq(allow, "GET");
    ck_assert_str_eq(r->pattern, "/api/v1/payments/stats");
    ck_assert_int_eq(
        route_match("DELETE", "/api/v1/payments/export.csv", &r, NULL, allow, sizeof(allow)),
        ROUTE_NO_METHOD);
    ck_assert_str_eq(r->pattern, "/api/v1/payments/export.csv");
    ck_assert_int_eq(route_match("GET", "/api/v1/payments/list", &r, NULL, allow, sizeof(allow)),
                     ROUTE_MATCHED);
    ck_assert_str_eq(r->pattern, "/api/v1/payments/list");
    /* "public" as the first segment after payments wins over {payment_id}/public */
    ck_assert_int_eq(
        route_match("GET", "/api/v1/payments/public/public", &r, NULL, allow, sizeof(allow)),
        ROUTE_MATCHED);
    ck_assert_str_eq(r->pattern, "/api/v1/payments/public/{payment_id}");
}
END_TEST

START_TEST(test_405_allow)
{
    const struct route *r = NULL;
    char allow[64];

    ck_assert_int_eq(route_match("DELETE", "/api/v1/orders", &r, NULL, allow, sizeof(allow)),
                     ROUTE_NO_METHOD);
    ck_assert_str_eq(allow, "POST, GET");
    ck_assert_int_eq(
        route_match("PUT", "/api/v1/payments/pay_x/refunds", &r, NULL, allow, sizeof(allow)),
        ROUTE_NO_METHOD);
    ck_assert_str_eq(allow, "POST, GET");
    ck_assert_int_eq(route_match("GET", "/api/v1/merchant/webhook", &r, NULL, allow, sizeof(allow)),
                     ROUTE_NO_METHOD);
    ck_assert_str_eq(allow, "PUT");
    ck_assert_int_eq(route_match("POST", "/health", &r, NULL, allow, sizeof(allow)),
                     ROUTE_NO_METHOD);
    ck_assert_str_eq(allow, "GET");
}
END_TEST

START_TEST(test_unknown_paths)
{
    static const char *const paths[] = { "/",
                                         "/api",
                                         "/api/v1",
                                         "/api/v1/",
                                         "/api/v2/orders",
                                         "/api/v1/orders/x/y",
                                         "/api/v1/payments/x/public/y",
                                         "/api/v1/refunds",
                                         "/api/v1//orders",
                                         "/healthz",
                                         "/api/v1/orders//",
                                         "api/v1/orders" };
    size_t i;
    const struct route *r = NULL;

    for (i = 0; i < ARRAY_LEN(paths); i++) {
        char *path = http_normalise_path(paths[i]);

        ck_assert_msg(route_match("GET", path, &r, NULL, NULL, 0) == ROUTE_NO_PATH,
                      "%s should be unknown", paths[i]);
        free(path);
    }
}
END_TEST

START_TEST(test_param_kinds)
{
    ASSERT_TRUE(route_param_valid(RP_ORDER, "order_ABCDEFGHijklmn12"));
    ASSERT_FALSE(route_param_valid(RP_ORDER, "order_ABCDEFGHijklmn1"));
    ASSERT_FALSE(route_param_valid(RP_ORDER, "pay_ABCDEFGHijklmn12"));
    ASSERT_TRUE(route_param_valid(RP_PAYMENT, "pay_ABCDEFGHijklmn12"));
    ASSERT_FALSE(route_param_valid(RP_PAYMENT, "pay_ABCDEFGHijklmn1-"));
    ASSERT_TRUE(route_param_valid(RP_REFUND, "rfnd_0123456789abcdef"));
    ASSERT_TRUE(route_param_valid(RP_WEBHOOK_LOG, "550e8400-e29b-41d4-a716-446655440000"));
    ASSERT_FALSE(route_param_valid(RP_WEBHOOK_LOG, "550e8400e29b41d4a716446655440000"));
    ck_assert_str_eq(route_param_not_found(RP_ORDER), "Order not found");
    ck_assert_str_eq(route_param_not_found(RP_PAYMENT), "Payment not found");
    ck_assert_str_eq(route_param_not_found(RP_REFUND), "Refund not found");
    ck_assert_str_eq(route_param_not_found(RP_WEBHOOK_LOG), "Webhook log not found");
    ASSERT_TRUE(route_param_valid(RP_EVENT, "evt_AbCdEfGh12345678"));
    ASSERT_FALSE(route_param_valid(RP_EVENT, "evt_AbCdEfGh1234567"));
    ASSERT_TRUE(route_param_valid(RP_ENDPOINT, "we_AbCdEfGh12345678"));
    ASSERT_FALSE(route_param_valid(RP_ENDPOINT, "we_AbCdEfGh12345678x"));
    ck_assert_str_eq(route_param_not_found(RP_EVENT), "Event not found");
    ck_assert_str_eq(route_param_not_found(RP_ENDPOINT), "Webhook endpoint not found");
}
END_TEST

/* ---- route_dispatch without servers ---- */

struct mem_in {
    const char *data;
    size_t len, pos;
};

static ssize_t
mem_read(void *ctx, char *buf, size_t n)
{
    struct mem_in *m = ctx;
    size_t left = m->len - m->pos;

    if (n > left) {
        n = left;
    }
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static struct app test_app; /* no cfg, db or queue: any database step answers 503 */

static void
dispatch(const char *const *envp, const char *body, struct http_req *req, struct http_resp *resp)
{
    struct mem_in in = { body != NULL ? body : "", body != NULL ? strlen(body) : 0, 0 };
    struct http_io io = { mem_read, NULL, &in, NULL };

    http_resp_init(resp);
    http_req_init(req, &test_app, envp, &io);
    route_dispatch(req, resp);
}

static void
expect(const char *const *envp, const char *body, int status, const char *resp_body)
{
    struct http_req req;
    struct http_resp resp;

    dispatch(envp, body, &req, &resp);
    ck_assert_int_eq(resp.status, status);
    if (resp_body != NULL) {
        ck_assert_str_eq(resp.body.data, resp_body);
    }
    http_req_release(&req);
    http_resp_release(&resp);
}

START_TEST(test_dispatch_generic)
{
    const char *options[] = { "REQUEST_METHOD=OPTIONS", "DOCUMENT_URI=/anything/at/all", NULL };
    const char *unknown[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/nope", NULL };
    const char *method[] = { "REQUEST_METHOD=DELETE", "DOCUMENT_URI=/api/v1/orders/", NULL };
    const char *noauth[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/orders", NULL };
    const char *dupkey[] = { "REQUEST_METHOD=GET",  "DOCUMENT_URI=/api/v1/orders",
                             "HTTP_X_API_KEY=a",    "HTTP_X_API_KEY=a",
                             "HTTP_X_API_SECRET=b", NULL };
    const char *emptykey[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/orders",
                               "HTTP_X_API_KEY=", "HTTP_X_API_SECRET=b", NULL };
    const char *dbdown[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/orders",
                             "HTTP_X_API_KEY=a", "HTTP_X_API_SECRET=b", NULL };
    const char *badid[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/orders/xyz/public", NULL };
    const char *badpay[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/api/v1/payments/public/pay_1",
                             NULL };
    const char *metrics[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/metrics", "GW_LISTENER=api",
                              "REMOTE_ADDR=10.0.0.1", NULL };
    const char *metrics_dash[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/metrics",
                                   "GW_LISTENER=dashboard", "REMOTE_ADDR=127.0.0.1", NULL };
    struct http_req req;
    struct http_resp resp;

    dispatch(options, NULL, &req, &resp);
    ck_assert_int_eq(resp.status, 204);
    ck_assert_ptr_nonnull(strstr(resp.headers.data, "Access-Control-Max-Age: 600\r\n"));
    http_req_release(&req);
    http_resp_release(&resp);

    expect(unknown, NULL, 404,
           "{\"error\":{\"code\":\"NOT_FOUND_ERROR\",\"description\":\"Route not found\"}}");

    dispatch(method, NULL, &req, &resp);
    ck_assert_int_eq(resp.status, 405);
    ck_assert_str_eq(
        resp.body.data,
        "{\"error\":{\"code\":\"BAD_REQUEST_ERROR\",\"description\":\"Method not allowed\"}}");
    ck_assert_ptr_nonnull(strstr(resp.headers.data, "Allow: POST, GET\r\n"));
    http_req_release(&req);
    http_resp_release(&resp);

    expect(noauth, NULL, 401,
           "{\"error\":{\"code\":\"AUTHENTICATION_ERROR\",\"description\":\"Invalid API "
           "credentials\"}}");
    expect(dupkey, NULL, 401, NULL);
    expect(emptykey, NULL, 401, NULL);
    expect(dbdown, NULL, 503,
           "{\"error\":{\"code\":\"SERVICE_UNAVAILABLE\",\"description\":\"Service temporarily "
           "unavailable\"}}");
    expect(badid, NULL, 404,
           "{\"error\":{\"code\":\"NOT_FOUND_ERROR\",\"description\":\"Order not found\"}}");
    expect(badpay, NULL, 404,
           "{\"error\":{\"code\":\"NOT_FOUND_ERROR\",\"description\":\"Payment not found\"}}");
    expect(metrics, NULL, 404,
           "{\"error\":{\"code\":\"NOT_FOUND_ERROR\",\"description\":\"Route not found\"}}");
    expect(metrics_dash, NULL, 404, NULL);
}
END_TEST

START_TEST(test_dispatch_body)
{
    const char *textplain[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/payments/public",
                                "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=2", NULL };
    const char *nojson[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/payments/public",
                             "CONTENT_TYPE=application/json; charset=utf-8", "CONTENT_LENGTH=3",
                             NULL };
    const char *array[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/payments/public",
                            "CONTENT_TYPE=Application/JSON", "CONTENT_LENGTH=2", NULL };
    const char *empty[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/payments/public",
                            "CONTENT_TYPE=text/plain", NULL };
    const char *shortb[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/payments/public",
                             "CONTENT_TYPE=application/json", "CONTENT_LENGTH=10", NULL };
    const char *good[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/api/v1/payments/public",
                           "CONTENT_TYPE=application/json", "CONTENT_LENGTH=2", NULL };
    static const char invalid[] =
        "{\"error\":{\"code\":\"BAD_REQUEST_ERROR\",\"description\":\"Invalid JSON body\"}}";

    expect(textplain, "{}", 415,
           "{\"error\":{\"code\":\"BAD_REQUEST_ERROR\",\"description\":\"Content-Type must be "
           "application/json\"}}");
    expect(nojson, "{x}", 400, invalid);
    expect(array, "[]", 400, invalid);
    expect(empty, NULL, 400, invalid);
    expect(shortb, "{}", 400, invalid);
    /* a valid body reaches the handler step, which needs the database here */
    expect(good, "{}", 503, NULL);
}
END_TEST

/* ---- body rules of handlers that need the database afterwards ---- */

static struct json_object *
parse_body(const char *text)
{
    struct gw_err err = GW_ERR_INIT;
    struct json_object *o = jsonh_parse_object(text, strlen(text), &err);

    ck_assert_ptr_nonnull(o);
    return o;
}

START_TEST(test_webhook_body)
{
    static const struct {
        const char *body, *url, *err;
    } cases[] = {
        { "{\"webhook_url\":\"https://example.com/h\"}", "https://example.com/h", NULL },
        { "{\"webhook_url\":null}", NULL, NULL },
        { "{\"webhook_url\":\"\"}", NULL, NULL },
        { "{}", NULL, "webhook_url is required" },
        { "{\"webhook_url\":5}", NULL, "webhook_url must be a valid http or https URL" },
        { "{\"webhook_url\":\"ftp://example.com\"}", NULL,
          "webhook_url must be a valid http or https URL" },
        { "{\"webhook_url\":\"https://example.com/\\u0000x\"}", NULL,
          "webhook_url must be a valid http or https URL" },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct json_object *o = parse_body(cases[i].body);
        struct gw_err err = GW_ERR_INIT;
        const char *url = "unset";

        if (cases[i].err == NULL) {
            ASSERT_OK(h_merchant_webhook_parse(o, &url, &err));
            if (cases[i].url == NULL) {
                ASSERT_NULL(url);
            } else {
                ck_assert_str_eq(url, cases[i].url);
            }
        } else {
            ASSERT_FAIL(h_merchant_webhook_parse(o, &url, &err));
            ck_assert_int_eq(gw_err_status(err.code), 400);
            ck_assert_str_eq(err.msg, cases[i].err);
        }
        json_object_put(o);
    }
}
END_TEST

START_TEST(test_login_body)
{
    struct json_object *o;
    struct gw_err err = GW_ERR_INIT;
    const char *email = NULL, *password = NULL;
    bool plain = false;
    size_t plen = 9;

    o = parse_body("{\"email\":\"a@b.c\",\"password\":\"p\\u0000q\"}");
    ASSERT_OK(h_dashboard_login_parse(o, &email, &plain, &password, &plen, &err));
    ck_assert_str_eq(email, "a@b.c");
    ASSERT_TRUE(plain);
    ck_assert_uint_eq(plen, 3); /* the NUL counts: the password then never verifies */
    json_object_put(o);

    o = parse_body("{\"email\":\"a\\u0000b\"}");
    ASSERT_OK(h_dashboard_login_parse(o, &email, &plain, &password, &plen, &err));
    ASSERT_FALSE(plain);
    ck_assert_str_eq(password, "");
    ck_assert_uint_eq(plen, 0);
    json_object_put(o);

    o = parse_body("{\"email\":1}");
    ASSERT_FAIL(h_dashboard_login_parse(o, &email, &plain, &password, &plen, &err));
    ck_assert_str_eq(err.msg, "email is required");
    json_object_put(o);

    gw_err_clear(&err);
    o = parse_body("{\"email\":\"a@b.c\",\"password\":null}");
    ASSERT_FAIL(h_dashboard_login_parse(o, &email, &plain, &password, &plen, &err));
    ck_assert_str_eq(err.msg, "password must be a string");
    json_object_put(o);
}
END_TEST

/* Also to be declared in unit.h by its owner. */
Suite *suite_route(void);

Suite *
suite_route(void)
{
    Suite *s = suite_create("route");

    UNIT_TCASE(s, "table", 0, test_no_duplicates, test_flags_invariants, test_empty_body_routes,
               test_public_routes, test_param_kinds);
    UNIT_TCASE(s, "match", 0, test_match_spec_paths, test_literals_win, test_405_allow,
               test_unknown_paths);
    UNIT_TCASE(s, "dispatch", 0, test_dispatch_generic, test_dispatch_body);
    UNIT_TCASE(s, "bodies", 0, test_webhook_body, test_login_body);
    return s;
}

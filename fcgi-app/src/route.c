/* route.c: the route table and route_dispatch(), which owns every generic check of SPEC 4.1
 * (steps 2-8) so that handlers never repeat them (redis processCommand). */
#include "route.h"

#include "crypto.h"
#include "handlers.h"
#include "idem.h"
#include "jsonh.h"
#include "log.h"
#include "merchant.h"
#include "netaddr.h"
#include "session.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A  ROUTE_AUTH
#define I  ROUTE_IDEM
#define B  ROUTE_BODY
#define E  ROUTE_EMPTY_OK
#define ND ROUTE_NO_DB
#define IN ROUTE_INLINE

/* clang-format off */
static const struct route routes[] = {
    { "GET",  "/health",                                   h_health,                ROUTE_PUBLIC | ND,   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/health",                            h_health,                ROUTE_PUBLIC | ND,   { RP_NONE, RP_NONE } },
    { "GET",  "/metrics",                                  h_metrics,               ROUTE_LOOPBACK | ND, { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/openapi.json",                      h_openapi,               ROUTE_PUBLIC | ND,   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/test/merchant",                     h_test_merchant,         ROUTE_PUBLIC,        { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/test/jobs/status",                  h_test_jobs_status,      ROUTE_PUBLIC | ND,   { RP_NONE, RP_NONE } },
    { "POST", "/api/v1/orders",                            h_order_create,          A | I | B | IN,      { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/orders",                            h_order_list,            A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/orders/{order_id}",                 h_order_get,             A,                   { RP_ORDER, RP_NONE } },
    { "GET",  "/api/v1/orders/{order_id}/public",          h_order_public,          ROUTE_PUBLIC,        { RP_ORDER, RP_NONE } },
    { "POST", "/api/v1/payments",                          h_payment_create,        A | I | B | IN,      { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/payments",                          h_payment_list,          A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/payments/list",                     h_payment_list,          A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/payments/stats",                    h_payment_stats,         A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/payments/stats/currencies",         h_payment_stats_currencies, A,                { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/payments/export.csv",               h_payment_export,        A,                   { RP_NONE, RP_NONE } },
    { "POST", "/api/v1/payments/public",                   h_payment_create_public, B,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/payments/public/{payment_id}",      h_payment_public_get,    ROUTE_PUBLIC,        { RP_PAYMENT, RP_NONE } },
    { "POST", "/api/v1/payments/public/{payment_id}/3ds",  h_payment_threeds,       B,                   { RP_PAYMENT, RP_NONE } },
    { "GET",  "/api/v1/payments/{payment_id}",             h_payment_get,           A | IN,              { RP_PAYMENT, RP_NONE } },
    { "GET",  "/api/v1/payments/{payment_id}/public",      h_payment_public_get,    ROUTE_PUBLIC,        { RP_PAYMENT, RP_NONE } },
    { "POST", "/api/v1/payments/{payment_id}/capture",     h_payment_capture,       A | I | B | E,       { RP_PAYMENT, RP_NONE } },
    { "POST", "/api/v1/payments/{payment_id}/refunds",     h_refund_create,         A | I | B | IN,      { RP_PAYMENT, RP_NONE } },
    { "GET",  "/api/v1/payments/{payment_id}/refunds",     h_payment_refund_list,   A,                   { RP_PAYMENT, RP_NONE } },
    { "GET",  "/api/v1/refunds/{refund_id}",               h_refund_get,            A,                   { RP_REFUND, RP_NONE } },
    { "GET",  "/api/v1/webhooks",                          h_webhook_list,          A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/webhooks/{webhook_id}",             h_webhook_get,           A,                   { RP_WEBHOOK_LOG, RP_NONE } },
    { "POST", "/api/v1/webhooks/{webhook_id}/retry",       h_webhook_retry,         A | B | E,           { RP_WEBHOOK_LOG, RP_NONE } },
    { "GET",  "/api/v1/events",                            h_event_list,            A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/events/{event_id}",                 h_event_get,             A,                   { RP_EVENT, RP_NONE } },
    { "POST", "/api/v1/events/{event_id}/resend",          h_event_resend,          A | B | E,           { RP_EVENT, RP_NONE } },
    { "POST", "/api/v1/webhook_endpoints",                 h_endpoint_create,       A | B,               { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/webhook_endpoints",                 h_endpoint_list,         A,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/webhook_endpoints/{endpoint_id}",   h_endpoint_get,          A,                   { RP_ENDPOINT, RP_NONE } },
    { "PATCH", "/api/v1/webhook_endpoints/{endpoint_id}",  h_endpoint_update,       A | B,               { RP_ENDPOINT, RP_NONE } },
    { "DELETE", "/api/v1/webhook_endpoints/{endpoint_id}", h_endpoint_delete,       A,                   { RP_ENDPOINT, RP_NONE } },
    { "POST", "/api/v1/webhook_endpoints/{endpoint_id}/rotate_secret", h_endpoint_rotate, A | B | E,     { RP_ENDPOINT, RP_NONE } },
    { "POST", "/api/v1/webhook_endpoints/{endpoint_id}/recover", h_endpoint_recover, A | B,              { RP_ENDPOINT, RP_NONE } },
    { "GET",  "/api/v1/webhook_endpoints/{endpoint_id}/attempts", h_endpoint_attempts, A,                { RP_ENDPOINT, RP_NONE } },
    { "GET",  "/api/v1/merchant",                          h_merchant_get,          A,                   { RP_NONE, RP_NONE } },
    { "PUT",  "/api/v1/merchant/webhook",                  h_merchant_webhook_put,  A | B,               { RP_NONE, RP_NONE } },
    { "POST", "/api/v1/merchant/webhook/secret",           h_merchant_webhook_secret, A | B | E,         { RP_NONE, RP_NONE } },
    { "POST", "/api/v1/merchant/webhook/test",             h_merchant_webhook_test, A | B | E,           { RP_NONE, RP_NONE } },
    { "POST", "/api/v1/dashboard/login",                   h_dashboard_login,       B,                   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/dashboard/config",                  h_dashboard_config,      ROUTE_PUBLIC | ND,   { RP_NONE, RP_NONE } },
    { "GET",  "/api/v1/dashboard/session",                 h_dashboard_session,     ROUTE_SESSION,       { RP_NONE, RP_NONE } },
    { "POST", "/api/v1/dashboard/logout",                  h_dashboard_logout,      B | E,               { RP_NONE, RP_NONE } },
    { NULL,   NULL,                                        NULL,                    0,                   { RP_NONE, RP_NONE } },
};
/* clang-format on */

#undef A
#undef I
#undef B
#undef E
#undef ND
#undef IN

const struct route *
route_table(size_t *n)
{
    if (n != NULL) {
        *n = ARRAY_LEN(routes) - 1;
    }
    return routes;
}

/* Next segment of s starting at *pos (after a '/'); returns its length. */
static size_t
route_segment(const char *s, size_t *pos, const char **seg)
{
    size_t start = *pos, end;

    if (s[start] == '/') {
        start++;
    }
    end = start;
    while (s[end] != '\0' && s[end] != '/') {
        end++;
    }
    *seg = s + start;
    *pos = end;
    return end - start;
}

/*
 * Matches path against pattern. *rank receives a bit string (most significant first) with a 1
 * for every literal segment, so that of two matching patterns the one with a literal at the
 * first differing position wins. params receive copies of the parameter values when non-NULL.
 */
static bool
route_pattern_match(const char *pattern, const char *path, unsigned *rank, char *params[2])
{
    size_t pp = 0, sp = 0, plen, slen;
    const char *pseg, *sseg;
    unsigned r = 0;
    int np = 0;
    const char *vals[2] = { NULL, NULL };
    size_t lens[2] = { 0, 0 };

    if (path[0] != '/') {
        return false;
    }
    for (;;) {
        bool pend = pattern[pp] == '\0', send = path[sp] == '\0';

        if (pend || send) {
            if (!(pend && send)) {
                return false;
            }
            break;
        }
        plen = route_segment(pattern, &pp, &pseg);
        slen = route_segment(path, &sp, &sseg);
        r <<= 1;
        if (plen > 0 && pseg[0] == '{') {
            if (slen == 0 || np >= 2) {
                return false;
            }
            vals[np] = sseg;
            lens[np] = slen;
            np++;
        } else {
            if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
                return false;
            }
            r |= 1;
        }
    }
    *rank = r;
    if (params != NULL) {
        int i;

        for (i = 0; i < np; i++) {
            params[i] = xstrndup(vals[i], lens[i]);
        }
    }
    return true;
}

static int
route_segments(const char *pattern)
{
    int n = 0;
    const char *p;

    for (p = pattern; *p != '\0'; p++) {
        if (*p == '/') {
            n++;
        }
    }
    return n;
}

enum route_match_result
route_match(const char *method, const char *path, const struct route **out, char *params[2],
            char *allow, size_t allowsz)
{
    const struct route *best = NULL;
    unsigned rank, best_rank = 0;
    size_t i, alen = 0;
    int n;

    *out = NULL;
    if (allow != NULL && allowsz > 0) {
        allow[0] = '\0';
    }
    /* 1. the best matching pattern */
    for (i = 0; routes[i].method != NULL; i++) {
        if (route_segments(routes[i].pattern) != route_segments(path)) {
            continue;
        }
        if (!route_pattern_match(routes[i].pattern, path, &rank, NULL)) {
            continue;
        }
        if (best == NULL || rank > best_rank) {
            best = &routes[i];
            best_rank = rank;
        }
    }
    if (best == NULL) {
        return ROUTE_NO_PATH;
    }
    /* 2. the method among the routes of that pattern */
    for (i = 0; routes[i].method != NULL; i++) {
        if (strcmp(routes[i].pattern, best->pattern) != 0) {
            continue;
        }
        if (strcmp(routes[i].method, method) == 0) {
            *out = &routes[i];
            if (params != NULL) {
                (void)route_pattern_match(routes[i].pattern, path, &rank, params);
            }
            return ROUTE_MATCHED;
        }
        if (allow != NULL && allowsz > 0 && strstr(allow, routes[i].method) == NULL) {
            n = snprintf(allow + alen, allowsz - alen, "%s%s", alen > 0 ? ", " : "",
                         routes[i].method);
            if (n > 0 && (size_t)n < allowsz - alen) {
                alen += (size_t)n;
            }
        }
    }
    *out = best;
    return ROUTE_NO_METHOD;
}

bool
route_param_valid(enum route_param_kind kind, const char *value)
{
    if (value == NULL) {
        return false;
    }
    switch (kind) {
    case RP_ORDER:
        return validate_object_id("order_", value);
    case RP_PAYMENT:
        return validate_object_id("pay_", value);
    case RP_REFUND:
        return validate_object_id("rfnd_", value);
    case RP_WEBHOOK_LOG:
        return validate_uuid(value);
    case RP_EVENT:
        return validate_object_id("evt_", value);
    case RP_ENDPOINT:
        return validate_object_id("we_", value);
    case RP_NONE:
    default:
        return true;
    }
}

const char *
route_param_not_found(enum route_param_kind kind)
{
    switch (kind) {
    case RP_ORDER:
        return "Order not found";
    case RP_PAYMENT:
        return "Payment not found";
    case RP_REFUND:
        return "Refund not found";
    case RP_WEBHOOK_LOG:
        return "Webhook log not found";
    case RP_EVENT:
        return "Event not found";
    case RP_ENDPOINT:
        return "Webhook endpoint not found";
    case RP_NONE:
    default:
        return "Route not found";
    }
}

static bool
route_method_changes_state(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0
           || strcmp(method, "DELETE") == 0;
}

/* /metrics answers only on the API listener, to the clients of METRICS_ALLOW (default
 * 127.0.0.1/32, SPEC 18; e.g. a Prometheus container's network in docker-compose). */
static bool
route_loopback_allowed(const struct http_req *req)
{
    const char *listener = http_req_param_raw(req, "GW_LISTENER");
    const char *addr = http_req_param_raw(req, "REMOTE_ADDR");

    if (listener == NULL || strcmp(listener, "api") != 0 || addr == NULL) {
        return false;
    }
    if (req->app == NULL || req->app->cfg == NULL) {
        return strcmp(addr, "127.0.0.1") == 0;
    }
    return netaddr_list_contains_str(&req->app->cfg->metrics_allow, addr);
}

/* Connects to PostgreSQL when needed and seeds the test merchant until that succeeds once. */
static int
route_db_ready(struct http_req *req, struct gw_err *err)
{
    struct app *app = req->app;
    struct gw_err serr = GW_ERR_INIT;

    if (app == NULL || app->db == NULL) {
        return GW_ERR(err, UNAVAILABLE, "no database handle");
    }
    if (db_ensure(app->db, err) != 0) {
        return -1;
    }
    if (!app->seeded && app->cfg != NULL && app->cfg->seed_test_merchant) {
        if (merchant_seed_test(app->db, app->cfg, &serr) == 0) {
            app->seeded = true;
        } else {
            log_warn("test merchant seed failed", LOG_S("error", serr.msg));
        }
    }
    return 0;
}

/* Session cookie: fills req->merchant and req->session_csrf; false when there is none. */
static int
route_auth_session(struct http_req *req, bool *found, struct gw_err *err)
{
    const char *token = http_req_session_token(req);

    *found = false;
    if (token == NULL || !session_token_wellformed(token)) {
        return 0;
    }
    if (route_db_ready(req, err) != 0) {
        return -1;
    }
    if (session_lookup(req->app->db, token, &req->merchant, req->session_csrf, found, err) != 0) {
        return -1;
    }
    if (*found) {
        req->authenticated = true;
        req->via_session = true;
    }
    return 0;
}

static int
route_check_csrf(struct http_req *req, struct gw_err *err)
{
    const char *got = http_req_header(req, "X-CSRF-Token");

    if (http_req_header_count(req, "X-CSRF-Token") != 1 || got == NULL
        || !crypto_ct_equal(got, strlen(got), req->session_csrf, strlen(req->session_csrf))) {
        return GW_ERR(err, CSRF, "Invalid CSRF token");
    }
    return 0;
}

/* SPEC 4.2. */
static int
route_authenticate(struct http_req *req, struct gw_err *err)
{
    const char *key = http_req_header(req, "X-Api-Key");
    const char *secret = http_req_header(req, "X-Api-Secret");
    size_t nkey = http_req_header_count(req, "X-Api-Key");
    size_t nsecret = http_req_header_count(req, "X-Api-Secret");
    bool found = false;

    if (req->route->flags & ROUTE_SESSION) {
        if (route_auth_session(req, &found, err) != 0) {
            return -1;
        }
        if (!found) {
            return GW_ERR(err, AUTH, "Invalid API credentials");
        }
        return 0;
    }
    if (nkey == 0 && nsecret == 0) {
        if (route_auth_session(req, &found, err) != 0) {
            return -1;
        }
        if (!found) {
            return GW_ERR(err, AUTH, "Invalid API credentials");
        }
        if (route_method_changes_state(req->method)) {
            return route_check_csrf(req, err);
        }
        return 0;
    }
    if (nkey != 1 || nsecret != 1 || key == NULL || secret == NULL || key[0] == '\0'
        || secret[0] == '\0') {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    if ((req->route->flags & ROUTE_INLINE) && !req->auth_pending) {
        /* checked by the handler's service, in its own round trip */
        req->creds.api_key = key;
        req->creds.api_secret = secret;
        req->auth_pending = true;
        return 0;
    }
    req->auth_pending = false;
    if (route_db_ready(req, err) != 0) {
        return -1;
    }
    if (merchant_authenticate(req->app->db, key, secret, &req->merchant, err) != 0) {
        return -1;
    }
    req->authenticated = true;
    return 0;
}

/* A check that needs no database failed on a ROUTE_INLINE route whose API key pair is not yet
 * checked: SPEC 4.1 answers wrong credentials first, so they are checked now (err is then the
 * 401 or the database's 503). */
static int
route_fail_after_auth(struct http_req *req, struct gw_err *err)
{
    struct gw_err aerr = GW_ERR_INIT;

    if (req->auth_pending && route_authenticate(req, &aerr) != 0) {
        *err = aerr;
    }
    return -1;
}

/* Step 6: content type and JSON object body. */
static int
route_parse_body(struct http_req *req, struct gw_err *err)
{
    if (req->body_bad_length) {
        return GW_ERR(err, BAD_REQUEST, "Invalid JSON body");
    }
    if (req->body_len == 0) {
        if (!(req->route->flags & ROUTE_EMPTY_OK)) {
            return GW_ERR(err, BAD_REQUEST, "Invalid JSON body");
        }
        req->body = json_object_new_object();
        if (req->body == NULL) {
            return GW_ERR(err, INTERNAL, "out of memory");
        }
        return 0;
    }
    if (!http_content_type_is_json(http_req_header(req, "Content-Type"))) {
        return GW_ERR(err, MEDIA_TYPE, "Content-Type must be application/json");
    }
    req->body = jsonh_parse_object(req->raw_body, req->body_len, err);
    if (req->body == NULL) {
        return -1;
    }
    return 0;
}

struct route_idem_ctx {
    struct http_req *req;
    struct http_resp *resp;
    const char *key;
    char fingerprint[65];
};

static void
route_resp_reset(struct http_resp *resp)
{
    resp->status = 200;
    buf_reset(&resp->body);
    buf_reset(&resp->headers);
    (void)snprintf(resp->content_type, sizeof(resp->content_type), "%s", "application/json");
}

/* SPEC 9: lock, look up, replay or run the handler and store its 2xx answer, all in one
 * transaction. */
static int
route_idem_tx(struct db *db, void *arg, struct gw_err *err)
{
    struct route_idem_ctx *c = arg;
    struct http_req *req = c->req;
    struct http_resp *resp = c->resp;
    enum idem_state state = IDEM_NEW;
    int status = 0;

    /* db_tx may run this more than once (serialization retries): start clean each time. */
    route_resp_reset(resp);
    if (idem_begin(db, req->merchant.id, c->key, c->fingerprint, &state, &status, &resp->body, err)
        != 0) {
        return -1;
    }
    if (state == IDEM_REPLAY) {
        resp->status = status;
        http_resp_set_header(resp, "Idempotent-Replayed", "true");
        return 0;
    }
    if (state == IDEM_MISMATCH) {
        return GW_ERR(err, BAD_REQUEST, "Idempotency-Key reused with a different request");
    }
    if (req->route->handler(req, resp, err) != 0) {
        return -1;
    }
    if (resp->status >= 200 && resp->status < 300) {
        return idem_store(db, req->merchant.id, c->key, c->fingerprint, resp->status,
                          resp->body.data, resp->body.len, err);
    }
    return 0;
}

static int
route_run_handler(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    const char *key = NULL;
    size_t nkey;

    if ((req->route->flags & ROUTE_IDEM) && (req->authenticated || req->auth_pending)) {
        nkey = http_req_header_count(req, "Idempotency-Key");
        if (nkey > 0) {
            key = http_req_header(req, "Idempotency-Key");
            if (nkey != 1 || key == NULL || !validate_idempotency_key(key, strlen(key))) {
                (void)GW_ERR(err, BAD_REQUEST, "Invalid Idempotency-Key header");
                return route_fail_after_auth(req, err);
            }
        }
    }
    if (!(req->route->flags & ROUTE_NO_DB) && route_db_ready(req, err) != 0) {
        return -1;
    }
    if (req->route->flags & ROUTE_INLINE) {
        /* the handler's service takes the lock, replays or stores, in its own round trip */
        if (key != NULL
            && idem_fingerprint_db(req->app->db, req->method, req->path, req->raw_body,
                                   req->body_len, req->idem.fingerprint, err)
                   != 0) {
            return -1;
        }
        req->idem.key = key;
        return req->route->handler(req, resp, err);
    }
    if (key != NULL) {
        struct route_idem_ctx c;

        memset(&c, 0, sizeof(c));
        c.req = req;
        c.resp = resp;
        c.key = key;
        if (idem_fingerprint_db(req->app->db, req->method, req->path, req->raw_body, req->body_len,
                                c.fingerprint, err)
            != 0) {
            return -1;
        }
        return db_tx(req->app->db, route_idem_tx, &c, err);
    }
    return req->route->handler(req, resp, err);
}

static int
route_checks_and_run(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    const struct route *r = NULL;
    char allow[64];
    enum route_match_result m;
    int i;

    /* Step 3: route lookup. */
    m = route_match(req->method, req->path, &r, req->params, allow, sizeof(allow));
    if (m != ROUTE_NO_PATH && (r->flags & ROUTE_LOOPBACK) && !route_loopback_allowed(req)) {
        m = ROUTE_NO_PATH;
    }
    if (m == ROUTE_NO_PATH) {
        return GW_ERR(err, NOT_FOUND, "Route not found");
    }
    req->route_label = r->pattern;
    if (m == ROUTE_NO_METHOD) {
        http_resp_set_header(resp, "Allow", allow);
        return GW_ERR(err, METHOD, "Method not allowed");
    }
    req->route = r;
    /* Step 4: authentication. */
    if ((r->flags & (ROUTE_AUTH | ROUTE_SESSION)) && route_authenticate(req, err) != 0) {
        return -1;
    }
    if ((r->flags & ROUTE_INLINE) && req->authenticated) {
        req->creds.merchant_id = req->merchant.id; /* by session */
    }
    /* Step 5: path id formats, without a query. */
    for (i = 0; i < 2; i++) {
        if (r->params[i] != RP_NONE && !route_param_valid(r->params[i], req->params[i])) {
            (void)GW_ERR(err, NOT_FOUND, "%s", route_param_not_found(r->params[i]));
            return route_fail_after_auth(req, err);
        }
    }
    /* Step 6: body (GET bodies are ignored). */
    if ((r->flags & ROUTE_BODY) && route_parse_body(req, err) != 0) {
        return route_fail_after_auth(req, err);
    }
    /* Steps 7-8: Idempotency-Key, then the handler. */
    return route_run_handler(req, resp, err);
}

void
route_dispatch(struct http_req *req, struct http_resp *resp)
{
    struct gw_err err = GW_ERR_INIT;

    /* Step 2: preflight on any path, no authentication. */
    if (strcmp(req->method, "OPTIONS") == 0) {
        const struct route *r = NULL;
        char allow[64];

        if (route_match("OPTIONS", req->path, &r, NULL, allow, sizeof(allow)) != ROUTE_NO_PATH
            && !(r->flags & ROUTE_LOOPBACK)) {
            req->route_label = r->pattern;
        }
        resp->status = 204;
        buf_reset(&resp->body);
        http_resp_set_header(resp, "Access-Control-Max-Age", "600");
        return;
    }
    if (route_checks_and_run(req, resp, &err) != 0) {
        if (!gw_err_is_set(&err)) {
            (void)GW_ERR(&err, INTERNAL, "handler failed without an error");
        }
        if (err.code == GW_E_INTERNAL || err.code == GW_E_CONFLICT || err.code == GW_E_OK) {
            char src[160];

            (void)snprintf(src, sizeof(src), "%s:%d", err.file != NULL ? err.file : "?", err.line);
            log_error("internal error", LOG_S("src", src), LOG_S("error", err.msg),
                      LOG_S("route", req->route_label));
        } else if (err.code == GW_E_UNAVAILABLE) {
            log_warn("service unavailable", LOG_S("error", err.msg),
                     LOG_S("route", req->route_label));
        }
        http_resp_error(resp, &err);
    }
}

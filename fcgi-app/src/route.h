/* route.h: the route table and the dispatcher enforcing SPEC 4.1 steps 2-8 before any
 * handler runs (auth, path id format, content type, JSON body, Idempotency-Key). */
#ifndef GW_ROUTE_H
#define GW_ROUTE_H

#include "gw.h"
#include "http.h"

#include <stdbool.h>
#include <stddef.h>

typedef int route_handler_fn(struct http_req *req, struct http_resp *resp, struct gw_err *err);

enum route_flags {
    ROUTE_PUBLIC = 0,
    ROUTE_AUTH = 1 << 0,     /* merchant: API key pair, or dashboard session cookie + CSRF */
    ROUTE_IDEM = 1 << 1,     /* Idempotency-Key honoured when sent (SPEC 9) */
    ROUTE_BODY = 1 << 2,     /* POST/PUT: JSON object body required */
    ROUTE_EMPTY_OK = 1 << 3, /* an empty body counts as {} */
    ROUTE_SESSION = 1 << 4,  /* dashboard session cookie only (GET /dashboard/session) */
    ROUTE_LOOPBACK = 1 << 5, /* only GW_LISTENER=api and REMOTE_ADDR=127.0.0.1, else 404 */
    ROUTE_NO_DB = 1 << 6,    /* the handler manages its own connections (health, metrics) */
    /* with ROUTE_AUTH: an API key pair is checked by the handler's core service in the same
     * round trip as its work, Idempotency-Key too (req->creds, req->idem); a session cookie is
     * checked here as on other routes */
    ROUTE_INLINE = 1 << 7,
};

/* Kind of a path parameter; decides its format and not-found description (SPEC 4.4). */
enum route_param_kind {
    RP_NONE = 0,
    RP_ORDER,       /* order_ + 16 alnum, "Order not found" */
    RP_PAYMENT,     /* pay_ + 16 alnum, "Payment not found" */
    RP_REFUND,      /* rfnd_ + 16 alnum, "Refund not found" */
    RP_WEBHOOK_LOG, /* UUID, "Webhook log not found" */
    RP_EVENT,       /* evt_ + 16 alnum, "Event not found" (SPEC 21.1) */
    RP_ENDPOINT,    /* we_ + 16 alnum, "Webhook endpoint not found" (SPEC 21.2) */
};

struct route {
    const char *method;
    const char
        *pattern; /* literal segments and {name} params, e.g. /api/v1/payments/{payment_id} */
    route_handler_fn *handler;
    unsigned flags; /* enum route_flags */
    enum route_param_kind params[2];
};

enum route_match_result {
    ROUTE_MATCHED = 0,
    ROUTE_NO_PATH,   /* 404 Route not found */
    ROUTE_NO_METHOD, /* 405, allow filled */
};

/* The table, terminated by a NULL method; *n receives the number of entries. */
const struct route *route_table(size_t *n);

/* Matches method + normalised path; literal segments win over parameters. On ROUTE_MATCHED *out
 * is the route and params[] receive new strings (caller frees). On ROUTE_NO_METHOD *out is the
 * first route of the matching pattern and allow receives a "GET, POST" style list. */
enum route_match_result route_match(const char *method, const char *path, const struct route **out,
                                    char *params[2], char *allow, size_t allowsz);

bool route_param_valid(enum route_param_kind kind, const char *value);
const char *route_param_not_found(enum route_param_kind kind);

/* Runs SPEC 4.1 steps 2-8 and the handler; always fills resp (errors as the envelope). Work for
 * after COMMIT is the services' business (db_on_commit), not the request's. */
void route_dispatch(struct http_req *req, struct http_resp *resp);

#endif /* GW_ROUTE_H */

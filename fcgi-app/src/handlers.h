/* handlers.h: every endpoint handler (SPEC 6, 13.1, 18). The router has already checked the
 * route, authentication, path id formats, content type, JSON validity and the Idempotency-Key;
 * handlers fill resp->status and resp->body (JSON text, e.g. with jw_* on &resp->body) and
 * return 0, or return -1 with err set (the router renders the envelope):
 *     return GW_ERR(err, NOT_FOUND, "Payment not found");
 * Path parameters are req->params[0..1]; the merchant is req->merchant (req->authenticated). */
#ifndef GW_HANDLERS_H
#define GW_HANDLERS_H

#include "route.h"

/* h_health.c */
route_handler_fn h_health;           /* GET /health, GET /api/v1/health */
route_handler_fn h_test_merchant;    /* GET /api/v1/test/merchant */
route_handler_fn h_test_jobs_status; /* GET /api/v1/test/jobs/status */
route_handler_fn h_metrics;          /* GET /metrics */

/* h_dashboard.c */
route_handler_fn h_dashboard_login;   /* POST /api/v1/dashboard/login */
route_handler_fn h_dashboard_session; /* GET /api/v1/dashboard/session */
route_handler_fn h_openapi;           /* GET /api/v1/openapi.json */
route_handler_fn h_dashboard_config;  /* GET /api/v1/dashboard/config */
route_handler_fn h_dashboard_logout;  /* POST /api/v1/dashboard/logout */
/* The login body (SPEC 13.1): *email (a string member, required), *plain when it holds no NUL and
 * is not empty, *password ("" when absent) and its length *plen; all borrow from body. err
 * BAD_REQUEST with the SPEC descriptions. */
int h_dashboard_login_parse(struct json_object *body, const char **email, bool *plain,
                            const char **password, size_t *plen, struct gw_err *err);

/* h_merchant.c */
route_handler_fn h_merchant_get;            /* GET /api/v1/merchant */
route_handler_fn h_merchant_webhook_put;    /* PUT /api/v1/merchant/webhook */
route_handler_fn h_merchant_webhook_secret; /* POST /api/v1/merchant/webhook/secret */
route_handler_fn h_merchant_webhook_test;   /* POST /api/v1/merchant/webhook/test */
/* The PUT /api/v1/merchant/webhook body (SPEC 6.7): *url the new URL, NULL to remove it (null
 * or ""); borrows from body. err BAD_REQUEST with the SPEC descriptions. */
int h_merchant_webhook_parse(struct json_object *body, const char **url, struct gw_err *err);

/* h_order.c (h3b) */
route_handler_fn h_order_create; /* POST /api/v1/orders */
route_handler_fn h_order_get;    /* GET /api/v1/orders/{order_id} */
route_handler_fn h_order_list;   /* GET /api/v1/orders */
route_handler_fn h_order_public; /* GET /api/v1/orders/{order_id}/public */

/* h_payment.c (h3b) */
route_handler_fn h_payment_create;           /* POST /api/v1/payments */
route_handler_fn h_payment_create_public;    /* POST /api/v1/payments/public */
route_handler_fn h_payment_get;              /* GET /api/v1/payments/{payment_id} */
route_handler_fn h_payment_list;             /* GET /api/v1/payments, /api/v1/payments/list */
route_handler_fn h_payment_stats;            /* GET /api/v1/payments/stats */
route_handler_fn h_payment_stats_currencies; /* GET /api/v1/payments/stats/currencies */
route_handler_fn h_payment_export;           /* GET /api/v1/payments/export.csv */
route_handler_fn h_payment_public_get;       /* GET /api/v1/payments/{payment_id}/public and
                                             /api/v1/payments/public/{payment_id} */
route_handler_fn h_payment_threeds;          /* POST /api/v1/payments/public/{payment_id}/3ds */
route_handler_fn h_payment_capture;          /* POST /api/v1/payments/{payment_id}/capture */

/* h_refund.c (h3b) */
route_handler_fn h_refund_create;       /* POST /api/v1/payments/{payment_id}/refunds */
route_handler_fn h_refund_get;          /* GET /api/v1/refunds/{refund_id} */
route_handler_fn h_payment_refund_list; /* GET /api/v1/payments/{payment_id}/refunds */

/* h_webhook.c (h3b) */
route_handler_fn h_webhook_list;  /* GET /api/v1/webhooks */
route_handler_fn h_webhook_get;   /* GET /api/v1/webhooks/{webhook_id} */
route_handler_fn h_webhook_retry; /* POST /api/v1/webhooks/{webhook_id}/retry */

/* h_event.c (SPEC 21.1) */
route_handler_fn h_event_list;   /* GET /api/v1/events */
route_handler_fn h_event_get;    /* GET /api/v1/events/{event_id} */
route_handler_fn h_event_resend; /* POST /api/v1/events/{event_id}/resend */
/* The 202 answer of a delivery cycle scheduled for `id` (event resend, endpoint recover):
 * {"id","deliveries"} and, when message is not NULL, "message". */
int h_event_deliveries_scheduled(struct http_resp *resp, const char *id, int64_t n,
                                 const char *message, struct gw_err *err);

/* h_endpoint.c (SPEC 21.2) */
route_handler_fn h_endpoint_create;   /* POST /api/v1/webhook_endpoints */
route_handler_fn h_endpoint_list;     /* GET /api/v1/webhook_endpoints */
route_handler_fn h_endpoint_get;      /* GET /api/v1/webhook_endpoints/{endpoint_id} */
route_handler_fn h_endpoint_update;   /* PATCH /api/v1/webhook_endpoints/{endpoint_id} */
route_handler_fn h_endpoint_delete;   /* DELETE /api/v1/webhook_endpoints/{endpoint_id} */
route_handler_fn h_endpoint_rotate;   /* POST …/{endpoint_id}/rotate_secret */
route_handler_fn h_endpoint_recover;  /* POST …/{endpoint_id}/recover */
route_handler_fn h_endpoint_attempts; /* GET …/{endpoint_id}/attempts */

#endif /* GW_HANDLERS_H */

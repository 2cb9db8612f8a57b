/* event.h: webhook events (SPEC section 11): payloads and webhook log rows. */
#ifndef GW_EVENT_H
#define GW_EVENT_H

#include "buf.h"
#include "db.h"
#include "gw.h"
#include "jsonh.h"
#include "model.h"

#include <stdbool.h>
#include <stdint.h>

#define EVENT_PAYMENT_CREATED   "payment.created"
#define EVENT_PAYMENT_PENDING   "payment.pending"
#define EVENT_PAYMENT_SUCCESS   "payment.success"
#define EVENT_PAYMENT_FAILED    "payment.failed"
#define EVENT_REFUND_CREATED    "refund.created"
#define EVENT_REFUND_PROCESSED  "refund.processed"
#define EVENT_WEBHOOK_TEST      "webhook.test"
#define EVENT_ENDPOINT_DISABLED "webhook_endpoint.disabled"

/* Events (SPEC 21.1): ids evt_ + 16 alphanumerics. */
#define EVENT_ID_PREFIX "evt_"

/* SQL: whether merchant `mid` has an enabled endpoint at this moment. Every statement that
 * records an event sets events.fanout_pending to it, so the worker fans out only the events of
 * merchants with endpoints (SPEC 21.3). */
#define EVENT_FANOUT_SQL(mid)                                                \
    "EXISTS (SELECT 1 FROM webhook_endpoints we WHERE we.merchant_id = " mid \
    " AND we.status = 'enabled')"

/* n new event ids as a PostgreSQL text array literal (reset first). */
int event_new_ids(struct buf *arr, size_t n, struct gw_err *err);

/* (v2) SPEC 22: a 3-D Secure challenge waits for the shopper */
#define EVENT_PAYMENT_REQUIRES_ACTION "payment.requires_action"

/* Unix microseconds for n new webhook log rows: first of n consecutive values, strictly after
 * every value this process handed out before (rows made by one process never tie, so "newest
 * first" is their creation order), and all n within one second, so the payload timestamp
 * (value / 1000000) is the rendered created_at second of each row. Stored in SQL as
 * 'epoch'::timestamp + us * interval '1 microsecond' (microsecond precision, rendered in whole
 * seconds by DB_TS: SPEC 4.5 v2). */
int64_t event_clock_reserve(size_t n);

/* Payload bytes of SPEC section 11.2 (serialised once, JSON.stringify-identical). */
int event_payment_payload(struct buf *out, const char *event, int64_t ts, const struct payment *p);
int event_refund_payload(struct buf *out, const char *event, int64_t ts, const struct refund *r);
int event_test_payload(struct buf *out, int64_t ts, const char *merchant_id);

/*
 * Creates the event's webhook log inside the caller's transaction when the merchant has a
 * webhook_url at this moment: INSERT … ON CONFLICT (object_id, event) DO NOTHING, status
 * pending, attempts 0, created_at from event_clock_reserve(1) and the payload timestamp its
 * second. Exactly one of p / r is non-NULL except for webhook.test (both NULL, object_id
 * NULL). log_id receives the new row's UUID, or "" when no row was created (no URL, or the row
 * already existed). The caller pushes log_id to queue:webhooks after COMMIT.
 */
int event_create(struct db *db, const char *merchant_id, const char *event, const struct payment *p,
                 const struct refund *r, char log_id[MODEL_UUID_SZ], struct gw_err *err);

/*
 * The same for many events in one statement (the worker's settling batches): each added event
 * gets the next of the clock values reserved by event_batch_init, its payload is built by
 * event_payment_payload / event_refund_payload, and event_batch_insert creates the logs with
 * event_create's rules (merchant with a webhook_url at this moment, ON CONFLICT (object_id,
 * event) DO NOTHING).
 */
struct event_batch {
    struct buf mids, evs, pls, oids, eids; /* PostgreSQL array literals */
    struct buf payload;                    /* scratch: one payload */
    size_t n;                              /* events added */
    int64_t us;                            /* clock value of the first event */
};
/* max: the most events that will be added (clock values are reserved for all of them). */
void event_batch_init(struct event_batch *b, size_t max);
void event_batch_release(struct event_batch *b);
int event_batch_add(struct event_batch *b, const char *merchant_id, const char *event,
                    const struct payment *p, const struct refund *r, struct gw_err *err);
/* Inserts the events; log_ids[k] receives the log id of the k-th added event, or "" when none
 * was created. log_ids has room for b->n entries. */
int event_batch_insert(struct db *db, struct event_batch *b, char (*log_ids)[MODEL_UUID_SZ],
                       struct gw_err *err);

/* ---- the events API (SPEC 21.1) ---- */

/* SQL: whether event type `type` is among endpoint `events` (a text[] of exact types,
 * "prefix.*" and "*"). */
#define EVENT_SUBSCRIBED_SQL(type, events)                                                         \
    "(" type " = ANY(" events ") OR '*' = ANY(" events ") OR EXISTS (SELECT 1 FROM unnest(" events \
    ") sp WHERE right(sp, 2) = '.*' AND starts_with(" type ", left(sp, -1))))"

/* A known event type (SPEC 11.1, 21.3). */
bool event_type_known(const char *s);
/* A known type, a known "prefix.*" or "*". */
bool event_type_pattern_valid(const char *s);

struct event_filter {
    const char *type; /* exact type, or NULL */
    char prefix[40];  /* "payment." for "payment.*", "" for none ("*" is none) */
    int delivery;     /* -1 none, 0 false, 1 true */
    bool has_gte, has_lte;
    int64_t gte, lte; /* Unix seconds */
};

struct cursor_req;

/* GET /api/v1/events: writes the cursor list; err BAD_REQUEST for an unknown cursor. */
int event_list(struct db *db, const char *merchant_id, const struct event_filter *f,
               const struct cursor_req *c, struct jw *w, struct gw_err *err);
/* GET /api/v1/events/{id}: writes the event; *found false for another merchant's or unknown id. */
int event_get(struct db *db, const char *merchant_id, const char *id, struct jw *w, bool *found,
              struct gw_err *err);
/* POST /api/v1/events/{id}/resend: a new delivery cycle to endpoint_id, or (NULL) to every
 * enabled endpoint subscribed to the type. err NOT_FOUND "Event not found" / "Webhook endpoint
 * not found"; *deliveries the number of deliveries scheduled. */
int event_resend(struct db *db, const char *merchant_id, const char *id, const char *endpoint_id,
                 int64_t *deliveries, struct gw_err *err);

#endif /* GW_EVENT_H */

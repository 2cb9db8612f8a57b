/* event.c: webhook event payloads (SPEC 11.2) and webhook log rows (SPEC 11.1). */
#include "event.h"

#include "crypto.h"
#include "cursor.h"
#include "jsonh.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* One event ("e", always for an object's event; webhook.test only while a URL is set) and its
 * legacy log (merchant with a webhook_url). $1 merchant, $2 type, $3 payload, $4 object id,
 * $5 Unix microseconds, $6 event id. */
static const struct db_stmt st_event_insert = {
    "event_insert",
    "WITH e AS (INSERT INTO events (id, merchant_id, type, object_id, payload, created_at, "
    "fanout_pending) SELECT $6::text, m.id, $2::text, $4::text, $3::json, "
    "'epoch'::timestamp + $5::bigint * interval '1 microsecond', " EVENT_FANOUT_SQL(
        "m.id") " "
                "FROM merchants m WHERE m.id = $1::uuid AND ($4::text IS NOT NULL OR "
                "(m.webhook_url IS NOT NULL "
                "AND m.webhook_url <> '')) ON CONFLICT DO NOTHING) "
                "INSERT INTO webhook_logs (merchant_id, event, payload, object_id, created_at) "
                "SELECT $1::uuid, $2::text, $3::json, $4::text, "
                "'epoch'::timestamp + $5::bigint * interval '1 microsecond' "
                "FROM merchants WHERE id = $1::uuid AND webhook_url IS NOT NULL AND webhook_url <> "
                "'' "
                "ON CONFLICT (object_id, event) DO NOTHING RETURNING id",
    6
};

/* $1 merchant ids, $2 events, $3 payloads, $4 object ids, $5 Unix microseconds of the first
 * event (event_clock_reserve): event k gets $5 + k - 1, so they keep their order (SPEC 4.5),
 * $6 event ids. Every event is recorded ("ev", SPEC 21.1); the legacy log only for a merchant
 * with a webhook_url ("ins"). Returns each new log id with the ordinal k of its event. */
static const struct db_stmt st_event_insert_batch = {
    "event_insert_batch",
    "WITH ev AS (INSERT INTO events (id, merchant_id, type, object_id, payload, created_at, "
    "fanout_pending) SELECT u.eid, u.mid::uuid, u.ev, u.oid, u.pl::json, "
    "'epoch'::timestamp + ($5::bigint + u.k - 1) * interval '1 microsecond', " EVENT_FANOUT_SQL(
        "u.mid::uuid") " "
                       "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[]) "
                       "WITH ORDINALITY "
                       "AS u(mid, ev, pl, oid, eid, k) ON CONFLICT DO NOTHING), "
                       "ins AS (INSERT INTO webhook_logs (merchant_id, event, payload, object_id, "
                       "created_at) "
                       "SELECT m.id, u.ev, u.pl::json, u.oid, "
                       "'epoch'::timestamp + ($5::bigint + u.k - 1) * interval '1 microsecond' "
                       "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH "
                       "ORDINALITY "
                       "AS u(mid, ev, pl, oid, k) "
                       "JOIN merchants m ON m.id = u.mid::uuid AND m.webhook_url IS NOT NULL "
                       "AND m.webhook_url <> '' "
                       "ON CONFLICT (object_id, event) DO NOTHING RETURNING id, object_id, event) "
                       "SELECT ins.id, o.k FROM ins JOIN unnest($4::text[], $2::text[]) WITH "
                       "ORDINALITY "
                       "AS o(oid, ev, k) ON o.oid = ins.object_id AND o.ev = ins.event",
    6
};

static void
event_begin(struct jw *w, struct buf *out, const char *event, int64_t ts)
{
    jw_init(w, out);
    jw_obj_begin(w);
    jw_key(w, "event");
    jw_str(w, event);
    jw_key(w, "timestamp");
    jw_int(w, ts);
    jw_key(w, "data");
    jw_obj_begin(w);
}

static int
event_end(struct jw *w)
{
    jw_obj_end(w); /* data */
    jw_obj_end(w); /* root */
    return jw_finish(w);
}

int
event_payment_payload(struct buf *out, const char *event, int64_t ts, const struct payment *p)
{
    struct jw w;

    event_begin(&w, out, event, ts);
    jw_key(&w, "payment");
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, p->id);
    jw_key(&w, "order_id");
    jw_str(&w, p->order_id);
    jw_key(&w, "amount");
    jw_int_or_hole(&w, p->amount, JW_HOLE_AMOUNT);
    jw_key(&w, "currency");
    jw_str_or_hole(&w, p->currency, JW_HOLE_CURRENCY);
    jw_key(&w, "method");
    jw_str(&w, p->method);
    if (strcmp(p->method, "upi") == 0) {
        jw_key(&w, "vpa");
        jw_str(&w, p->vpa);
    } else {
        jw_key(&w, "card_network");
        jw_str(&w, p->card_network);
        jw_key(&w, "card_last4");
        jw_str(&w, p->card_last4);
    }
    jw_key(&w, "status");
    jw_str(&w, p->status);
    if (strcmp(p->status, "failed") == 0) {
        jw_key(&w, "error_code");
        jw_str(&w, p->error_code);
        jw_key(&w, "error_description");
        jw_str(&w, p->error_description);
    }
    jw_key(&w, "created_at");
    jw_str_or_hole(&w, p->created_at, JW_HOLE_TIME);
    jw_obj_end(&w);
    return event_end(&w);
}

int
event_refund_payload(struct buf *out, const char *event, int64_t ts, const struct refund *r)
{
    struct jw w;

    event_begin(&w, out, event, ts);
    jw_key(&w, "refund");
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, r->id);
    jw_key(&w, "payment_id");
    jw_str(&w, r->payment_id);
    jw_key(&w, "amount");
    jw_int(&w, r->amount);
    jw_key(&w, "reason");
    jw_str(&w, r->has_reason ? r->reason : NULL);
    jw_key(&w, "status");
    jw_str(&w, r->status);
    jw_key(&w, "created_at");
    jw_str_or_hole(&w, r->created_at, JW_HOLE_TIME);
    jw_key(&w, "processed_at");
    jw_str(&w, r->processed_at[0] != '\0' ? r->processed_at : NULL);
    jw_obj_end(&w);
    return event_end(&w);
}

int
event_test_payload(struct buf *out, int64_t ts, const char *merchant_id)
{
    struct jw w;

    event_begin(&w, out, EVENT_WEBHOOK_TEST, ts);
    jw_key(&w, "message");
    jw_str(&w, "Test webhook");
    jw_key(&w, "merchant_id");
    jw_str(&w, merchant_id);
    return event_end(&w);
}

int
event_new_ids(struct buf *arr, size_t n, struct gw_err *err)
{
    char id[MODEL_ID_SZ];
    size_t i;

    buf_reset(arr);
    for (i = 0; i < n; i++) {
        if (crypto_new_id(EVENT_ID_PREFIX, id, sizeof(id), err) != 0) {
            return -1;
        }
        if (buf_arr_add(arr, id) != 0) {
            return GW_ERR(err, INTERNAL, "cannot build event ids");
        }
    }
    if (buf_arr_end(arr) != 0) {
        return GW_ERR(err, INTERNAL, "cannot build event ids");
    }
    return 0;
}

int64_t
event_clock_reserve(size_t n)
{
    static int64_t last; /* the last value handed out by this process */
    struct timespec ts;
    int64_t now;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (now <= last) {
        now = last + 1;
    }
    if (n > 1 && n <= 1000000 && now / 1000000 != (now + (int64_t)n - 1) / 1000000) {
        now = (now / 1000000 + 1) * 1000000; /* the block starts the next second */
    }
    last = now + (int64_t)(n > 0 ? n - 1 : 0);
    return now;
}

int
event_create(struct db *db, const char *merchant_id, const char *event, const struct payment *p,
             const struct refund *r, char log_id[MODEL_UUID_SZ], struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf payload;
    char tsbuf[32], evt_id[MODEL_ID_SZ];
    const char *params[6];
    const char *object_id = NULL;
    int64_t us = event_clock_reserve(1), ts = us / 1000000;
    int rc;
    int ret = -1;

    log_id[0] = '\0';
    buf_init(&payload, (size_t)64 * KIB);
    if (p != NULL) {
        rc = event_payment_payload(&payload, event, ts, p);
        object_id = p->id;
    } else if (r != NULL) {
        rc = event_refund_payload(&payload, event, ts, r);
        object_id = r->id;
    } else {
        rc = event_test_payload(&payload, ts, merchant_id);
    }
    if (rc != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise '%s' payload", event);
        goto out;
    }
    if (crypto_new_id(EVENT_ID_PREFIX, evt_id, sizeof(evt_id), err) != 0) {
        goto out;
    }
    (void)snprintf(tsbuf, sizeof(tsbuf), "%" PRId64, us);
    params[0] = merchant_id;
    params[1] = event;
    params[2] = payload.data;
    params[3] = object_id;
    params[4] = tsbuf;
    params[5] = evt_id;
    if (db_exec(db, &st_event_insert, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0 && db_val(&res, 0, 0) != NULL) {
        (void)snprintf(log_id, MODEL_UUID_SZ, "%s", db_val(&res, 0, 0));
    }
    ret = 0;
out:
    db_res_release(&res);
    buf_release(&payload);
    return ret;
}

void
event_batch_init(struct event_batch *b, size_t max)
{
    buf_init(&b->mids, 0);
    buf_init(&b->evs, 0);
    buf_init(&b->pls, 0);
    buf_init(&b->oids, 0);
    buf_init(&b->eids, 0);
    buf_init(&b->payload, (size_t)64 * KIB);
    b->n = 0;
    b->us = event_clock_reserve(max > 0 ? max : 1);
}

void
event_batch_release(struct event_batch *b)
{
    buf_release(&b->payload);
    buf_release(&b->eids);
    buf_release(&b->oids);
    buf_release(&b->pls);
    buf_release(&b->evs);
    buf_release(&b->mids);
}

int
event_batch_add(struct event_batch *b, const char *merchant_id, const char *event,
                const struct payment *p, const struct refund *r, struct gw_err *err)
{
    int64_t ts = (b->us + (int64_t)b->n) / 1000000;
    char evt_id[MODEL_ID_SZ];
    int rc;

    buf_reset(&b->payload);
    if (crypto_new_id(EVENT_ID_PREFIX, evt_id, sizeof(evt_id), err) != 0) {
        return -1;
    }
    if (p != NULL) {
        rc = event_payment_payload(&b->payload, event, ts, p);
    } else if (r != NULL) {
        rc = event_refund_payload(&b->payload, event, ts, r);
    } else {
        return GW_ERR(err, INTERNAL, "batched '%s' event without an object", event);
    }
    if (rc != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise '%s' payload", event);
    }
    if (buf_arr_add(&b->mids, merchant_id) != 0 || buf_arr_add(&b->evs, event) != 0
        || buf_arr_add(&b->pls, b->payload.data) != 0
        || buf_arr_add(&b->oids, p != NULL ? p->id : r->id) != 0
        || buf_arr_add(&b->eids, evt_id) != 0) {
        return GW_ERR(err, INTERNAL, "cannot build event batch");
    }
    b->n++;
    return 0;
}

int
event_batch_insert(struct db *db, struct event_batch *b, char (*log_ids)[MODEL_UUID_SZ],
                   struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[6];
    char tsbuf[32];
    size_t k;
    int64_t ord;
    int row;
    int ret = -1;

    for (k = 0; k < b->n; k++) {
        log_ids[k][0] = '\0';
    }
    if (b->n == 0) {
        return 0;
    }
    if (buf_arr_end(&b->mids) != 0 || buf_arr_end(&b->evs) != 0 || buf_arr_end(&b->pls) != 0
        || buf_arr_end(&b->oids) != 0 || buf_arr_end(&b->eids) != 0) {
        return GW_ERR(err, INTERNAL, "cannot build event batch");
    }
    (void)snprintf(tsbuf, sizeof(tsbuf), "%" PRId64, b->us);
    params[0] = b->mids.data;
    params[1] = b->evs.data;
    params[2] = b->pls.data;
    params[3] = b->oids.data;
    params[4] = tsbuf;
    params[5] = b->eids.data;
    if (db_exec(db, &st_event_insert_batch, params, &res, err) != 0) {
        goto out;
    }
    for (row = 0; row < res.nrows; row++) {
        ord = db_int(&res, row, 1);
        if (ord >= 1 && (size_t)ord <= b->n && db_val(&res, row, 0) != NULL) {
            gw_copy_str(log_ids[ord - 1], MODEL_UUID_SZ, db_val(&res, row, 0));
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

/* ---- the events API (SPEC 21.1) ---- */

static const char *const event_types[] = {
    EVENT_PAYMENT_CREATED,  EVENT_PAYMENT_PENDING,     EVENT_PAYMENT_SUCCESS,
    EVENT_PAYMENT_FAILED,   "payment.requires_action", EVENT_REFUND_CREATED,
    EVENT_REFUND_PROCESSED, EVENT_WEBHOOK_TEST,        EVENT_ENDPOINT_DISABLED,
};

bool
event_type_known(const char *s)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(event_types); i++) {
        if (strcmp(s, event_types[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool
event_type_pattern_valid(const char *s)
{
    size_t len = strlen(s), i;

    if (strcmp(s, "*") == 0 || event_type_known(s)) {
        return true;
    }
    if (len < 3 || strcmp(s + len - 2, ".*") != 0) {
        return false;
    }
    for (i = 0; i < ARRAY_LEN(event_types); i++) { /* "payment.*": some type starts "payment." */
        if (strncmp(event_types[i], s, len - 1) == 0) {
            return true;
        }
    }
    return false;
}

/* The event object's columns and the per-event delivery counts ("s": endpoint deliveries and
 * the legacy endpoint's log of the same event). */
#define EV_COLS                                                                                  \
    "e.id, e.type, floor(extract(epoch FROM e.created_at))::bigint, (e.payload->'data')::text, " \
    "s.pend"
#define EV_STATS                                                                                  \
    "LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE x.st = 'pending') AS pend, "                \
    "count(*) FILTER (WHERE x.st = 'failed' OR (x.st = 'pending' AND x.att > 0)) AS bad, "        \
    "count(*) FILTER (WHERE x.st = 'success') AS ok, count(*) AS n FROM (SELECT d.status AS st, " \
    "d.attempts AS att FROM endpoint_deliveries d WHERE d.event_id = e.id UNION ALL "             \
    "SELECT COALESCE(w.status, 'pending'), COALESCE(w.attempts, 0) FROM webhook_logs w "          \
    "WHERE w.object_id = e.object_id AND w.event = e.type AND w.merchant_id = e.merchant_id) x) " \
    "s ON true "
/* $1 merchant, $2 exact type, $3 prefix, $4 delivery_success, $5 created[gte], $6 created[lte],
 * $7 starting_after, $8 ending_before, $9 rows. */
#define EV_LIST(order)                                                                             \
    "SELECT " EV_COLS " FROM events e " EV_STATS "WHERE e.merchant_id = $1::uuid "                 \
    "AND ($2::text IS NULL OR e.type = $2::text) "                                                 \
    "AND ($3::text IS NULL OR starts_with(e.type, $3::text)) "                                     \
    "AND ($4::bool IS NULL OR ($4::bool AND s.n > 0 AND s.ok = s.n) OR (NOT $4::bool AND s.bad > " \
    "0)) "                                                                                         \
    "AND ($5::bigint IS NULL OR e.created_at >= 'epoch'::timestamp + $5::bigint * interval '1 "    \
    "second') "                                                                                    \
    "AND ($6::bigint IS NULL OR e.created_at < 'epoch'::timestamp + ($6::bigint + 1) * interval "  \
    "'1 second') "                                                                                 \
    "AND " CURSOR_WHERE("e", "events", "$7", "$8",                                                 \
                        "c.merchant_id = $1::uuid") " ORDER BY e.created_at " order                \
                                                    ", e.id " order " LIMIT $9"

/* clang-format off */
static const struct db_stmt st_ev_list_desc = { "event_list_desc", EV_LIST("DESC"), 9 };
static const struct db_stmt st_ev_list_asc = { "event_list_asc", EV_LIST("ASC"), 9 };
static const struct db_stmt st_ev_known = { "event_known",
    "SELECT 1 FROM events WHERE id = $1 AND merchant_id = $2::uuid", 2 };
static const struct db_stmt st_ev_get = { "event_get",
    "SELECT " EV_COLS " FROM events e " EV_STATS "WHERE e.id = $1 AND e.merchant_id = $2::uuid", 2 };
/* A new cycle of the event's deliveries: to endpoint $3, or ($3 NULL) to every enabled endpoint
 * subscribed to its type. Returns whether the event and the endpoint exist and the count. */
static const struct db_stmt st_ev_resend = { "event_resend",
    "WITH ev AS (SELECT id, merchant_id, type FROM events WHERE id = $1 AND merchant_id = $2::uuid), "
    "ep AS (SELECT we.id FROM webhook_endpoints we, ev WHERE we.merchant_id = $2::uuid "
    "AND CASE WHEN $3::text IS NULL THEN we.status = 'enabled' AND "
    EVENT_SUBSCRIBED_SQL("ev.type", "we.enabled_events") " ELSE we.id = $3::text END), "
    "up AS (INSERT INTO endpoint_deliveries (event_id, endpoint_id, merchant_id) "
    "SELECT ev.id, ep.id, ev.merchant_id FROM ev, ep "
    "ON CONFLICT (event_id, endpoint_id) DO UPDATE SET status = 'pending', attempts = 0, "
    "next_at = now(), locked_until = NULL, updated_at = now() RETURNING 1) "
    "SELECT (SELECT count(*) FROM ev), (SELECT count(*) FROM ep "
    "WHERE $3::text IS NOT NULL), (SELECT count(*) FROM up)", 3 };
/* clang-format on */

static void
event_item(struct jw *w, const struct db_res *res, int row)
{
    const char *data = db_val(res, row, 3);

    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, db_val(res, row, 0));
    jw_key(w, "type");
    jw_str(w, db_val(res, row, 1));
    jw_key(w, "created");
    jw_int(w, db_int(res, row, 2));
    jw_key(w, "data");
    if (data != NULL) {
        jw_raw(w, data, strlen(data));
    } else {
        jw_null(w);
    }
    jw_key(w, "pending_webhooks");
    jw_int(w, db_int(res, row, 4));
    jw_obj_end(w);
}

int
event_list(struct db *db, const char *merchant_id, const struct event_filter *f,
           const struct cursor_req *c, struct jw *w, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char gte[24], lte[24];
    const char *params[6];
    int ret = -1;

    (void)snprintf(gte, sizeof(gte), "%" PRId64, f->gte);
    (void)snprintf(lte, sizeof(lte), "%" PRId64, f->lte);
    params[0] = merchant_id;
    params[1] = f->type;
    params[2] = f->prefix[0] != '\0' ? f->prefix : NULL;
    params[3] = f->delivery < 0 ? NULL : f->delivery > 0 ? "true" : "false";
    params[4] = f->has_gte ? gte : NULL;
    params[5] = f->has_lte ? lte : NULL;
    if (cursor_query(db, &st_ev_list_desc, &st_ev_list_asc, params, 6, c, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0 && cursor_check_known(db, &st_ev_known, merchant_id, c, err) != 0) {
        goto out;
    }
    cursor_write(w, c, &res, event_item);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
event_get(struct db *db, const char *merchant_id, const char *id, struct jw *w, bool *found,
          struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { id, merchant_id };
    int ret = -1;

    *found = false;
    if (db_exec(db, &st_ev_get, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 1) {
        event_item(w, &res, 0);
        *found = true;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
event_resend(struct db *db, const char *merchant_id, const char *id, const char *endpoint_id,
             int64_t *deliveries, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[3] = { id, merchant_id, endpoint_id };
    int ret = -1;

    *deliveries = 0;
    if (db_exec(db, &st_ev_resend, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1 || db_int(&res, 0, 0) == 0) {
        ret = GW_ERR(err, NOT_FOUND, "Event not found");
        goto out;
    }
    if (endpoint_id != NULL && db_int(&res, 0, 1) == 0) {
        ret = GW_ERR(err, NOT_FOUND, "Webhook endpoint not found");
        goto out;
    }
    *deliveries = db_int(&res, 0, 2);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

/* refund.c: refunds (SPEC 6.5): input rules, creation under a row lock, lists. */
#include "refund.h"

#include "crypto.h"
#include "event.h"
#include "log.h"
#include "merchant.h"
#include "queue.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REFUND_ID_ATTEMPTS 5

/* clang-format off */
static const struct db_stmt st_refund_get = { "refund_get",
    "SELECT " REFUND_COLS " FROM refunds r WHERE r.id = $1 "
    "AND ($2::uuid IS NULL OR r.merchant_id = $2)", 2 };
static const struct db_stmt st_refund_list = { "refund_list",
    "SELECT " REFUND_COLS ", count(*) OVER () FROM refunds r "
    "WHERE r.payment_id = $1 AND r.merchant_id = $2 "
    "ORDER BY r.created_at DESC, r.id DESC LIMIT $3 OFFSET $4", 4 };
static const struct db_stmt st_refund_list_empty = { "refund_list_empty",
    "SELECT EXISTS (SELECT 1 FROM payments WHERE id = $1 AND merchant_id = $2), "
    "(SELECT count(*) FROM refunds WHERE payment_id = $1 AND merchant_id = $2)", 2 };
/* clang-format on */

int
refund_parse_create(struct json_object *body, struct refund_create_in *in, struct gw_err *err)
{
    struct json_object *v = NULL;
    const char *s;
    size_t len;
    int64_t n = 0;

    memset(in, 0, sizeof(*in));
    if (!json_object_object_get_ex(body, "amount", &v) || v == NULL
        || (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        || jsonh_int_classify(v, &n) != JSONH_INT_OK || n < 1 || n > GW_AMOUNT_MAX) {
        return GW_ERR(err, BAD_REQUEST, "amount must be a positive integer");
    }
    in->amount = n;
    if (json_object_object_get_ex(body, "reason", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_string)) {
            return GW_ERR(err, BAD_REQUEST, "reason must be a string of at most 1000 characters");
        }
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (memchr(s, '\0', len) != NULL || len > (size_t)REFUND_REASON_MAX_CHARS * 4
            || validate_utf8_chars(s, len) > REFUND_REASON_MAX_CHARS) {
            return GW_ERR(err, BAD_REQUEST, "reason must be a string of at most 1000 characters");
        }
        in->reason = s;
        in->reason_len = len;
    }
    return 0;
}

void
refund_from_row(const struct db_res *res, int row, void *out)
{
    struct refund *r = out;

    memset(r, 0, sizeof(*r));
    gw_copy_str(r->id, sizeof(r->id), db_val(res, row, 0));
    gw_copy_str(r->payment_id, sizeof(r->payment_id), db_val(res, row, 1));
    gw_copy_str(r->merchant_id, sizeof(r->merchant_id), db_val(res, row, 2));
    r->amount = db_int(res, row, 3);
    r->has_reason = !db_isnull(res, row, 4);
    gw_copy_str(r->reason, sizeof(r->reason), db_val(res, row, 4));
    gw_copy_str(r->status, sizeof(r->status), db_val(res, row, 5));
    gw_copy_str(r->created_at, sizeof(r->created_at), db_val(res, row, 6));
    gw_copy_str(r->processed_at, sizeof(r->processed_at), db_val(res, row, 7));
}

int
refund_load(struct db *db, const char *id, const char *merchant_id, struct refund *out, bool *found,
            struct gw_err *err)
{
    const char *params[2] = { id, merchant_id };

    memset(out, 0, sizeof(*out));
    *found = false;
    if (id == NULL || !validate_object_id("rfnd_", id)) {
        return 0;
    }
    return db_query_row(db, &st_refund_get, params, refund_from_row, out, found, err);
}

/*
 * POST /api/v1/payments/{payment_id}/refunds in one round trip (SPEC 4.2, 6.5, 9, 11.1): the
 * batch locks the payment row first (st_refund_lock), so the next statement, whose snapshot is
 * taken after the lock, sees every refund committed before it: concurrent refunds never exceed
 * the payment. That statement: who asks ("a"), a live idempotency record ("k"), the payment and
 * what is left of it ("py"), the refund when every check passed ("ins"), its answer and payload
 * with the time filled in ("f"), the refund.created log when the merchant has a webhook_url
 * ("w") and the idempotency record ("x", "s").
 * $1-$3 credentials, $4 key, $5 fingerprint, $6 payment id, $7 refund id, $8 amount, $9 reason,
 * $10 body checks passed, $11 answer template, $12 payload template, $13 the log's created_at
 * in microseconds since the epoch, $14 the event id (the event "e" is recorded whether or not
 * the merchant has a webhook_url, SPEC 21.1).
 */
/* clang-format off */
static const struct db_stmt st_refund_lock = { "refund_lock",
    "WITH " MERCHANT_AUTH_CTE " SELECT p.id FROM payments p "
    "WHERE p.id = $4 AND p.merchant_id = (SELECT id FROM a) FOR UPDATE OF p", 4 };
static const struct db_stmt st_refund_create = { "refund_create",
    "WITH " MERCHANT_AUTH_CTE ", " IDEM_LIVE_CTE("$4") ", "
    "py AS (SELECT p.id, p.merchant_id, p.status, p.amount - (SELECT COALESCE(sum(r.amount), 0) "
    "FROM refunds r WHERE r.payment_id = p.id AND r.status IN ('pending', 'processed')) AS left "
    "FROM payments p WHERE p.id = $6 AND p.merchant_id = (SELECT id FROM a)), "
    "ins AS (INSERT INTO refunds (id, payment_id, merchant_id, amount, reason, status, "
    "created_at, enqueued_at) SELECT $7, py.id, py.merchant_id, $8::bigint, $9, 'pending', now(), "
    "now() FROM py WHERE $10::bool AND NOT EXISTS (SELECT 1 FROM k) AND py.status = 'success' "
    "AND $8::bigint <= py.left ON CONFLICT (id) DO NOTHING "
    "RETURNING merchant_id, " DB_TS("created_at") " AS ts), "
    "f AS (SELECT ins.merchant_id, t.n, "
    JW_HOLES_FILL_SQL("t.doc", "ins.ts", "''", "''", "''") " AS doc "
    "FROM ins CROSS JOIN (VALUES (0, $11), (1, $12)) AS t(n, doc)), "
    "w AS (INSERT INTO webhook_logs (merchant_id, event, payload, object_id, created_at) "
    "SELECT f.merchant_id, 'refund.created', f.doc::json, $7, "
    "'epoch'::timestamp + $13::bigint * interval '1 microsecond' FROM f "
    "JOIN merchants m ON m.id = f.merchant_id AND m.webhook_url IS NOT NULL "
    "AND m.webhook_url <> '' WHERE f.n = 1 ON CONFLICT (object_id, event) DO NOTHING "
    "RETURNING id), "
    "e AS (INSERT INTO events (id, merchant_id, type, object_id, payload, created_at, "
    "fanout_pending) SELECT $14, f.merchant_id, 'refund.created', $7, f.doc::json, "
    "'epoch'::timestamp + $13::bigint * interval '1 microsecond', "
    EVENT_FANOUT_SQL("f.merchant_id") " FROM f WHERE f.n = 1 ON CONFLICT DO NOTHING), "
    IDEM_EXPIRED_CTE("$4") ", " IDEM_PUT_CTE("$4", "$5", "201", "f.merchant_id", "f.doc", "f", "f.n = 0")
    " SELECT " IDEM_ANSWER_COLS("$5") ", (SELECT py.status FROM py), (SELECT py.left FROM py), "
    "(SELECT w.id::text FROM w)", 14 };
/* clang-format on */

/* After COMMIT: the refund job and its log go to Redis (SPEC 6.5, 10); a failure there is
 * only logged: the recovery sweep finds the work in PostgreSQL. */
static void
refund_created_push(void *arg)
{
    const struct refund_created *c = arg;
    const char *log = c->log_id;

    if (c->answer.inserted) {
        queue_push_committed(c->queue, QUEUE_REFUND, c->refund_id, &log, 1);
    }
}

/* The statement's answer row (db_done_fn): runs after COMMIT, before the push. */
static void
refund_created_row(const struct db_res *res, void *arg)
{
    struct refund_created *c = arg;
    int col = IDEM_ANSWER_NCOLS;

    idem_answer_read(res, 201, &c->answer);
    c->payment_found = !db_isnull(res, 0, col);
    c->payment_success = c->payment_found && strcmp(db_val(res, 0, col), "success") == 0;
    c->available = db_int(res, 0, col + 1);
    gw_copy_str(c->log_id, sizeof(c->log_id), db_val(res, 0, col + 2));
}

/* SPEC 6.5's order of checks (after 4.2 and 9) from the answer; 1: try again with a new id. */
static int
refund_created_verdict(const struct refund_created *c, const struct refund_create_in *in,
                       const struct gw_err *check_err, struct gw_err *err)
{
    if (idem_answer_check(&c->answer, false, err) != 0) {
        return -1;
    }
    if (c->answer.live) {
        return 0; /* replay */
    }
    if (!c->payment_found) {
        return GW_ERR(err, NOT_FOUND, "Payment not found");
    }
    if (gw_err_is_set(check_err)) {
        *err = *check_err;
        return -1;
    }
    if (!c->payment_success) {
        return GW_ERR(err, BAD_REQUEST, "Payment not in refundable state");
    }
    if (in->amount > c->available) {
        return GW_ERR(err, BAD_REQUEST, "Refund amount exceeds available amount");
    }
    return c->answer.inserted ? 0 : 1;
}

/* The refund the templates describe (the database fills in the time). */
static void
refund_pending_from_input(struct refund *r, const char *payment_id,
                          const struct refund_create_in *in, bool ok)
{
    memset(r, 0, sizeof(*r));
    gw_copy_str(r->payment_id, sizeof(r->payment_id), payment_id);
    r->amount = in->amount;
    if (ok && in->reason != NULL) {
        memcpy(r->reason, in->reason, in->reason_len);
        r->reason[in->reason_len] = '\0';
        r->has_reason = true;
    }
    memcpy(r->status, "pending", sizeof("pending"));
}

int
refund_create(struct db *db, struct queue *q, const struct merchant_creds *creds,
              const struct idem_req *idem, const char *payment_id,
              const struct refund_create_in *in, const struct gw_err *check_err,
              struct refund_created *out, struct gw_err *err)
{
    struct db_res plock_res = DB_RES_INIT, res = DB_RES_INIT;
    const char *params[14], *plock_params[4];
    struct buf answer, payload;
    struct idem_trip t;
    struct refund r;
    struct jw w;
    char amount[24], usbuf[24], evt_id[MODEL_ID_SZ];
    bool ok = !gw_err_is_set(check_err);
    int attempt, rc = 1, ret = -1;

    buf_init(&answer, 0);
    buf_init(&payload, 0);
    idem_answer_init(&out->answer);
    out->queue = q;
    if (idem_trip_begin(&t, creds, idem, false, err) != 0) {
        goto out;
    }
    memcpy(params, t.auth, sizeof(t.auth));
    memcpy(plock_params, t.auth, sizeof(t.auth));
    plock_params[3] = payment_id;
    (void)snprintf(amount, sizeof(amount), "%" PRId64, in->amount);
    refund_pending_from_input(&r, payment_id, in, ok);
    for (attempt = 0; attempt < REFUND_ID_ATTEMPTS && rc > 0; attempt++) {
        int64_t us = event_clock_reserve(1);

        if (crypto_new_id("rfnd_", r.id, sizeof(r.id), err) != 0
            || crypto_new_id(EVENT_ID_PREFIX, evt_id, sizeof(evt_id), err) != 0) {
            goto out;
        }
        buf_reset(&answer);
        buf_reset(&payload);
        jw_init(&w, &answer);
        refund_write_json(&w, &r);
        if (jw_finish(&w) != 0
            || event_refund_payload(&payload, EVENT_REFUND_CREATED, us / 1000000, &r) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot write the refund templates");
            goto out;
        }
        (void)snprintf(usbuf, sizeof(usbuf), "%" PRId64, us);
        gw_copy_str(out->refund_id, sizeof(out->refund_id), r.id);
        params[3] = t.idem != NULL ? t.idem->key : NULL;
        params[4] = t.idem != NULL ? t.idem->fingerprint : NULL;
        params[5] = payment_id;
        params[6] = r.id;
        params[7] = amount;
        params[8] = r.has_reason ? r.reason : NULL;
        params[9] = ok ? "true" : "false";
        params[10] = answer.data;
        params[11] = payload.data;
        params[12] = usbuf;
        params[13] = evt_id;
        idem_trip_add(&t, &st_refund_lock, plock_params, &plock_res, NULL, NULL);
        idem_trip_add(&t, &st_refund_create, params, &res, refund_created_row, out);
        if (db_on_commit(db, refund_created_push, out) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot register the refund push");
            goto out;
        }
        if (idem_trip_run(db, &t, err) != 0) {
            goto out;
        }
        rc = refund_created_verdict(out, in, check_err, err);
    }
    ret = rc > 0 ? GW_ERR(err, INTERNAL, "could not allocate a refund id") : rc;
out:
    idem_trip_release(&t);
    db_res_release(&plock_res);
    db_res_release(&res);
    buf_release(&answer);
    buf_release(&payload);
    return ret;
}

int
refund_list(struct db *db, const char *merchant_id, const char *payment_id, int64_t limit,
            int64_t offset, struct refund_list *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char lim[24], off[24];
    const char *params[4] = { payment_id, merchant_id, lim, off };
    int i, ret = -1;

    memset(out, 0, sizeof(*out));
    if (payment_id == NULL || !validate_object_id("pay_", payment_id)) {
        return GW_ERR(err, NOT_FOUND, "Payment not found");
    }
    (void)snprintf(lim, sizeof(lim), "%" PRId64, limit);
    (void)snprintf(off, sizeof(off), "%" PRId64, offset);
    if (db_exec(db, &st_refund_list, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        out->items = xcalloc((size_t)res.nrows, sizeof(*out->items));
        for (i = 0; i < res.nrows; i++) {
            refund_from_row(&res, i, &out->items[i]);
        }
        out->n = res.nrows;
        out->total = db_int(&res, 0, REFUND_NCOLS);
    } else {
        if (db_exec(db, &st_refund_list_empty, params, &res, err) != 0) {
            goto out;
        }
        if (!db_bool(&res, 0, 0)) {
            (void)GW_ERR(err, NOT_FOUND, "Payment not found");
            goto out;
        }
        out->total = db_int(&res, 0, 1);
    }
    ret = 0;
out:
    db_res_release(&res);
    if (ret != 0) {
        refund_list_release(out);
    }
    return ret;
}

void
refund_list_release(struct refund_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void
refund_write_json(struct jw *w, const struct refund *r)
{
    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, r->id);
    jw_key(w, "payment_id");
    jw_str(w, r->payment_id);
    jw_key(w, "amount");
    jw_int(w, r->amount);
    jw_key(w, "reason");
    jw_str(w, r->has_reason ? r->reason : NULL);
    jw_key(w, "status");
    jw_str(w, r->status);
    jw_key(w, "created_at");
    jw_str_or_hole(w, r->created_at, JW_HOLE_TIME);
    jw_key(w, "processed_at");
    jw_str(w, r->processed_at[0] != '\0' ? r->processed_at : NULL);
    jw_obj_end(w);
}

void
refund_list_write_json(struct jw *w, const struct refund_list *l, int64_t limit, int64_t offset)
{
    int i;

    jw_list_begin(w);
    for (i = 0; i < l->n; i++) {
        refund_write_json(w, &l->items[i]);
    }
    jw_list_end(w, l->total, limit, offset);
}

/* settle.c: settling payments and refunds (SPEC 8, 10.3). */
#include "settle.h"

#include "buf.h"
#include "event.h"
#include "log.h"
#include "payment.h"
#include "refund.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1 ids: the ordinals (1-based) of those still pending, now marked taken. */
static const struct db_stmt st_pay_take = {
    "settle_pay_take",
    "UPDATE payments p SET taken_at = now() FROM unnest($1::varchar[]) WITH ORDINALITY "
    "AS u(id, i) WHERE p.id = u.id AND p.status = 'pending' RETURNING u.i",
    1
};

static const struct db_stmt st_ref_take = {
    "settle_ref_take",
    "UPDATE refunds r SET taken_at = now() FROM unnest($1::varchar[]) WITH ORDINALITY "
    "AS u(id, i) WHERE r.id = u.id AND r.status = 'pending' RETURNING u.i",
    1
};

/* The sandbox bank's answer (SPEC 22) for due row p with job u: 'success', 'failed' (an
 * ordinary decline), 'unknown' (no answer) or the error_code of a magic value. u.m is the
 * call's mode: 'call' (the job's bank call; on a row already unknown it is the bank's late
 * answer), 'fault' (a call that hung or answered garbage), 'requery' (the reconciler asks again),
 * 'requery_fault' (…and that call failed too). */
#define SETTLE_ANSWER_SQL                                                               \
    "CASE WHEN u.m = 'requery_fault' OR (u.m = 'fault' AND p.bank_requery_at IS NULL) " \
    "THEN 'unknown' "                                                                   \
    "WHEN p.bank_scenario IN ('timeout', 'timeout_fail') AND u.m = 'call' "             \
    "AND p.bank_requery_at IS NULL THEN 'unknown' "                                     \
    "WHEN p.bank_scenario IN ('success', 'threeds', 'timeout') THEN 'success' "         \
    "WHEN p.bank_scenario = 'declined' THEN "                                           \
    "CASE WHEN p.method = 'upi' THEN 'UPI_DECLINED' ELSE 'CARD_DECLINED' END "          \
    "WHEN p.bank_scenario = 'insufficient' THEN 'INSUFFICIENT_FUNDS' "                  \
    "WHEN p.bank_scenario = 'expired' THEN 'EXPIRED_CARD' "                             \
    "WHEN p.bank_scenario = 'cvc' THEN 'INCORRECT_CVC' "                                \
    "WHEN p.bank_scenario IN ('processing', 'timeout_fail') THEN 'PROCESSING_ERROR' "   \
    "WHEN p.bank_outcome IS NOT NULL THEN p.bank_outcome "                              \
    "WHEN p.method = 'upi' THEN u.uo ELSE u.co END"

/* error_description of each error_code the settling statement writes. */
#define SETTLE_DESCRIPTION_SQL(code)                                     \
    "CASE " code " WHEN 'ORDER_ALREADY_PAID' THEN 'Order already paid' " \
    "WHEN 'PAYMENT_FAILED' THEN 'Payment processing failed' "            \
    "WHEN 'CARD_DECLINED' THEN 'Declined by the bank' "                  \
    "WHEN 'UPI_DECLINED' THEN 'Declined by the bank' "                   \
    "WHEN 'INSUFFICIENT_FUNDS' THEN 'Insufficient funds' "               \
    "WHEN 'EXPIRED_CARD' THEN 'Card expired' "                           \
    "WHEN 'INCORRECT_CVC' THEN 'Incorrect CVC' "                         \
    "WHEN 'PROCESSING_ERROR' THEN 'The bank could not process the payment' END"

/*
 * $1 ids, $2 outcome if upi, $3 outcome if card ('success' or 'failed': the bank's draw for an
 * ordinary number), $4 modes (SETTLE_ANSWER_SQL), $5 BANK_REQUERY_S. One statement settles the
 * batch and moves orders to paid (SPEC 8, 10.3 v2, 22):
 *   due   the batch's payments still pending, row-locked in id order (a duplicate job of the
 *         same payment, a late answer or a re-query waits here and then finds it final), with
 *         the bank's answer `ans` (an unknown answer at the 5th re-query is PROCESSING_ERROR);
 *   win   per order, the first job of the batch whose answer is success;
 *   lk    their orders still `created`, row-locked in id order (a concurrent statement of
 *         another worker that moved the order first makes it drop out here);
 *   flip  those orders become `paid`, returning the payment that won each; `won` is false when
 *         the order already has a successful payment although it was still `created` (rows
 *         settled before migration 0002, or by hand): the order is paid all the same, and the
 *         backstop index uq_payments_order_success is never tripped;
 * then every due payment whose answer is unknown stays `pending` (representation unchanged)
 * with its next re-query at now + $5 * 2^(re-queries made) s; every other ends `success` if it
 * won, `failed` / ORDER_ALREADY_PAID if its bank said success but it did not, else `failed`
 * with the bank's code (PAYMENT_FAILED for an ordinary decline). The last columns: unknown,
 * the next re-query in Unix ms, the job's ordinal.
 */
static const struct db_stmt st_pay_settle = {
    "settle_pay_batch",
    "WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[]) "
    "WITH ORDINALITY AS u(id, uo, co, m, i)), "
    "due0 AS (SELECT p.id, p.order_id, u.i, u.m, p.bank_requeries, p.bank_scenario, "
    "CASE WHEN p.method = 'upi' THEN u.uo ELSE u.co END AS draw, " SETTLE_ANSWER_SQL " AS ans "
    "FROM payments p JOIN u ON p.id = u.id WHERE p.status = 'pending' "
    "AND (u.m IN ('call', 'fault') OR p.bank_requery_at IS NOT NULL) "
    "ORDER BY p.id FOR UPDATE OF p), "
    "due AS (SELECT due0.*, CASE WHEN ans = 'unknown' AND m LIKE 'requery%' "
    "AND bank_requeries + 1 >= " SETTLE_MAX_REQUERIES_S " THEN 'PROCESSING_ERROR' "
    "ELSE ans END AS outcome FROM due0), "
    "win AS (SELECT DISTINCT ON (order_id) order_id, id FROM due WHERE outcome = 'success' "
    "ORDER BY order_id, i), "
    "lk AS (SELECT o.id FROM orders o JOIN win ON win.order_id = o.id "
    "WHERE o.status = 'created' ORDER BY o.id FOR UPDATE OF o), "
    "flip AS (UPDATE orders o SET status = 'paid', updated_at = now() FROM lk, win "
    "WHERE o.id = lk.id AND win.order_id = o.id AND o.status = 'created' "
    "RETURNING win.id AS payment_id, NOT EXISTS (SELECT 1 FROM payments s "
    "WHERE s.order_id = o.id AND s.status = 'success') AS won), "
    "v AS (SELECT due.*, COALESCE(flip.won, false) AS won, "
    "CASE WHEN due.outcome = 'unknown' THEN NULL WHEN flip.won THEN NULL "
    "WHEN due.outcome = 'success' THEN 'ORDER_ALREADY_PAID' "
    "WHEN due.outcome = 'failed' THEN 'PAYMENT_FAILED' ELSE due.outcome END AS code, "
    "due.bank_requeries + CASE WHEN due.m LIKE 'requery%' THEN 1 ELSE 0 END AS nrq "
    "FROM due LEFT JOIN flip ON flip.payment_id = due.id) "
    "UPDATE payments p SET "
    "status = CASE WHEN v.outcome = 'unknown' THEN 'pending' WHEN v.won THEN 'success' "
    "ELSE 'failed' END, "
    "error_code = v.code, error_description = " SETTLE_DESCRIPTION_SQL(
        "v.code") ", "
                  "updated_at = CASE WHEN v.outcome = 'unknown' THEN p.updated_at ELSE now() END, "
                  "bank_requeries = v.nrq, "
                  "bank_requery_at = CASE WHEN v.outcome = 'unknown' "
                  "THEN now() + $5::int * power(2, v.nrq) * interval '1 second' ELSE "
                  "p.bank_requery_at END, "
                  "bank_outcome = CASE WHEN v.outcome = 'unknown' AND p.bank_scenario IS NULL "
                  "THEN COALESCE(p.bank_outcome, v.draw) ELSE p.bank_outcome END "
                  "FROM v WHERE p.id = v.id AND p.status = 'pending' "
                  "RETURNING " PAYMENT_COLS ", v.outcome = 'unknown', "
                  "CASE WHEN v.outcome = 'unknown' THEN (extract(epoch FROM p.bank_requery_at) * "
                  "1000)::bigint "
                  "END, v.i",
    5
};

/* The reconciler's claim (SPEC 22): pending payments whose answer is unknown and whose re-query
 * is due, their next re-query moved $2 s ahead (a lease: a worker killed before it settles
 * them leaves them due again then). */
static const struct db_stmt st_pay_requery_claim = {
    "settle_requery_claim",
    "WITH c AS (SELECT id FROM payments WHERE status = 'pending' AND bank_requery_at IS NOT NULL "
    "AND bank_requery_at <= now() ORDER BY bank_requery_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
    "UPDATE payments p SET bank_requery_at = now() + $2::int * interval '1 second' FROM c "
    "WHERE p.id = c.id AND p.status = 'pending' RETURNING p.id",
    2
};

/* Unanswered 3-D Secure challenges older than $1 s fail (SPEC 22), at most $2 per call. */
static const struct db_stmt st_pay_expire = {
    "settle_threeds_expire",
    "WITH c AS (SELECT id FROM payments WHERE status = 'requires_action' "
    "AND created_at < now() - $1::int * interval '1 second' ORDER BY created_at LIMIT $2 "
    "FOR UPDATE SKIP LOCKED) "
    "UPDATE payments p SET status = 'failed', error_code = 'AUTHENTICATION_FAILED', "
    "error_description = '" SETTLE_AUTH_FAILED_TEXT "', updated_at = now() FROM c "
    "WHERE p.id = c.id AND p.status = 'requires_action' RETURNING " PAYMENT_COLS,
    2
};

static const struct db_stmt st_ref_settle = {
    "settle_ref_batch",
    "UPDATE refunds r SET status = 'processed', processed_at = now() "
    "FROM unnest($1::varchar[]) WITH ORDINALITY AS u(id, i) "
    "WHERE r.id = u.id AND r.status = 'pending' "
    "RETURNING " REFUND_COLS ", u.i",
    1
};

int
settle_take(struct db *db, enum queue_kind kind, const char *const *ids, size_t n, bool *pending,
            struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[1];
    struct buf arr;
    size_t i;
    int64_t k;
    int row;
    int ret = -1;

    buf_init(&arr, 0);
    for (i = 0; i < n; i++) {
        pending[i] = false;
        if (buf_arr_add(&arr, ids[i]) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot build id list");
            goto out;
        }
    }
    if (n == 0) {
        ret = 0;
        goto out;
    }
    if (buf_arr_end(&arr) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot build id list");
        goto out;
    }
    params[0] = arr.data;
    if (db_exec(db, kind == QUEUE_PAYMENT ? &st_pay_take : &st_ref_take, params, &res, err) != 0) {
        goto out;
    }
    for (row = 0; row < res.nrows; row++) {
        k = db_int(&res, row, 0);
        if (k >= 1 && (size_t)k <= n) {
            pending[k - 1] = true;
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    buf_release(&arr);
    return ret;
}

struct settle_tx {
    enum queue_kind kind;
    struct settle_item *items;
    size_t n;
    int requery_s;
};

static const char *const settle_mode_names[] = { "call", "fault", "requery", "requery_fault" };

/* Runs the settling UPDATE over the distinct items. map[k - 1] is set to the index of the item
 * whose id is element k of $1, and *m to their number. */
static int
settle_update(struct db *db, const struct settle_tx *t, size_t *map, size_t *m, struct db_res *res,
              struct gw_err *err)
{
    struct buf ids, upi, card, modes;
    const char *params[5];
    char rq[16];
    size_t i, k;
    int ret = -1;

    buf_init(&ids, 0);
    buf_init(&upi, 0);
    buf_init(&card, 0);
    buf_init(&modes, 0);
    *m = 0;
    for (i = 0; i < t->n; i++) {
        struct settle_item *it = &t->items[i];
        bool dup = false;

        it->changed = false;
        it->unknown = false;
        it->requery_ms = 0;
        it->status[0] = '\0';
        it->log_id[0] = '\0';
        for (k = 0; k < *m && !dup; k++) {
            dup = strcmp(t->items[map[k]].id, it->id) == 0;
        }
        if (dup) {
            continue;
        }
        if (buf_arr_add(&ids, it->id) != 0
            || (t->kind == QUEUE_PAYMENT
                && (buf_arr_add(&upi, it->upi_outcome) != 0
                    || buf_arr_add(&card, it->card_outcome) != 0
                    || buf_arr_add(&modes, settle_mode_names[it->mode & 3]) != 0))) {
            goto oom;
        }
        map[(*m)++] = i;
    }
    if (buf_arr_end(&ids) != 0 || buf_arr_end(&upi) != 0 || buf_arr_end(&card) != 0
        || buf_arr_end(&modes) != 0) {
        goto oom;
    }
    (void)snprintf(rq, sizeof(rq), "%d", t->requery_s > 0 ? t->requery_s : 30);
    params[0] = ids.data;
    params[1] = upi.data;
    params[2] = card.data;
    params[3] = modes.data;
    params[4] = rq;
    ret = db_exec(db, t->kind == QUEUE_PAYMENT ? &st_pay_settle : &st_ref_settle, params, res, err);
    goto out;
oom:
    ret = GW_ERR(err, INTERNAL, "cannot build batch parameters");
out:
    buf_release(&modes);
    buf_release(&card);
    buf_release(&upi);
    buf_release(&ids);
    return ret;
}

/* Scratch space for one settled row. */
union settle_obj {
    struct payment p;
    struct refund r;
};

/* Reads settled row `row` into o, records the item's new status and adds its event. */
static int
settle_row_event(const struct settle_tx *t, struct settle_item *it, const struct db_res *res,
                 int row, union settle_obj *o, struct event_batch *ev, struct gw_err *err)
{
    if (t->kind == QUEUE_PAYMENT) {
        payment_from_row(res, row, &o->p);
        gw_copy_str(it->status, sizeof(it->status), o->p.status);
        if (db_bool(res, row, PAYMENT_NCOLS)) {
            /* SPEC 22: the answer is unknown, the payment stays pending, no event */
            it->unknown = true;
            it->requery_ms = db_int(res, row, PAYMENT_NCOLS + 1);
            return 0;
        }
        it->changed = true;
        return event_batch_add(ev, o->p.merchant_id,
                               strcmp(o->p.status, "success") == 0 ? EVENT_PAYMENT_SUCCESS
                                                                   : EVENT_PAYMENT_FAILED,
                               &o->p, NULL, err);
    }
    refund_from_row(res, row, &o->r);
    gw_copy_str(it->status, sizeof(it->status), o->r.status);
    it->changed = true;
    return event_batch_add(ev, o->r.merchant_id, EVENT_REFUND_PROCESSED, NULL, &o->r, err);
}

static int
settle_tx_fn(struct db *db, void *arg, struct gw_err *err)
{
    struct settle_tx *t = arg;
    struct db_res res = DB_RES_INIT;
    struct event_batch ev;
    union settle_obj *o = xcalloc(1, sizeof(*o));
    size_t *map = xcalloc(t->n, sizeof(*map)); /* ordinal in $1 - 1 -> index in items */
    size_t *evix = NULL;                       /* event k -> index in items */
    char(*log_ids)[MODEL_UUID_SZ] = NULL;
    size_t m, k;
    int64_t ord;
    int row;
    bool ev_open = false;
    int ret = -1;

    if (settle_update(db, t, map, &m, &res, err) != 0) {
        goto out;
    }
    event_batch_init(&ev, (size_t)res.nrows); /* one clock value per possible event */
    ev_open = true;
    evix = xcalloc((size_t)res.nrows + 1, sizeof(*evix));
    for (row = 0; row < res.nrows; row++) {
        const char *id = db_val(&res, row, 0);
        struct settle_item *it;

        ord = db_int(&res, row, res.ncols - 1);
        if (ord < 1 || (size_t)ord > m) {
            ret = GW_ERR(err, INTERNAL, "settled row matches no job");
            goto out;
        }
        it = &t->items[map[ord - 1]];
        if (strcmp(it->id, id != NULL ? id : "") != 0) {
            ret = GW_ERR(err, INTERNAL, "settled row matches no job");
            goto out;
        }
        evix[ev.n] = map[ord - 1]; /* kept only if the row adds an event */
        if (settle_row_event(t, it, &res, row, o, &ev, err) != 0) {
            goto out;
        }
    }
    log_ids = xcalloc(ev.n + 1, sizeof(*log_ids));
    if (event_batch_insert(db, &ev, log_ids, err) != 0) {
        goto out;
    }
    for (k = 0; k < ev.n; k++) {
        gw_copy_str(t->items[evix[k]].log_id, MODEL_UUID_SZ, log_ids[k]);
    }
    ret = 0;
out:
    if (ev_open) {
        event_batch_release(&ev);
    }
    free(log_ids);
    free(evix);
    free(map);
    free(o);
    db_res_release(&res);
    return ret;
}

int
settle_batch(struct db *db, enum queue_kind kind, struct settle_item *items, size_t n,
             int requery_s, struct gw_err *err)
{
    struct settle_tx t = { kind, items, n, requery_s };

    if (n == 0) {
        return 0;
    }
    return db_tx(db, settle_tx_fn, &t, err);
}

/* ---- the sandbox bank (SPEC 22) ------------------------------------------------------------ */

struct settle_magic {
    const char *value;
    const char *scenario;
};

static const struct settle_magic settle_magic_cards[] = {
    { "4242424242424242", "success" },    { "5555555555554444", "success" },
    { "4000000000000002", "declined" },   { "4000000000009995", "insufficient" },
    { "4000000000000069", "expired" },    { "4000000000000127", "cvc" },
    { "4000000000000119", "processing" }, { "4000000000003220", SETTLE_SCENARIO_THREEDS },
    { "4000000000000259", "timeout" },    { "4000000000000267", "timeout_fail" },
};

static const struct settle_magic settle_magic_vpas[] = {
    { "success@upi", "success" },
    { "failure@upi", "declined" },
    { "timeout@upi", "timeout" },
};

static const char *
settle_scenario_find(const struct settle_magic *m, size_t n, const char *value)
{
    size_t i;

    for (i = 0; value != NULL && i < n; i++) {
        if (strcmp(m[i].value, value) == 0) {
            return m[i].scenario;
        }
    }
    return "";
}

const char *
settle_scenario_card(const char *digits)
{
    return settle_scenario_find(settle_magic_cards, ARRAY_LEN(settle_magic_cards), digits);
}

const char *
settle_scenario_vpa(const char *vpa)
{
    return settle_scenario_find(settle_magic_vpas, ARRAY_LEN(settle_magic_vpas), vpa);
}

int
settle_requery_claim(struct db *db, size_t max, char (*ids)[MODEL_ID_SZ], size_t *n,
                     struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2];
    char maxbuf[24], lease[16];
    int row, ret = -1;

    *n = 0;
    (void)snprintf(maxbuf, sizeof(maxbuf), "%zu", max);
    (void)snprintf(lease, sizeof(lease), "%d", SETTLE_REQUERY_LEASE_S);
    params[0] = maxbuf;
    params[1] = lease;
    if (db_exec(db, &st_pay_requery_claim, params, &res, err) != 0) {
        goto out;
    }
    for (row = 0; row < res.nrows && (size_t)row < max; row++) {
        gw_copy_str(ids[*n], MODEL_ID_SZ, db_val(&res, row, 0));
        (*n)++;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

struct settle_expire_tx {
    const char *params[2];
    char (*log_ids)[MODEL_UUID_SZ];
    size_t n, nlogs;
};

static int
settle_expire_fn(struct db *db, void *arg, struct gw_err *err)
{
    struct settle_expire_tx *t = arg;
    struct db_res res = DB_RES_INIT;
    struct event_batch ev;
    struct payment *p = xcalloc(1, sizeof(*p));
    int row, ret = -1;

    t->n = 0;
    t->nlogs = 0;
    if (db_exec(db, &st_pay_expire, t->params, &res, err) != 0) {
        free(p);
        return -1;
    }
    event_batch_init(&ev, (size_t)res.nrows);
    for (row = 0; row < res.nrows; row++) {
        payment_from_row(&res, row, p);
        if (event_batch_add(&ev, p->merchant_id, EVENT_PAYMENT_FAILED, p, NULL, err) != 0) {
            goto out;
        }
    }
    free(t->log_ids);
    t->log_ids = xcalloc(ev.n + 1, sizeof(*t->log_ids));
    if (event_batch_insert(db, &ev, t->log_ids, err) != 0) {
        goto out;
    }
    t->n = (size_t)res.nrows;
    t->nlogs = ev.n;
    ret = 0;
out:
    event_batch_release(&ev);
    db_res_release(&res);
    free(p);
    return ret;
}

int
settle_expire_challenges(struct db *db, struct queue *q, int expiry_s, size_t max, size_t *n,
                         struct gw_err *err)
{
    struct settle_expire_tx t;
    struct gw_err perr = GW_ERR_INIT;
    const char **logs = NULL;
    char ebuf[16], mbuf[24];
    size_t i, nl = 0;
    int ret;

    memset(&t, 0, sizeof(t));
    *n = 0;
    (void)snprintf(ebuf, sizeof(ebuf), "%d", expiry_s);
    (void)snprintf(mbuf, sizeof(mbuf), "%zu", max);
    t.params[0] = ebuf;
    t.params[1] = mbuf;
    ret = db_tx(db, settle_expire_fn, &t, err);
    if (ret == 0) {
        *n = t.n;
        logs = xcalloc(t.nlogs + 1, sizeof(*logs));
        for (i = 0; i < t.nlogs; i++) {
            if (t.log_ids[i][0] != '\0') {
                logs[nl++] = t.log_ids[i];
            }
        }
        if (nl > 0 && queue_push_work(q, NULL, 0, logs, nl, &perr) != 0) {
            /* the webhook database poll finds the logs */
            log_warn("redis push failed after commit", LOG_S("error", perr.msg));
        }
    }
    free(logs);
    free(t.log_ids);
    return ret;
}

/* $1 id, $2 approve, $3 expiry in s: the conditional transition of a challenge. */
static const struct db_stmt st_pay_threeds = {
    "settle_threeds_answer",
    "UPDATE payments p SET status = CASE WHEN $2::bool THEN 'pending' ELSE 'failed' END, "
    "error_code = CASE WHEN $2::bool THEN NULL ELSE 'AUTHENTICATION_FAILED' END, "
    "error_description = CASE WHEN $2::bool THEN NULL ELSE '" SETTLE_AUTH_FAILED_TEXT "' END, "
    "updated_at = now(), enqueued_at = now(), taken_at = NULL FROM merchants m "
    "WHERE p.id = $1 AND p.status = 'requires_action' "
    "AND p.created_at >= now() - $3::int * interval '1 second' "
    "AND m.id = p.merchant_id AND m.is_active RETURNING " PAYMENT_COLS,
    3
};

struct settle_threeds_tx {
    const char *params[3];
    bool approve;
    struct payment *out;
    bool found;
    char log_id[MODEL_UUID_SZ];
};

static int
settle_threeds_fn(struct db *db, void *arg, struct gw_err *err)
{
    struct settle_threeds_tx *t = arg;
    struct db_res res = DB_RES_INIT;
    int ret = -1;

    t->found = false;
    t->log_id[0] = '\0';
    if (db_exec(db, &st_pay_threeds, t->params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 1) {
        payment_from_row(&res, 0, t->out);
        t->found = true;
        if (event_create(db, t->out->merchant_id,
                         t->approve ? EVENT_PAYMENT_PENDING : EVENT_PAYMENT_FAILED, t->out, NULL,
                         t->log_id, err)
            != 0) {
            goto out;
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
settle_threeds_answer(struct db *db, struct queue *q, const char *id, bool approve, int expiry_s,
                      struct payment *out, bool *found, struct gw_err *err)
{
    struct settle_threeds_tx t;
    const char *logs[1];
    char ebuf[16];

    memset(&t, 0, sizeof(t));
    memset(out, 0, sizeof(*out));
    *found = false;
    if (id == NULL || !validate_object_id("pay_", id)) {
        return 0;
    }
    (void)snprintf(ebuf, sizeof(ebuf), "%d", expiry_s);
    t.params[0] = id;
    t.params[1] = approve ? "true" : "false";
    t.params[2] = ebuf;
    t.approve = approve;
    t.out = out;
    if (db_tx(db, settle_threeds_fn, &t, err) != 0) {
        return -1;
    }
    *found = t.found;
    if (t.found) {
        logs[0] = t.log_id;
        queue_push_committed(q, QUEUE_PAYMENT, approve ? out->id : NULL, logs, 1);
    }
    return 0;
}

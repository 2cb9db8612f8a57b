/* settle.c: settling payments and refunds (SPEC 8, 10.3). */
#include "settle.h"

#include "buf.h"
#include "event.h"
#include "payment.h"
#include "refund.h"

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

/*
 * $1 ids, $2 outcome if upi, $3 outcome if card ('success' or 'failed'). One statement settles
 * the batch and moves orders to paid (SPEC 8, 10.3 v2):
 *   due   the batch's payments still pending, row-locked in id order (a duplicate job of the
 *         same payment waits here and then finds it final);
 *   win   per order, the first job of the batch whose bank outcome is success;
 *   lk    their orders still `created`, row-locked in id order (a concurrent statement of
 *         another worker that moved the order first makes it drop out here);
 *   flip  those orders become `paid`, returning the payment that won each; `won` is false when
 *         the order already has a successful payment although it was still `created` (rows
 *         settled before migration 0002, or by hand): the order is paid all the same, and the
 *         backstop index uq_payments_order_success is never tripped;
 * then every due payment ends `success` if it won, `failed` / ORDER_ALREADY_PAID if its bank
 * said success but it did not, else `failed` / PAYMENT_FAILED.
 */
static const struct db_stmt st_pay_settle = {
    "settle_pay_batch",
    "WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) "
    "WITH ORDINALITY AS u(id, uo, co, i)), "
    "due AS (SELECT p.id, p.order_id, u.i, "
    "CASE WHEN p.method = 'upi' THEN u.uo ELSE u.co END AS outcome "
    "FROM payments p JOIN u ON p.id = u.id WHERE p.status = 'pending' "
    "ORDER BY p.id FOR UPDATE OF p), "
    "win AS (SELECT DISTINCT ON (order_id) order_id, id FROM due WHERE outcome = 'success' "
    "ORDER BY order_id, i), "
    "lk AS (SELECT o.id FROM orders o JOIN win ON win.order_id = o.id "
    "WHERE o.status = 'created' ORDER BY o.id FOR UPDATE OF o), "
    "flip AS (UPDATE orders o SET status = 'paid', updated_at = now() FROM lk, win "
    "WHERE o.id = lk.id AND win.order_id = o.id AND o.status = 'created' "
    "RETURNING win.id AS payment_id, NOT EXISTS (SELECT 1 FROM payments s "
    "WHERE s.order_id = o.id AND s.status = 'success') AS won) "
    "UPDATE payments p SET "
    "status = CASE WHEN flip.won THEN 'success' ELSE 'failed' END, "
    "error_code = CASE WHEN flip.won THEN NULL "
    "WHEN due.outcome = 'success' THEN 'ORDER_ALREADY_PAID' ELSE 'PAYMENT_FAILED' END, "
    "error_description = CASE WHEN flip.won THEN NULL "
    "WHEN due.outcome = 'success' THEN 'Order already paid' "
    "ELSE 'Payment processing failed' END, updated_at = now() "
    "FROM due LEFT JOIN flip ON flip.payment_id = due.id "
    "WHERE p.id = due.id AND p.status = 'pending' "
    "RETURNING " PAYMENT_COLS ", due.i",
    3
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
};

/* Runs the settling UPDATE over the distinct items. map[k - 1] is set to the index of the item
 * whose id is element k of $1, and *m to their number. */
static int
settle_update(struct db *db, const struct settle_tx *t, size_t *map, size_t *m, struct db_res *res,
              struct gw_err *err)
{
    struct buf ids, upi, card;
    const char *params[3];
    size_t i, k;
    int ret = -1;

    buf_init(&ids, 0);
    buf_init(&upi, 0);
    buf_init(&card, 0);
    *m = 0;
    for (i = 0; i < t->n; i++) {
        struct settle_item *it = &t->items[i];
        bool dup = false;

        it->changed = false;
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
                    || buf_arr_add(&card, it->card_outcome) != 0))) {
            goto oom;
        }
        map[(*m)++] = i;
    }
    if (buf_arr_end(&ids) != 0 || buf_arr_end(&upi) != 0 || buf_arr_end(&card) != 0) {
        goto oom;
    }
    params[0] = ids.data;
    params[1] = upi.data;
    params[2] = card.data;
    ret = db_exec(db, t->kind == QUEUE_PAYMENT ? &st_pay_settle : &st_ref_settle, params, res, err);
    goto out;
oom:
    ret = GW_ERR(err, INTERNAL, "cannot build batch parameters");
out:
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
        evix[ev.n] = map[ord - 1];
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
             struct gw_err *err)
{
    struct settle_tx t = { kind, items, n };

    if (n == 0) {
        return 0;
    }
    return db_tx(db, settle_tx_fn, &t, err);
}

/* refund.c: refunds (SPEC 6.5): input rules, creation under a row lock, lists. */
#include "refund.h"

#include "crypto.h"
#include "event.h"
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
static const struct db_stmt st_refund_lock = { "refund_payment_lock",
    "SELECT status, amount FROM payments WHERE id = $1 AND merchant_id = $2 FOR UPDATE", 2 };
static const struct db_stmt st_refund_sum = { "refund_sum",
    "SELECT COALESCE(sum(amount), 0) FROM refunds "
    "WHERE payment_id = $1 AND status IN ('pending', 'processed')", 1 };
static const struct db_stmt st_refund_insert = { "refund_insert",
    "INSERT INTO refunds (id, payment_id, merchant_id, amount, reason, status, created_at, "
    "enqueued_at) VALUES ($1, $2, $3, $4, $5, 'pending', now(), now()) "
    "ON CONFLICT (id) DO NOTHING RETURNING " DB_TS("created_at"), 5 };
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

struct refund_create_tx {
    const char *merchant_id;
    const char *payment_id;
    struct json_object *body;
    struct refund *out;
    char *log_id;
};

static int
refund_create_tx(struct db *db, void *arg, struct gw_err *err)
{
    struct refund_create_tx *tx = arg;
    struct refund *r = tx->out;
    struct refund_create_in in;
    struct db_res res = DB_RES_INIT;
    const char *params[5];
    char amount[24];
    int64_t pay_amount, refunded;
    int attempt, ret = -1;

    tx->log_id[0] = '\0';
    params[0] = tx->payment_id;
    params[1] = tx->merchant_id;
    if (db_exec(db, &st_refund_lock, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1) {
        (void)GW_ERR(err, NOT_FOUND, "Payment not found");
        goto out;
    }
    if (refund_parse_create(tx->body, &in, err) != 0) {
        goto out;
    }
    if (db_val(&res, 0, 0) == NULL || strcmp(db_val(&res, 0, 0), "success") != 0) {
        (void)GW_ERR(err, BAD_REQUEST, "Payment not in refundable state");
        goto out;
    }
    pay_amount = db_int(&res, 0, 1);
    if (db_exec(db, &st_refund_sum, params, &res, err) != 0) {
        goto out;
    }
    refunded = db_int(&res, 0, 0);
    if (in.amount > pay_amount - refunded) {
        (void)GW_ERR(err, BAD_REQUEST, "Refund amount exceeds available amount");
        goto out;
    }

    memset(r, 0, sizeof(*r));
    (void)snprintf(amount, sizeof(amount), "%" PRId64, in.amount);
    gw_copy_str(r->payment_id, sizeof(r->payment_id), tx->payment_id);
    gw_copy_str(r->merchant_id, sizeof(r->merchant_id), tx->merchant_id);
    r->amount = in.amount;
    if (in.reason != NULL) {
        memcpy(r->reason, in.reason, in.reason_len);
        r->reason[in.reason_len] = '\0';
        r->has_reason = true;
    }
    memcpy(r->status, "pending", sizeof("pending"));
    for (attempt = 0; attempt < REFUND_ID_ATTEMPTS; attempt++) {
        if (crypto_new_id("rfnd_", r->id, sizeof(r->id), err) != 0) {
            goto out;
        }
        params[0] = r->id;
        params[1] = tx->payment_id;
        params[2] = tx->merchant_id;
        params[3] = amount;
        params[4] = r->has_reason ? r->reason : NULL;
        if (db_exec(db, &st_refund_insert, params, &res, err) != 0) {
            goto out;
        }
        if (res.nrows == 1) {
            break;
        }
    }
    if (res.nrows != 1) {
        (void)GW_ERR(err, INTERNAL, "could not allocate a refund id");
        goto out;
    }
    gw_copy_str(r->created_at, sizeof(r->created_at), db_val(&res, 0, 0));
    if (event_create(db, tx->merchant_id, EVENT_REFUND_CREATED, NULL, r, tx->log_id, err) != 0) {
        goto out;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
refund_create(struct db *db, const char *merchant_id, const char *payment_id,
              struct json_object *body, struct refund *out, char log_id[MODEL_UUID_SZ],
              struct gw_err *err)
{
    struct refund_create_tx tx = { merchant_id, payment_id, body, out, log_id };

    memset(out, 0, sizeof(*out));
    log_id[0] = '\0';
    if (payment_id == NULL || !validate_object_id("pay_", payment_id)) {
        return GW_ERR(err, NOT_FOUND, "Payment not found");
    }
    return db_tx(db, refund_create_tx, &tx, err);
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
    jw_str(w, r->created_at);
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

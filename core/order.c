/* order.c: orders (SPEC 6.2): input rules, storage and representation. */
#include "order.h"

#include "buf.h"
#include "crypto.h"
#include "merchant.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORDER_ID_ATTEMPTS 5
#define ORDER_COLS                                                                          \
    "o.id, o.merchant_id, o.amount, o.currency, o.receipt, COALESCE(o.notes::text, '{}'), " \
    "COALESCE(o.status, 'created'), " DB_TS("o.created_at") ", " DB_TS("o.updated_at")

/* clang-format off */
static const struct db_stmt st_order_get = { "order_get",
    "SELECT " ORDER_COLS " FROM orders o WHERE o.id = $1 AND o.merchant_id = $2", 2 };
static const struct db_stmt st_order_get_public = { "order_get_public",
    "SELECT " ORDER_COLS ", m.name FROM orders o JOIN merchants m ON m.id = o.merchant_id "
    "WHERE o.id = $1 AND m.is_active", 1 };
static const struct db_stmt st_order_list = { "order_list",
    "SELECT " ORDER_COLS ", count(*) OVER () FROM orders o WHERE o.merchant_id = $1 "
    "ORDER BY o.created_at DESC, o.id DESC LIMIT $2 OFFSET $3", 3 };
static const struct db_stmt st_order_count = { "order_count",
    "SELECT count(*) FROM orders WHERE merchant_id = $1", 1 };
/* clang-format on */

int
order_parse_create(struct json_object *body, struct order_create_in *in, struct gw_err *err)
{
    struct json_object *v = NULL;
    enum jsonh_int_class cls;
    struct buf b;
    const char *s;
    size_t len;
    int64_t amount = 0;

    memset(in, 0, sizeof(*in));
    if (!json_object_object_get_ex(body, "amount", &v) || v == NULL) {
        return GW_ERR(err, BAD_REQUEST, "amount is required");
    }
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        return GW_ERR(err, BAD_REQUEST, "amount must be an integer");
    }
    cls = jsonh_int_classify(v, &amount);
    if (cls == JSONH_INT_NOT_INTEGER) {
        return GW_ERR(err, BAD_REQUEST, "amount must be an integer");
    }
    if (cls == JSONH_INT_TOO_SMALL || (cls == JSONH_INT_OK && amount < ORDER_AMOUNT_MIN)) {
        return GW_ERR(err, BAD_REQUEST, "amount must be at least 100");
    }
    if (cls == JSONH_INT_TOO_LARGE || amount > GW_AMOUNT_MAX) {
        return GW_ERR(err, BAD_REQUEST, "amount must be at most 2147483647");
    }
    in->amount = amount;

    memcpy(in->currency, "INR", 4);
    if (json_object_object_get_ex(body, "currency", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_string)) {
            return GW_ERR(err, BAD_REQUEST, "currency must be a 3-letter uppercase code");
        }
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (len != 3 || !validate_currency(s, len)) {
            return GW_ERR(err, BAD_REQUEST, "currency must be a 3-letter uppercase code");
        }
        memcpy(in->currency, s, 3);
        in->currency[3] = '\0';
    }

    if (json_object_object_get_ex(body, "receipt", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_string)) {
            return GW_ERR(err, BAD_REQUEST, "receipt must be a string of at most 255 characters");
        }
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (memchr(s, '\0', len) != NULL || len > (size_t)ORDER_RECEIPT_MAX_CHARS * 4
            || validate_utf8_chars(s, len) > ORDER_RECEIPT_MAX_CHARS) {
            return GW_ERR(err, BAD_REQUEST, "receipt must be a string of at most 255 characters");
        }
        in->receipt = s;
        in->receipt_len = len;
    }

    if (json_object_object_get_ex(body, "notes", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_object)) {
            return GW_ERR(err, BAD_REQUEST, "notes must be a JSON object");
        }
        buf_init(&b, 0);
        if (jsonh_write_value(&b, v) != 0) {
            buf_release(&b);
            return GW_ERR(err, INTERNAL, "cannot serialise notes");
        }
        in->notes = buf_detach(&b, NULL);
        buf_release(&b); /* buf_detach re-initialises b */
    } else {
        in->notes = xstrdup("{}");
    }
    return 0;
}

void
order_create_in_release(struct order_create_in *in)
{
    free(in->notes);
    in->notes = NULL;
}

/*
 * POST /api/v1/orders in one statement (SPEC 4.2, 6.2, 9): who asks ("a"), a live idempotency
 * record ("k"), the order when the body passed its checks ($12) and no record lives ("ins"), its
 * answer with the database's values in the holes of the template ("f") and the idempotency
 * record ("x", "s"). $1-$3 credentials, $4 key, $5 fingerprint, $6 order id, $7 amount,
 * $8 currency, $9 receipt, $10 notes, $11 answer template, $12 checks passed.
 */
/* clang-format off */
static const struct db_stmt st_order_create = { "order_create",
    "WITH " MERCHANT_AUTH_CTE ", " IDEM_LIVE_CTE("$4") ", "
    "ins AS (INSERT INTO orders (id, merchant_id, amount, currency, receipt, notes, status, "
    "created_at, updated_at) SELECT $6, a.id, $7, $8, $9, $10::json, 'created', now(), now() "
    "FROM a WHERE $12::bool AND NOT EXISTS (SELECT 1 FROM k) ON CONFLICT (id) DO NOTHING "
    "RETURNING merchant_id, " DB_TS("created_at") " AS ts), "
    "f AS (SELECT ins.merchant_id, 0 AS n, "
    JW_HOLES_FILL_SQL("$11", "ins.ts", "''", "''", "ins.merchant_id") " AS doc FROM ins), "
    IDEM_EXPIRED_CTE("$4") ", " IDEM_PUT_CTE("$4", "$5", "201", "f.merchant_id", "f.doc", "f", "true")
    " SELECT " IDEM_ANSWER_COLS("$5"), 12 };
/* clang-format on */

/* The order the template describes (the database fills in the merchant and the time). */
static void
order_pending_from_input(struct order *o, const struct order_create_in *in)
{
    memset(o, 0, sizeof(*o));
    o->amount = in->amount;
    memcpy(o->currency, in->currency, sizeof(o->currency));
    if (in->receipt != NULL) {
        memcpy(o->receipt, in->receipt, in->receipt_len);
        o->receipt[in->receipt_len] = '\0';
        o->has_receipt = true;
    }
    o->notes = in->notes;
    memcpy(o->status, "created", sizeof("created"));
}

int
order_create(struct db *db, const struct merchant_creds *creds, const struct idem_req *idem,
             const struct order_create_in *in, const struct gw_err *check_err,
             struct idem_answer *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[12];
    struct idem_trip t;
    struct order o;
    struct buf tmpl;
    struct jw w;
    char amount[24];
    bool ok = !gw_err_is_set(check_err);
    int attempt, ret = -1;

    buf_init(&tmpl, 0);
    if (idem_trip_begin(&t, creds, idem, false, err) != 0) {
        goto out;
    }
    memcpy(params, t.auth, sizeof(t.auth));
    (void)snprintf(amount, sizeof(amount), "%" PRId64, in->amount);
    order_pending_from_input(&o, in);
    for (attempt = 0; attempt < ORDER_ID_ATTEMPTS; attempt++) {
        if (crypto_new_id("order_", o.id, sizeof(o.id), err) != 0) {
            goto out;
        }
        buf_reset(&tmpl);
        jw_init(&w, &tmpl);
        order_write_json(&w, &o);
        if (jw_finish(&w) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot write the order template");
            goto out;
        }
        params[3] = t.idem != NULL ? t.idem->key : NULL;
        params[4] = t.idem != NULL ? t.idem->fingerprint : NULL;
        params[5] = o.id;
        params[6] = ok ? amount : NULL;
        params[7] = ok ? in->currency : NULL;
        params[8] = ok ? in->receipt : NULL;
        params[9] = ok ? in->notes : NULL;
        params[10] = tmpl.data;
        params[11] = ok ? "true" : "false";
        idem_trip_add(&t, &st_order_create, params, &res, NULL, NULL);
        if (idem_trip_run(db, &t, err) != 0) {
            goto out;
        }
        idem_answer_read(&res, 201, out);
        if (idem_answer_check(out, false, err) != 0) {
            goto out;
        }
        if (out->live || out->inserted) {
            ret = 0;
            goto out;
        }
        if (!ok) {
            *err = *check_err;
            goto out;
        }
    }
    ret = GW_ERR(err, INTERNAL, "could not allocate an order id");
out:
    idem_trip_release(&t);
    db_res_release(&res);
    buf_release(&tmpl);
    return ret;
}

static void
order_from_row(const struct db_res *res, int row, void *out)
{
    struct order *o = out;

    memset(o, 0, sizeof(*o));
    gw_copy_str(o->id, sizeof(o->id), db_val(res, row, 0));
    gw_copy_str(o->merchant_id, sizeof(o->merchant_id), db_val(res, row, 1));
    o->amount = db_int(res, row, 2);
    gw_copy_str(o->currency, sizeof(o->currency), db_val(res, row, 3));
    o->has_receipt = !db_isnull(res, row, 4);
    gw_copy_str(o->receipt, sizeof(o->receipt), db_val(res, row, 4));
    o->notes = xstrdup(db_isnull(res, row, 5) ? "{}" : db_val(res, row, 5));
    gw_copy_str(o->status, sizeof(o->status), db_val(res, row, 6));
    gw_copy_str(o->created_at, sizeof(o->created_at), db_val(res, row, 7));
    gw_copy_str(o->updated_at, sizeof(o->updated_at), db_val(res, row, 8));
}

/* The public read: the order and its merchant's name (column 9). */
static void
order_public_from_row(const struct db_res *res, int row, void *out)
{
    struct order *o = out;

    order_from_row(res, row, out);
    o->merchant_name = xstrdup(db_val(res, row, 9));
}

static const struct db_page_query order_page = { &st_order_list, &st_order_count, order_from_row,
                                                 sizeof(struct order) };

int
order_load(struct db *db, const char *id, const char *merchant_id, struct order *out, bool *found,
           struct gw_err *err)
{
    const char *params[2] = { id, merchant_id };

    memset(out, 0, sizeof(*out));
    *found = false;
    if (!validate_object_id("order_", id)) {
        return 0;
    }
    if (merchant_id == NULL) {
        return db_query_row(db, &st_order_get_public, params, order_public_from_row, out, found,
                            err);
    }
    return db_query_row(db, &st_order_get, params, order_from_row, out, found, err);
}

int
order_list(struct db *db, const char *merchant_id, int64_t limit, int64_t offset,
           struct order_list *out, struct gw_err *err)
{
    const char *params[1] = { merchant_id };
    void *items = NULL;
    int ret;

    memset(out, 0, sizeof(*out));
    ret = db_query_page(db, &order_page, params, limit, offset, &items, &out->n, &out->total, err);
    out->items = items;
    return ret;
}

void
order_release(struct order *o)
{
    free(o->notes);
    free(o->merchant_name);
    o->notes = NULL;
    o->merchant_name = NULL;
}

void
order_list_release(struct order_list *l)
{
    int i;

    for (i = 0; i < l->n; i++) {
        order_release(&l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void
order_write_json(struct jw *w, const struct order *o)
{
    const char *notes = o->notes != NULL ? o->notes : "{}";

    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, o->id);
    jw_key(w, "merchant_id");
    jw_str_or_hole(w, o->merchant_id, JW_HOLE_MERCHANT);
    jw_key(w, "amount");
    jw_int(w, o->amount);
    jw_key(w, "currency");
    jw_str(w, o->currency);
    jw_key(w, "receipt");
    jw_str(w, o->has_receipt ? o->receipt : NULL);
    jw_key(w, "notes");
    jw_raw(w, notes, strlen(notes));
    jw_key(w, "status");
    jw_str(w, o->status);
    jw_key(w, "created_at");
    jw_str_or_hole(w, o->created_at, JW_HOLE_TIME);
    jw_key(w, "updated_at");
    jw_str_or_hole(w, o->updated_at, JW_HOLE_TIME);
    jw_obj_end(w);
}

void
order_write_public_json(struct jw *w, const struct order *o)
{
    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, o->id);
    jw_key(w, "amount");
    jw_int(w, o->amount);
    jw_key(w, "currency");
    jw_str(w, o->currency);
    jw_key(w, "status");
    jw_str(w, o->status);
    jw_key(w, "merchant_name");
    jw_str(w, o->merchant_name != NULL ? o->merchant_name : "");
    jw_obj_end(w);
}

void
order_list_write_json(struct jw *w, const struct order_list *l, int64_t limit, int64_t offset)
{
    int i;

    jw_list_begin(w);
    for (i = 0; i < l->n; i++) {
        order_write_json(w, &l->items[i]);
    }
    jw_list_end(w, l->total, limit, offset);
}

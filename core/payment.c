/* payment.c: payments (SPEC 6.3, 6.4, 7): input rules, creation, capture, lists, filters,
 * statistics and CSV export. */
#include "payment.h"

#include "crypto.h"
#include "event.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAY_ID_ATTEMPTS 5
#define PAY_CSV_BATCH   1000
#define STR_(x)         #x
#define STR(x)          STR_(x)
/* $1 merchant, $2 status, $3 method, $4 from (Unix s, inclusive), $5 to (Unix s, exclusive) */
#define PAY_FILTER                                                                               \
    "p.merchant_id = $1 AND ($2::text IS NULL OR p.status = $2) "                                \
    "AND ($3::text IS NULL OR p.method = $3) "                                                   \
    "AND ($4::bigint IS NULL OR p.created_at >= (to_timestamp($4::bigint) AT TIME ZONE 'UTC')) " \
    "AND ($5::bigint IS NULL OR p.created_at < (to_timestamp($5::bigint) AT TIME ZONE 'UTC'))"

/* clang-format off */
static const struct db_stmt st_pay_get = { "payment_get",
    "SELECT " PAYMENT_COLS " FROM payments p WHERE p.id = $1 "
    "AND ($2::uuid IS NULL OR p.merchant_id = $2)", 2 };
static const struct db_stmt st_pay_order = { "payment_order_lookup",
    "SELECT o.merchant_id, o.amount, o.currency, o.status FROM orders o "
    "JOIN merchants m ON m.id = o.merchant_id "
    "WHERE o.id = $1 AND ($2::uuid IS NULL OR o.merchant_id = $2) AND m.is_active", 2 };
static const struct db_stmt st_pay_insert = { "payment_insert",
    "INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa, "
    "card_network, card_last4, status, captured, created_at, updated_at, enqueued_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', false, now(), now(), now()) "
    "ON CONFLICT (id) DO NOTHING RETURNING " DB_TS("created_at"), 9 };
static const struct db_stmt st_pay_list = { "payment_list",
    "SELECT " PAYMENT_COLS ", count(*) OVER () FROM payments p WHERE " PAY_FILTER
    " ORDER BY p.created_at DESC, p.id DESC LIMIT $6 OFFSET $7", 7 };
static const struct db_stmt st_pay_count = { "payment_count",
    "SELECT count(*) FROM payments p WHERE " PAY_FILTER, 5 };
static const struct db_stmt st_pay_export = { "payment_export",
    "SELECT " PAYMENT_COLS ", p.created_at::text FROM payments p WHERE " PAY_FILTER
    " AND ($6::timestamp IS NULL OR (p.created_at, p.id) < ($6::timestamp, $7::text)) "
    "ORDER BY p.created_at DESC, p.id DESC LIMIT " STR(PAY_CSV_BATCH), 7 };
static const struct db_stmt st_pay_stats_methods = { "payment_stats_methods",
    "SELECT p.method, count(*), count(*) FILTER (WHERE p.status = 'success'), "
    "COALESCE(sum(p.amount) FILTER (WHERE p.status = 'success'), 0) "
    "FROM payments p WHERE p.merchant_id = $1 GROUP BY p.method", 1 };
static const struct db_stmt st_pay_stats_daily = { "payment_stats_daily",
    "SELECT to_char(d.day, 'YYYY-MM-DD'), count(p.id), "
    "count(p.id) FILTER (WHERE p.status = 'success'), "
    "COALESCE(sum(p.amount) FILTER (WHERE p.status = 'success'), 0) "
    "FROM (SELECT (now() AT TIME ZONE 'UTC')::date - g.n AS day "
    "FROM generate_series(0, 29) AS g(n)) d "
    "LEFT JOIN payments p ON p.merchant_id = $1 AND p.created_at >= d.day "
    "AND p.created_at < d.day + 1 GROUP BY d.day ORDER BY d.day", 1 };
static const struct db_stmt st_pay_capture = { "payment_capture",
    "UPDATE payments SET captured = true, updated_at = now() "
    "WHERE id = $1 AND merchant_id = $2 AND status = 'success' AND captured = false "
    "RETURNING " DB_TS("updated_at"), 2 };
/* clang-format on */

static bool
str_is(struct json_object *v, const char *lit)
{
    size_t n = strlen(lit);

    return json_object_is_type(v, json_type_string) && (size_t)json_object_get_string_len(v) == n
           && memcmp(json_object_get_string(v), lit, n) == 0;
}

/* ---- pure rules ------------------------------------------------------------------------ */

int
payment_parse_order_id(struct json_object *body, const char **id, size_t *len, struct gw_err *err)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(body, "order_id", &v) || v == NULL
        || !json_object_is_type(v, json_type_string)) {
        return GW_ERR(err, BAD_REQUEST, "order_id is required");
    }
    *id = json_object_get_string(v);
    *len = (size_t)json_object_get_string_len(v);
    return 0;
}

/* A card field: a string, or an integer taken as its decimal string. */
struct card_val {
    struct json_object *obj;
    const char *s;
    size_t len;
    char num[32];
    bool negative;
};

static int
card_get(struct json_object *card, const char *key, struct card_val *cv)
{
    struct json_object *v = NULL;
    enum jsonh_int_class cls;
    int64_t n = 0;
    int w;

    memset(cv, 0, sizeof(*cv));
    if (!json_object_object_get_ex(card, key, &v) || v == NULL) {
        return -1;
    }
    cv->obj = v;
    if (json_object_is_type(v, json_type_string)) {
        cv->s = json_object_get_string(v);
        cv->len = (size_t)json_object_get_string_len(v);
        return 0;
    }
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        return -1;
    }
    cls = jsonh_int_classify(v, &n);
    switch (cls) {
    case JSONH_INT_OK:
        w = snprintf(cv->num, sizeof(cv->num), "%" PRId64, n);
        cv->s = cv->num;
        cv->len = w > 0 ? (size_t)w : 0;
        cv->negative = n < 0;
        return 0;
    case JSONH_INT_TOO_LARGE:
        cv->s = json_object_get_string(v);
        cv->len = strlen(cv->s);
        return 0;
    case JSONH_INT_TOO_SMALL:
        cv->s = "-";
        cv->len = 1;
        cv->negative = true;
        return 0;
    case JSONH_INT_NOT_INTEGER:
    default:
        return -1;
    }
}

/* Overwrites a JSON string value in place (card number, CVV) once it has been validated. */
static void
wipe_json_string(struct json_object *v)
{
    char *p;
    int len;

    if (v == NULL || !json_object_is_type(v, json_type_string)) {
        return;
    }
    len = json_object_get_string_len(v);
    p = (char *)(uintptr_t)json_object_get_string(v);
    if (p != NULL && len > 0) {
        crypto_wipe(p, (size_t)len);
    }
}

static int
parse_card(struct json_object *body, int now_year, int now_month, struct payment_instrument *out,
           struct gw_err *err)
{
    struct json_object *card = NULL, *holder = NULL;
    struct card_val number, month, year, cvv;
    char digits[20] = { 0 };
    const char *hs;
    size_t hlen, dlen;
    int ret = -1;

    memset(&number, 0, sizeof(number));
    memset(&cvv, 0, sizeof(cvv));
    if (!json_object_object_get_ex(body, "card", &card) || card == NULL
        || !json_object_is_type(card, json_type_object)) {
        (void)GW_ERR(err, BAD_REQUEST, "Missing card details");
        goto out;
    }
    if (card_get(card, "number", &number) != 0 || card_get(card, "expiry_month", &month) != 0
        || card_get(card, "expiry_year", &year) != 0 || card_get(card, "cvv", &cvv) != 0) {
        (void)GW_ERR(err, BAD_REQUEST, "Missing card details");
        goto out;
    }
    if (!json_object_object_get_ex(card, "holder_name", &holder) || holder == NULL
        || !json_object_is_type(holder, json_type_string)) {
        (void)GW_ERR(err, BAD_REQUEST, "Missing card details");
        goto out;
    }
    hs = json_object_get_string(holder);
    hlen = (size_t)json_object_get_string_len(holder);
    if (hlen == 0 || memchr(hs, '\0', hlen) != NULL
        || validate_utf8_chars(hs, hlen) > PAYMENT_HOLDER_MAX) {
        (void)GW_ERR(err, BAD_REQUEST, "Missing card details");
        goto out;
    }
    if (number.negative || validate_card_clean(number.s, number.len, digits) != 0
        || !validate_luhn(digits)) {
        (void)GW_ERR(err, INVALID_CARD, "Card validation failed");
        goto out;
    }
    if (!validate_expiry(month.s, month.len, year.s, year.len, now_year, now_month)) {
        (void)GW_ERR(err, EXPIRED_CARD, "Card expiry date invalid");
        goto out;
    }
    if (!validate_cvv(cvv.s, cvv.len)) {
        (void)GW_ERR(err, INVALID_CARD, "Card validation failed");
        goto out;
    }
    memcpy(out->method, "card", sizeof("card"));
    gw_copy_str(out->card_network, sizeof(out->card_network), validate_card_network(digits));
    dlen = strlen(digits);
    memcpy(out->card_last4, digits + dlen - 4, 4);
    out->card_last4[4] = '\0';
    ret = 0;
out:
    crypto_wipe(digits, sizeof(digits));
    crypto_wipe(number.num, sizeof(number.num));
    crypto_wipe(cvv.num, sizeof(cvv.num));
    wipe_json_string(number.obj);
    wipe_json_string(cvv.obj);
    return ret;
}

int
payment_parse_instrument(struct json_object *body, int now_year, int now_month,
                         struct payment_instrument *out, struct gw_err *err)
{
    struct json_object *v = NULL;
    const char *s;
    size_t len;

    memset(out, 0, sizeof(*out));
    if (!json_object_object_get_ex(body, "method", &v) || v == NULL) {
        return GW_ERR(err, BAD_REQUEST, "Invalid payment method");
    }
    if (str_is(v, "upi")) {
        if (!json_object_object_get_ex(body, "vpa", &v) || v == NULL
            || !json_object_is_type(v, json_type_string)) {
            return GW_ERR(err, INVALID_VPA, "VPA format invalid");
        }
        s = json_object_get_string(v);
        len = (size_t)json_object_get_string_len(v);
        if (len > PAYMENT_VPA_MAX || !validate_vpa(s, len)) {
            return GW_ERR(err, INVALID_VPA, "VPA format invalid");
        }
        memcpy(out->method, "upi", sizeof("upi"));
        memcpy(out->vpa, s, len);
        out->vpa[len] = '\0';
        return 0;
    }
    if (str_is(v, "card")) {
        return parse_card(body, now_year, now_month, out, err);
    }
    return GW_ERR(err, BAD_REQUEST, "Invalid payment method");
}

int
payment_parse_filter(const char *status, const char *method, const char *created_from,
                     const char *created_to, struct payment_filter *out, struct gw_err *err)
{
    bool date_only = false;
    int64_t ts = 0;

    memset(out, 0, sizeof(*out));
    if (status != NULL) {
        if (strcmp(status, "pending") != 0 && strcmp(status, "success") != 0
            && strcmp(status, "failed") != 0) {
            return GW_ERR(err, BAD_REQUEST, "status must be one of pending, success, failed");
        }
        out->status = status;
    }
    if (method != NULL) {
        if (strcmp(method, "upi") != 0 && strcmp(method, "card") != 0) {
            return GW_ERR(err, BAD_REQUEST, "method must be one of upi, card");
        }
        out->method = method;
    }
    if (created_from != NULL) {
        if (validate_parse_timestamp(created_from, &ts, &date_only) != 0) {
            return GW_ERR(err, BAD_REQUEST,
                          "created_from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        }
        out->has_from = true;
        out->from = ts;
    }
    if (created_to != NULL) {
        if (validate_parse_timestamp(created_to, &ts, &date_only) != 0) {
            return GW_ERR(err, BAD_REQUEST,
                          "created_to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
        }
        out->has_to = true;
        out->to_excl = ts + (date_only ? 86400 : 1);
    }
    return 0;
}

int
payment_parse_capture_amount(struct json_object *body, bool *has, int64_t *amount,
                             struct gw_err *err)
{
    struct json_object *v = NULL;
    int64_t n = 0;

    *has = false;
    *amount = 0;
    if (!json_object_object_get_ex(body, "amount", &v) || v == NULL) {
        return 0;
    }
    if ((!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        || jsonh_int_classify(v, &n) != JSONH_INT_OK || n < 1 || n > GW_AMOUNT_MAX) {
        return GW_ERR(err, BAD_REQUEST, "amount must be a positive integer");
    }
    *has = true;
    *amount = n;
    return 0;
}

int
payment_csv_field(struct buf *b, const char *s, size_t len)
{
    bool quote = false, prefix;
    size_t i;

    if (s == NULL || len == 0) {
        return 0;
    }
    prefix = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    for (i = 0; i < len; i++) {
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') {
            quote = true;
            break;
        }
    }
    if (!quote) {
        if (prefix && buf_putc(b, '\'') != 0) {
            return -1;
        }
        return buf_append(b, s, len);
    }
    if (buf_putc(b, '"') != 0 || (prefix && buf_putc(b, '\'') != 0)) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (s[i] == '"' && buf_putc(b, '"') != 0) {
            return -1;
        }
        if (buf_putc(b, s[i]) != 0) {
            return -1;
        }
    }
    return buf_putc(b, '"');
}

static int
csv_col(struct buf *b, const char *s, bool first)
{
    if (!first && buf_putc(b, ',') != 0) {
        return -1;
    }
    return payment_csv_field(b, s, s != NULL ? strlen(s) : 0);
}

int
payment_csv_row(struct buf *b, const struct payment *p)
{
    bool card = strcmp(p->method, "card") == 0;
    char amount[24];

    (void)snprintf(amount, sizeof(amount), "%" PRId64, p->amount);
    if (csv_col(b, p->id, true) != 0 || csv_col(b, p->order_id, false) != 0
        || csv_col(b, amount, false) != 0 || csv_col(b, p->currency, false) != 0
        || csv_col(b, p->method, false) != 0 || csv_col(b, p->status, false) != 0
        || csv_col(b, p->captured ? "true" : "false", false) != 0
        || csv_col(b, card ? NULL : p->vpa, false) != 0
        || csv_col(b, card ? p->card_network : NULL, false) != 0
        || csv_col(b, card ? p->card_last4 : NULL, false) != 0
        || csv_col(b, p->error_code, false) != 0 || csv_col(b, p->error_description, false) != 0
        || csv_col(b, p->created_at, false) != 0 || csv_col(b, p->updated_at, false) != 0) {
        return -1;
    }
    return buf_append(b, "\r\n", 2);
}

/* ---- storage --------------------------------------------------------------------------- */

void
payment_from_row(const struct db_res *res, int row, void *out)
{
    struct payment *p = out;

    memset(p, 0, sizeof(*p));
    gw_copy_str(p->id, sizeof(p->id), db_val(res, row, 0));
    gw_copy_str(p->order_id, sizeof(p->order_id), db_val(res, row, 1));
    gw_copy_str(p->merchant_id, sizeof(p->merchant_id), db_val(res, row, 2));
    p->amount = db_int(res, row, 3);
    gw_copy_str(p->currency, sizeof(p->currency), db_val(res, row, 4));
    gw_copy_str(p->method, sizeof(p->method), db_val(res, row, 5));
    gw_copy_str(p->vpa, sizeof(p->vpa), db_val(res, row, 6));
    gw_copy_str(p->card_network, sizeof(p->card_network), db_val(res, row, 7));
    gw_copy_str(p->card_last4, sizeof(p->card_last4), db_val(res, row, 8));
    gw_copy_str(p->status, sizeof(p->status), db_val(res, row, 9));
    p->captured = db_bool(res, row, 10);
    gw_copy_str(p->error_code, sizeof(p->error_code), db_val(res, row, 11));
    gw_copy_str(p->error_description, sizeof(p->error_description), db_val(res, row, 12));
    gw_copy_str(p->created_at, sizeof(p->created_at), db_val(res, row, 13));
    gw_copy_str(p->updated_at, sizeof(p->updated_at), db_val(res, row, 14));
}

static const struct db_page_query payment_page = { &st_pay_list, &st_pay_count, payment_from_row,
                                                   sizeof(struct payment) };

int
payment_load(struct db *db, const char *id, const char *merchant_id, struct payment *out,
             bool *found, struct gw_err *err)
{
    const char *params[2] = { id, merchant_id };

    memset(out, 0, sizeof(*out));
    *found = false;
    if (id == NULL || !validate_object_id("pay_", id)) {
        return 0;
    }
    return db_query_row(db, &st_pay_get, params, payment_from_row, out, found, err);
}

struct payment_create_tx {
    struct payment_created *out;
};

static int
payment_create_tx(struct db *db, void *arg, struct gw_err *err)
{
    struct payment_create_tx *tx = arg;
    struct payment *p = &tx->out->payment;
    struct db_res res = DB_RES_INIT;
    bool card = strcmp(p->method, "card") == 0;
    char amount[24];
    const char *params[9];
    int attempt, ret = -1;

    tx->out->log_ids[0][0] = '\0';
    tx->out->log_ids[1][0] = '\0';
    (void)snprintf(amount, sizeof(amount), "%" PRId64, p->amount);
    for (attempt = 0; attempt < PAY_ID_ATTEMPTS; attempt++) {
        if (crypto_new_id("pay_", p->id, sizeof(p->id), err) != 0) {
            goto out;
        }
        params[0] = p->id;
        params[1] = p->order_id;
        params[2] = p->merchant_id;
        params[3] = amount;
        params[4] = p->currency;
        params[5] = p->method;
        params[6] = card ? NULL : p->vpa;
        params[7] = card ? p->card_network : NULL;
        params[8] = card ? p->card_last4 : NULL;
        if (db_exec(db, &st_pay_insert, params, &res, err) != 0) {
            goto out;
        }
        if (res.nrows == 1) {
            break;
        }
    }
    if (res.nrows != 1) {
        (void)GW_ERR(err, INTERNAL, "could not allocate a payment id");
        goto out;
    }
    gw_copy_str(p->created_at, sizeof(p->created_at), db_val(&res, 0, 0));
    gw_copy_str(p->updated_at, sizeof(p->updated_at), db_val(&res, 0, 0));
    if (event_create(db, p->merchant_id, EVENT_PAYMENT_CREATED, p, NULL, tx->out->log_ids[0], err)
            != 0
        || event_create(db, p->merchant_id, EVENT_PAYMENT_PENDING, p, NULL, tx->out->log_ids[1],
                        err)
               != 0) {
        goto out;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
payment_create(struct db *db, const char *merchant_id, struct json_object *body,
               struct payment_created *out, struct gw_err *err)
{
    struct payment_instrument inst;
    struct payment_create_tx tx = { out };
    struct payment *p = &out->payment;
    struct db_res res = DB_RES_INIT;
    const char *params[2];
    const char *order_id = NULL;
    size_t order_id_len = 0;
    struct tm tm;
    time_t now;
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (payment_parse_order_id(body, &order_id, &order_id_len, err) != 0) {
        goto out;
    }
    if (order_id == NULL || strlen(order_id) != order_id_len
        || !validate_object_id("order_", order_id)) {
        (void)GW_ERR(err, NOT_FOUND, "Order not found");
        goto out;
    }
    params[0] = order_id;
    params[1] = merchant_id;
    if (db_exec(db, &st_pay_order, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1) {
        (void)GW_ERR(err, NOT_FOUND, "Order not found");
        goto out;
    }
    if (db_val(&res, 0, 3) != NULL && strcmp(db_val(&res, 0, 3), "paid") == 0) {
        /* Check 2b (v2). Only a fast answer: the worker's settling statement is what
         * guarantees a single success per order (SPEC 10.3). */
        (void)GW_ERR(err, BAD_REQUEST, "Order already paid");
        goto out;
    }
    now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL) {
        (void)GW_ERR(err, INTERNAL, "gmtime failed");
        goto out;
    }
    if (payment_parse_instrument(body, tm.tm_year + 1900, tm.tm_mon + 1, &inst, err) != 0) {
        goto out;
    }
    gw_copy_str(p->order_id, sizeof(p->order_id), order_id);
    gw_copy_str(p->merchant_id, sizeof(p->merchant_id), db_val(&res, 0, 0));
    p->amount = db_int(&res, 0, 1);
    gw_copy_str(p->currency, sizeof(p->currency), db_val(&res, 0, 2));
    memcpy(p->method, inst.method, sizeof(p->method));
    memcpy(p->vpa, inst.vpa, sizeof(p->vpa));
    memcpy(p->card_network, inst.card_network, sizeof(p->card_network));
    memcpy(p->card_last4, inst.card_last4, sizeof(p->card_last4));
    memcpy(p->status, "pending", sizeof("pending"));
    p->captured = false;
    if (db_tx(db, payment_create_tx, &tx, err) != 0) {
        goto out;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

static void
filter_params(const char *merchant_id, const struct payment_filter *f, char from[24], char to[24],
              const char **params)
{
    params[0] = merchant_id;
    params[1] = f->status;
    params[2] = f->method;
    params[3] = NULL;
    params[4] = NULL;
    if (f->has_from) {
        (void)snprintf(from, 24, "%" PRId64, f->from);
        params[3] = from;
    }
    if (f->has_to) {
        (void)snprintf(to, 24, "%" PRId64, f->to_excl);
        params[4] = to;
    }
}

int
payment_list(struct db *db, const char *merchant_id, const struct payment_filter *f, int64_t limit,
             int64_t offset, struct payment_list *out, struct gw_err *err)
{
    char from[24], to[24];
    const char *params[5];
    void *items = NULL;
    int ret;

    memset(out, 0, sizeof(*out));
    filter_params(merchant_id, f, from, to, params);
    ret =
        db_query_page(db, &payment_page, params, limit, offset, &items, &out->n, &out->total, err);
    out->items = items;
    return ret;
}

void
payment_list_release(struct payment_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int
payment_stats(struct db *db, const char *merchant_id, struct payment_stats *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[1] = { merchant_id };
    struct payment_stats_row *m;
    const char *method;
    int i, ret = -1;

    memset(out, 0, sizeof(*out));
    if (db_exec(db, &st_pay_stats_methods, params, &res, err) != 0) {
        goto out;
    }
    for (i = 0; i < res.nrows; i++) {
        method = db_val(&res, i, 0);
        m = NULL;
        if (method != NULL && strcmp(method, "upi") == 0) {
            m = &out->methods[0];
        } else if (method != NULL && strcmp(method, "card") == 0) {
            m = &out->methods[1];
        }
        out->total_transactions += db_int(&res, i, 1);
        out->successful_transactions += db_int(&res, i, 2);
        out->total_amount += db_int(&res, i, 3);
        if (m != NULL) {
            m->count = db_int(&res, i, 1);
            m->success_count = db_int(&res, i, 2);
            m->amount = db_int(&res, i, 3);
        }
    }
    if (db_exec(db, &st_pay_stats_daily, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != PAYMENT_STATS_DAYS) {
        (void)GW_ERR(err, INTERNAL, "stats: %d daily rows", res.nrows);
        goto out;
    }
    for (i = 0; i < res.nrows; i++) {
        gw_copy_str(out->daily[i].date, sizeof(out->daily[i].date), db_val(&res, i, 0));
        out->daily[i].count = db_int(&res, i, 1);
        out->daily[i].success_count = db_int(&res, i, 2);
        out->daily[i].amount = db_int(&res, i, 3);
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
payment_export_csv(struct db *db, const char *merchant_id, const struct payment_filter *f,
                   payment_csv_sink *sink, void *sink_arg, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct payment p;
    struct buf out;
    char from[24], to[24];
    char *last_ts = NULL, *last_id = NULL;
    const char *params[7];
    int i, ret = -1;

    buf_init(&out, 0);
    (void)buf_append(&out, PAYMENT_CSV_HEADER, sizeof(PAYMENT_CSV_HEADER) - 1);
    filter_params(merchant_id, f, from, to, params);
    for (;;) {
        params[5] = last_ts;
        params[6] = last_id;
        if (db_exec(db, &st_pay_export, params, &res, err) != 0) {
            goto out;
        }
        for (i = 0; i < res.nrows; i++) {
            payment_from_row(&res, i, &p);
            (void)payment_csv_row(&out, &p); /* unbounded buffer: fails only by aborting */
        }
        if (sink(sink_arg, out.data, out.len) != 0) {
            ret = GW_ERR(err, INTERNAL, "export output failed");
            goto out;
        }
        buf_reset(&out);
        if (res.nrows < PAY_CSV_BATCH) {
            break;
        }
        free(last_ts);
        free(last_id);
        last_ts = xstrdup(db_val(&res, res.nrows - 1, PAYMENT_NCOLS));
        last_id = xstrdup(db_val(&res, res.nrows - 1, 0));
    }
    ret = 0;
out:
    free(last_ts);
    free(last_id);
    db_res_release(&res);
    buf_release(&out);
    return ret;
}

int
payment_capture(struct db *db, const char *merchant_id, const char *id, struct json_object *body,
                struct payment *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { id, merchant_id };
    bool found = false, has_amount = false;
    int64_t amount = 0;
    int ret = -1;

    if (payment_load(db, id, merchant_id, out, &found, err) != 0) {
        goto out;
    }
    if (!found) {
        (void)GW_ERR(err, NOT_FOUND, "Payment not found");
        goto out;
    }
    if (payment_parse_capture_amount(body, &has_amount, &amount, err) != 0) {
        goto out;
    }
    if (strcmp(out->status, "success") != 0) {
        (void)GW_ERR(err, BAD_REQUEST, "Payment not in capturable state");
        goto out;
    }
    if (has_amount && amount > out->amount) {
        (void)GW_ERR(err, BAD_REQUEST, "Capture amount exceeds payment amount");
        goto out;
    }
    if (!out->captured) {
        if (db_exec(db, &st_pay_capture, params, &res, err) != 0) {
            goto out;
        }
        if (res.nrows == 1) {
            out->captured = true;
            gw_copy_str(out->updated_at, sizeof(out->updated_at), db_val(&res, 0, 0));
        } else if (payment_load(db, id, merchant_id, out, &found, err) != 0) {
            goto out; /* a concurrent capture won: answer with its result */
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

/* ---- representations ------------------------------------------------------------------- */

/* The fields both representations start with. */
static void
payment_head_fields(struct jw *w, const struct payment *p)
{
    jw_key(w, "id");
    jw_str(w, p->id);
    jw_key(w, "order_id");
    jw_str(w, p->order_id);
    jw_key(w, "amount");
    jw_int(w, p->amount);
    jw_key(w, "currency");
    jw_str(w, p->currency);
    jw_key(w, "method");
    jw_str(w, p->method);
}

static void
write_error_fields(struct jw *w, const struct payment *p)
{
    if (strcmp(p->status, "failed") != 0) {
        return;
    }
    jw_key(w, "error_code");
    jw_str(w, p->error_code[0] != '\0' ? p->error_code : NULL);
    jw_key(w, "error_description");
    jw_str(w, p->error_description[0] != '\0' ? p->error_description : NULL);
}

void
payment_write_json(struct jw *w, const struct payment *p)
{
    jw_obj_begin(w);
    payment_head_fields(w, p);
    if (strcmp(p->method, "card") == 0) {
        jw_key(w, "card_network");
        jw_str(w, p->card_network);
        jw_key(w, "card_last4");
        jw_str(w, p->card_last4);
    } else {
        jw_key(w, "vpa");
        jw_str(w, p->vpa);
    }
    jw_key(w, "status");
    jw_str(w, p->status);
    jw_key(w, "captured");
    jw_bool(w, p->captured);
    write_error_fields(w, p);
    jw_key(w, "created_at");
    jw_str(w, p->created_at);
    jw_key(w, "updated_at");
    jw_str(w, p->updated_at);
    jw_obj_end(w);
}

void
payment_write_public_json(struct jw *w, const struct payment *p)
{
    jw_obj_begin(w);
    payment_head_fields(w, p);
    jw_key(w, "status");
    jw_str(w, p->status);
    write_error_fields(w, p);
    jw_obj_end(w);
}

void
payment_list_write_json(struct jw *w, const struct payment_list *l, int64_t limit, int64_t offset)
{
    int i;

    jw_list_begin(w);
    for (i = 0; i < l->n; i++) {
        payment_write_json(w, &l->items[i]);
    }
    jw_list_end(w, l->total, limit, offset);
}

static void
stats_row_fields(struct jw *w, const struct payment_stats_row *r)
{
    jw_key(w, "count");
    jw_int(w, r->count);
    jw_key(w, "success_count");
    jw_int(w, r->success_count);
    jw_key(w, "amount");
    jw_int(w, r->amount);
}

void
payment_stats_write_json(struct jw *w, const struct payment_stats *s)
{
    static const char *const methods[2] = { "upi", "card" };
    int i;

    jw_obj_begin(w);
    jw_key(w, "total_transactions");
    jw_int(w, s->total_transactions);
    jw_key(w, "successful_transactions");
    jw_int(w, s->successful_transactions);
    jw_key(w, "total_amount");
    jw_int(w, s->total_amount);
    jw_key(w, "daily");
    jw_arr_begin(w);
    for (i = 0; i < PAYMENT_STATS_DAYS; i++) {
        jw_obj_begin(w);
        jw_key(w, "date");
        jw_str(w, s->daily[i].date);
        stats_row_fields(w, &s->daily[i]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "methods");
    jw_arr_begin(w);
    for (i = 0; i < 2; i++) {
        jw_obj_begin(w);
        jw_key(w, "method");
        jw_str(w, methods[i]);
        stats_row_fields(w, &s->methods[i]);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

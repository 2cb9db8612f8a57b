/* payment.c: payments (SPEC 6.3, 6.4, 7): input rules, creation, capture, lists, filters,
 * statistics and CSV export. */
#include "payment.h"

#include "crypto.h"
#include "event.h"
#include "idem.h"
#include "log.h"
#include "merchant.h"
#include "queue.h"
#include "settle.h"
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
    "AND ($5::bigint IS NULL OR p.created_at < (to_timestamp($5::bigint) AT TIME ZONE 'UTC')) "  \
    "AND ($6::text IS NULL OR p.order_id = $6)"

/* clang-format off */
static const struct db_stmt st_pay_get = { "payment_get",
    "SELECT " PAYMENT_COLS " FROM payments p WHERE p.id = $1 "
    "AND ($2::uuid IS NULL OR p.merchant_id = $2)", 2 };
static const struct db_stmt st_pay_get_auth = { "payment_get_auth",
    "WITH " MERCHANT_AUTH_CTE " SELECT " PAYMENT_COLS ", EXISTS (SELECT 1 FROM a) "
    "FROM (SELECT 1) AS one LEFT JOIN payments p ON p.id = $4 "
    "AND p.merchant_id = (SELECT id FROM a)", 4 };
static const struct db_stmt st_pay_list = { "payment_list",
    "SELECT " PAYMENT_COLS ", count(*) OVER () FROM payments p WHERE " PAY_FILTER
    " ORDER BY p.created_at DESC, p.id DESC LIMIT $7 OFFSET $8", 8 };
static const struct db_stmt st_pay_count = { "payment_count",
    "SELECT count(*) FROM payments p WHERE " PAY_FILTER, 6 };
static const struct db_stmt st_pay_export = { "payment_export",
    "SELECT " PAYMENT_COLS ", p.created_at::text FROM payments p WHERE " PAY_FILTER
    " AND ($7::timestamp IS NULL OR (p.created_at, p.id) < ($7::timestamp, $8::text)) "
    "ORDER BY p.created_at DESC, p.id DESC LIMIT " STR(PAY_CSV_BATCH), 8 };
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
/* Per currency (dashboard): amounts of different currencies are never added together; refunded
 * sums the processed refunds of the successful payments. */
static const struct db_stmt st_pay_stats_currencies = { "payment_stats_currencies",
    "SELECT p.currency, count(*), count(*) FILTER (WHERE p.status = 'success'), "
    "COALESCE(sum(p.amount) FILTER (WHERE p.status = 'success'), 0), "
    "COALESCE(sum(r.refunded) FILTER (WHERE p.status = 'success'), 0) "
    "FROM payments p LEFT JOIN (SELECT payment_id, sum(amount) AS refunded FROM refunds "
    "WHERE merchant_id = $1 AND status = 'processed' GROUP BY payment_id) r ON r.payment_id = p.id "
    "WHERE p.merchant_id = $1 GROUP BY p.currency ORDER BY p.currency", 1 };
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
    gw_copy_str(out->scenario, sizeof(out->scenario), settle_scenario_card(digits));
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
        gw_copy_str(out->scenario, sizeof(out->scenario), settle_scenario_vpa(out->vpa));
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

int
payment_get(struct db *db, const struct merchant_creds *creds, const char *id, struct payment *out,
            bool *found, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[4];
    char hex[65];
    int ret = -1;

    memset(out, 0, sizeof(*out));
    *found = false;
    merchant_creds_params(creds, params, hex);
    if (params[0] == NULL && params[2] == NULL) {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    params[3] = id;
    if (db_exec(db, &st_pay_get_auth, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1 || !db_bool(&res, 0, PAYMENT_NCOLS)) {
        ret = GW_ERR(err, AUTH, "Invalid API credentials");
        goto out;
    }
    if (!db_isnull(&res, 0, 0)) {
        payment_from_row(&res, 0, out);
        *found = true;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

/*
 * POST /api/v1/payments and its public twin in one statement (SPEC 4.2, 6.3, 9, 11.1): who
 * asks ("a"), the order ("o"), a live idempotency record ("k"), then, only when every check
 * passed, the payment ("p"), its answer and payloads with the database's values filled into
 * their holes ("f", jsonh.h), the two webhook logs when the merchant has a webhook_url ("w")
 * and the idempotency record ("x", "s"). The final row tells the caller which check failed.
 * $1-$3 credentials, $4 public, $5 order id, $6 payment id, $7-$10 method, vpa, card network,
 * card last4, $11 checks 1 and 3-8 passed, $12 idempotency key, $13 fingerprint, $14 answer
 * template, $15-$16 payment.created / payment.pending payload templates, $17 the first log's
 * created_at in microseconds since the epoch, $18 the sandbox bank's scenario (SPEC 22; NULL for
 * an ordinary number): `threeds` inserts the payment `requires_action` and its second log and
 * event are payment.requires_action instead of payment.pending; $19 the two event ids (SPEC 21.1:
 * the events "e" are recorded whether or not the merchant has a webhook_url).
 */
/* clang-format off */
static const struct db_stmt st_pay_create = { "payment_create",
    "WITH " MERCHANT_AUTH_CTE ", "
    "o AS (SELECT o.id, o.merchant_id, o.amount, o.currency, o.status FROM orders o "
    "JOIN merchants m ON m.id = o.merchant_id AND m.is_active "
    "WHERE o.id = $5 AND ($4::bool OR o.merchant_id = (SELECT id FROM a))), "
    IDEM_LIVE_CTE("$12") ", "
    "p AS (INSERT INTO payments (id, order_id, merchant_id, amount, currency, method, vpa, "
    "card_network, card_last4, status, captured, created_at, updated_at, enqueued_at, "
    "bank_scenario) "
    "SELECT $6, o.id, o.merchant_id, o.amount, o.currency, $7, $8, $9, $10, "
    "CASE WHEN $18::text = 'threeds' THEN 'requires_action' ELSE 'pending' END, false, "
    "now(), now(), now(), $18 FROM o WHERE $11::bool AND o.status IS DISTINCT FROM 'paid' "
    "AND ($4::bool OR EXISTS (SELECT 1 FROM a)) AND NOT EXISTS (SELECT 1 FROM k) "
    "ON CONFLICT (id) DO NOTHING "
    "RETURNING merchant_id, amount, currency, " DB_TS("created_at") " AS ts), "
    "f AS (SELECT p.merchant_id, t.n, "
    JW_HOLES_FILL_SQL("t.doc", "p.ts", "p.amount", "p.currency", "''") " AS doc "
    "FROM p CROSS JOIN (VALUES (0, $14), (1, $15), (2, $16)) AS t(n, doc)), "
    "w AS (INSERT INTO webhook_logs (merchant_id, event, payload, object_id, created_at) "
    "SELECT f.merchant_id, CASE f.n WHEN 1 THEN 'payment.created' "
    "WHEN 2 THEN CASE WHEN $18::text = 'threeds' THEN 'payment.requires_action' "
    "ELSE 'payment.pending' END END, "
    "f.doc::json, $6, 'epoch'::timestamp + ($17::bigint + f.n - 1) * interval '1 microsecond' "
    "FROM f JOIN merchants m ON m.id = f.merchant_id "
    "AND m.webhook_url IS NOT NULL AND m.webhook_url <> '' WHERE f.n > 0 "
    "ON CONFLICT (object_id, event) DO NOTHING RETURNING id, event), "
    "e AS (INSERT INTO events (id, merchant_id, type, object_id, payload, created_at, "
    "fanout_pending) SELECT ($19::text[])[f.n], f.merchant_id, "
    "CASE f.n WHEN 1 THEN 'payment.created' "
    "ELSE CASE WHEN $18::text = 'threeds' THEN 'payment.requires_action' "
    "ELSE 'payment.pending' END END, $6, f.doc::json, "
    "'epoch'::timestamp + ($17::bigint + f.n - 1) * interval '1 microsecond', "
    EVENT_FANOUT_SQL("f.merchant_id") " FROM f WHERE f.n > 0 ON CONFLICT DO NOTHING), "
    IDEM_EXPIRED_CTE("$12") ", "
    IDEM_PUT_CTE("$12", "$13", "201", "f.merchant_id", "f.doc", "f", "f.n = 0") " "
    "SELECT " IDEM_ANSWER_COLS("$13") ", (SELECT o.status FROM o), "
    "(SELECT w.id::text FROM w WHERE w.event = 'payment.created'), "
    "(SELECT w.id::text FROM w WHERE w.event <> 'payment.created')", 19 };
/* clang-format on */

void
payment_input_parse(struct json_object *body, int now_year, int now_month, struct payment_input *in)
{
    const char *order_id = NULL;
    size_t len = 0;

    memset(in, 0, sizeof(*in));
    if (payment_parse_order_id(body, &order_id, &len, &in->order_err) != 0) {
        return; /* check 1 */
    }
    if (order_id != NULL && strlen(order_id) == len && validate_object_id("order_", order_id)) {
        gw_copy_str(in->order_id, sizeof(in->order_id), order_id);
    }
    (void)payment_parse_instrument(body, now_year, now_month, &in->inst, &in->check_err);
}

/* After COMMIT: the payment job and its logs go to Redis (SPEC 6.3, 10); a failure there is
 * only logged: the recovery sweep finds the work in PostgreSQL. */
static void
payment_created_push(void *arg)
{
    const struct payment_created *c = arg;
    const char *logs[2] = { c->log_ids[0], c->log_ids[1] };

    if (c->answer.inserted) {
        /* a 3-D Secure challenge waits for the shopper: no job until approval (SPEC 22) */
        bool job = strcmp(c->payment.status, PAYMENT_REQUIRES_ACTION) != 0;

        queue_push_committed(c->queue, QUEUE_PAYMENT, job ? c->payment.id : NULL, logs, 2);
    }
}

/* The statement's answer row (db_done_fn): runs after COMMIT, before the push. */
static void
payment_created_row(const struct db_res *res, void *arg)
{
    struct payment_created *c = arg;
    int col = IDEM_ANSWER_NCOLS;

    idem_answer_read(res, 201, &c->answer);
    c->order_found = !db_isnull(res, 0, col);
    c->order_paid = c->order_found && strcmp(db_val(res, 0, col), "paid") == 0;
    if (!c->answer.inserted) {
        c->payment.id[0] = '\0';
        return;
    }
    gw_copy_str(c->payment.merchant_id, sizeof(c->payment.merchant_id), c->answer.merchant_id);
    gw_copy_str(c->log_ids[0], sizeof(c->log_ids[0]), db_val(res, 0, col + 1));
    gw_copy_str(c->log_ids[1], sizeof(c->log_ids[1]), db_val(res, 0, col + 2));
}

/* The templates of one attempt: the answer and the two payloads, holes where the database
 * fills in the amount, the currency and the time. */
static int
payment_templates(const struct payment *p, struct buf *answer, struct buf *created,
                  struct buf *pending, int64_t ts)
{
    struct jw w;

    buf_reset(answer);
    buf_reset(created);
    buf_reset(pending);
    jw_init(&w, answer);
    payment_write_json(&w, p);
    if (jw_finish(&w) != 0 || event_payment_payload(created, EVENT_PAYMENT_CREATED, ts, p) != 0
        || event_payment_payload(pending,
                                 strcmp(p->status, PAYMENT_REQUIRES_ACTION) == 0
                                     ? EVENT_PAYMENT_REQUIRES_ACTION
                                     : EVENT_PAYMENT_PENDING,
                                 ts, p)
               != 0) {
        return -1;
    }
    return 0;
}

/* Maps the answer row to SPEC 6.3's order of checks (after 4.2 and 9). 1: try again with a new id. */
static int
payment_created_verdict(const struct payment_created *c, const struct payment_input *in,
                        bool public_route, struct gw_err *err)
{
    if (idem_answer_check(&c->answer, public_route, err) != 0) {
        return -1;
    }
    if (c->answer.live) {
        return 0; /* replay */
    }
    if (gw_err_is_set(&in->order_err)) {
        *err = in->order_err;
        return -1;
    }
    if (!c->order_found) {
        return GW_ERR(err, NOT_FOUND, "Order not found");
    }
    if (c->order_paid) {
        return GW_ERR(err, BAD_REQUEST, "Order already paid");
    }
    if (gw_err_is_set(&in->check_err)) {
        *err = in->check_err;
        return -1;
    }
    return c->answer.inserted ? 0 : 1;
}

/* The payment the templates describe: what the database does not decide yet (amount, currency,
 * times) is unknown, so the writers leave holes there. */
static void
payment_pending_from_input(struct payment *p, const struct payment_input *in)
{
    gw_copy_str(p->order_id, sizeof(p->order_id), in->order_id);
    p->amount = -1;
    p->currency[0] = '\0';
    p->created_at[0] = '\0';
    p->updated_at[0] = '\0';
    memcpy(p->method, in->inst.method, sizeof(p->method));
    memcpy(p->vpa, in->inst.vpa, sizeof(p->vpa));
    memcpy(p->card_network, in->inst.card_network, sizeof(p->card_network));
    memcpy(p->card_last4, in->inst.card_last4, sizeof(p->card_last4));
    gw_copy_str(p->status, sizeof(p->status),
                strcmp(in->inst.scenario, SETTLE_SCENARIO_THREEDS) == 0 ? PAYMENT_REQUIRES_ACTION
                                                                        : "pending");
    p->captured = false;
}

int
payment_create(struct db *db, struct queue *q, const struct merchant_creds *creds,
               bool public_route, const struct idem_req *idem, const struct payment_input *in,
               struct payment_created *out, struct gw_err *err)
{
    struct payment *p = &out->payment;
    struct buf answer, created, pending, evt_ids;
    struct idem_trip t;
    struct db_res res = DB_RES_INIT;
    const char *params[19];
    char usbuf[24];
    bool card = strcmp(in->inst.method, "card") == 0;
    bool checks_ok = !gw_err_is_set(&in->order_err) && !gw_err_is_set(&in->check_err);
    int attempt, rc = 1, ret = -1;

    buf_init(&answer, 0);
    buf_init(&created, 0);
    buf_init(&pending, 0);
    buf_init(&evt_ids, 0);
    idem_answer_init(&out->answer);
    out->queue = q;
    if (idem_trip_begin(&t, creds, public_route ? NULL : idem, public_route, err) != 0) {
        goto out;
    }
    memcpy(params, t.auth, sizeof(t.auth));
    payment_pending_from_input(p, in);
    for (attempt = 0; attempt < PAY_ID_ATTEMPTS && rc > 0; attempt++) {
        int64_t us = event_clock_reserve(2);

        if (crypto_new_id("pay_", p->id, sizeof(p->id), err) != 0
            || event_new_ids(&evt_ids, 2, err) != 0) {
            goto out;
        }
        if (payment_templates(p, &answer, &created, &pending, us / 1000000) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot write the payment templates");
            goto out;
        }
        (void)snprintf(usbuf, sizeof(usbuf), "%" PRId64, us);
        params[3] = public_route ? "true" : "false";
        params[4] = in->order_id[0] != '\0' ? in->order_id : NULL;
        params[5] = p->id;
        params[6] = checks_ok ? p->method : NULL;
        params[7] = checks_ok && !card ? p->vpa : NULL;
        params[8] = checks_ok && card ? p->card_network : NULL;
        params[9] = checks_ok && card ? p->card_last4 : NULL;
        params[10] = checks_ok ? "true" : "false";
        params[11] = t.idem != NULL ? t.idem->key : NULL;
        params[12] = t.idem != NULL ? t.idem->fingerprint : NULL;
        params[13] = answer.data;
        params[14] = created.data;
        params[15] = pending.data;
        params[16] = usbuf;
        params[17] = checks_ok && in->inst.scenario[0] != '\0' ? in->inst.scenario : NULL;
        params[18] = evt_ids.data;
        idem_trip_add(&t, &st_pay_create, params, &res, payment_created_row, out);
        if (db_on_commit(db, payment_created_push, out) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot register the payment push");
            goto out;
        }
        if (idem_trip_run(db, &t, err) != 0) {
            goto out;
        }
        rc = payment_created_verdict(out, in, public_route, err);
    }
    ret = rc > 0 ? GW_ERR(err, INTERNAL, "could not allocate a payment id") : rc;
out:
    idem_trip_release(&t);
    db_res_release(&res);
    buf_release(&answer);
    buf_release(&created);
    buf_release(&pending);
    buf_release(&evt_ids);
    return ret;
}

void
payment_created_release(struct payment_created *c)
{
    idem_answer_release(&c->answer);
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
    params[5] = f->order_id;
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
    const char *params[6];
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
payment_stats_currencies_json(struct db *db, const char *merchant_id, struct jw *w,
                              struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[1] = { merchant_id };
    int64_t amount, refunded;
    int i;

    if (db_exec(db, &st_pay_stats_currencies, params, &res, err) != 0) {
        db_res_release(&res);
        return -1;
    }
    jw_obj_begin(w);
    jw_key(w, "data");
    jw_arr_begin(w);
    for (i = 0; i < res.nrows; i++) {
        amount = db_int(&res, i, 3);
        refunded = db_int(&res, i, 4);
        jw_obj_begin(w);
        jw_key(w, "currency");
        jw_str(w, db_val(&res, i, 0));
        jw_key(w, "count");
        jw_int(w, db_int(&res, i, 1));
        jw_key(w, "success_count");
        jw_int(w, db_int(&res, i, 2));
        jw_key(w, "amount");
        jw_int(w, amount);
        jw_key(w, "refunded");
        jw_int(w, refunded);
        jw_key(w, "net");
        jw_int(w, amount - refunded);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
    db_res_release(&res);
    return 0;
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
    const char *params[8];
    int i, ret = -1;

    buf_init(&out, 0);
    (void)buf_append(&out, PAYMENT_CSV_HEADER, sizeof(PAYMENT_CSV_HEADER) - 1);
    filter_params(merchant_id, f, from, to, params);
    for (;;) {
        params[6] = last_ts;
        params[7] = last_id;
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
payment_capture(struct db *db, const char *merchant_id, const char *id,
                const struct payment_capture_in *in, struct payment *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { id, merchant_id };
    bool found = false;
    int ret = -1;

    if (payment_load(db, id, merchant_id, out, &found, err) != 0) {
        goto out;
    }
    if (!found) {
        (void)GW_ERR(err, NOT_FOUND, "Payment not found");
        goto out;
    }
    if (gw_err_is_set(&in->check_err)) {
        *err = in->check_err;
        goto out;
    }
    if (strcmp(out->status, "success") != 0) {
        (void)GW_ERR(err, BAD_REQUEST, "Payment not in capturable state");
        goto out;
    }
    if (in->has_amount && in->amount > out->amount) {
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
    jw_int_or_hole(w, p->amount, JW_HOLE_AMOUNT);
    jw_key(w, "currency");
    jw_str_or_hole(w, p->currency, JW_HOLE_CURRENCY);
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

/* SPEC 22: a payment waiting for its 3-D Secure challenge says where the shopper answers it. */
static void
write_next_action(struct jw *w, const struct payment *p)
{
    char url[96];

    if (strcmp(p->status, PAYMENT_REQUIRES_ACTION) != 0) {
        return;
    }
    (void)snprintf(url, sizeof(url), "/checkout/3ds?payment_id=%s", p->id);
    jw_key(w, "next_action");
    jw_obj_begin(w);
    jw_key(w, "type");
    jw_str(w, "redirect");
    jw_key(w, "url");
    jw_str(w, url);
    jw_obj_end(w);
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
    write_next_action(w, p);
    jw_key(w, "captured");
    jw_bool(w, p->captured);
    write_error_fields(w, p);
    jw_key(w, "created_at");
    jw_str_or_hole(w, p->created_at, JW_HOLE_TIME);
    jw_key(w, "updated_at");
    jw_str_or_hole(w, p->updated_at, JW_HOLE_TIME);
    jw_obj_end(w);
}

void
payment_write_public_json(struct jw *w, const struct payment *p)
{
    jw_obj_begin(w);
    payment_head_fields(w, p);
    jw_key(w, "status");
    jw_str(w, p->status);
    write_next_action(w, p);
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

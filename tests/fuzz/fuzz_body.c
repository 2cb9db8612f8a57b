/* fuzz_body.c: every request body parser and validator behind the JSON parser.
 *
 * The input is a request body. When jsonh_parse_object accepts it, the object goes through each
 * body parser of the API: POST /api/v1/payments (payment_input_parse: checks 1 and 3-8),
 * POST /api/v1/orders (order_parse_create), POST /api/v1/refunds (refund_parse_create), the
 * capture amount, PUT /api/v1/merchant/webhook (h_merchant_webhook_parse), POST
 * /api/v1/dashboard/login (h_dashboard_login_parse) and the list filters
 * of GET /api/v1/payments read from string members. Properties: a refusal is a 4xx whose error
 * envelope is valid UTF-8 JSON; what is accepted satisfies the SPEC rules it was checked
 * against (ids, amounts, currency, notes object, card data never kept). */
#include "fuzz.h"

#include "buf.h"
#include "gw.h"
#include "handlers.h"
#include "http.h"
#include "jsonh.h"
#include "order.h"
#include "payment.h"
#include "refund.h"
#include "validate.h"

#include <json-c/json.h>

/* A refusal: a client error, rendered as a valid envelope. */
static void
fuzz_body_refusal(const struct gw_err *err)
{
    struct http_resp resp;
    struct json_object *o, *e = NULL;
    int status = gw_err_status(err->code);

    FUZZ_CHECK(gw_err_is_set(err));
    FUZZ_CHECK(status >= 400 && status < 500);
    http_resp_init(&resp);
    http_resp_error(&resp, err);
    FUZZ_CHECK(resp.status == status);
    FUZZ_CHECK(validate_utf8(resp.body.data, resp.body.len));
    o = jsonh_parse_value(resp.body.data, resp.body.len);
    FUZZ_CHECK(o != NULL && json_object_object_get_ex(o, "error", &e)
               && json_object_is_type(e, json_type_object));
    json_object_put(o);
    http_resp_release(&resp);
}

static void
fuzz_body_payment(struct json_object *body)
{
    struct payment_input in;
    const struct payment_instrument *p = &in.inst;

    payment_input_parse(body, 2026, 6, &in);
    if (gw_err_is_set(&in.order_err)) {
        fuzz_body_refusal(&in.order_err);
        return;
    }
    FUZZ_CHECK(in.order_id[0] == '\0' || validate_object_id("order_", in.order_id));
    if (gw_err_is_set(&in.check_err)) {
        fuzz_body_refusal(&in.check_err);
        return;
    }
    if (strcmp(p->method, "upi") == 0) {
        FUZZ_CHECK(validate_vpa(p->vpa, strlen(p->vpa)));
        FUZZ_CHECK(p->card_last4[0] == '\0');
    } else {
        FUZZ_CHECK(strcmp(p->method, "card") == 0);
        FUZZ_CHECK(strlen(p->card_last4) == 4);
        FUZZ_CHECK(strspn(p->card_last4, "0123456789") == 4);
        FUZZ_CHECK(strcmp(p->card_network, "unknown") == 0 || strcmp(p->card_network, "visa") == 0
                   || strcmp(p->card_network, "mastercard") == 0
                   || strcmp(p->card_network, "amex") == 0
                   || strcmp(p->card_network, "rupay") == 0);
    }
}

static void
fuzz_body_order(struct json_object *body)
{
    struct order_create_in in;
    struct gw_err err = GW_ERR_INIT;
    struct json_object *notes;

    memset(&in, 0, sizeof(in));
    if (order_parse_create(body, &in, &err) != 0) {
        fuzz_body_refusal(&err);
        order_create_in_release(&in);
        return;
    }
    FUZZ_CHECK(in.amount > 0);
    FUZZ_CHECK(validate_currency(in.currency, strlen(in.currency)));
    FUZZ_CHECK(in.receipt == NULL || validate_utf8(in.receipt, in.receipt_len));
    FUZZ_CHECK(in.notes != NULL);
    notes = jsonh_parse_value(in.notes, strlen(in.notes));
    FUZZ_CHECK(notes != NULL && json_object_is_type(notes, json_type_object));
    json_object_put(notes);
    order_create_in_release(&in);
}

static void
fuzz_body_refund(struct json_object *body)
{
    struct refund_create_in in;
    struct gw_err err = GW_ERR_INIT;

    memset(&in, 0, sizeof(in));
    if (refund_parse_create(body, &in, &err) != 0) {
        fuzz_body_refusal(&err);
        return;
    }
    FUZZ_CHECK(in.amount > 0);
    FUZZ_CHECK(in.reason == NULL || validate_utf8(in.reason, in.reason_len));
}

static void
fuzz_body_capture(struct json_object *body)
{
    bool has = false;
    int64_t amount = 0;
    struct gw_err err = GW_ERR_INIT;

    if (payment_parse_capture_amount(body, &has, &amount, &err) != 0) {
        fuzz_body_refusal(&err);
        return;
    }
    FUZZ_CHECK(!has || amount > 0);
}

static void
fuzz_body_webhook(struct json_object *body)
{
    const char *url = NULL;
    struct gw_err err = GW_ERR_INIT;

    if (h_merchant_webhook_parse(body, &url, &err) != 0) {
        fuzz_body_refusal(&err);
        return;
    }
    FUZZ_CHECK(url == NULL || validate_webhook_url(url, strlen(url)));
}

static void
fuzz_body_login(struct json_object *body)
{
    const char *email = NULL, *password = NULL;
    bool plain = true;
    size_t plen = 1;
    struct gw_err err = GW_ERR_INIT;

    if (h_dashboard_login_parse(body, &email, &plain, &password, &plen, &err) != 0) {
        fuzz_body_refusal(&err);
        return;
    }
    FUZZ_CHECK(email != NULL && password != NULL);
    FUZZ_CHECK(!plain || (email[0] != '\0' && validate_utf8(email, strlen(email))));
    FUZZ_CHECK(plen >= strlen(password));
}

/* String member name of body, or NULL. */
static const char *
fuzz_body_str(struct json_object *body, const char *name)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(body, name, &v) || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

static void
fuzz_body_filter(struct json_object *body)
{
    struct payment_filter f;
    struct gw_err err = GW_ERR_INIT;

    if (payment_parse_filter(fuzz_body_str(body, "status"), fuzz_body_str(body, "method"),
                             fuzz_body_str(body, "created_from"), fuzz_body_str(body, "created_to"),
                             &f, &err)
        != 0) {
        fuzz_body_refusal(&err);
        return;
    }
    /* 0001-01-01 is the earliest date the rule accepts */
    FUZZ_CHECK(!f.has_from || f.from >= INT64_C(-62135596800));
    FUZZ_CHECK(!f.has_to || f.to_excl > INT64_C(-62135596800));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gw_err err = GW_ERR_INIT;
    struct json_object *body;

    body = jsonh_parse_object((const char *)data, size, &err);
    if (body == NULL) {
        fuzz_body_refusal(&err);
        return 0;
    }
    fuzz_body_payment(body);
    fuzz_body_order(body);
    fuzz_body_refund(body);
    fuzz_body_capture(body);
    fuzz_body_webhook(body);
    fuzz_body_login(body);
    fuzz_body_filter(body);
    jsonh_put_wiped(body);
    return 0;
}

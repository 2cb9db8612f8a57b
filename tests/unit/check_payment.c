/* check_payment.c: pure rules of orders, payments, refunds and webhook logs (SPEC 6.2-6.6):
 * input parsing and its error order, filters, CSV quoting and the JSON representations. */
#include "unit.h"

#include "buf.h"
#include "gw.h"
#include "jsonh.h"
#include "order.h"
#include "payment.h"
#include "refund.h"
#include "webhook_log.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

Suite *suite_payment(void); /* registered in main.c by the lead */

static struct json_object *
parse(const char *text)
{
    struct gw_err err = GW_ERR_INIT;
    struct json_object *o = jsonh_parse_object(text, strlen(text), &err);

    ck_assert_msg(o != NULL, "test body does not parse: %s", text);
    return o;
}

/* Runs order_parse_create on text; returns the error description or "" on success. */
static const char *
order_err(const char *text, struct order_create_in *in_out)
{
    static struct gw_err err;
    struct order_create_in in;
    struct json_object *o = parse(text);
    int rc;

    gw_err_clear(&err);
    rc = order_parse_create(o, &in, &err);
    if (in_out != NULL && rc == 0) {
        *in_out = in;
        in_out->receipt = NULL; /* borrowed from o */
    } else {
        order_create_in_release(&in);
    }
    json_object_put(o);
    if (rc == 0) {
        ck_assert_int_eq(err.code, GW_E_OK);
        return "";
    }
    ck_assert_int_eq(err.code, GW_E_BAD_REQUEST);
    return err.msg;
}

START_TEST(test_order_amount)
{
    ck_assert_str_eq(order_err("{}", NULL), "amount is required");
    ck_assert_str_eq(order_err("{\"amount\":null}", NULL), "amount is required");
    ck_assert_str_eq(order_err("{\"amount\":\"500\"}", NULL), "amount must be an integer");
    ck_assert_str_eq(order_err("{\"amount\":true}", NULL), "amount must be an integer");
    ck_assert_str_eq(order_err("{\"amount\":[1]}", NULL), "amount must be an integer");
    ck_assert_str_eq(order_err("{\"amount\":{}}", NULL), "amount must be an integer");
    ck_assert_str_eq(order_err("{\"amount\":500.0}", NULL), "amount must be an integer");
    ck_assert_str_eq(order_err("{\"amount\":1e3}", NULL), "amount must be an integer");
    ck_assert_str_eq(order_err("{\"amount\":99}", NULL), "amount must be at least 100");
    ck_assert_str_eq(order_err("{\"amount\":-5}", NULL), "amount must be at least 100");
    ck_assert_str_eq(order_err("{\"amount\":-0}", NULL), "amount must be at least 100");
    ck_assert_str_eq(order_err("{\"amount\":-99999999999999999999999}", NULL),
                     "amount must be at least 100");
    ck_assert_str_eq(order_err("{\"amount\":2147483648}", NULL),
                     "amount must be at most 2147483647");
    ck_assert_str_eq(order_err("{\"amount\":99999999999999999999999}", NULL),
                     "amount must be at most 2147483647");
    ck_assert_str_eq(order_err("{\"amount\":18446744073709551615}", NULL),
                     "amount must be at most 2147483647");
    ck_assert_str_eq(order_err("{\"amount\":100}", NULL), "");
    ck_assert_str_eq(order_err("{\"amount\":2147483647}", NULL), "");
}
END_TEST

START_TEST(test_order_fields)
{
    struct order_create_in in;
    struct buf b;
    size_t i;

    /* amount is checked first, then currency, receipt, notes */
    ck_assert_str_eq(order_err("{\"currency\":\"x\",\"notes\":1}", NULL), "amount is required");
    ck_assert_str_eq(order_err("{\"amount\":500,\"currency\":\"inr\",\"notes\":1}", NULL),
                     "currency must be a 3-letter uppercase code");
    ck_assert_str_eq(order_err("{\"amount\":500,\"currency\":\"INRR\"}", NULL),
                     "currency must be a 3-letter uppercase code");
    ck_assert_str_eq(order_err("{\"amount\":500,\"currency\":1}", NULL),
                     "currency must be a 3-letter uppercase code");
    ck_assert_str_eq(order_err("{\"amount\":500,\"currency\":\"IN\\u0000\"}", NULL),
                     "currency must be a 3-letter uppercase code");
    ck_assert_str_eq(order_err("{\"amount\":500,\"receipt\":5}", NULL),
                     "receipt must be a string of at most 255 characters");
    ck_assert_str_eq(order_err("{\"amount\":500,\"receipt\":\"a\\u0000b\"}", NULL),
                     "receipt must be a string of at most 255 characters");
    ck_assert_str_eq(order_err("{\"amount\":500,\"notes\":[]}", NULL),
                     "notes must be a JSON object");
    ck_assert_str_eq(order_err("{\"amount\":500,\"notes\":\"x\"}", NULL),
                     "notes must be a JSON object");

    /* 255 two-byte characters are fine, 256 are not */
    buf_init(&b, 0);
    ASSERT_OK(buf_puts(&b, "{\"amount\":500,\"receipt\":\""));
    for (i = 0; i < 255; i++) {
        ASSERT_OK(buf_puts(&b, "\xc3\xa9"));
    }
    ASSERT_OK(buf_puts(&b, "\"}"));
    ck_assert_str_eq(order_err(b.data, NULL), "");
    b.len -= 2;
    ASSERT_OK(buf_puts(&b, "\xc3\xa9\"}"));
    ck_assert_str_eq(order_err(b.data, NULL), "receipt must be a string of at most 255 characters");
    buf_release(&b);

    /* defaults and notes serialised once, key order kept, JSON.stringify form */
    ck_assert_str_eq(order_err("{\"amount\":500,\"currency\":null,\"notes\":null}", &in), "");
    ck_assert_str_eq(in.currency, "INR");
    ck_assert_str_eq(in.notes, "{}");
    order_create_in_release(&in);
    ck_assert_str_eq(
        order_err("{\"amount\":500,\"currency\":\"USD\",\"notes\":{\"z\":1,\"a\":[1.50,\"\\/\"]}}",
                  &in),
        "");
    ck_assert_str_eq(in.currency, "USD");
    ck_assert_str_eq(in.notes, "{\"z\":1,\"a\":[1.5,\"/\"]}");
    order_create_in_release(&in);
}
END_TEST

START_TEST(test_order_json)
{
    struct order o;
    struct buf b;
    struct jw w;

    memset(&o, 0, sizeof(o));
    memcpy(o.id, "order_AAAAAAAAAAAAAAAA", 23);
    memcpy(o.merchant_id, "550e8400-e29b-41d4-a716-446655440000", 37);
    o.amount = 50000;
    memcpy(o.currency, "INR", 4);
    o.notes = (char *)(uintptr_t) "{\"k\":\"v\"}";
    memcpy(o.status, "created", 8);
    memcpy(o.created_at, "2024-01-15T10:30:00Z", 21);
    memcpy(o.updated_at, "2024-01-15T10:30:00Z", 21);
    buf_init(&b, 0);
    jw_init(&w, &b);
    order_write_json(&w, &o);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(
        b.data, "{\"id\":\"order_AAAAAAAAAAAAAAAA\",\"merchant_id\":\"550e8400-e29b-41d4-a716-"
                "446655440000\",\"amount\":50000,\"currency\":\"INR\",\"receipt\":null,"
                "\"notes\":{\"k\":\"v\"},\"status\":\"created\",\"created_at\":\"2024-01-15T10:"
                "30:00Z\",\"updated_at\":\"2024-01-15T10:30:00Z\"}");
    buf_reset(&b);
    jw_init(&w, &b);
    o.merchant_name = (char *)(uintptr_t) "Chai \"&\" Co";
    order_write_public_json(&w, &o);
    ASSERT_OK(jw_finish(&w));
    /* SPEC 5's four keys, then the trailing merchant_name (issue 14); never the merchant's id */
    ck_assert_str_eq(b.data,
                     "{\"id\":\"order_AAAAAAAAAAAAAAAA\",\"amount\":50000,\"currency\":"
                     "\"INR\",\"status\":\"created\",\"merchant_name\":\"Chai \\\"&\\\" Co\"}");
    ck_assert_ptr_null(strstr(b.data, "550e8400"));
    buf_release(&b);
}
END_TEST

/* payment_parse_instrument against 2025-06; returns "CODE:description" or "". */
static const char *
inst_err(const char *text, struct payment_instrument *out)
{
    static char msg[300];
    struct gw_err err = GW_ERR_INIT;
    struct payment_instrument in;
    struct json_object *o = parse(text);
    int rc = payment_parse_instrument(o, 2025, 6, &in, &err);

    json_object_put(o);
    if (rc == 0) {
        if (out != NULL) {
            *out = in;
        }
        return "";
    }
    (void)snprintf(msg, sizeof(msg), "%s:%s", gw_err_code_str(err.code), err.msg);
    return msg;
}

#define CARD(num, mm, yy, cvv, holder)                                        \
    "{\"order_id\":\"order_x\",\"method\":\"card\",\"card\":{\"number\":" num \
    ",\"expiry_month\":" mm ",\"expiry_year\":" yy ",\"cvv\":" cvv ",\"holder_name\":" holder "}}"

START_TEST(test_payment_method_upi)
{
    struct payment_instrument in;
    struct gw_err err = GW_ERR_INIT;
    struct json_object *o;
    const char *id = NULL;
    size_t len = 0;

    o = parse("{\"method\":\"upi\"}");
    ASSERT_FAIL(payment_parse_order_id(o, &id, &len, &err));
    ck_assert_str_eq(err.msg, "order_id is required");
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"order_id\":5}");
    ASSERT_FAIL(payment_parse_order_id(o, &id, &len, &err));
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"order_id\":\"order_abc\"}");
    ASSERT_OK(payment_parse_order_id(o, &id, &len, &err));
    ck_assert_uint_eq(len, 9);
    json_object_put(o);

    ck_assert_str_eq(inst_err("{}", NULL), "BAD_REQUEST_ERROR:Invalid payment method");
    ck_assert_str_eq(inst_err("{\"method\":\"UPI\"}", NULL),
                     "BAD_REQUEST_ERROR:Invalid payment method");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\\u0000\"}", NULL),
                     "BAD_REQUEST_ERROR:Invalid payment method");
    ck_assert_str_eq(inst_err("{\"method\":\"netbanking\",\"vpa\":\"a@b\"}", NULL),
                     "BAD_REQUEST_ERROR:Invalid payment method");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\"}", NULL), "INVALID_VPA:VPA format invalid");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\",\"vpa\":7}", NULL),
                     "INVALID_VPA:VPA format invalid");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\",\"vpa\":\"user @paytm\"}", NULL),
                     "INVALID_VPA:VPA format invalid");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\",\"vpa\":\"user@@bank\"}", NULL),
                     "INVALID_VPA:VPA format invalid");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\",\"vpa\":\"user@\"}", NULL),
                     "INVALID_VPA:VPA format invalid");
    ck_assert_str_eq(inst_err("{\"method\":\"upi\",\"vpa\":\"john.doe@okhdfcbank\"}", &in), "");
    ck_assert_str_eq(in.method, "upi");
    ck_assert_str_eq(in.vpa, "john.doe@okhdfcbank");
}
END_TEST

START_TEST(test_payment_method_card)
{
    struct payment_instrument in;
    const char *missing = "BAD_REQUEST_ERROR:Missing card details";
    const char *invalid = "INVALID_CARD:Card validation failed";
    const char *expired = "EXPIRED_CARD:Card expiry date invalid";

    ck_assert_str_eq(inst_err("{\"method\":\"card\"}", NULL), missing);
    ck_assert_str_eq(inst_err("{\"method\":\"card\",\"card\":\"4111\"}", NULL), missing);
    ck_assert_str_eq(inst_err(CARD("null", "\"12\"", "\"2030\"", "\"123\"", "\"A\""), NULL),
                     missing);
    ck_assert_str_eq(inst_err(CARD("true", "\"12\"", "\"2030\"", "\"123\"", "\"A\""), NULL),
                     missing);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "12.0", "\"2030\"", "\"123\"", "\"A\""), NULL),
        missing);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"12\"", "\"2030\"", "\"123\"", "\"\""), NULL),
        missing);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"12\"", "\"2030\"", "\"123\"", "7"), NULL),
        missing);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"12\"", "\"2030\"", "\"123\"", "\"a\\u0000\""),
                 NULL),
        missing);
    /* missing details win over an invalid number */
    ck_assert_str_eq(inst_err(CARD("\"1234\"", "\"12\"", "\"2030\"", "\"123\"", "\"\""), NULL),
                     missing);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111112\"", "\"13\"", "\"2030\"", "\"1\"", "\"A\""), NULL),
        invalid);
    ck_assert_str_eq(
        inst_err(CARD("-4111111111111111", "\"12\"", "\"2030\"", "\"123\"", "\"A\""), NULL),
        invalid);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"13\"", "\"2030\"", "\"1\"", "\"A\""), NULL),
        expired);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"5\"", "\"2025\"", "\"1\"", "\"A\""), NULL),
        expired);
    ck_assert_str_eq(inst_err(CARD("\"4111111111111111\"", "-6", "2025", "\"123\"", "\"A\""), NULL),
                     expired);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"6\"", "\"2025\"", "\"12\"", "\"A\""), NULL),
        invalid);
    ck_assert_str_eq(
        inst_err(CARD("\"4111111111111111\"", "\"6\"", "\"2025\"", "-123", "\"A\""), NULL),
        invalid);

    /* current month is valid; integers count as their decimal strings */
    ck_assert_str_eq(
        inst_err(CARD("\"4111 1111-1111 1111\"", "\"6\"", "\"25\"", "\"123\"", "\"A\""), &in), "");
    ck_assert_str_eq(in.method, "card");
    ck_assert_str_eq(in.card_network, "visa");
    ck_assert_str_eq(in.card_last4, "1111");
    ck_assert_str_eq(in.vpa, "");
    ck_assert_str_eq(inst_err(CARD("5555555555554444", "12", "2030", "1234", "\"John Doe\""), &in),
                     "");
    ck_assert_str_eq(in.card_network, "mastercard");
    ck_assert_str_eq(in.card_last4, "4444");
    ck_assert_str_eq(inst_err(CARD("\"378282246310005\"", "1", "30", "\"123\"", "\"A\""), &in), "");
    ck_assert_str_eq(in.card_network, "amex");
    ck_assert_str_eq(in.card_last4, "0005");
    ck_assert_str_eq(inst_err(CARD("\"6011111111111117\"", "1", "30", "\"123\"", "\"A\""), &in),
                     "");
    ck_assert_str_eq(in.card_network, "rupay");
}
END_TEST

START_TEST(test_payment_card_wiped)
{
    struct gw_err err = GW_ERR_INIT;
    struct payment_instrument in;
    struct json_object *o, *card = NULL, *v = NULL;

    o = parse(CARD("\"4111111111111111\"", "\"12\"", "\"2030\"", "\"123\"", "\"A\""));
    ASSERT_OK(payment_parse_instrument(o, 2025, 6, &in, &err));
    ASSERT_TRUE(json_object_object_get_ex(o, "card", &card));
    ASSERT_TRUE(json_object_object_get_ex(card, "number", &v));
    ASSERT_TRUE(strstr(json_object_get_string(v), "4111") == NULL);
    ASSERT_TRUE(json_object_object_get_ex(card, "cvv", &v));
    ASSERT_TRUE(strstr(json_object_get_string(v), "123") == NULL);
    json_object_put(o);
}
END_TEST

START_TEST(test_payment_filter)
{
    struct payment_filter f;
    struct gw_err err = GW_ERR_INIT;

    ASSERT_OK(payment_parse_filter(NULL, NULL, NULL, NULL, &f, &err));
    ASSERT_NULL(f.status);
    ASSERT_FALSE(f.has_from);
    ASSERT_FALSE(f.has_to);
    ASSERT_FAIL(payment_parse_filter("done", NULL, NULL, NULL, &f, &err));
    ck_assert_str_eq(err.msg, "status must be one of pending, success, failed");
    gw_err_clear(&err);
    ASSERT_FAIL(payment_parse_filter("", NULL, NULL, NULL, &f, &err));
    gw_err_clear(&err);
    ASSERT_FAIL(payment_parse_filter("success", "UPI", NULL, NULL, &f, &err));
    ck_assert_str_eq(err.msg, "method must be one of upi, card");
    gw_err_clear(&err);
    ASSERT_FAIL(payment_parse_filter(NULL, NULL, "2024-02-30", NULL, &f, &err));
    ck_assert_str_eq(err.msg, "created_from must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    gw_err_clear(&err);
    ASSERT_FAIL(payment_parse_filter(NULL, NULL, NULL, "2024-01-15T10:30:00", &f, &err));
    ck_assert_str_eq(err.msg, "created_to must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    gw_err_clear(&err);
    ASSERT_OK(payment_parse_filter("failed", "card", "2024-01-15", "2024-01-15", &f, &err));
    ck_assert_str_eq(f.status, "failed");
    ck_assert_str_eq(f.method, "card");
    ck_assert_int_eq(f.from, 1705276800);
    ck_assert_int_eq(f.to_excl, 1705276800 + 86400);
    ASSERT_OK(
        payment_parse_filter(NULL, NULL, "2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z", &f, &err));
    ck_assert_int_eq(f.from, 1705314600);
    ck_assert_int_eq(f.to_excl, 1705314601);
}
END_TEST

START_TEST(test_capture_and_refund_input)
{
    struct gw_err err = GW_ERR_INIT;
    struct refund_create_in rin;
    struct json_object *o;
    bool has = true;
    int64_t amount = -1;
    struct buf b;
    size_t i;

    o = parse("{}");
    ASSERT_OK(payment_parse_capture_amount(o, &has, &amount, &err));
    ASSERT_FALSE(has);
    ASSERT_FAIL(refund_parse_create(o, &rin, &err));
    ck_assert_str_eq(err.msg, "amount must be a positive integer");
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":null}");
    ASSERT_OK(payment_parse_capture_amount(o, &has, &amount, &err));
    ASSERT_FALSE(has);
    ASSERT_FAIL(refund_parse_create(o, &rin, &err));
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":0}");
    ASSERT_FAIL(payment_parse_capture_amount(o, &has, &amount, &err));
    ck_assert_str_eq(err.msg, "amount must be a positive integer");
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":2147483648}");
    ASSERT_FAIL(payment_parse_capture_amount(o, &has, &amount, &err));
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":10.5}");
    ASSERT_FAIL(payment_parse_capture_amount(o, &has, &amount, &err));
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":\"100\"}");
    ASSERT_FAIL(payment_parse_capture_amount(o, &has, &amount, &err));
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":2147483647}");
    ASSERT_OK(payment_parse_capture_amount(o, &has, &amount, &err));
    ASSERT_TRUE(has);
    ck_assert_int_eq(amount, 2147483647);
    ASSERT_OK(refund_parse_create(o, &rin, &err));
    ASSERT_NULL(rin.reason);
    json_object_put(o);

    o = parse("{\"amount\":100,\"reason\":5}");
    ASSERT_FAIL(refund_parse_create(o, &rin, &err));
    ck_assert_str_eq(err.msg, "reason must be a string of at most 1000 characters");
    json_object_put(o);
    gw_err_clear(&err);
    o = parse("{\"amount\":-1,\"reason\":5}");
    ASSERT_FAIL(refund_parse_create(o, &rin, &err));
    ck_assert_str_eq(err.msg, "amount must be a positive integer");
    json_object_put(o);
    gw_err_clear(&err);
    buf_init(&b, 0);
    ASSERT_OK(buf_puts(&b, "{\"amount\":1,\"reason\":\""));
    for (i = 0; i < 1000; i++) {
        ASSERT_OK(buf_putc(&b, 'r'));
    }
    ASSERT_OK(buf_puts(&b, "\"}"));
    o = parse(b.data);
    ASSERT_OK(refund_parse_create(o, &rin, &err));
    ck_assert_uint_eq(rin.reason_len, 1000);
    json_object_put(o);
    b.len -= 2;
    ASSERT_OK(buf_puts(&b, "r\"}"));
    o = parse(b.data);
    ASSERT_FAIL(refund_parse_create(o, &rin, &err));
    json_object_put(o);
    buf_release(&b);
}
END_TEST

static const char *
csv(const char *s)
{
    static char out[256];
    struct buf b;

    buf_init(&b, 0);
    ASSERT_OK(payment_csv_field(&b, s, s != NULL ? strlen(s) : 0));
    (void)snprintf(out, sizeof(out), "%s", b.data);
    buf_release(&b);
    return out;
}

START_TEST(test_csv)
{
    struct payment p;
    struct buf b;

    ck_assert_str_eq(csv(NULL), "");
    ck_assert_str_eq(csv(""), "");
    ck_assert_str_eq(csv("plain"), "plain");
    ck_assert_str_eq(csv("a,b"), "\"a,b\"");
    ck_assert_str_eq(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
    ck_assert_str_eq(csv("line\nbreak"), "\"line\nbreak\"");
    ck_assert_str_eq(csv("cr\rx"), "\"cr\rx\"");
    ck_assert_str_eq(csv("=SUM(A1)"), "'=SUM(A1)");
    ck_assert_str_eq(csv("+1"), "'+1");
    ck_assert_str_eq(csv("-1"), "'-1");
    ck_assert_str_eq(csv("@x"), "'@x");
    ck_assert_str_eq(csv("=a,b"), "\"'=a,b\"");
    ck_assert_str_eq(csv("a=b"), "a=b");

    memset(&p, 0, sizeof(p));
    memcpy(p.id, "pay_AAAAAAAAAAAAAAAA", 21);
    memcpy(p.order_id, "order_BBBBBBBBBBBBBBBB", 23);
    p.amount = 50000;
    memcpy(p.currency, "INR", 4);
    memcpy(p.method, "upi", 4);
    memcpy(p.vpa, "user@paytm", 11);
    memcpy(p.status, "failed", 7);
    memcpy(p.error_code, "PAYMENT_FAILED", 15);
    memcpy(p.error_description, "Payment processing failed", 26);
    memcpy(p.created_at, "2024-01-15T10:31:00Z", 21);
    memcpy(p.updated_at, "2024-01-15T10:31:05Z", 21);
    buf_init(&b, 0);
    ASSERT_OK(buf_puts(&b, PAYMENT_CSV_HEADER));
    ASSERT_OK(payment_csv_row(&b, &p));
    memcpy(p.method, "card", 5);
    memcpy(p.card_network, "visa", 5);
    memcpy(p.card_last4, "1111", 5);
    memcpy(p.status, "success", 8);
    p.error_code[0] = '\0';
    p.error_description[0] = '\0';
    p.captured = true;
    ASSERT_OK(payment_csv_row(&b, &p));
    ck_assert_str_eq(b.data,
                     "id,order_id,amount,currency,method,status,captured,vpa,card_network,"
                     "card_last4,error_code,error_description,created_at,updated_at\r\n"
                     "pay_AAAAAAAAAAAAAAAA,order_BBBBBBBBBBBBBBBB,50000,INR,upi,failed,false,"
                     "user@paytm,,,PAYMENT_FAILED,Payment processing failed,2024-01-15T10:31:00Z,"
                     "2024-01-15T10:31:05Z\r\n"
                     "pay_AAAAAAAAAAAAAAAA,order_BBBBBBBBBBBBBBBB,50000,INR,card,success,true,,"
                     "visa,1111,,,2024-01-15T10:31:00Z,2024-01-15T10:31:05Z\r\n");
    buf_release(&b);
}
END_TEST

START_TEST(test_payment_json)
{
    struct payment p;
    struct buf b;
    struct jw w;

    memset(&p, 0, sizeof(p));
    memcpy(p.id, "pay_AAAAAAAAAAAAAAAA", 21);
    memcpy(p.order_id, "order_BBBBBBBBBBBBBBBB", 23);
    p.amount = 50000;
    memcpy(p.currency, "INR", 4);
    memcpy(p.method, "upi", 4);
    memcpy(p.vpa, "user@paytm", 11);
    memcpy(p.status, "pending", 8);
    memcpy(p.created_at, "2024-01-15T10:31:00Z", 21);
    memcpy(p.updated_at, "2024-01-15T10:31:00Z", 21);
    buf_init(&b, 0);
    jw_init(&w, &b);
    payment_write_json(&w, &p);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data, "{\"id\":\"pay_AAAAAAAAAAAAAAAA\",\"order_id\":\"order_"
                             "BBBBBBBBBBBBBBBB\",\"amount\":50000,\"currency\":\"INR\",\"method\":"
                             "\"upi\",\"vpa\":\"user@paytm\",\"status\":\"pending\",\"captured\":"
                             "false,\"created_at\":\"2024-01-15T10:31:00Z\",\"updated_at\":\"2024-"
                             "01-15T10:31:00Z\"}");
    memcpy(p.method, "card", 5);
    memcpy(p.card_network, "visa", 5);
    memcpy(p.card_last4, "1111", 5);
    memcpy(p.status, "failed", 7);
    memcpy(p.error_code, "PAYMENT_FAILED", 15);
    memcpy(p.error_description, "Payment processing failed", 26);
    buf_reset(&b);
    jw_init(&w, &b);
    payment_write_json(&w, &p);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data,
                     "{\"id\":\"pay_AAAAAAAAAAAAAAAA\",\"order_id\":\"order_BBBBBBBBBBBBBBBB\","
                     "\"amount\":50000,\"currency\":\"INR\",\"method\":\"card\",\"card_network\":"
                     "\"visa\",\"card_last4\":\"1111\",\"status\":\"failed\",\"captured\":false,"
                     "\"error_code\":\"PAYMENT_FAILED\",\"error_description\":\"Payment "
                     "processing failed\",\"created_at\":\"2024-01-15T10:31:00Z\",\"updated_at\":"
                     "\"2024-01-15T10:31:00Z\"}");
    buf_reset(&b);
    jw_init(&w, &b);
    payment_write_public_json(&w, &p);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data, "{\"id\":\"pay_AAAAAAAAAAAAAAAA\",\"order_id\":\"order_"
                             "BBBBBBBBBBBBBBBB\",\"amount\":50000,\"currency\":\"INR\",\"method\":"
                             "\"card\",\"status\":\"failed\",\"error_code\":\"PAYMENT_FAILED\","
                             "\"error_description\":\"Payment processing failed\"}");
    buf_release(&b);
}
END_TEST

START_TEST(test_refund_and_webhook_json)
{
    struct refund r;
    struct webhook_log l;
    struct buf b;
    struct jw w;
    static const char entry[] = "{\"type\":\"webhook\",\"id\":\"0b9f3c1e-1111-4222-8333-"
                                "944455556666\",\"reason\":\"x\",\"failed_at\":\"t\"}";

    memset(&r, 0, sizeof(r));
    memcpy(r.id, "rfnd_AAAAAAAAAAAAAAAA", 22);
    memcpy(r.payment_id, "pay_AAAAAAAAAAAAAAAA", 21);
    r.amount = 100;
    memcpy(r.status, "pending", 8);
    memcpy(r.created_at, "2024-01-15T10:31:00Z", 21);
    buf_init(&b, 0);
    jw_init(&w, &b);
    refund_write_json(&w, &r);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data, "{\"id\":\"rfnd_AAAAAAAAAAAAAAAA\",\"payment_id\":\"pay_"
                             "AAAAAAAAAAAAAAAA\",\"amount\":100,\"reason\":null,\"status\":"
                             "\"pending\",\"created_at\":\"2024-01-15T10:31:00Z\","
                             "\"processed_at\":null}");

    memset(&l, 0, sizeof(l));
    memcpy(l.id, "0b9f3c1e-1111-4222-8333-944455556666", 37);
    memcpy(l.event, "payment.success", 16);
    memcpy(l.status, "success", 8);
    l.attempts = 1;
    memcpy(l.created_at, "2024-01-15T10:31:00Z", 21);
    memcpy(l.last_attempt_at, "2024-01-15T10:31:01Z", 21);
    l.has_response_code = true;
    l.response_code = 200;
    l.payload = (char *)(uintptr_t) "{\"event\":\"payment.success\",\"timestamp\":1}";
    buf_reset(&b);
    jw_init(&w, &b);
    webhook_log_write_detail_json(&w, &l);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data, "{\"id\":\"0b9f3c1e-1111-4222-8333-944455556666\",\"event\":"
                             "\"payment.success\",\"status\":\"success\",\"attempts\":1,"
                             "\"created_at\":\"2024-01-15T10:31:00Z\",\"last_attempt_at\":\"2024-"
                             "01-15T10:31:01Z\",\"next_retry_at\":null,\"response_code\":200,"
                             "\"response_body\":null,\"payload\":{\"event\":\"payment.success\","
                             "\"timestamp\":1}}");
    buf_reset(&b);
    jw_init(&w, &b);
    webhook_log_write_retry_json(&w, l.id);
    ASSERT_OK(jw_finish(&w));
    ck_assert_str_eq(b.data, "{\"id\":\"0b9f3c1e-1111-4222-8333-944455556666\",\"status\":"
                             "\"pending\",\"message\":\"Webhook retry scheduled\"}");
    buf_release(&b);

    ASSERT_TRUE(
        webhook_log_dlq_matches(entry, strlen(entry), "0b9f3c1e-1111-4222-8333-944455556666"));
    ASSERT_TRUE(
        webhook_log_dlq_matches(entry, strlen(entry), "0B9F3C1E-1111-4222-8333-944455556666"));
    ASSERT_FALSE(
        webhook_log_dlq_matches(entry, strlen(entry), "0b9f3c1e-1111-4222-8333-944455556667"));
    ASSERT_FALSE(webhook_log_dlq_matches("{\"type\":\"payment\",\"id\":\"pay_x\"}", 31, "pay_x"));
    ASSERT_FALSE(webhook_log_dlq_matches("not json", 8, "x"));
}
END_TEST

Suite *
suite_payment(void)
{
    Suite *s = suite_create("payment");

    UNIT_TCASE(s, "order", 0, test_order_amount, test_order_fields, test_order_json);
    UNIT_TCASE(s, "payment_input", 0, test_payment_method_upi, test_payment_method_card,
               test_payment_card_wiped, test_payment_filter, test_capture_and_refund_input);
    UNIT_TCASE(s, "representation", 0, test_csv, test_payment_json, test_refund_and_webhook_json);
    return s;
}

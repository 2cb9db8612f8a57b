/* check_validate.c: SPEC section 7 rules and the input formats of validate.h. */
#include "unit.h"

#include "validate.h"

#include <stdio.h>
#include <string.h>

#define S(lit) (lit), (sizeof(lit) - 1)

START_TEST(test_vpa)
{
    ASSERT_TRUE(validate_vpa(S("user@paytm")));
    ASSERT_TRUE(validate_vpa(S("john.doe@okhdfcbank")));
    ASSERT_TRUE(validate_vpa(S("user_123@phonepe")));
    ASSERT_TRUE(validate_vpa(S("a-b.c_d@X9")));
    ASSERT_TRUE(validate_vpa(S("._-@b")));
    ASSERT_FALSE(validate_vpa(S("user @paytm")));
    ASSERT_FALSE(validate_vpa(S("@paytm")));
    ASSERT_FALSE(validate_vpa(S("user@@bank")));
    ASSERT_FALSE(validate_vpa(S("user@")));
    ASSERT_FALSE(validate_vpa(S("")));
    ASSERT_FALSE(validate_vpa(S("user")));
    ASSERT_FALSE(validate_vpa(S(" user@paytm")));
    ASSERT_FALSE(validate_vpa(S("user@paytm ")));
    ASSERT_FALSE(validate_vpa(S("user@pay.tm")));
    ASSERT_FALSE(validate_vpa(S("user@pay_tm")));
    ASSERT_FALSE(validate_vpa(S("us+er@paytm")));
    ASSERT_FALSE(validate_vpa(S("user@paytm\n")));
    ASSERT_FALSE(validate_vpa(S("us\0er@paytm")));
    ASSERT_FALSE(validate_vpa(S("user@pay\0tm")));
    ASSERT_FALSE(validate_vpa(S("\xc3\xbc@paytm")));
}
END_TEST

static const char *
card_network_of(const char *number)
{
    char clean[20];

    if (validate_card_clean(number, strlen(number), clean) != 0 || !validate_luhn(clean)) {
        return NULL;
    }
    return validate_card_network(clean);
}

START_TEST(test_card_reference)
{
    char clean[20];

    ck_assert_str_eq(card_network_of("4111111111111111"), "visa");
    ck_assert_str_eq(card_network_of("5555555555554444"), "mastercard");
    ck_assert_str_eq(card_network_of("378282246310005"), "amex");
    ck_assert_str_eq(card_network_of("6011111111111117"), "rupay");
    /* spaces and dashes are removed */
    ck_assert_str_eq(card_network_of("4111 1111 1111 1111"), "visa");
    ck_assert_str_eq(card_network_of("4111-1111-1111-1111"), "visa");
    ck_assert_str_eq(card_network_of(" 5555-5555 5555-4444 "), "mastercard");
    ASSERT_OK(validate_card_clean(S("4111 1111-1111 1111"), clean));
    ck_assert_str_eq(clean, "4111111111111111");
}
END_TEST

START_TEST(test_card_luhn_fail)
{
    ck_assert_ptr_null(card_network_of("4111111111111112"));
    ck_assert_ptr_null(card_network_of("5555555555554445"));
    ck_assert_ptr_null(card_network_of("378282246310006"));
    ck_assert_ptr_null(card_network_of("1234567812345678"));
    ASSERT_TRUE(validate_luhn("79927398713"));
    ASSERT_FALSE(validate_luhn("79927398710"));
    ASSERT_FALSE(validate_luhn(""));
    ASSERT_FALSE(validate_luhn("4111a11111111111"));
}
END_TEST

START_TEST(test_card_lengths)
{
    char clean[20];

    /* 12 digits: too short even though the Luhn sum is fine */
    ASSERT_TRUE(validate_luhn("000000000000"));
    ASSERT_FAIL(validate_card_clean(S("000000000000"), clean));
    /* 13 and 19 digits: the edges that are accepted */
    ASSERT_OK(validate_card_clean(S("4222222222222"), clean));
    ASSERT_TRUE(validate_luhn(clean));
    ck_assert_str_eq(validate_card_network(clean), "visa");
    ASSERT_OK(validate_card_clean(S("4000000000000000006"), clean));
    ck_assert_uint_eq(strlen(clean), 19);
    ASSERT_TRUE(validate_luhn(clean));
    /* 20 digits: too long even though the Luhn sum is fine */
    ASSERT_TRUE(validate_luhn("40000000000000000002"));
    ASSERT_FAIL(validate_card_clean(S("40000000000000000002"), clean));
    ASSERT_FAIL(validate_card_clean(S("4000 0000 0000 0000 0002"), clean));
    /* other characters */
    ASSERT_FAIL(validate_card_clean(S("4111111111111111a"), clean));
    ASSERT_FAIL(validate_card_clean(S("4111.1111.1111.1111"), clean));
    ASSERT_FAIL(validate_card_clean(S("4111\t1111 1111 1111"), clean));
    ASSERT_FAIL(validate_card_clean(S("4111111111111111\0"), clean));
    ASSERT_FAIL(validate_card_clean(S("+4111111111111111"), clean));
    ASSERT_FAIL(validate_card_clean(S("\xd9\xa4"
                                      "111111111111111"),
                                    clean));
    ASSERT_FAIL(validate_card_clean(S(""), clean));
    ASSERT_FAIL(validate_card_clean(S("  --  "), clean));
}
END_TEST

START_TEST(test_card_networks)
{
    static const struct {
        const char *prefix;
        const char *network;
    } t[] = {
        { "4000000000000", "visa" },       { "5100000000000", "mastercard" },
        { "5300000000000", "mastercard" }, { "5500000000000", "mastercard" },
        { "5000000000000", "unknown" },    { "5600000000000", "unknown" },
        { "3400000000000", "amex" },       { "3700000000000", "amex" },
        { "3500000000000", "unknown" },    { "6000000000000", "rupay" },
        { "6500000000000", "rupay" },      { "6100000000000", "unknown" },
        { "8100000000000", "rupay" },      { "8500000000000", "rupay" },
        { "8900000000000", "rupay" },      { "8000000000000", "unknown" },
        { "9000000000000", "unknown" },    { "1000000000000", "unknown" },
        { "2200000000000", "unknown" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ck_assert_str_eq(validate_card_network(t[i].prefix), t[i].network);
    }
}
END_TEST

START_TEST(test_expiry)
{
    /* "now" is June 2025 */
    ASSERT_TRUE(validate_expiry(S("6"), S("2025"), 2025, 6)); /* current month is valid */
    ASSERT_TRUE(validate_expiry(S("06"), S("25"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("5"), S("2025"), 2025, 6)); /* previous month */
    ASSERT_FALSE(validate_expiry(S("05"), S("25"), 2025, 6));
    ASSERT_TRUE(validate_expiry(S("7"), S("25"), 2025, 6));
    ASSERT_TRUE(validate_expiry(S("12"), S("2025"), 2025, 6));
    ASSERT_TRUE(validate_expiry(S("1"), S("2026"), 2025, 6));
    ASSERT_TRUE(validate_expiry(S("01"), S("99"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("2024"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("24"), 2025, 6));
    ASSERT_TRUE(validate_expiry(S("12"), S("2999"), 2025, 6));
    /* December to January */
    ASSERT_TRUE(validate_expiry(S("12"), S("2025"), 2025, 12));
    ASSERT_FALSE(validate_expiry(S("11"), S("2025"), 2025, 12));
    ASSERT_TRUE(validate_expiry(S("1"), S("26"), 2025, 12));
    /* month format */
    ASSERT_FALSE(validate_expiry(S("0"), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("00"), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("13"), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("1a"), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("012"), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S(""), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S(" 1"), S("2030"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("-1"), S("2030"), 2025, 6));
    /* year format */
    ASSERT_FALSE(validate_expiry(S("12"), S("203"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("20300"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("2"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S(""), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("3a"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("2O30"), 2025, 6));
    ASSERT_FALSE(validate_expiry(S("12"), S("+2030"), 2025, 6));
}
END_TEST

START_TEST(test_cvv_currency)
{
    ASSERT_TRUE(validate_cvv(S("123")));
    ASSERT_TRUE(validate_cvv(S("1234")));
    ASSERT_FALSE(validate_cvv(S("12")));
    ASSERT_FALSE(validate_cvv(S("12345")));
    ASSERT_FALSE(validate_cvv(S("12a")));
    ASSERT_FALSE(validate_cvv(S("")));
    ASSERT_FALSE(validate_cvv(S("12\0")));
    ASSERT_TRUE(validate_currency(S("INR")));
    ASSERT_TRUE(validate_currency(S("USD")));
    ASSERT_FALSE(validate_currency(S("inr")));
    ASSERT_FALSE(validate_currency(S("INRR")));
    ASSERT_FALSE(validate_currency(S("IN")));
    ASSERT_FALSE(validate_currency(S("IN1")));
    ASSERT_FALSE(validate_currency(S("IN\0")));
}
END_TEST

START_TEST(test_webhook_url)
{
    static const char *const good[] = {
        "https://example.com/webhook",
        "http://localhost:4000/hook",
        "HTTPS://EXAMPLE.COM",
        "HtTp://host.docker.internal:9000/webhook?x=1&y=2",
        "http://127.0.0.1:1/",
        "http://192.168.1.10:65535/a/b",
        "http://[::1]:8080/x",
        "http://[2001:db8::1]/",
        "http://[::ffff:10.0.0.1]",
        "https://a-b.c_d.example/p?q",
        "https://example.com?only=query",
        "http://x",
    };
    static const char *const bad[] = {
        "",
        "ftp://example.com/",
        "https:/example.com",
        "https//example.com",
        "https://",
        "https:///path",
        "https://user:pass@example.com/",
        "https://user@example.com/",
        "https://example.com/#frag",
        "https://example.com/a b",
        "https://example.com/\t",
        "https://exa mple.com/",
        "https://example.com:0/",
        "https://example.com:65536/",
        "https://example.com:/",
        "https://example.com:80a/",
        "https://example.com:-80/",
        "https://[::1/",
        "https://[::1]x/",
        "https://[zz::1]/",
        "https://[1:2:3:4:5:6:7:8:9]/",
        "https://-example.com/",
        "https://example-.com/",
        "https://exa..mple.com/",
        "https://256.1.1.1/",
        "https://1.2.3/",
        "https://01.2.3.4/",
        "https://ex!ample.com/",
        " https://example.com/",
        "https://example.com/\x7f",
        "https://ex\xc3\xa4mple.com/",
        "javascript:alert(1)",
    };
    char longurl[2100];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(validate_webhook_url(good[i], strlen(good[i])), "should accept %s", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!validate_webhook_url(bad[i], strlen(bad[i])), "should reject %s", bad[i]);
    }
    ASSERT_FALSE(validate_webhook_url(S("https://example.com/\0x")));
    /* 2048 characters accepted, 2049 rejected */
    (void)snprintf(longurl, sizeof(longurl), "%s", "https://example.com/");
    memset(longurl + 20, 'a', sizeof(longurl) - 20);
    ASSERT_TRUE(validate_webhook_url(longurl, 2048));
    ASSERT_FALSE(validate_webhook_url(longurl, 2049));
}
END_TEST

START_TEST(test_headers)
{
    char key[300];

    ASSERT_TRUE(validate_idempotency_key(S("a")));
    ASSERT_TRUE(validate_idempotency_key(S(" key with spaces ~!")));
    ASSERT_FALSE(validate_idempotency_key(S("")));
    ASSERT_FALSE(validate_idempotency_key(S("tab\there")));
    ASSERT_FALSE(validate_idempotency_key(S("del\x7f")));
    ASSERT_FALSE(validate_idempotency_key(S("\xc3\xa9")));
    memset(key, 'k', sizeof(key));
    ASSERT_TRUE(validate_idempotency_key(key, 255));
    ASSERT_FALSE(validate_idempotency_key(key, 256));

    ASSERT_TRUE(validate_request_id(S("abc-123_X.y")));
    ASSERT_TRUE(validate_request_id(key, 128));
    ASSERT_FALSE(validate_request_id(key, 129));
    ASSERT_FALSE(validate_request_id(S("")));
    ASSERT_FALSE(validate_request_id(S("a b")));
    ASSERT_FALSE(validate_request_id(S("a/b")));
    ASSERT_FALSE(validate_request_id(S("a\nb")));
}
END_TEST

START_TEST(test_ids)
{
    ASSERT_TRUE(validate_object_id("pay_", "pay_AbCdEfGh12345678"));
    ASSERT_TRUE(validate_object_id("order_", "order_0000000000000000"));
    ASSERT_TRUE(validate_object_id("rfnd_", "rfnd_zzzzzzzzzzzzzzzz"));
    ASSERT_FALSE(validate_object_id("pay_", "pay_AbCdEfGh1234567"));
    ASSERT_FALSE(validate_object_id("pay_", "pay_AbCdEfGh123456789"));
    ASSERT_FALSE(validate_object_id("pay_", "pay_AbCdEfGh1234567-"));
    ASSERT_FALSE(validate_object_id("pay_", "order_AbCdEfGh123456"));
    ASSERT_FALSE(validate_object_id("pay_", "PAY_AbCdEfGh12345678"));
    ASSERT_FALSE(validate_object_id("pay_", "pay_"));
    ASSERT_FALSE(validate_object_id("pay_", ""));

    ASSERT_TRUE(validate_uuid("550e8400-e29b-41d4-a716-446655440000"));
    ASSERT_TRUE(validate_uuid("550E8400-E29B-41D4-A716-446655440000"));
    ASSERT_FALSE(validate_uuid("550e8400e29b41d4a716446655440000"));
    ASSERT_FALSE(validate_uuid("550e8400-e29b-41d4-a716-44665544000"));
    ASSERT_FALSE(validate_uuid("550e8400-e29b-41d4-a716-4466554400000"));
    ASSERT_FALSE(validate_uuid("550e8400-e29b-41d4-a716_446655440000"));
    ASSERT_FALSE(validate_uuid("g50e8400-e29b-41d4-a716-446655440000"));
    ASSERT_FALSE(validate_uuid(""));
}
END_TEST

START_TEST(test_utf8)
{
    ASSERT_TRUE(validate_utf8(S("")));
    ASSERT_TRUE(validate_utf8(S("plain ascii \x7f")));
    ASSERT_TRUE(validate_utf8(S("nul\0inside")));
    ASSERT_TRUE(validate_utf8(S("\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf")));
    ASSERT_TRUE(validate_utf8(S("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf \xe2\x82\xac")));
    ASSERT_TRUE(validate_utf8(S("\xed\x9f\xbf \xee\x80\x80")));
    ASSERT_FALSE(validate_utf8(S("\x80")));
    ASSERT_FALSE(validate_utf8(S("\xc0\xaf")));         /* overlong '/' */
    ASSERT_FALSE(validate_utf8(S("\xc1\xbf")));         /* overlong */
    ASSERT_FALSE(validate_utf8(S("\xe0\x80\xaf")));     /* overlong */
    ASSERT_FALSE(validate_utf8(S("\xf0\x80\x80\xaf"))); /* overlong */
    ASSERT_FALSE(validate_utf8(S("\xed\xa0\x80")));     /* U+D800 */
    ASSERT_FALSE(validate_utf8(S("\xed\xbf\xbf")));     /* U+DFFF */
    ASSERT_FALSE(validate_utf8(S("\xf4\x90\x80\x80"))); /* U+110000 */
    ASSERT_FALSE(validate_utf8(S("\xf5\x80\x80\x80")));
    ASSERT_FALSE(validate_utf8(S("\xff")));
    ASSERT_FALSE(validate_utf8(S("\xfe")));
    ASSERT_FALSE(validate_utf8(S("\xe2\x82"))); /* truncated */
    ASSERT_FALSE(validate_utf8(S("\xe2\x82x")));
    ASSERT_FALSE(validate_utf8(S("a\xc3")));
    ASSERT_FALSE(validate_utf8(S("\xef\xbb\xbf\xc3"))); /* BOM is valid, the rest is not */

    ck_assert_uint_eq(validate_utf8_chars(S("")), 0);
    ck_assert_uint_eq(validate_utf8_chars(S("abc")), 3);
    ck_assert_uint_eq(validate_utf8_chars(S("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!")), 4);
}
END_TEST

START_TEST(test_timestamps)
{
    int64_t t = 0;
    bool d = false;

    ASSERT_OK(validate_parse_timestamp("1970-01-01", &t, &d));
    ck_assert_int_eq(t, 0);
    ASSERT_TRUE(d);
    ASSERT_OK(validate_parse_timestamp("2024-01-15T10:30:00Z", &t, &d));
    ck_assert_int_eq(t, 1705314600);
    ASSERT_FALSE(d);
    ASSERT_OK(validate_parse_timestamp("2024-02-29", &t, &d));
    ck_assert_int_eq(t, 1709164800);
    ASSERT_OK(validate_parse_timestamp("2000-02-29T23:59:59Z", &t, NULL));
    ck_assert_int_eq(t, 951868799);
    ASSERT_OK(validate_parse_timestamp("1969-12-31T23:59:59Z", &t, NULL));
    ck_assert_int_eq(t, -1);
    ASSERT_OK(validate_parse_timestamp("9999-12-31T23:59:59Z", &t, NULL));
    ck_assert_int_eq(t, INT64_C(253402300799));

    ASSERT_FAIL(validate_parse_timestamp("2023-02-29", &t, &d)); /* not a leap year */
    ASSERT_FAIL(validate_parse_timestamp("1900-02-29", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-02-30", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-04-31", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-13-01", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-00-01", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-00", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("0000-01-01", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-1-01", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024/01/01", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01T24:00:00Z", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01T23:60:00Z", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01T23:59:60Z", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01T10:30:00", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01 10:30:00Z", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01T10:30:00z", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-01T10:30:00+00:00", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("2024-01-0a", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("+024-01-01", &t, &d));
    ASSERT_FAIL(validate_parse_timestamp("", &t, &d));
}
END_TEST

Suite *
suite_validate(void)
{
    Suite *s = suite_create("validate");

    UNIT_TCASE(s, "vpa", 0, test_vpa);
    UNIT_TCASE(s, "card", 0, test_card_reference, test_card_luhn_fail, test_card_lengths,
               test_card_networks, test_expiry, test_cvv_currency);
    UNIT_TCASE(s, "formats", 0, test_webhook_url, test_headers, test_ids, test_utf8,
               test_timestamps);
    return s;
}

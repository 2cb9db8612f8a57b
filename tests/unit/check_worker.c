/* check_worker.c: the worker's pure parts: response_body cleaning (SPEC 11.3), the retry
 * schedules (SPEC 11.4), the bank delay bounds (SPEC 10.3) and both webhook signatures (SPEC
 * 11.3); destination addresses are judged by core/netaddr.c (check_netaddr.c). Expected signatures were
 * computed with node's crypto (createHmac). */
#include "unit.h"

#include "buf.h"
#include "cfg.h"
#include "deliver.h"
#include "gw.h"
#include "jobs.h"

#include <stdint.h>
#include <string.h>

#define REPL "\xEF\xBF\xBD" /* U+FFFD */

Suite *suite_worker(void); /* registered in main.c (declaration for unit.h) */

/* Cleans len bytes of in and compares with want (want_len bytes). */
static void
clean_eq(const char *in, size_t len, const char *want, size_t want_len)
{
    struct buf out;

    buf_init(&out, 0);
    ASSERT_OK(deliver_clean_body((const unsigned char *)in, len, &out));
    ck_assert_uint_eq(out.len, want_len);
    ck_assert_msg(memcmp(out.data, want, want_len) == 0, "cleaned body differs");
    buf_release(&out);
}

START_TEST(test_clean_plain)
{
    clean_eq("", 0, "", 0);
    clean_eq("ok", 2, "ok", 2);
    clean_eq("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14,
             "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14);
}
END_TEST

START_TEST(test_clean_truncates_at_1000)
{
    static char in[3000];
    static char want[DELIVER_BODY_MAX];
    /* Byte sequences, not strings: they are copied into the middle of in without a NUL. */
    static const char emoji[] = { '\xF0', '\x9F', '\x98', '\x80' }; /* U+1F600 */
    static const char euro[] = { '\xE2', '\x82', '\xAC' };          /* U+20AC */
    struct buf out;

    memset(in, 'a', sizeof(in));
    memset(want, 'a', sizeof(want));
    clean_eq(in, sizeof(in), want, DELIVER_BODY_MAX);
    clean_eq(in, DELIVER_BODY_MAX + 1, want, DELIVER_BODY_MAX);
    clean_eq(in, DELIVER_BODY_MAX, want, DELIVER_BODY_MAX);

    /* A 2-byte sequence cut by the limit (bytes 999-1000): the lead byte is dropped. */
    in[DELIVER_BODY_MAX - 1] = '\xC3';
    in[DELIVER_BODY_MAX] = '\xA9';
    clean_eq(in, sizeof(in), want, DELIVER_BODY_MAX - 1);
    /* A 4-byte emoji cut after 2 of its bytes. */
    memset(in, 'a', sizeof(in));
    memcpy(in + DELIVER_BODY_MAX - 2, emoji, sizeof(emoji));
    clean_eq(in, sizeof(in), want, DELIVER_BODY_MAX - 2);
    /* A complete sequence ending exactly at the limit is kept. */
    memset(in, 'a', sizeof(in));
    memcpy(in + DELIVER_BODY_MAX - 3, euro, sizeof(euro));
    buf_init(&out, 0);
    ASSERT_OK(deliver_clean_body((const unsigned char *)in, sizeof(in), &out));
    ck_assert_uint_eq(out.len, DELIVER_BODY_MAX);
    ck_assert_int_eq(memcmp(out.data + DELIVER_BODY_MAX - 3, "\xE2\x82\xAC", 3), 0);
    buf_release(&out);
}
END_TEST

START_TEST(test_clean_incomplete_trailing)
{
    /* Short bodies too: an incomplete trailing sequence is dropped, not replaced. */
    clean_eq("ab\xC3", 3, "ab", 2);
    clean_eq("ab\xE2\x82", 4, "ab", 2);
    clean_eq("ab\xF0\x9F\x98", 5, "ab", 2);
}
END_TEST

START_TEST(test_clean_invalid_and_nul)
{
    clean_eq("a\0b", 3, "a" REPL "b", 5);
    clean_eq("\xFF", 1, REPL, 3);
    clean_eq("a\x80z", 3, "a" REPL "z", 5);
    /* Overlong encodings, surrogates and values above U+10FFFF are invalid. */
    clean_eq("\xC0\xAF", 2, REPL REPL, 6);
    clean_eq("\xE0\x80\xAF", 3, REPL REPL REPL, 9);
    clean_eq("\xED\xA0\x80", 3, REPL REPL REPL, 9);
    clean_eq("\xF4\x90\x80\x80", 4, REPL REPL REPL REPL, 12);
    /* A lead byte followed by a non-continuation byte. */
    clean_eq("\xC3(", 2, REPL "(", 4);
}
END_TEST

START_TEST(test_clean_output_is_bounded)
{
    static char in[2000];
    struct buf out;

    /* 1000 invalid bytes become 1000 replacement characters (3000 bytes): the byte limit is on
     * the response body read, before replacement. */
    memset(in, 0xFF, sizeof(in));
    buf_init(&out, 0);
    ASSERT_OK(deliver_clean_body((const unsigned char *)in, sizeof(in), &out));
    ck_assert_uint_eq(out.len, (size_t)3 * DELIVER_BODY_MAX);
    buf_release(&out);
}
END_TEST

START_TEST(test_retry_schedule)
{
    /* After attempt N the next one follows interval[N]; attempt 5 is the last. */
    ck_assert_int_eq(deliver_retry_interval(false, 1), 60);
    ck_assert_int_eq(deliver_retry_interval(false, 2), 300);
    ck_assert_int_eq(deliver_retry_interval(false, 3), 1800);
    ck_assert_int_eq(deliver_retry_interval(false, 4), 7200);
    ck_assert_int_eq(deliver_retry_interval(false, 5), -1);
    ck_assert_int_eq(deliver_retry_interval(true, 1), 5);
    ck_assert_int_eq(deliver_retry_interval(true, 2), 10);
    ck_assert_int_eq(deliver_retry_interval(true, 3), 15);
    ck_assert_int_eq(deliver_retry_interval(true, 4), 20);
    ck_assert_int_eq(deliver_retry_interval(true, 5), -1);
    ck_assert_int_eq(deliver_retry_interval(true, 0), -1);
    ck_assert_int_eq(deliver_retry_interval(false, 6), -1);
}
END_TEST

START_TEST(test_bank_delay)
{
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;
    int64_t d, lo = INT64_MAX, hi = 0;
    int i;

    memset(&c, 0, sizeof(c));
    c.test_mode = true;
    c.test_processing_delay = 1234;
    ASSERT_OK(jobs_bank_delay(&c, JOBS_PAYMENT, &d, &err));
    ck_assert_int_eq(d, 1234);
    ASSERT_OK(jobs_bank_delay(&c, JOBS_REFUND, &d, &err));
    ck_assert_int_eq(d, 1234);

    c.test_mode = false;
    c.processing_delay_min = 5000;
    c.processing_delay_max = 5003;
    for (i = 0; i < 400; i++) {
        ASSERT_OK(jobs_bank_delay(&c, JOBS_PAYMENT, &d, &err));
        ck_assert_int_ge(d, 5000);
        ck_assert_int_le(d, 5003);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    ck_assert_int_eq(lo, 5000); /* both ends are reachable (inclusive range) */
    ck_assert_int_eq(hi, 5003);
    c.processing_delay_min = 7000;
    c.processing_delay_max = 7000;
    ASSERT_OK(jobs_bank_delay(&c, JOBS_PAYMENT, &d, &err));
    ck_assert_int_eq(d, 7000);
    for (i = 0; i < 200; i++) {
        ASSERT_OK(jobs_bank_delay(&c, JOBS_REFUND, &d, &err));
        ck_assert_int_ge(d, JOBS_REFUND_DELAY_MIN);
        ck_assert_int_le(d, JOBS_REFUND_DELAY_MAX);
    }
    ck_assert_int_eq(JOBS_REFUND_DELAY_MIN, 3000);
    ck_assert_int_eq(JOBS_REFUND_DELAY_MAX, 5000);
}
END_TEST

START_TEST(test_signatures)
{
    static const char secret[] = "whsec_test_abc123";
    static const char id[] = "5f0c2a4e-1b2c-4d5e-8f90-0123456789ab";
    static const char body[] =
        "{\"event\":\"payment.success\",\"timestamp\":1705315870,\"data\":{\"payment\":{\"id\":"
        "\"pay_H8sK3jD9s2L1pQr\",\"order_id\":\"order_NXhj67fGH2jk9mPq\",\"amount\":50000,"
        "\"currency\":\"INR\",\"method\":\"upi\",\"vpa\":\"user@paytm\",\"status\":\"success\","
        "\"created_at\":\"2024-01-15T10:31:00Z\"}}}";
    static const char body2[] = "{\"reason\":\"caf\xC3\xA9\"}";
    char hex[CRYPTO_SHA256_HEXLEN + 1];
    char std[DELIVER_STDSIG_SZ];

    ASSERT_OK(deliver_signatures(secret, id, 1705315870, body, strlen(body), hex, std));
    ck_assert_str_eq(hex, "b51174d43fd778faace59c1c7c81f3194031e5f2981402a7d4c24299c948e5fc");
    ck_assert_str_eq(std, "v1,c9M9h0RhuGXdBTe+LCnTVStBZ1ACuP+Ha6sPYN4R/SQ=");
    /* The key is the secret's UTF-8 bytes, used as is (not base64-decoded). */
    ASSERT_OK(deliver_signatures("k\xC3\xA9y", id, 0, body2, strlen(body2), hex, std));
    ck_assert_str_eq(hex, "6243469c19025bdb31154cc7086c1e653cf094e9315a203989296d26529b18f3");
}
END_TEST

START_TEST(test_ep_retry_schedule)
{
    /* SPEC 21.3: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then failed for good (8 attempts);
     * test mode 1-7 s; the jitter factor is per mille. */
    static const int64_t s[7] = { 5, 300, 1800, 7200, 18000, 36000, 36000 };
    int n;

    for (n = 1; n <= 7; n++) {
        ck_assert_int_eq(deliver_ep_retry_ms(false, n, 1000), s[n - 1] * 1000);
        ck_assert_int_eq(deliver_ep_retry_ms(true, n, 1000), (int64_t)n * 1000);
        ck_assert_int_eq(deliver_ep_retry_ms(false, n, 900), s[n - 1] * 900);
        ck_assert_int_eq(deliver_ep_retry_ms(false, n, 1100), s[n - 1] * 1100);
    }
    ck_assert_int_eq(deliver_ep_retry_ms(false, 8, 1000), -1);
    ck_assert_int_eq(deliver_ep_retry_ms(true, 0, 1000), -1);
}
END_TEST

START_TEST(test_secret_keys)
{
    unsigned char key[DELIVER_KEY_MAX];
    size_t n = 0;

    /* whsec_ + base64 of at least 24 bytes: the decoded bytes (Standard Webhooks) */
    ASSERT_OK(
        deliver_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 24, key, sizeof(key), &n));
    ck_assert_uint_eq(n, 24);
    ck_assert_int_eq(key[0], 0x31);
    /* the seeded legacy secret is no base64: its own bytes */
    ASSERT_OK(deliver_secret_key("whsec_test_abc123", 24, key, sizeof(key), &n));
    ck_assert_uint_eq(n, strlen("whsec_test_abc123"));
    ck_assert_int_eq(memcmp(key, "whsec_test_abc123", n), 0);
    /* 24 alphanumerics decode to 18 bytes: fewer than 24, so the legacy rule keeps the bytes */
    ASSERT_OK(deliver_secret_key("whsec_abcdefghijklmnopqrstuvwx", 24, key, sizeof(key), &n));
    ck_assert_uint_eq(n, 30);
    /* an endpoint secret (minimum 1) is always decoded when it is base64 */
    ASSERT_OK(deliver_secret_key("whsec_abcdefghijklmnopqrstuvwx", 1, key, sizeof(key), &n));
    ck_assert_uint_eq(n, 18);
}
END_TEST

START_TEST(test_std_signature_vector)
{
    /* The Standard Webhooks specification's example: secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw,
     * id msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330, body {"test": 2432232314}. */
    unsigned char key[DELIVER_KEY_MAX];
    char std[DELIVER_STDSIG_SZ];
    const char *body = "{\"test\": 2432232314}";
    size_t n = 0;

    ASSERT_OK(
        deliver_secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1, key, sizeof(key), &n));
    ASSERT_OK(deliver_std_signature(key, n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body,
                                    strlen(body), std));
    ck_assert_str_eq(std, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}
END_TEST

Suite *
suite_worker(void)
{
    Suite *s = suite_create("worker");

    UNIT_TCASE(s, "clean_body", 0, test_clean_plain, test_clean_truncates_at_1000,
               test_clean_incomplete_trailing, test_clean_invalid_and_nul,
               test_clean_output_is_bounded);
    UNIT_TCASE(s, "schedule", 0, test_retry_schedule, test_bank_delay);
    UNIT_TCASE(s, "signatures", 0, test_signatures, test_secret_keys, test_std_signature_vector);
    UNIT_TCASE(s, "endpoint_schedule", 0, test_ep_retry_schedule);
    return s;
}

/* check_queue.c: the job message codec of core/queue.c (SPEC 10.1) and the PostgreSQL array
 * literals of core/buf.c. */
#include "unit.h"

#include "buf.h"
#include "queue.h"

#include <string.h>

Suite *suite_queue(void); /* registered in main.c (declaration for unit.h) */

START_TEST(test_job_roundtrip)
{
    struct queue_job in = { QUEUE_REFUND, "rfnd_AbC123xyz0000000", 3 };
    struct queue_job out;
    struct buf b;

    buf_init(&b, 0);
    ASSERT_OK(queue_job_encode(&in, &b));
    ck_assert_str_eq(b.data,
                     "{\"type\":\"refund\",\"id\":\"rfnd_AbC123xyz0000000\",\"deliveries\":3}");
    ck_assert(queue_job_decode(b.data, b.len, QUEUE_REFUND, &out));
    ck_assert_int_eq(out.kind, QUEUE_REFUND);
    ck_assert_str_eq(out.id, in.id);
    ck_assert_int_eq(out.deliveries, 3);
    /* of another kind */
    ck_assert(!queue_job_decode(b.data, b.len, QUEUE_PAYMENT, &out));
    buf_release(&b);
}
END_TEST

START_TEST(test_job_decode_rejects)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"type\":\"payment\"}",
        "{\"type\":\"payment\",\"id\":\"\"}",
        "{\"type\":\"payment\",\"id\":\"pay_x y\"}",
        "{\"type\":\"payment\",\"id\":\"pay_1\",\"deliveries\":-1}",
        "{\"type\":\"payment\",\"id\":\"pay_1\",\"deliveries\":\"1\"}",
        "{\"type\":1,\"id\":\"pay_1\"}",
    };
    struct queue_job out;
    size_t i;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        ck_assert_msg(!queue_job_decode(bad[i], strlen(bad[i]), QUEUE_PAYMENT, &out), "%s", bad[i]);
    }
    /* deliveries may be absent */
    ck_assert(queue_job_decode("{\"type\":\"payment\",\"id\":\"pay_1\"}", 31, QUEUE_PAYMENT, &out));
    ck_assert_int_eq(out.deliveries, 0);
}
END_TEST

START_TEST(test_pg_array)
{
    struct buf b;

    buf_init(&b, 0);
    ASSERT_OK(buf_arr_end(&b));
    ck_assert_str_eq(b.data, "{}");
    buf_reset(&b);
    ASSERT_OK(buf_arr_add(&b, "a"));
    ASSERT_OK(buf_arr_add(&b, "b\"c\\d,{}"));
    ASSERT_OK(buf_arr_end(&b));
    ck_assert_str_eq(b.data, "{\"a\",\"b\\\"c\\\\d,{}\"}");
    buf_release(&b);
}
END_TEST

Suite *
suite_queue(void)
{
    Suite *s = suite_create("queue");

    UNIT_TCASE(s, "codec", 0, test_job_roundtrip, test_job_decode_rejects, test_pg_array);
    return s;
}

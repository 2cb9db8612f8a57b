/* check_buf.c: the capped byte buffer. */
#include "unit.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

START_TEST(test_buf_append)
{
    struct buf b;
    size_t i;

    buf_init(&b, 0);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    ASSERT_OK(buf_puts(&b, "abc"));
    ASSERT_OK(buf_putc(&b, 'd'));
    ASSERT_OK(buf_append(&b, "e\0f", 3));
    ck_assert_uint_eq(b.len, 7);
    ck_assert_int_eq(memcmp(b.data, "abcde\0f", 8), 0);
    for (i = 0; i < 10000; i++) {
        ASSERT_OK(buf_putc(&b, 'x'));
    }
    ck_assert_uint_eq(b.len, 10007);
    ck_assert_int_eq(b.data[b.len], '\0');
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    buf_release(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_buf_ceiling)
{
    struct buf b;

    buf_init(&b, 5);
    ASSERT_OK(buf_puts(&b, "12345"));
    ASSERT_FAIL(buf_putc(&b, '6'));
    ASSERT_FAIL(buf_printf(&b, "%d", 7));
    ck_assert_str_eq(b.data, "12345");
    buf_reset(&b);
    ASSERT_FAIL(buf_puts(&b, "123456"));
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

START_TEST(test_buf_printf_detach)
{
    struct buf b;
    char *p;
    size_t len = 0;

    buf_init(&b, 0);
    ASSERT_OK(buf_printf(&b, "%s=%d", "n", 42));
    ASSERT_OK(buf_printf(&b, ",%05.1f", 2.25));
    ck_assert_str_eq(b.data, "n=42,002.2");
    p = buf_detach(&b, &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(p, "n=42,002.2");
    free(p);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(b.data, "");
    buf_release(&b);

    /* detaching an empty buffer still gives memory the caller frees; nothing else leaks */
    buf_init(&b, 0);
    p = buf_detach(&b, &len);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(p, "");
    free(p);
    buf_release(&b);
}
END_TEST

START_TEST(test_buf_reuse_after_release)
{
    struct buf b;

    buf_init(&b, 4);
    ASSERT_OK(buf_puts(&b, "ab"));
    buf_release(&b);
    ASSERT_OK(buf_puts(&b, "abcd")); /* ceiling kept */
    ASSERT_FAIL(buf_putc(&b, 'e'));
    ck_assert_str_eq(b.data, "abcd");
    buf_release(&b);
    buf_release(&b); /* twice is harmless */
}
END_TEST

Suite *
suite_buf(void)
{
    Suite *s = suite_create("buf");

    UNIT_TCASE(s, "buf", 0, test_buf_append, test_buf_ceiling, test_buf_printf_detach,
               test_buf_reuse_after_release);
    return s;
}

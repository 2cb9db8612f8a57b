/* check_err.c: the error code table and the gw_err helpers. */
#include "unit.h"

#include "gw.h"

#include <string.h>

START_TEST(test_err_table)
{
    /* SPEC 4.3 status and wire code for every code */
    static const struct {
        enum gw_errcode code;
        int status;
        const char *str;
    } want[] = {
        { GW_E_BAD_REQUEST, 400, "BAD_REQUEST_ERROR" },
        { GW_E_AUTH, 401, "AUTHENTICATION_ERROR" },
        { GW_E_CSRF, 403, "AUTHENTICATION_ERROR" },
        { GW_E_NOT_FOUND, 404, "NOT_FOUND_ERROR" },
        { GW_E_METHOD, 405, "BAD_REQUEST_ERROR" },
        { GW_E_TOO_LARGE, 413, "BAD_REQUEST_ERROR" },
        { GW_E_MEDIA_TYPE, 415, "BAD_REQUEST_ERROR" },
        { GW_E_RATE_LIMIT, 429, "RATE_LIMIT_ERROR" },
        { GW_E_INVALID_VPA, 400, "INVALID_VPA" },
        { GW_E_INVALID_CARD, 400, "INVALID_CARD" },
        { GW_E_EXPIRED_CARD, 400, "EXPIRED_CARD" },
        { GW_E_UNAVAILABLE, 503, "SERVICE_UNAVAILABLE" },
        { GW_E_INTERNAL, 500, "INTERNAL_ERROR" },
        { GW_E_CONFLICT, 409, "INTERNAL_ERROR" }, /* internal only: never sent as is */
    };
    size_t i;

    ck_assert_int_eq(sizeof(want) / sizeof(want[0]), GW_E__COUNT - 1);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_int_eq(gw_err_status(want[i].code), want[i].status);
        ck_assert_str_eq(gw_err_code_str(want[i].code), want[i].str);
    }
    ck_assert_int_eq(gw_err_status(GW_E__COUNT), 500);
    ck_assert_str_eq(gw_err_code_str(GW_E_OK), "INTERNAL_ERROR");
    ck_assert_str_eq(gw_err_code_str(GW_E__COUNT), "INTERNAL_ERROR");
}
END_TEST

START_TEST(test_err_first_wins)
{
    struct gw_err err = GW_ERR_INIT;

    ASSERT_FALSE(gw_err_is_set(&err));
    ASSERT_FAIL(GW_ERR(&err, NOT_FOUND, "Payment not found"));
    ASSERT_TRUE(gw_err_is_set(&err));
    ASSERT_FAIL(GW_ERR(&err, INTERNAL, "later %d", 2));
    ck_assert_int_eq(err.code, GW_E_NOT_FOUND);
    ck_assert_str_eq(err.msg, "Payment not found");
    ck_assert_str_eq(gw_err_description(&err), "Payment not found");
    ck_assert_ptr_nonnull(err.file);
    ck_assert_int_gt(err.line, 0);
    gw_err_clear(&err);
    ASSERT_FALSE(gw_err_is_set(&err));
    ASSERT_FAIL(GW_ERR(NULL, INTERNAL, "no err struct"));
}
END_TEST

START_TEST(test_err_description_5xx)
{
    struct gw_err err = GW_ERR_INIT;

    (void)GW_ERR(&err, INTERNAL, "db said: relation does not exist");
    ck_assert_str_eq(gw_err_description(&err), "Internal server error");
    gw_err_clear(&err);
    (void)GW_ERR(&err, UNAVAILABLE, "connection refused");
    ck_assert_str_eq(gw_err_description(&err), "Service temporarily unavailable");
    gw_err_clear(&err);
    (void)GW_ERR(&err, CONFLICT, "duplicate key");
    ck_assert_str_eq(gw_err_description(&err), "Internal server error");
}
END_TEST

START_TEST(test_err_truncates)
{
    struct gw_err err = GW_ERR_INIT;
    char big[600];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    (void)GW_ERR(&err, BAD_REQUEST, "%s", big);
    ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
}
END_TEST

/* clock.c: the UTC rendering of SPEC 4.4 and clocks that do not go backwards. */
START_TEST(test_clock)
{
    char ts[GW_TS_LEN + 1];
    int64_t a, b;

    gw_utc_iso(0, ts);
    ck_assert_str_eq(ts, "1970-01-01T00:00:00Z");
    gw_utc_iso(INT64_C(1705315870), ts);
    ck_assert_str_eq(ts, "2024-01-15T10:51:10Z");
    gw_utc_iso(INT64_C(4102444799), ts);
    ck_assert_str_eq(ts, "2099-12-31T23:59:59Z");
    a = gw_mono_ns();
    b = gw_mono_ns();
    ck_assert_int_ge(b, a);
    ck_assert_int_le(gw_mono_ms() - a / 1000000, 1000);
    ck_assert_int_gt(gw_unix_ms(), INT64_C(1700000000000));
}
END_TEST

Suite *
suite_err(void)
{
    Suite *s = suite_create("err");

    UNIT_TCASE(s, "err", 0, test_err_table, test_err_first_wins, test_err_description_5xx,
               test_err_truncates, test_clock);
    return s;
}

/* unit.h: shared declarations and assertion helpers of the Check unit tests.
 * Every check_<module>.c exports one Suite *suite_<module>(void), registered in main.c. */
#ifndef GW_UNIT_H
#define GW_UNIT_H

#include <check.h>
#include <string.h>

/* Typed asserts after libuv's test/task.h. */
#define ASSERT_OK(expr)       ck_assert_int_eq((expr), 0)
#define ASSERT_FAIL(expr)     ck_assert_int_eq((expr), -1)
#define ASSERT_TRUE(expr)     ck_assert_msg((expr), "expected true: %s", #expr)
#define ASSERT_FALSE(expr)    ck_assert_msg(!(expr), "expected false: %s", #expr)
#define ASSERT_NULL(expr)     ck_assert_ptr_null(expr)
#define ASSERT_NOT_NULL(expr) ck_assert_ptr_nonnull(expr)
/* A json-c root that nobody else references is freed by this put (FreeRADIUS
 * json_object_put_assert). */
#define ASSERT_PUT_LAST(obj) ck_assert_int_eq(json_object_put(obj), 1)

/* Adds a tcase holding the given tests to s; timeout in seconds, 0 keeps Check's default:
 *     UNIT_TCASE(s, "luhn", 0, test_luhn_valid, test_luhn_invalid); */
#define UNIT_TCASE(s, name, timeout, ...)                                                      \
    do {                                                                                       \
        TCase *unit_tc_ = tcase_create(name);                                                  \
        const TTest *const unit_tests_[] = { __VA_ARGS__ };                                    \
        size_t unit_i_;                                                                        \
        if ((timeout) > 0) {                                                                   \
            tcase_set_timeout(unit_tc_, (timeout));                                            \
        }                                                                                      \
        for (unit_i_ = 0; unit_i_ < sizeof(unit_tests_) / sizeof(unit_tests_[0]); unit_i_++) { \
            tcase_add_test(unit_tc_, unit_tests_[unit_i_]);                                    \
        }                                                                                      \
        suite_add_tcase((s), unit_tc_);                                                        \
    } while (0)

/* ---- suites (one per check_<module>.c) ---- */
Suite *suite_err(void);
Suite *suite_buf(void);
Suite *suite_jsonh(void);
Suite *suite_cfg(void);
Suite *suite_crypto(void);
Suite *suite_validate(void);
Suite *suite_route(void);
Suite *suite_http(void);
Suite *suite_payment(void);
Suite *suite_worker(void);
Suite *suite_netaddr(void);
Suite *suite_idem(void);
Suite *suite_queue(void);
/* Suites of fcgi-app/ (route, http) are declared here too when they are added to main.c. */

#endif /* GW_UNIT_H */

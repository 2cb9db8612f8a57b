/* main.c: runs every unit-test suite with one SRunner (libuv test-list idea).
 * CK_RUN_SUITE / CK_RUN_CASE select suites and cases, CK_FORK=no runs in one process (ASan),
 * CK_TAP_LOG_FILE_NAME etc. work as Check documents. Exit status is non-zero on any failure. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

typedef Suite *unit_suite_fn(void);

/* The one list of suites. Add new suites here (and declare them in unit.h). */
static unit_suite_fn *const unit_suites[] = {
    /* clang-format off */
    suite_err, suite_buf, suite_jsonh, suite_cfg, suite_crypto, suite_validate,
    suite_route, suite_http, suite_payment, suite_worker, suite_netaddr, suite_idem,
    suite_queue,
    /* clang-format on */
};

int
main(void)
{
    SRunner *sr = NULL;
    size_t i;
    int failed;

    for (i = 0; i < sizeof(unit_suites) / sizeof(unit_suites[0]); i++) {
        Suite *s = unit_suites[i]();

        if (sr == NULL) {
            sr = srunner_create(s);
        } else {
            srunner_add_suite(sr, s);
        }
    }
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

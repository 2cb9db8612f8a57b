/* check_cfg.c: SPEC section 3 defaults, bounds and invalid values. */
#include "unit.h"

#include "cfg.h"
#include "gw.h"
#include "netaddr.h"

#include <stdio.h>
#include <string.h>

/* A fake environment: NULL-terminated "NAME=value" strings. */
static const char *
env_get(const char *name, void *ctx)
{
    const char *const *env = ctx;
    size_t n = strlen(name);

    for (; *env != NULL; env++) {
        if (strncmp(*env, name, n) == 0 && (*env)[n] == '=') {
            return *env + n + 1;
        }
    }
    return NULL;
}

/* Parses a one-variable environment; returns cfg_parse's result and releases the config. */
static int
parse_one(const char *name, const char *value, struct gw_err *err)
{
    char kv[256];
    const char *env[] = { kv, NULL };
    struct cfg c;
    int rc;

    (void)snprintf(kv, sizeof(kv), "%s=%s", name, value);
    gw_err_clear(err);
    rc = cfg_parse(&c, env_get, env, err);
    if (rc == 0) {
        cfg_release(&c);
    }
    return rc;
}

START_TEST(test_cfg_defaults)
{
    const char *env[] = { NULL };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;

    ASSERT_OK(cfg_parse(&c, env_get, env, &err));
    ck_assert_str_eq(c.database_url,
                     "postgresql://gateway_user:gateway_pass@postgres:5432/payment_gateway");
    ck_assert_int_eq(c.port, 8000);
    ck_assert_str_eq(c.redis_url, "redis://redis:6379");
    ck_assert_str_eq(c.test_merchant_email, "test@example.com");
    ck_assert_str_eq(c.test_api_key, "key_test_abc123");
    ck_assert_str_eq(c.test_api_secret, "secret_test_xyz789");
    ck_assert_double_eq(c.upi_success_rate, 0.90);
    ck_assert_double_eq(c.card_success_rate, 0.95);
    ck_assert_int_eq(c.processing_delay_min, 5000);
    ck_assert_int_eq(c.processing_delay_max, 10000);
    ASSERT_FALSE(c.test_mode);
    ASSERT_TRUE(c.test_payment_success);
    ck_assert_int_eq(c.test_processing_delay, 1000);
    ASSERT_FALSE(c.webhook_retry_intervals_test);
    ck_assert_int_eq(c.fcgi_children, 4);
    ck_assert_int_eq(c.worker_concurrency, 64);
    ck_assert_int_eq(c.log_level, LOG_INFO);
    ck_assert_int_eq(c.dashboard_port, 3000);
    ck_assert_int_eq(c.checkout_port, 3001);
    ck_assert_int_eq(c.tls_port, 8443);
    ck_assert_ptr_null(c.tls_cert_file);
    ck_assert_ptr_null(c.tls_key_file);
    ck_assert_int_eq(c.rate_limit_rps, 100);
    ck_assert_int_eq(c.rate_limit_burst, 200);
    ASSERT_TRUE(c.webhook_block_private); /* v2: on unless TEST_MODE=true */
    ck_assert_uint_eq(c.real_ip_from.n, 2);
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "127.0.0.1"));
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "::1"));
    ASSERT_FALSE(netaddr_list_contains_str(&c.real_ip_from, "127.0.0.2"));
    ASSERT_FALSE(netaddr_list_contains_str(&c.real_ip_from, "10.0.0.1"));
    ASSERT_TRUE(c.seed_test_merchant);
    cfg_release(&c);
    ck_assert_ptr_null(c.database_url);
    ck_assert_ptr_null(c.real_ip_from.v);
}
END_TEST

START_TEST(test_cfg_values)
{
    const char *env[] = {
        "DATABASE_URL=postgresql://u:p@127.0.0.1:45432/db",
        "REDIS_URL=redis://127.0.0.1:46379",
        "PORT=18000",
        "TEST_MODE=true",
        "TEST_PAYMENT_SUCCESS=false",
        "TEST_PROCESSING_DELAY=0",
        "WEBHOOK_RETRY_INTERVALS_TEST=true",
        "WEBHOOK_BLOCK_PRIVATE=true",
        "UPI_SUCCESS_RATE=1",
        "CARD_SUCCESS_RATE=0",
        "PROCESSING_DELAY_MIN=7",
        "PROCESSING_DELAY_MAX=7",
        "LOG_LEVEL=debug",
        "TLS_CERT_FILE=/etc/cert.pem",
        "TLS_KEY_FILE=/etc/key.pem",
        "RATE_LIMIT_BURST=0",
        "TEST_API_SECRET=s3cret",
        "REAL_IP_FROM=10.0.0.0/8 fd00::/8",
        "SEED_TEST_MERCHANT=false",
        NULL,
    };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;

    ASSERT_OK(cfg_parse(&c, env_get, (void *)env, &err));
    ck_assert_str_eq(c.database_url, "postgresql://u:p@127.0.0.1:45432/db");
    ck_assert_int_eq(c.port, 18000);
    ASSERT_TRUE(c.test_mode);
    ASSERT_FALSE(c.test_payment_success);
    ck_assert_int_eq(c.test_processing_delay, 0);
    ASSERT_TRUE(c.webhook_retry_intervals_test);
    ASSERT_TRUE(c.webhook_block_private);
    ck_assert_double_eq(c.upi_success_rate, 1.0);
    ck_assert_double_eq(c.card_success_rate, 0.0);
    ck_assert_int_eq(c.processing_delay_min, 7);
    ck_assert_int_eq(c.log_level, LOG_DEBUG);
    ck_assert_str_eq(c.tls_cert_file, "/etc/cert.pem");
    ck_assert_str_eq(c.tls_key_file, "/etc/key.pem");
    ck_assert_int_eq(c.rate_limit_burst, 0);
    ck_assert_str_eq(c.test_api_secret, "s3cret");
    ck_assert_uint_eq(c.real_ip_from.n, 2);
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "10.9.8.7"));
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "fd00::1"));
    ASSERT_FALSE(netaddr_list_contains_str(&c.real_ip_from, "127.0.0.1"));
    ASSERT_FALSE(c.seed_test_merchant);
    cfg_log(&c); /* must not crash; output goes to stderr */
    cfg_release(&c);
}
END_TEST

START_TEST(test_cfg_booleans)
{
    static const char *const not_true[] = {
        "TRUE", "True", "1", "yes", "on", " true", "true ", ""
    };
    const char *env[] = { NULL, NULL, NULL, NULL, NULL, NULL };
    char kv[5][64];
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;
    size_t i;

    for (i = 0; i < sizeof(not_true) / sizeof(not_true[0]); i++) {
        (void)snprintf(kv[0], sizeof(kv[0]), "TEST_MODE=%s", not_true[i]);
        (void)snprintf(kv[1], sizeof(kv[1]), "WEBHOOK_RETRY_INTERVALS_TEST=%s", not_true[i]);
        /* only exactly "false" turns TEST_PAYMENT_SUCCESS and SEED_TEST_MERCHANT off */
        (void)snprintf(kv[2], sizeof(kv[2]), "TEST_PAYMENT_SUCCESS=%s",
                       i == 0 ? "FALSE" : (i == 1 ? "0" : "no"));
        (void)snprintf(kv[3], sizeof(kv[3]), "SEED_TEST_MERCHANT=%s",
                       i == 0 ? "FALSE" : (i == 1 ? "0" : (i == 2 ? "no" : not_true[i])));
        env[0] = kv[0];
        env[1] = kv[1];
        env[2] = kv[2];
        env[3] = kv[3];
        ASSERT_OK(cfg_parse(&c, env_get, (void *)env, &err));
        ASSERT_FALSE(c.test_mode);
        ASSERT_FALSE(c.webhook_retry_intervals_test);
        ASSERT_TRUE(c.webhook_block_private); /* TEST_MODE is not exactly true: default on */
        ASSERT_TRUE(c.test_payment_success);
        ASSERT_TRUE(c.seed_test_merchant);
        cfg_release(&c);
    }
}
END_TEST

/* v2: exactly true or false; unset is true, or false when TEST_MODE=true. */
START_TEST(test_cfg_block_private)
{
    static const char *const bad[] = { "TRUE", "True", "1",     "0",     "yes",   "no",
                                       "on",   "off",  " true", "true ", "FALSE", "" };
    const char *unset[] = { NULL };
    const char *test_mode[] = { "TEST_MODE=true", NULL };
    const char *test_mode_on[] = { "TEST_MODE=true", "WEBHOOK_BLOCK_PRIVATE=true", NULL };
    const char *not_test_mode[] = { "TEST_MODE=TRUE", NULL };
    const char *off[] = { "WEBHOOK_BLOCK_PRIVATE=false", NULL };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;
    char want[128];
    size_t i;

    ASSERT_OK(cfg_parse(&c, env_get, (void *)unset, &err));
    ASSERT_TRUE(c.webhook_block_private);
    cfg_release(&c);
    ASSERT_OK(cfg_parse(&c, env_get, (void *)test_mode, &err));
    ASSERT_FALSE(c.webhook_block_private);
    cfg_release(&c);
    ASSERT_OK(cfg_parse(&c, env_get, (void *)test_mode_on, &err));
    ASSERT_TRUE(c.webhook_block_private);
    cfg_release(&c);
    ASSERT_OK(cfg_parse(&c, env_get, (void *)not_test_mode, &err));
    ASSERT_TRUE(c.webhook_block_private);
    cfg_release(&c);
    ASSERT_OK(cfg_parse(&c, env_get, (void *)off, &err));
    ASSERT_FALSE(c.webhook_block_private);
    cfg_release(&c);
    for (i = 0; i < ARRAY_LEN(bad); i++) {
        ck_assert_msg(parse_one("WEBHOOK_BLOCK_PRIVATE", bad[i], &err) == -1, "'%s' accepted",
                      bad[i]);
        (void)snprintf(want, sizeof(want),
                       "invalid value for WEBHOOK_BLOCK_PRIVATE: '%s' (expected true or false)",
                       bad[i]);
        ck_assert_str_eq(err.msg, want);
    }
}
END_TEST

/* v2: REAL_IP_FROM, space-separated CIDRs; any invalid one is a startup error. */
START_TEST(test_cfg_real_ip_from)
{
    static const char *const bad[] = {
        "",
        " ",
        "bogus",
        "127.0.0.1/32 bogus",
        "127.0.0.1/33",
        "10.0.0.1/8",
        "::1/129",
        "127.0.0.1/32,::1/128",
        "localhost",
        "10.0.0.0/8/8",
    };
    const char *env[] = { "REAL_IP_FROM=  192.168.0.0/16\t203.0.113.7  2001:db8::/32 ", NULL };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;
    size_t i;

    ASSERT_OK(cfg_parse(&c, env_get, (void *)env, &err));
    ck_assert_uint_eq(c.real_ip_from.n, 3);
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "192.168.44.1"));
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "203.0.113.7"));
    ASSERT_FALSE(netaddr_list_contains_str(&c.real_ip_from, "203.0.113.8"));
    ASSERT_TRUE(netaddr_list_contains_str(&c.real_ip_from, "2001:db8:1::1"));
    ASSERT_FALSE(netaddr_list_contains_str(&c.real_ip_from, "127.0.0.1"));
    cfg_log(&c);
    cfg_release(&c);
    ck_assert_uint_eq(c.real_ip_from.n, 0);

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        ck_assert_msg(parse_one("REAL_IP_FROM", bad[i], &err) == -1, "'%s' accepted", bad[i]);
        ck_assert_msg(strncmp(err.msg, "invalid value for REAL_IP_FROM: ", 32) == 0, "message '%s'",
                      err.msg);
    }
    ASSERT_FAIL(parse_one("REAL_IP_FROM", "127.0.0.1/32 bogus", &err));
    ck_assert_str_eq(err.msg, "invalid value for REAL_IP_FROM: 'bogus' is not a CIDR");
}
END_TEST

struct bound_case {
    const char *name;
    const char *ok[4];
    const char *bad[10];
};

START_TEST(test_cfg_bounds)
{
    /* clang-format off */
    static const struct bound_case cases[] = {
        { "PORT",                  { "1", "65535", "8000", NULL },       { "0", "65536", "", "-1", "+80", " 80", "80 ", "8o", "0x50", NULL } },
        { "DASHBOARD_PORT",        { "1", "65535", NULL, NULL },         { "0", "65536", "", "99999999999999999999", NULL } },
        { "CHECKOUT_PORT",         { "1", "65535", NULL, NULL },         { "0", "65536", "", "1.5", NULL } },
        { "TLS_PORT",              { "1", "65535", NULL, NULL },         { "0", "65536", "", "1e3", NULL } },
        { "FCGI_CHILDREN",         { "1", "64", NULL, NULL },            { "0", "65", "", "-4", NULL } },
        { "WORKER_CONCURRENCY",    { "1", "1024", NULL, NULL },          { "0", "1025", "", NULL } },
        { "PROCESSING_DELAY_MAX",  { "5000", "3600000", NULL, NULL },    { "3600001", "", "-1", NULL } },
        { "PROCESSING_DELAY_MIN",  { "0", "10000", NULL, NULL },         { "10001", "3600001", "", "-1", NULL } },
        { "TEST_PROCESSING_DELAY", { "0", "3600000", NULL, NULL },       { "3600001", "", "-1", "1000ms", NULL } },
        { "RATE_LIMIT_RPS",        { "1", "1000000", NULL, NULL },       { "0", "1000001", "", NULL } },
        { "RATE_LIMIT_BURST",      { "0", "1000000", NULL, NULL },       { "1000001", "", "-1", NULL } },
        { "UPI_SUCCESS_RATE",      { "0", "1", "0.5", "1.0" },           { "1.01", "-0.1", "", "nan", "inf", "0x1p-1", "1e-1", " 0.5", "0.5.1", "." } },
        { "CARD_SUCCESS_RATE",     { "0.0", ".5", "1.", "0.999999" },    { "2", "-0", "+0.5", "0,5", "50%", NULL } },
        { "LOG_LEVEL",             { "debug", "info", "warn", "error" }, { "", "INFO", "warning", "trace", " info", NULL } },
        { "DATABASE_URL",          { "postgresql://x", "x", NULL, NULL }, { "", NULL } },
        { "REDIS_URL",             { "redis://x:1", NULL, NULL, NULL },  { "", NULL } },
    };
    /* clang-format on */
    struct gw_err err = GW_ERR_INIT;
    char want[128];
    size_t i, j;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (j = 0; j < 4 && cases[i].ok[j] != NULL; j++) {
            ck_assert_msg(parse_one(cases[i].name, cases[i].ok[j], &err) == 0, "%s=%s rejected: %s",
                          cases[i].name, cases[i].ok[j], err.msg);
        }
        (void)snprintf(want, sizeof(want), "invalid value for %s", cases[i].name);
        for (j = 0; j < 10 && cases[i].bad[j] != NULL; j++) {
            ck_assert_msg(parse_one(cases[i].name, cases[i].bad[j], &err) == -1, "%s='%s' accepted",
                          cases[i].name, cases[i].bad[j]);
            ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "message '%s' for %s", err.msg,
                          cases[i].name);
        }
    }
}
END_TEST

START_TEST(test_cfg_cross_checks)
{
    const char *delay_bad[] = { "PROCESSING_DELAY_MIN=200", "PROCESSING_DELAY_MAX=100", NULL };
    const char *delay_ok[] = { "PROCESSING_DELAY_MIN=0", "PROCESSING_DELAY_MAX=0", NULL };
    const char *tls_cert_only[] = { "TLS_CERT_FILE=/c.pem", NULL };
    const char *tls_key_only[] = { "TLS_KEY_FILE=/k.pem", "TLS_CERT_FILE=", NULL };
    const char *tls_empty[] = { "TLS_KEY_FILE=", "TLS_CERT_FILE=", NULL };
    struct gw_err err = GW_ERR_INIT;
    struct cfg c;

    ASSERT_FAIL(cfg_parse(&c, env_get, (void *)delay_bad, &err));
    ck_assert_str_eq(err.msg,
                     "invalid value for PROCESSING_DELAY_MIN: greater than PROCESSING_DELAY_MAX");
    ASSERT_OK(cfg_parse(&c, env_get, (void *)delay_ok, &err));
    cfg_release(&c);

    gw_err_clear(&err);
    ASSERT_FAIL(cfg_parse(&c, env_get, (void *)tls_cert_only, &err));
    ck_assert_int_eq(strncmp(err.msg, "invalid value for TLS_KEY_FILE", 30), 0);
    gw_err_clear(&err);
    ASSERT_FAIL(cfg_parse(&c, env_get, (void *)tls_key_only, &err));
    ck_assert_int_eq(strncmp(err.msg, "invalid value for TLS_CERT_FILE", 31), 0);
    /* empty means unset (docker-compose passes ${TLS_CERT_FILE:-}) */
    ASSERT_OK(cfg_parse(&c, env_get, (void *)tls_empty, &err));
    ck_assert_ptr_null(c.tls_cert_file);
    ck_assert_ptr_null(c.tls_key_file);
    cfg_release(&c);
}
END_TEST

Suite *
suite_cfg(void)
{
    Suite *s = suite_create("cfg");

    UNIT_TCASE(s, "cfg", 0, test_cfg_defaults, test_cfg_values, test_cfg_booleans, test_cfg_bounds,
               test_cfg_cross_checks, test_cfg_block_private, test_cfg_real_ip_from);
    return s;
}

/* cfg.h: configuration from the environment (SPEC section 3), loaded once.
 * An unparsable or out-of-range value is an error; cfg_load_or_exit() logs it and exits 2. */
#ifndef GW_CFG_H
#define GW_CFG_H

#include "gw.h"
#include "log.h"
#include "netaddr.h"

#include <stdbool.h>

struct cfg {
    char *database_url;
    int port;
    char *redis_url;
    char *test_merchant_email;
    char *test_api_key;
    char *test_api_secret;
    double upi_success_rate;
    double card_success_rate;
    int processing_delay_min; /* ms */
    int processing_delay_max; /* ms */
    bool test_mode;
    bool test_payment_success;
    int test_processing_delay; /* ms */
    bool webhook_retry_intervals_test;
    int fcgi_children;      /* 1..64 */
    int worker_concurrency; /* 1..1024 */
    enum log_level log_level;
    int dashboard_port;
    int checkout_port;
    int tls_port;
    char *tls_cert_file; /* NULL when unset */
    char *tls_key_file;
    int rate_limit_rps;
    int rate_limit_burst;
    bool webhook_block_private;        /* default true, false when TEST_MODE=true */
    struct netaddr_list real_ip_from;  /* peers whose X-Forwarded-* the API trusts */
    struct netaddr_list metrics_allow; /* (extension) clients GET /metrics answers; loopback */
    bool seed_test_merchant;           /* false: no seed of SPEC 12.2 */
    int webhook_disable_after_s;       /* SPEC 21.3: failing endpoints are disabled after it */
    int event_retention_days;          /* SPEC 21.1: events older are removed */
    /* sandbox bank (SPEC 22) */
    int bank_requery_s;     /* first re-query of an unknown outcome; 0/unset: 30, 2 in TEST_MODE */
    double bank_fault_rate; /* share of bank calls that hang or answer garbage (worker tests) */
    int bank_timeout_ms;    /* how long the worker waits for the bank */
    int threeds_expiry_s;   /* unanswered 3-D Secure challenge; 900, settable only in TEST_MODE */
};

/* Looks a variable up; returns NULL when unset. Tests pass their own. */
typedef const char *cfg_getter_fn(const char *name, void *ctx);

/* Parses every variable of SPEC section 3 through get (defaults for unset ones). */
int cfg_parse(struct cfg *out, cfg_getter_fn *get, void *ctx, struct gw_err *err);
void cfg_release(struct cfg *c);
/* cfg_parse from the process environment into the global config; on error logs and exit(2). */
void cfg_load_or_exit(void);
/* The global config after cfg_load_or_exit(); read-only. */
const struct cfg *cfg_get(void);
/* Logs the effective configuration with secrets (API secret, passwords in URLs) redacted. */
void cfg_log(const struct cfg *c);

#endif /* GW_CFG_H */

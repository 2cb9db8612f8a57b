/* cfg.c: configuration from the environment (SPEC section 3), one table with bounds
 * (redis static_configs[], pgbouncer bouncer_params[]). The only getenv caller in core/. */
#include "cfg.h"

#include "buf.h"
#include "gw.h"
#include "log.h"
#include "netaddr.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cfg_type {
    CFG_STR,      /* any string */
    CFG_STR_NE,   /* non-empty string */
    CFG_STR_OPT,  /* optional string: unset or empty -> NULL */
    CFG_INT,      /* decimal digits only, within [min, max] */
    CFG_RATE,     /* decimal in [0, 1] */
    CFG_BOOL_ON,  /* true only when exactly "true" */
    CFG_BOOL_OFF, /* false only when exactly "false" */
    CFG_LEVEL,    /* debug | info | warn | error */
    CFG_BOOL,     /* exactly "true" or "false", anything else is an error */
    CFG_CIDRS,    /* space-separated CIDRs (struct netaddr_list), at least one */
};

enum cfg_flags {
    CFG_SECRET = 1 << 0,   /* never logged */
    CFG_URL = 1 << 1,      /* logged with the password redacted */
    CFG_TEST_OFF = 1 << 2, /* CFG_BOOL: unset means "false" when TEST_MODE=true (parsed before) */
};

struct cfg_var {
    const char *name;
    enum cfg_type type;
    unsigned flags;
    size_t off; /* offsetof(struct cfg, field) */
    const char *def;
    long long min;
    long long max;
};

#define CFG_OFF(f) offsetof(struct cfg, f)

/* clang-format off */
static const struct cfg_var cfg_vars[] = {
    /* name                            type           flags        field                                   default                                                                  min max */
    { "DATABASE_URL",                  CFG_STR_NE,    CFG_URL,     CFG_OFF(database_url),                  "postgresql://gateway_user:gateway_pass@postgres:5432/payment_gateway",  0,  0 },
    { "PORT",                          CFG_INT,       0,           CFG_OFF(port),                          "8000",                                                                  1,  65535 },
    { "REDIS_URL",                     CFG_STR_NE,    CFG_URL,     CFG_OFF(redis_url),                     "redis://redis:6379",                                                    0,  0 },
    { "TEST_MERCHANT_EMAIL",           CFG_STR,       0,           CFG_OFF(test_merchant_email),           "test@example.com",                                                      0,  0 },
    { "TEST_API_KEY",                  CFG_STR,       0,           CFG_OFF(test_api_key),                  "key_test_abc123",                                                       0,  0 },
    { "TEST_API_SECRET",               CFG_STR,       CFG_SECRET,  CFG_OFF(test_api_secret),               "secret_test_xyz789",                                                    0,  0 },
    { "UPI_SUCCESS_RATE",              CFG_RATE,      0,           CFG_OFF(upi_success_rate),              "0.90",                                                                  0,  0 },
    { "CARD_SUCCESS_RATE",             CFG_RATE,      0,           CFG_OFF(card_success_rate),             "0.95",                                                                  0,  0 },
    { "PROCESSING_DELAY_MIN",          CFG_INT,       0,           CFG_OFF(processing_delay_min),          "5000",                                                                  0,  3600000 },
    { "PROCESSING_DELAY_MAX",          CFG_INT,       0,           CFG_OFF(processing_delay_max),          "10000",                                                                 0,  3600000 },
    { "TEST_MODE",                     CFG_BOOL_ON,   0,           CFG_OFF(test_mode),                     "false",                                                                 0,  0 },
    { "TEST_PAYMENT_SUCCESS",          CFG_BOOL_OFF,  0,           CFG_OFF(test_payment_success),          "true",                                                                  0,  0 },
    { "TEST_PROCESSING_DELAY",         CFG_INT,       0,           CFG_OFF(test_processing_delay),         "1000",                                                                  0,  3600000 },
    { "WEBHOOK_RETRY_INTERVALS_TEST",  CFG_BOOL_ON,   0,           CFG_OFF(webhook_retry_intervals_test),  "false",                                                                 0,  0 },
    { "FCGI_CHILDREN",                 CFG_INT,       0,           CFG_OFF(fcgi_children),                 "4",                                                                     1,  64 },
    { "WORKER_CONCURRENCY",            CFG_INT,       0,           CFG_OFF(worker_concurrency),            "64",                                                                    1,  1024 },
    { "LOG_LEVEL",                     CFG_LEVEL,     0,           CFG_OFF(log_level),                     "info",                                                                  0,  0 },
    { "DASHBOARD_PORT",                CFG_INT,       0,           CFG_OFF(dashboard_port),                "3000",                                                                  1,  65535 },
    { "CHECKOUT_PORT",                 CFG_INT,       0,           CFG_OFF(checkout_port),                 "3001",                                                                  1,  65535 },
    { "TLS_PORT",                      CFG_INT,       0,           CFG_OFF(tls_port),                      "8443",                                                                  1,  65535 },
    { "TLS_CERT_FILE",                 CFG_STR_OPT,   0,           CFG_OFF(tls_cert_file),                 NULL,                                                                    0,  0 },
    { "TLS_KEY_FILE",                  CFG_STR_OPT,   0,           CFG_OFF(tls_key_file),                  NULL,                                                                    0,  0 },
    { "RATE_LIMIT_RPS",                CFG_INT,       0,           CFG_OFF(rate_limit_rps),                "100",                                                                   1,  1000000 },
    { "RATE_LIMIT_BURST",              CFG_INT,       0,           CFG_OFF(rate_limit_burst),              "200",                                                                   0,  1000000 },
    { "WEBHOOK_BLOCK_PRIVATE",         CFG_BOOL,      CFG_TEST_OFF, CFG_OFF(webhook_block_private),        "true",                                                                  0,  0 },
    { "REAL_IP_FROM",                  CFG_CIDRS,     0,           CFG_OFF(real_ip_from),                  "127.0.0.1/32 ::1/128",                                                  0,  0 },
    { "METRICS_ALLOW",                 CFG_CIDRS,     0,           CFG_OFF(metrics_allow),                 "127.0.0.1/32",                                                          0,  0 },
    { "SEED_TEST_MERCHANT",            CFG_BOOL_OFF,  0,           CFG_OFF(seed_test_merchant),            "true",                                                                  0,  0 },
    { "BANK_REQUERY_S",                CFG_INT,       0,           CFG_OFF(bank_requery_s),                "0",                                                                     0,  86400 },
    { "BANK_FAULT_RATE",               CFG_RATE,      0,           CFG_OFF(bank_fault_rate),               "0",                                                                     0,  0 },
    { "BANK_TIMEOUT_MS",               CFG_INT,       0,           CFG_OFF(bank_timeout_ms),               "2000",                                                                  1,  600000 },
    { "THREEDS_EXPIRY_S",              CFG_INT,       0,           CFG_OFF(threeds_expiry_s),              "900",                                                                   1,  86400 },
    { "WEBHOOK_DISABLE_AFTER_S",       CFG_INT,       0,           CFG_OFF(webhook_disable_after_s),       "432000",                                                                1,  31536000 },
    { "EVENT_RETENTION_DAYS",          CFG_INT,       0,           CFG_OFF(event_retention_days),          "30",                                                                    1,  3650 },
    { NULL,                            CFG_STR,       0,           0,                                      NULL,                                                                    0,  0 },
};
/* clang-format on */

static struct cfg cfg_global;

/* "invalid value for NAME: 'value' (expected …)": the variable, the value (never a secret's or
 * a URL's, which may hold a password) and what is allowed, so that an operator can fix it from
 * the one log line. */
static int
cfg_invalid(const struct cfg_var *v, const char *val, struct gw_err *err)
{
    char allowed[96];

    switch (v->type) {
    case CFG_INT:
        (void)snprintf(allowed, sizeof(allowed), "an integer from %lld to %lld", v->min, v->max);
        break;
    case CFG_RATE:
        (void)snprintf(allowed, sizeof(allowed), "a decimal number from 0 to 1, e.g. 0.90");
        break;
    case CFG_LEVEL:
        (void)snprintf(allowed, sizeof(allowed), "debug, info, warn or error");
        break;
    default:
        (void)snprintf(allowed, sizeof(allowed), "a non-empty value");
        break;
    }
    if ((v->flags & (CFG_SECRET | CFG_URL)) != 0) {
        return GW_ERR(err, INTERNAL, "invalid value for %s (expected %s)", v->name, allowed);
    }
    return GW_ERR(err, INTERNAL, "invalid value for %s: '%.64s' (expected %s)", v->name, val,
                  allowed);
}

/* Decimal digits only (no sign, no spaces), then strtoll with errno and endptr. */
static int
cfg_parse_int(const char *s, long long min, long long max, long long *out)
{
    char *end = NULL;
    long long v;

    if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s)) {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/* Decimal with optional fraction ("0.9", "1", ".5", "1."), value in [0, 1]. */
static int
cfg_parse_rate(const char *s, double *out)
{
    char *end = NULL;
    size_t digits = strspn(s, "0123456789"), rest;
    double v;

    if (s[digits] == '.') {
        rest = strspn(s + digits + 1, "0123456789");
        if (s[digits + 1 + rest] != '\0' || digits + rest == 0) {
            return -1;
        }
    } else if (s[digits] != '\0' || digits == 0) {
        return -1;
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0.0 || v > 1.0) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
cfg_set(struct cfg *c, const struct cfg_var *v, const char *val, struct gw_err *err)
{
    char *field = (char *)c + v->off;
    long long ll = 0;
    double d = 0;
    enum log_level lvl;
    struct gw_err lerr = GW_ERR_INIT;

    switch (v->type) {
    case CFG_STR_NE:
        if (val[0] == '\0') {
            break;
        }
        /* fall through */
    case CFG_STR:
        *(char **)(void *)field = xstrdup(val);
        return 0;
    case CFG_STR_OPT:
        *(char **)(void *)field = val[0] != '\0' ? xstrdup(val) : NULL;
        return 0;
    case CFG_INT:
        if (cfg_parse_int(val, v->min, v->max, &ll) != 0) {
            break;
        }
        *(int *)(void *)field = (int)ll;
        return 0;
    case CFG_RATE:
        if (cfg_parse_rate(val, &d) != 0) {
            break;
        }
        *(double *)(void *)field = d;
        return 0;
    case CFG_BOOL_ON:
        *(bool *)(void *)field = strcmp(val, "true") == 0;
        return 0;
    case CFG_BOOL_OFF:
        *(bool *)(void *)field = strcmp(val, "false") != 0;
        return 0;
    case CFG_LEVEL:
        if (log_level_parse(val, &lvl) != 0) {
            break;
        }
        *(enum log_level *)(void *)field = lvl;
        return 0;
    case CFG_BOOL:
        if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
            return GW_ERR(err, INTERNAL, "invalid value for %s: '%s' (expected true or false)",
                          v->name, val);
        }
        *(bool *)(void *)field = strcmp(val, "true") == 0;
        return 0;
    case CFG_CIDRS:
        if (netaddr_list_parse(val, (struct netaddr_list *)(void *)field, &lerr) != 0) {
            return GW_ERR(err, INTERNAL, "invalid value for %s: %s", v->name, lerr.msg);
        }
        return 0;
    }
    return cfg_invalid(v, val, err);
}

int
cfg_parse(struct cfg *out, cfg_getter_fn *get, void *ctx, struct gw_err *err)
{
    const struct cfg_var *v;

    memset(out, 0, sizeof(*out));
    for (v = cfg_vars; v->name != NULL; v++) {
        const char *val = get(v->name, ctx);

        if (val == NULL) {
            val = v->def != NULL ? v->def : "";
            if ((v->flags & CFG_TEST_OFF) != 0 && out->test_mode) {
                val = "false";
            }
        }
        if (cfg_set(out, v, val, err) != 0) {
            goto fail;
        }
    }
    if (out->processing_delay_min > out->processing_delay_max) {
        (void)GW_ERR(err, INTERNAL,
                     "invalid value for PROCESSING_DELAY_MIN: greater than PROCESSING_DELAY_MAX");
        goto fail;
    }
    if (out->bank_requery_s == 0) {
        out->bank_requery_s = out->test_mode ? 2 : 30; /* SPEC 22: unset -> 30, 2 in TEST_MODE */
    }
    if (!out->test_mode) {
        out->threeds_expiry_s = 900; /* the 15 minutes of SPEC 22; tests may shorten them */
    }
    if ((out->tls_cert_file == NULL) != (out->tls_key_file == NULL)) {
        (void)GW_ERR(err, INTERNAL,
                     "invalid value for %s: TLS_CERT_FILE and TLS_KEY_FILE must be "
                     "set together",
                     out->tls_cert_file == NULL ? "TLS_CERT_FILE" : "TLS_KEY_FILE");
        goto fail;
    }
    return 0;
fail:
    cfg_release(out);
    return -1;
}

void
cfg_release(struct cfg *c)
{
    const struct cfg_var *v;

    for (v = cfg_vars; v->name != NULL; v++) {
        if (v->type == CFG_STR || v->type == CFG_STR_NE || v->type == CFG_STR_OPT) {
            char **field = (char **)(void *)((char *)c + v->off);

            free(*field);
            *field = NULL;
        } else if (v->type == CFG_CIDRS) {
            netaddr_list_release((struct netaddr_list *)(void *)((char *)c + v->off));
        }
    }
}

static const char *
cfg_getenv(const char *name, void *ctx)
{
    UNUSED(ctx);
    return getenv(name);
}

void
cfg_load_or_exit(void)
{
    struct gw_err err = GW_ERR_INIT;

    if (cfg_parse(&cfg_global, cfg_getenv, NULL, &err) != 0) {
        log_error("invalid configuration", LOG_S("error", err.msg));
        exit(2);
    }
}

const struct cfg *
cfg_get(void)
{
    return &cfg_global;
}

/* Copies a URL replacing the password of "scheme://user:password@host" and any
 * "password=" query parameter with "***". */
static void
cfg_redact_url(const char *url, struct buf *b)
{
    const char *auth = strstr(url, "://"), *end, *at, *colon, *q;

    if (auth == NULL) {
        (void)buf_puts(b, url);
        return;
    }
    auth += 3;
    end = auth + strcspn(auth, "/?#");
    at = NULL;
    for (q = auth; q < end; q++) {
        if (*q == '@') {
            at = q;
        }
    }
    colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon != NULL) {
        (void)buf_append(b, url, (size_t)(colon + 1 - url));
        (void)buf_puts(b, "***");
        url = at;
    }
    /* libpq also takes ...?password=secret */
    while ((q = strstr(url, "password=")) != NULL) {
        (void)buf_append(b, url, (size_t)(q - url) + 9);
        (void)buf_puts(b, "***");
        url = q + 9 + strcspn(q + 9, "&#");
    }
    (void)buf_puts(b, url);
}

static void
cfg_format_cidrs(const struct netaddr_list *l, struct buf *b)
{
    char one[NETADDR_CIDR_STRLEN];
    size_t i;

    for (i = 0; i < l->n; i++) {
        netaddr_cidr_format(&l->v[i], one, sizeof(one));
        if (i > 0) {
            (void)buf_puts(b, " ");
        }
        (void)buf_puts(b, one);
    }
}

void
cfg_log(const struct cfg *c)
{
    static const char *const levels[] = { "debug", "info", "warn", "error" };
    struct log_field f[ARRAY_LEN(cfg_vars)];
    struct buf red[ARRAY_LEN(cfg_vars)];
    size_t i, n = 0;

    for (i = 0; cfg_vars[i].name != NULL; i++) {
        const struct cfg_var *v = &cfg_vars[i];
        const char *field = (const char *)c + v->off;
        const char *s;
        unsigned lvl;

        buf_init(&red[i], 0);
        f[n] = (struct log_field){ v->name, LOG_F_STR, "", 0, 0 };
        switch (v->type) {
        case CFG_STR:
        case CFG_STR_NE:
        case CFG_STR_OPT:
            s = *(const char *const *)(const void *)field;
            if (s == NULL) {
                s = "";
            }
            if ((v->flags & CFG_SECRET) != 0) {
                s = "(redacted)";
            } else if ((v->flags & CFG_URL) != 0) {
                cfg_redact_url(s, &red[i]);
                s = red[i].data;
            }
            f[n].s = s;
            break;
        case CFG_INT:
            f[n].type = LOG_F_INT;
            f[n].i = *(const int *)(const void *)field;
            break;
        case CFG_RATE:
            f[n].type = LOG_F_DBL;
            f[n].d = *(const double *)(const void *)field;
            break;
        case CFG_BOOL_ON:
        case CFG_BOOL_OFF:
        case CFG_BOOL:
            f[n].s = *(const bool *)(const void *)field ? "true" : "false";
            break;
        case CFG_LEVEL:
            lvl = (unsigned)*(const enum log_level *)(const void *)field;
            f[n].s = lvl < ARRAY_LEN(levels) ? levels[lvl] : "info";
            break;
        case CFG_CIDRS:
            cfg_format_cidrs((const struct netaddr_list *)(const void *)field, &red[i]);
            f[n].s = red[i].data;
            break;
        }
        n++;
    }
    log_emit(LOG_INFO, "configuration", f, n);
    while (i > 0) {
        buf_release(&red[--i]);
    }
}

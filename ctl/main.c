/* main.c: gatewayctl entry point and shared helpers (SPEC section 16). */
#include "ctl.h"

#include "cfg.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

struct ctl_group {
    const char *name;
    int (*fn)(int argc, char **argv);
};

/* clang-format off */
static const struct ctl_group ctl_groups[] = {
    { "merchant", ctl_merchant },
    { "db",       ctl_db       },
    { "webhooks", ctl_webhooks },
    { "jobs",     ctl_jobs     },
    { NULL,       NULL         },
};
/* clang-format on */

static const char ctl_usage_text[] =
    "usage: gatewayctl <command>\n"
    "\n"
    "  merchant create --name NAME --email EMAIL [--password-stdin]\n"
    "  merchant rotate-keys <id-or-email>\n"
    "  merchant set-password <id-or-email> [--password-stdin]\n"
    "  webhooks dlq list\n"
    "  webhooks dlq requeue <ID> | --all\n"
    "  jobs recover\n"
    "  db migrate\n"
    "\n"
    "Uses DATABASE_URL and REDIS_URL. JSON on stdout; exit 0 on success, 1 on failure,\n"
    "2 on a usage error.\n";

int
ctl_usage(void)
{
    (void)fputs(ctl_usage_text, stderr);
    return CTL_USAGE;
}

int
ctl_fail(const char *msg, const struct gw_err *err)
{
    if (err != NULL && gw_err_is_set(err)) {
        log_error(msg, LOG_S("error", err->msg));
    } else {
        log_error(msg);
    }
    return CTL_FAIL;
}

int
ctl_print(const struct buf *b)
{
    if (fwrite(b->data, 1, b->len, stdout) != b->len || fputc('\n', stdout) == EOF
        || fflush(stdout) != 0) {
        return ctl_fail("cannot write to standard output", NULL);
    }
    return CTL_OK;
}

struct db *
ctl_open_db(void)
{
    struct gw_err err = GW_ERR_INIT;
    struct db *db = db_new(cfg_get()->database_url, "gatewayctl");

    if (db_ensure(db, &err) != 0) {
        (void)ctl_fail("database unavailable", &err);
        db_free(db);
        return NULL;
    }
    return db;
}

struct queue *
ctl_open_queue(void)
{
    struct gw_err err = GW_ERR_INIT;
    struct queue *q = queue_new(cfg_get()->redis_url, &err);

    if (q == NULL) {
        (void)ctl_fail("invalid REDIS_URL", &err);
        return NULL;
    }
    if (queue_ensure(q, &err) != 0) {
        (void)ctl_fail("redis unavailable", &err);
        queue_free(q);
        return NULL;
    }
    return q;
}

int
main(int argc, char **argv)
{
    size_t i;

    log_init("ctl", LOG_INFO);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        return ctl_usage();
    }
    for (i = 0; ctl_groups[i].name != NULL; i++) {
        if (strcmp(argv[1], ctl_groups[i].name) == 0) {
            break;
        }
    }
    if (ctl_groups[i].name == NULL) {
        return ctl_usage();
    }
    cfg_load_or_exit();
    log_set_level(cfg_get()->log_level);
    return ctl_groups[i].fn(argc - 1, argv + 1);
}

/* main.c: gatewayctl entry point and shared helpers (SPEC section 16). */
#include "ctl.h"

#include "cfg.h"
#include "log.h"

#include <stdbool.h>
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
    "  merchant list\n"
    "  merchant deactivate <id-or-email>\n"
    "  merchant activate <id-or-email>\n"
    "  webhooks dlq list                  (each entry with merchant_id, merchant_email, event)\n"
    "  webhooks dlq requeue <ID> | --all\n"
    "  jobs recover\n"
    "  db migrate\n"
    "  listen --forward-to URL [--events TYPES] [--api URL]\n"
    "\n"
    "  --version, --help, help COMMAND\n"
    "\n"
    "Uses DATABASE_URL and REDIS_URL (./gatewayctl in the repository reads the make-run stack's\n"
    "var/env when DATABASE_URL is unset; listen uses only the HTTP API, with GATEWAY_API_KEY,\n"
    "GATEWAY_API_SECRET and GATEWAY_API_URL or --api). JSON on stdout; exit 0 on success,\n"
    "1 on failure, 2 on a usage error.\n";

/* --help, help [COMMAND]: the usage lines (of COMMAND only, when given) on stdout, exit 0; an
 * unknown COMMAND is a usage error. */
static int
ctl_help(const char *command)
{
    const char *line = ctl_usage_text, *nl;
    size_t clen = command != NULL ? strlen(command) : 0;
    bool any = false;

    if (command == NULL) {
        (void)fputs(ctl_usage_text, stdout);
        return CTL_OK;
    }
    for (; *line != '\0'; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl == NULL) {
            break;
        }
        if (strncmp(line, "  ", 2) == 0 && strncmp(line + 2, command, clen) == 0
            && (line[2 + clen] == ' ' || line[2 + clen] == '\n')) {
            (void)fwrite(line, 1, (size_t)(nl - line) + 1, stdout);
            any = true;
        }
    }
    return any ? CTL_OK : ctl_usage();
}

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
    if (argc < 2) {
        return ctl_usage();
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
        || strcmp(argv[1], "help") == 0) {
        return ctl_help(argc > 2 ? argv[2] : NULL);
    }
    if (strcmp(argv[1], "--version") == 0) {
        (void)printf("gatewayctl %s\n", GW_VERSION);
        return CTL_OK;
    }
    for (i = 0; ctl_groups[i].name != NULL; i++) {
        if (strcmp(argv[1], ctl_groups[i].name) == 0) {
            break;
        }
    }
    if (ctl_groups[i].name == NULL) {
        if (strcmp(argv[1], "listen") == 0) {
            return ctl_listen(argc - 1, argv + 1); /* no configuration: HTTP API only */
        }
        return ctl_usage();
    }
    cfg_load_or_exit();
    log_set_level(cfg_get()->log_level);
    return ctl_groups[i].fn(argc - 1, argv + 1);
}

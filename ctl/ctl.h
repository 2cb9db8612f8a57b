/* ctl.h: gatewayctl, the operator CLI (SPEC section 16).
 * Each command group gets argc/argv starting at its own word (argv[0] is "merchant", "db",
 * "webhooks" or "jobs") and returns the exit status: CTL_OK, CTL_FAIL (message logged to
 * stderr) or CTL_USAGE. Results are JSON on stdout. */
#ifndef GW_CTL_H
#define GW_CTL_H

#include "buf.h"
#include "db.h"
#include "gw.h"
#include "queue.h"

#define CTL_OK    0
#define CTL_FAIL  1
#define CTL_USAGE 2

int ctl_merchant(int argc, char **argv); /* ctl_merchant.c */
int ctl_db(int argc, char **argv);       /* ctl_db.c */
int ctl_webhooks(int argc, char **argv); /* ctl_jobs.c: webhooks dlq list|requeue */
int ctl_jobs(int argc, char **argv);     /* ctl_jobs.c: jobs recover */
int ctl_listen(int argc, char **argv);   /* ctl_listen.c: listen (SPEC 21.4), HTTP API only */

/* Helpers in main.c. */
/* Prints the usage text to stderr and returns CTL_USAGE. */
int ctl_usage(void);
/* Logs msg (and err's detail when set) at error level and returns CTL_FAIL. */
int ctl_fail(const char *msg, const struct gw_err *err);
/* Writes b's bytes and a newline to stdout; CTL_OK, or CTL_FAIL when stdout fails. */
int ctl_print(const struct buf *b);
/* A connected database from DATABASE_URL, or NULL after logging the failure. */
struct db *ctl_open_db(void);
/* A connected queue from REDIS_URL, or NULL after logging the failure. */
struct queue *ctl_open_queue(void);

#endif /* GW_CTL_H */

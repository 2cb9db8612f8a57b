/* counts.c: database gauges of /metrics (SPEC 18); see counts.h for the cost argument. */
#include "counts.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

/* Bounded by the work in flight: idx_payments_status on 'pending', the partial index
 * idx_webhook_logs_next_retry_at (status = 'pending'). */
static const struct db_stmt st_counts_live = {
    "counts_live",
    "SELECT (SELECT count(*) FROM payments WHERE status = 'pending'), "
    "(SELECT count(*) FROM webhook_logs WHERE status = 'pending' AND next_retry_at > now()), "
    "(SELECT count(*) FROM endpoint_deliveries WHERE status = 'pending')",
    0
};

/* The whole table: at most once per COUNTS_TTL_MS per process. */
static const struct db_stmt st_counts_final = {
    "counts_final",
    "SELECT 'p', status, count(*) FROM payments WHERE status <> 'pending' GROUP BY status "
    "UNION ALL SELECT 'e', status, count(*) FROM endpoint_deliveries WHERE status <> 'pending' "
    "GROUP BY status",
    0
};

static struct {
    int64_t at_ms; /* monotonic time of the last read; 0: never */
    int64_t success;
    int64_t failed;
    int64_t ep_success;
    int64_t ep_failed;
} counts_cache;

static int
counts_final(struct db *db, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    int64_t now = gw_mono_ms();
    const char *st;
    int r;

    if (counts_cache.at_ms != 0 && now - counts_cache.at_ms < COUNTS_TTL_MS) {
        return 0;
    }
    if (db_exec(db, &st_counts_final, NULL, &res, err) != 0) {
        db_res_release(&res);
        return -1;
    }
    counts_cache.success = 0;
    counts_cache.failed = 0;
    counts_cache.ep_success = 0;
    counts_cache.ep_failed = 0;
    for (r = 0; r < res.nrows; r++) {
        bool ep = db_val(&res, r, 0)[0] == 'e';

        st = db_val(&res, r, 1);
        if (st != NULL && strcmp(st, "success") == 0) {
            *(ep ? &counts_cache.ep_success : &counts_cache.success) = db_int(&res, r, 2);
        } else if (st != NULL && strcmp(st, "failed") == 0) {
            *(ep ? &counts_cache.ep_failed : &counts_cache.failed) = db_int(&res, r, 2);
        }
    }
    counts_cache.at_ms = now;
    db_res_release(&res);
    return 0;
}

int
counts_read(struct db *db, struct counts *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (db_exec(db, &st_counts_live, NULL, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 1) {
        out->payments_pending = db_int(&res, 0, 0);
        out->webhooks_delayed = db_int(&res, 0, 1);
        out->endpoint_pending = db_int(&res, 0, 2);
    }
    if (counts_final(db, err) != 0) {
        goto out;
    }
    out->payments_success = counts_cache.success;
    out->payments_failed = counts_cache.failed;
    out->endpoint_success = counts_cache.ep_success;
    out->endpoint_failed = counts_cache.ep_failed;
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

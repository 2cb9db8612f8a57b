/* counts.h: the database gauges of /metrics (SPEC 18): payments by status and webhook logs
 * waiting for a retry.
 *
 * Cost per scrape: SPEC 18 defines gateway_payments as `SELECT status, count(*) FROM payments
 * GROUP BY status`, a scan of the whole table (or of idx_payments_status) that grows with every
 * payment ever made. Here the live part is bounded: `pending` and the delayed webhook logs are
 * counted on every scrape through the partial/status indexes, so they cost what is in flight.
 * The final statuses only grow and are read by the GROUP BY at most once per COUNTS_TTL_MS per
 * process (a Prometheus scrape interval is 15-60 s), so a scraper polling every second, or
 * several, costs one whole-table count per process per 10 s, not one per scrape. Counters kept
 * in Redis were rejected: they restart at 0 when Redis restarts empty (SPEC 19), and keeping
 * them in PostgreSQL would add a hot row to every create and settle. */
#ifndef GW_COUNTS_H
#define GW_COUNTS_H

#include "db.h"
#include "gw.h"

#include <stdint.h>

#define COUNTS_TTL_MS 10000

struct counts {
    int64_t payments_pending;
    int64_t payments_success;
    int64_t payments_failed;
    int64_t webhooks_delayed; /* pending logs whose next_retry_at is in the future */
    int64_t endpoint_pending; /* SPEC 21.3 deliveries: live (idx_endpoint_deliveries_due) */
    int64_t endpoint_success; /* and final, with the payments' final counts */
    int64_t endpoint_failed;
};

/* Live pending and delayed counts, final counts at most COUNTS_TTL_MS old (this process). */
int counts_read(struct db *db, struct counts *out, struct gw_err *err);

#endif /* GW_COUNTS_H */

/* sweep.h: the recovery sweep (SPEC 10.4), shared by gw-worker and `gatewayctl jobs recover`.
 * PostgreSQL is the source of truth: pending payments and refunds whose enqueued_at is older than
 * D + 30 s get enqueued_at = now() and a new job (deliveries 0) in Redis. */
#ifndef GW_SWEEP_H
#define GW_SWEEP_H

#include "cfg.h"
#include "db.h"
#include "gw.h"
#include "queue.h"

#include <stdbool.h>
#include <stdint.h>

#define SWEEP_BATCH       1000
#define SWEEP_GRACE_MS    30000
#define SWEEP_REFUND_D_MS 5000
/* a pending row no worker took this long after it was enqueued was never pushed */
#define SWEEP_UNPUSHED_AGE_MS 2000

struct sweep_counts {
    int64_t payments;
    int64_t refunds;
};

/* Runs the sweep. all: no age condition (gatewayctl jobs recover). Counts are the jobs pushed.
 * Redis failures after the database update leave the rows for the next sweep. */
int sweep_run(struct db *db, struct queue *q, const struct cfg *cfg, bool all,
              struct sweep_counts *out, struct gw_err *err);

/* The unpushed sweep (every second or two, cheap): pending payments and refunds that no worker
 * took SWEEP_UNPUSHED_AGE_MS after they were enqueued, and younger than the periodic sweep's
 * age, get enqueued_at = now() and a new job: an API process killed between its COMMIT and its
 * pushes. Run it only once the waiting lists are drained, or jobs still waiting there are
 * pushed twice (harmless, SPEC 8, but wasted). Counts are the jobs pushed. */
int sweep_unpushed(struct db *db, struct queue *q, const struct cfg *cfg, struct sweep_counts *out,
                   struct gw_err *err);

/* Moves everything left in the three processing lists back to their waiting lists (LMOVE
 * RIGHT RIGHT, so the oldest item is taken first again). *moved receives the count. */
int sweep_requeue_processing(struct queue *q, int64_t *moved, struct gw_err *err);

/* Deletes expired idempotency records and dashboard sessions; counts may be NULL. */
int sweep_housekeeping(struct db *db, int64_t *idem, int64_t *sessions, struct gw_err *err);

#endif /* GW_SWEEP_H */

/* jobs.h: payment and refund jobs (SPEC 10.1, 10.3). The worker only schedules: the Redis verbs
 * are core/queue.c's, the settlement rules core/settle.c's; here live the bank (delay and
 * outcome) and the order of calls. */
#ifndef GW_WK_JOBS_H
#define GW_WK_JOBS_H

#include "wk.h"

#include <stdbool.h>
#include <stdint.h>

enum jobs_kind { JOBS_PAYMENT = QUEUE_PAYMENT, JOBS_REFUND = QUEUE_REFUND };

#define JOBS_REFUND_DELAY_MIN 3000
#define JOBS_REFUND_DELAY_MAX 5000

/* The bank delay in ms (SPEC 10.3): TEST_PROCESSING_DELAY in TEST_MODE, else uniform in
 * [PROCESSING_DELAY_MIN, PROCESSING_DELAY_MAX] for payments and [3000, 5000] for refunds. */
int jobs_bank_delay(const struct cfg *c, enum jobs_kind kind, int64_t *out, struct gw_err *err);

/* Moves up to WK_JOB_BATCH waiting jobs through the processing list into the delayed set,
 * dropping those whose object is no longer pending and marking the others taken in the
 * database. Returns the number taken, -1 on failure. */
int jobs_intake(struct wk *w, enum jobs_kind kind);

/* Claims (queue_claim_due) and settles (settle_batch) due jobs in batches until deadline_ms
 * (monotonic); *more is set when due jobs remain. A claimed job leaves Redis only after its
 * transaction committed (queue_ack). */
int jobs_run_due(struct wk *w, enum jobs_kind kind, int64_t deadline_ms, bool *more);

#define JOBS_REQUERY_BATCH 200

/* The reconciler (SPEC 22): claims pending payments whose bank answer is unknown and due for a
 * re-query and asks the bank again (settle_batch, mode SETTLE_REQUERY, faults drawn as for the
 * first call). Returns the number re-queried (JOBS_REQUERY_BATCH: call again), -1 on failure. */
int jobs_requery(struct wk *w);

/* Fails unanswered 3-D Secure challenges older than THREEDS_EXPIRY_S (SPEC 22). */
void jobs_expire_challenges(struct wk *w);

#endif /* GW_WK_JOBS_H */

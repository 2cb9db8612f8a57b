/* settle.h: settlement rules of payments and refunds after the bank delay (SPEC 8, 10.3, 6.2
 * v2), beside their creation rules in payment.c / refund.c. One batched path: the worker hands
 * over the due jobs it claimed, with the bank's outcomes, and commits them in one transaction. */
#ifndef GW_SETTLE_H
#define GW_SETTLE_H

#include "db.h"
#include "gw.h"
#include "model.h"
#include "queue.h"

#include <stdbool.h>
#include <stddef.h>

#define SETTLE_SUCCESS "success"
#define SETTLE_FAILED  "failed"

struct settle_item {
    /* in */
    const char *id;
    const char *upi_outcome;  /* payments: the bank's answer if the method is upi (SETTLE_*) */
    const char *card_outcome; /* payments: … if the method is card */
    /* out */
    bool changed;               /* this call moved it out of pending */
    char status[16];            /* its new status when changed */
    char log_id[MODEL_UUID_SZ]; /* the event's webhook log, "" when none was created */
};

/*
 * One transaction (db_tx) for the whole batch:
 * - the conditional transition of SPEC 8 over every item still pending (an item whose id
 *   repeats an earlier one is left alone: a job that runs twice has one effect);
 * - payments (SPEC 10.3 v2): per order the first item whose bank outcome is success wins if
 *   the order is still `created` (the order becomes `paid` in the same statement, row-locked,
 *   so two payments of one order never both succeed, whichever worker settles them); a bank
 *   success that did not win fails with ORDER_ALREADY_PAID, a bank failure with PAYMENT_FAILED;
 * - refunds become `processed` with processed_at;
 * - one event per changed row (payment.success / payment.failed / refund.processed), created
 *   with event_create's rules by one event_batch_insert.
 */
int settle_batch(struct db *db, enum queue_kind kind, struct settle_item *items, size_t n,
                 struct gw_err *err);

/* The worker took these jobs: marks those still pending (taken_at = now(), so that the unpushed
 * sweep leaves them alone) and sets pending[i] for them; false for every other id. */
int settle_take(struct db *db, enum queue_kind kind, const char *const *ids, size_t n,
                bool *pending, struct gw_err *err);

#endif /* GW_SETTLE_H */

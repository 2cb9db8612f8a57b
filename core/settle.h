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

/* Sandbox bank (SPEC 22). */
#define SETTLE_SCENARIO_THREEDS "threeds"
#define SETTLE_MAX_REQUERIES    5
#define SETTLE_MAX_REQUERIES_S  "5"
#define SETTLE_REQUERY_LEASE_S  10
#define SETTLE_AUTH_FAILED_TEXT "3-D Secure authentication failed"

/* How the bank was asked about an item (settle_item.mode). */
enum settle_mode {
    SETTLE_CALL = 0,      /* the job's bank call (on a payment already unknown: the late answer) */
    SETTLE_FAULT,         /* the call hung past BANK_TIMEOUT_MS or answered garbage */
    SETTLE_REQUERY,       /* the reconciler asks again about an unknown outcome */
    SETTLE_REQUERY_FAULT, /* … and that call failed too */
};

struct settle_item {
    /* in */
    const char *id;
    const char *upi_outcome;  /* payments: the bank's answer if the method is upi (SETTLE_*) */
    const char *card_outcome; /* payments: … if the method is card */
    enum settle_mode mode;    /* payments: how the bank was asked */
    /* out */
    bool changed;               /* this call moved it out of pending */
    bool unknown;               /* payments: the bank's answer was recorded as unknown */
    int64_t requery_ms;         /* … and its next re-query (Unix ms) */
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
 * - (SPEC 22) the sandbox bank's answer decides: a magic value's outcome and error_code, or
 *   the item's draw; an unknown answer leaves the payment pending with its next re-query at
 *   now + requery_s * 2^(re-queries made) s (unknown, requery_ms), no event; at the 5th
 *   re-query it fails PROCESSING_ERROR. Every transition is conditional on `pending`, so a late
 *   answer and a re-query of one payment never both settle it;
 * - refunds become `processed` with processed_at;
 * - one event per changed row (payment.success / payment.failed / refund.processed), created
 *   with event_create's rules by one event_batch_insert.
 */
int settle_batch(struct db *db, enum queue_kind kind, struct settle_item *items, size_t n,
                 int requery_s, struct gw_err *err);

/* The worker took these jobs: marks those still pending (taken_at = now(), so that the unpushed
 * sweep leaves them alone) and sets pending[i] for them; false for every other id. */
int settle_take(struct db *db, enum queue_kind kind, const char *const *ids, size_t n,
                bool *pending, struct gw_err *err);

/* The sandbox bank's scenario (SPEC 22, the bank_scenario column) of a validated card number
 * (digits only) or VPA: "" for an ordinary one. Only the class is kept, never the number. */
const char *settle_scenario_card(const char *digits);
const char *settle_scenario_vpa(const char *vpa);

/* The reconciler's claim: up to max pending payments whose unknown outcome is due for a
 * re-query, leased for SETTLE_REQUERY_LEASE_S; ids receives them (each MODEL_ID_SZ). *n their
 * number. Settle them with settle_batch in mode SETTLE_REQUERY[_FAULT]. */
int settle_requery_claim(struct db *db, size_t max, char (*ids)[MODEL_ID_SZ], size_t *n,
                         struct gw_err *err);

/* Unanswered 3-D Secure challenges older than expiry_s fail AUTHENTICATION_FAILED with their
 * payment.failed event, up to max per call, in one transaction; after COMMIT the log ids are
 * pushed to q. *n receives the count. */
int settle_expire_challenges(struct db *db, struct queue *q, int expiry_s, size_t max, size_t *n,
                             struct gw_err *err);

/* POST /api/v1/payments/public/{id}/3ds (SPEC 22): approve moves a requires_action payment
 * (challenge younger than expiry_s, merchant active) to pending with payment.pending and a new
 * job; deny fails it AUTHENTICATION_FAILED with payment.failed. One transaction, conditional on
 * the status; after COMMIT the job and the log are pushed to q. *found false: not (or no longer)
 * requires_action, or no such payment. out receives the payment. */
int settle_threeds_answer(struct db *db, struct queue *q, const char *id, bool approve,
                          int expiry_s, struct payment *out, bool *found, struct gw_err *err);

#endif /* GW_SETTLE_H */

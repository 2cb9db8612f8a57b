/* refund.h: refunds (SPEC sections 5, 6.5): input rules, creation and lists. refund_load is
 * declared in model.h. */
#ifndef GW_REFUND_H
#define GW_REFUND_H

#include "db.h"
#include "gw.h"
#include "idem.h"
#include "jsonh.h"
#include "model.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define REFUND_REASON_MAX_CHARS 1000

/* Validated POST /api/v1/payments/{payment_id}/refunds body; reason borrows from the body. */
struct refund_create_in {
    int64_t amount;
    const char *reason; /* NULL when absent or null */
    size_t reason_len;
};

struct refund_list {
    struct refund *items;
    int n;
    int64_t total;
};

/* Checks 2-3 of SPEC 6.5; err BAD_REQUEST with the exact descriptions. */
/* The refund columns in the order refund_from_row() reads them, for SELECT or RETURNING on
 * "refunds r" (the worker's settling UPDATE returns the same list). */
#define REFUND_COLS                                                              \
    "r.id, r.payment_id, r.merchant_id, r.amount, r.reason, COALESCE(r.status, " \
    "'pending'), " DB_TS("r.created_at") ", " DB_TS("r.processed_at")
#define REFUND_NCOLS 8

/* Fills the struct refund at out from row of a result whose first columns are REFUND_COLS
 * (a db_row_fn). */
void refund_from_row(const struct db_res *res, int row, void *out);

int refund_parse_create(struct json_object *body, struct refund_create_in *in, struct gw_err *err);

struct queue;
struct merchant_creds;

/* What refund_create did: the answer to send and what the commit hook pushed. */
struct refund_created {
    struct idem_answer answer;
    char refund_id[MODEL_ID_SZ];
    char log_id[MODEL_UUID_SZ]; /* "" when none */
    bool payment_found, payment_success;
    int64_t available;
    struct queue *queue;
};

/* SPEC 4.2 (creds), 9 (idem: NULL or a NULL key for none) and 6.5 checks 1-5 in order
 * (check_err: what refund_parse_create said, checks 2-3), in one round trip: the payment row
 * locked, the available amount checked, the refund, its refund.created log and the idempotency
 * record inserted. After COMMIT the job and the log are pushed to q. Release out->answer with
 * idem_answer_release, also on failure. */
int refund_create(struct db *db, struct queue *q, const struct merchant_creds *creds,
                  const struct idem_req *idem, const char *payment_id,
                  const struct refund_create_in *in, const struct gw_err *check_err,
                  struct refund_created *out, struct gw_err *err);
/* Refunds of the merchant's payment, newest first; err NOT_FOUND "Payment not found" when the
 * payment is not the merchant's. */
int refund_list(struct db *db, const char *merchant_id, const char *payment_id, int64_t limit,
                int64_t offset, struct refund_list *out, struct gw_err *err);
void refund_list_release(struct refund_list *l);

void refund_write_json(struct jw *w, const struct refund *r);
void refund_list_write_json(struct jw *w, const struct refund_list *l, int64_t limit,
                            int64_t offset);

#endif /* GW_REFUND_H */

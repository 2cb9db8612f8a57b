/* refund.h: refunds (SPEC sections 5, 6.5): input rules, creation and lists. refund_load is
 * declared in model.h. */
#ifndef GW_REFUND_H
#define GW_REFUND_H

#include "db.h"
#include "gw.h"
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

/* SPEC 6.5 checks 1-5 in order. One transaction locks the payment row, checks the available
 * amount, inserts the refund and the refund.created log; log_id receives the log to push after
 * COMMIT ("" when none). */
int refund_create(struct db *db, const char *merchant_id, const char *payment_id,
                  struct json_object *body, struct refund *out, char log_id[MODEL_UUID_SZ],
                  struct gw_err *err);
/* Refunds of the merchant's payment, newest first; err NOT_FOUND "Payment not found" when the
 * payment is not the merchant's. */
int refund_list(struct db *db, const char *merchant_id, const char *payment_id, int64_t limit,
                int64_t offset, struct refund_list *out, struct gw_err *err);
void refund_list_release(struct refund_list *l);

void refund_write_json(struct jw *w, const struct refund *r);
void refund_list_write_json(struct jw *w, const struct refund_list *l, int64_t limit,
                            int64_t offset);

#endif /* GW_REFUND_H */

/* payment.h: payments (SPEC sections 5, 6.3, 6.4, 7): input rules, creation, capture, lists,
 * filters, statistics and CSV export. payment_load is declared in model.h. */
#ifndef GW_PAYMENT_H
#define GW_PAYMENT_H

#include "buf.h"
#include "db.h"
#include "gw.h"
#include "idem.h"
#include "jsonh.h"
#include "model.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define PAYMENT_STATS_DAYS 30
#define PAYMENT_VPA_MAX    255
#define PAYMENT_HOLDER_MAX 255
#define PAYMENT_CSV_HEADER                                                                       \
    "id,order_id,amount,currency,method,status,captured,vpa,card_network,card_last4,error_code," \
    "error_description,created_at,updated_at\r\n"

/* (v2) SPEC 22: the status of a payment whose 3-D Secure challenge waits for the shopper */
#define PAYMENT_REQUIRES_ACTION "requires_action"

/* Method-specific part of a validated POST /api/v1/payments body (no card number, no CVV). */
struct payment_instrument {
    char method[8]; /* "upi" | "card" */
    char vpa[PAYMENT_VPA_MAX + 1];
    char card_network[24];
    char card_last4[5];
    char scenario[16]; /* the sandbox bank's outcome class of a magic value (SPEC 22), or "" */
};

/* Filters of GET /api/v1/payments and export.csv (SPEC 6.3); NULL / false when absent. */
struct payment_filter {
    const char *status;
    const char *method;
    bool has_from;
    int64_t from; /* Unix seconds, inclusive */
    bool has_to;
    int64_t to_excl;      /* Unix seconds, exclusive (date-only: next day; timestamp: + 1 s) */
    const char *order_id; /* (extension) one order's payments; NULL: all */
};

struct payment_list {
    struct payment *items;
    int n;
    int64_t total;
};

struct payment_stats_row {
    char date[11]; /* daily rows only */
    int64_t count;
    int64_t success_count;
    int64_t amount;
};

struct payment_stats {
    int64_t total_transactions;
    int64_t successful_transactions;
    int64_t total_amount;
    struct payment_stats_row daily[PAYMENT_STATS_DAYS]; /* oldest first, ending today UTC */
    struct payment_stats_row methods[2];                /* upi, card */
};

/* A POST /api/v1/payments body as the handler parsed it (SPEC 6.3): the first failing check
 * is kept, not answered, because the order checks (2, 2b) come between check 1 and checks 3-8
 * and need the database. */
struct payment_input {
    char order_id[MODEL_ID_SZ]; /* "" when missing or malformed (check 2 answers 404) */
    struct gw_err order_err;    /* check 1 */
    struct gw_err check_err;    /* the first failing of checks 3-8 */
    struct payment_instrument inst;
};

struct queue;
struct merchant_creds;

/* What payment_create did: the answer to send (status and exact body: the new payment, or a
 * replayed idempotent answer) and what the commit hook pushed. */
struct payment_created {
    struct idem_answer answer;      /* status, body; answer.match: Idempotent-Replayed */
    struct payment payment;         /* id and merchant_id when inserted */
    char log_ids[2][MODEL_UUID_SZ]; /* "" when none */
    bool order_found, order_paid;
    struct queue *queue;
};

/* The payment columns in the order payment_from_row() reads them, for SELECT or RETURNING on
 * "payments p" (the worker's settling UPDATE returns the same list). */
#define PAYMENT_COLS                                                                           \
    "p.id, p.order_id, p.merchant_id, p.amount, p.currency, p.method, p.vpa, p.card_network, " \
    "p.card_last4, p.status, p.captured, p.error_code, p.error_description, " DB_TS(           \
        "p.created_at") ", " DB_TS("p.updated_at")
#define PAYMENT_NCOLS 15

/* Fills the struct payment at out from row of a result whose first columns are PAYMENT_COLS
 * (a db_row_fn). */
void payment_from_row(const struct db_res *res, int row, void *out);

/* Pure rules. */
/* Check 1 of SPEC 6.3: order_id present and a string; *id borrows from body, *len its length. */
int payment_parse_order_id(struct json_object *body, const char **id, size_t *len,
                           struct gw_err *err);
/* Checks 3-8 of SPEC 6.3 against the current UTC (year, month). Card number and CVV copies are
 * wiped before returning. */
int payment_parse_instrument(struct json_object *body, int now_year, int now_month,
                             struct payment_instrument *out, struct gw_err *err);
/* Filters from decoded query values (NULL when absent); err BAD_REQUEST with the SPEC texts. */
int payment_parse_filter(const char *status, const char *method, const char *created_from,
                         const char *created_to, struct payment_filter *out, struct gw_err *err);
/* Capture amount of SPEC 6.4 check 2: *has false when absent or null. */
int payment_parse_capture_amount(struct json_object *body, bool *has, int64_t *amount,
                                 struct gw_err *err);
/* One RFC 4180 field (no separator): NULL writes nothing; a leading = + - @ gets a "'";
 * fields with , " CR or LF are quoted with " doubled. */
int payment_csv_field(struct buf *b, const char *s, size_t len);
/* One CSV record (CRLF terminated) for p. */
int payment_csv_row(struct buf *b, const struct payment *p);

/* Checks 1 and 3-8 of SPEC 6.3 against the current UTC (year, month), kept in in. */
void payment_input_parse(struct json_object *body, int now_year, int now_month,
                         struct payment_input *in);
/*
 * Services. payment_create: SPEC 4.2 (creds, unless public_route: the merchant is the order's,
 * which must be active), 9 (idem, NULL or a NULL key for none; ignored on the public route)
 * and 6.3 in their order, and the insert with its payment.created and payment.pending logs and
 * the idempotency record: one round trip (db_batch). After COMMIT the job and the log ids are
 * pushed to q. out is released by payment_created_release, also on failure.
 */
int payment_create(struct db *db, struct queue *q, const struct merchant_creds *creds,
                   bool public_route, const struct idem_req *idem, const struct payment_input *in,
                   struct payment_created *out, struct gw_err *err);
void payment_created_release(struct payment_created *c);
/* GET /api/v1/payments/{id}: SPEC 4.2 (creds) and the merchant's payment in one statement;
 * *found false when the payment is not the merchant's. */
int payment_get(struct db *db, const struct merchant_creds *creds, const char *id,
                struct payment *out, bool *found, struct gw_err *err);
int payment_list(struct db *db, const char *merchant_id, const struct payment_filter *f,
                 int64_t limit, int64_t offset, struct payment_list *out, struct gw_err *err);
void payment_list_release(struct payment_list *l);
int payment_stats(struct db *db, const char *merchant_id, struct payment_stats *out,
                  struct gw_err *err);
/* Receives the CSV document piece by piece; 0, or -1 to stop the export. */
typedef int payment_csv_sink(void *arg, const char *data, size_t len);
/* Streams the CSV document (header row first, then every matching payment newest first) to
 * sink in batches of PAY_CSV_BATCH rows read by keyset pagination on (created_at, id), so
 * memory stays bounded however many payments match. The first call to sink comes after the
 * first batch was read: a database failure before it leaves nothing written. */
int payment_export_csv(struct db *db, const char *merchant_id, const struct payment_filter *f,
                       payment_csv_sink *sink, void *sink_arg, struct gw_err *err);
/* A POST …/capture body as the handler parsed it (payment_parse_capture_amount): check 2's
 * verdict is kept, because check 1 (the payment) comes first. */
struct payment_capture_in {
    bool has_amount;
    int64_t amount;
    struct gw_err check_err;
};
/* SPEC 6.4 checks in order; out receives the payment (captured true). */
int payment_capture(struct db *db, const char *merchant_id, const char *id,
                    const struct payment_capture_in *in, struct payment *out, struct gw_err *err);

/* Representations of SPEC 5. */
void payment_write_json(struct jw *w, const struct payment *p);
void payment_write_public_json(struct jw *w, const struct payment *p);
void payment_list_write_json(struct jw *w, const struct payment_list *l, int64_t limit,
                             int64_t offset);
/* GET /api/v1/payments/stats/currencies (extension): {"data":[{"currency","count","success_count",
 * "amount","refunded","net"}]}, one entry per currency, alphabetical. */
int payment_stats_currencies_json(struct db *db, const char *merchant_id, struct jw *w,
                                  struct gw_err *err);
void payment_stats_write_json(struct jw *w, const struct payment_stats *s);

#endif /* GW_PAYMENT_H */

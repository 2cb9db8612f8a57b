/* webhook_log.h: webhook log rows as the API shows them (SPEC 6.6) and the manual retry, shared
 * by the API and `gatewayctl webhooks dlq requeue`. */
#ifndef GW_WEBHOOK_LOG_H
#define GW_WEBHOOK_LOG_H

#include "db.h"
#include "gw.h"
#include "jsonh.h"
#include "model.h"
#include "queue.h"

#include <stdbool.h>
#include <stdint.h>

struct webhook_log {
    char id[MODEL_UUID_SZ];
    char event[64];
    char status[16]; /* pending | success | failed */
    int64_t attempts;
    char created_at[MODEL_TS_SZ];
    char last_attempt_at[MODEL_TS_SZ]; /* "" when NULL */
    char next_retry_at[MODEL_TS_SZ];   /* "" when NULL */
    bool has_response_code;
    int64_t response_code;
    char *response_body; /* detail only; NULL when NULL */
    char *payload;       /* detail only; stored JSON text */
};

struct webhook_log_list {
    struct webhook_log *items;
    int n;
    int64_t total;
};

/* The merchant's logs, newest first; payment_id non-NULL (extension) keeps the logs of that
 * payment and of its refunds. */
int webhook_log_list(struct db *db, const char *merchant_id, const char *payment_id, int64_t limit,
                     int64_t offset, struct webhook_log_list *out, struct gw_err *err);
void webhook_log_list_release(struct webhook_log_list *l);
/* Detail of the merchant's log; *found false for an unknown, malformed or other merchant's id.
 * Release out with webhook_log_release. */
int webhook_log_get(struct db *db, const char *id, const char *merchant_id, struct webhook_log *out,
                    bool *found, struct gw_err *err);
void webhook_log_release(struct webhook_log *l);

/* One statement: attempts 0, status pending, next_retry_at and locked_until NULL, for the log
 * (of that merchant unless merchant_id_or_NULL is NULL). *found false when no row matched.
 * canonical_id, when not NULL, receives the stored id (lowercase UUID). */
int webhook_log_reset_id(struct db *db, const char *id, const char *merchant_id_or_NULL,
                         bool *found, char canonical_id[MODEL_UUID_SZ], struct gw_err *err);
/* POST /api/v1/webhooks/{id}/retry (SPEC 6.6): resets the merchant's log (one auto-committed
 * statement), then takes it out of the dlq and pushes it (Redis is only transport: a failure
 * there is logged, the worker finds due logs in PostgreSQL). */
int webhook_log_retry(struct db *db, struct queue *q, const char *id, const char *merchant_id,
                      bool *found, char canonical_id[MODEL_UUID_SZ], struct gw_err *err);
/* After COMMIT: pushes log id to queue:webhooks, first removing its dlq entry when dlq_clean;
 * failures are logged only. */
void webhook_log_push_committed(struct queue *q, const char *id, bool dlq_clean);
int webhook_log_reset(struct db *db, const char *id, const char *merchant_id_or_NULL, bool *found,
                      struct gw_err *err);
/* Pushes entry (the dlq JSON of a failed webhook log) onto dlq and indexes it by id in
 * Q_DLQ_WEBHOOKS, atomically (one script). */
int webhook_log_dlq_push(struct queue *q, const char *id, const char *entry, size_t len,
                         struct gw_err *err);
/* Removes the dlq entry of webhook log id found through the index, plus every copy of
 * exact_entry when it is not NULL (an entry read from the list, e.g. one pushed before the
 * index existed); never reads the list. Returns the number removed, or -1. */
int webhook_log_dlq_remove(struct queue *q, const char *id, const char *exact_entry,
                           size_t exact_len, struct gw_err *err);
/* True when entry (a dlq element) is a webhook entry for id (UUIDs compared case-insensitively). */
bool webhook_log_dlq_matches(const char *entry, size_t len, const char *id);

void webhook_log_write_json(struct jw *w, const struct webhook_log *l);
void webhook_log_write_detail_json(struct jw *w, const struct webhook_log *l);
void webhook_log_list_write_json(struct jw *w, const struct webhook_log_list *l, int64_t limit,
                                 int64_t offset);
void webhook_log_write_retry_json(struct jw *w, const char *id);

/* The merchant and event of a dlq entry (gatewayctl webhooks dlq list): for a webhook entry the
 * log's event, for a payment or refund job "payment job" / "refund job"; *found false when the
 * object is gone. */
struct webhook_dlq_context {
    char merchant_id[MODEL_UUID_SZ];
    char merchant_email[256];
    char event[64];
};
int webhook_dlq_context(struct db *db, const char *type, const char *id,
                        struct webhook_dlq_context *out, bool *found, struct gw_err *err);

#endif /* GW_WEBHOOK_LOG_H */

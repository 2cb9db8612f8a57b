/* delivery.h: the webhook_logs statements of webhook delivery (SPEC 11.3, 11.4), each one
 * statement for a whole batch: the claim of a set of candidate logs under per-merchant slot
 * limits, the poll for due logs, and the results of a set of attempts. The worker's scheduler
 * (worker/src/deliver.c) decides what to claim and when; these decide nothing else. */
#ifndef GW_DELIVERY_H
#define GW_DELIVERY_H

#include "buf.h"
#include "db.h"
#include "gw.h"
#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DELIVERY_TS_SZ 48 /* locked_until as text, e.g. "2026-01-15 10:31:00.123456" */

/* A merchant's free attempt slots (its limit minus its attempts in flight). */
struct delivery_slots {
    const char *merchant_id;
    int free;
};

/* [{"m":merchant,"f":free}, ...]: the slots parameter of both paths' claims. */
int delivery_slots_json(struct buf *b, const struct delivery_slots *slots, size_t n);
struct delivery_claim_in {
    const char *const *ids; /* candidate log ids in order of preference; malformed ones skipped */
    size_t nids;
    const struct delivery_slots *slots; /* merchants with attempts in flight */
    size_t nslots;
    int per_merchant; /* free slots of a merchant not in slots */
    int limit;        /* claims at most */
};

/* A claimed log: attempt N = attempts + 1, with what the attempt needs from the merchant row. */
struct delivery_claim {
    char id[MODEL_UUID_SZ];
    char merchant_id[MODEL_UUID_SZ];
    char event[64];
    char locked_until[DELIVERY_TS_SZ]; /* the claim, for the conditional result */
    int attempt;
    char *payload; /* the stored bytes, NUL-terminated */
    size_t payload_len;
    char *url;    /* NULL when the merchant has no webhook_url */
    char *secret; /* "" when NULL */
};

/* A due log that was not claimed for lack of a slot, or one found by the poll. */
struct delivery_due {
    char id[MODEL_UUID_SZ];
    char merchant_id[MODEL_UUID_SZ];
};

struct delivery_claim_out {
    struct delivery_claim *claims;
    size_t nclaims;
    struct delivery_due *waiting; /* due candidates left for lack of a slot */
    size_t nwaiting;
};
#define DELIVERY_CLAIM_OUT_INIT \
    {                           \
        NULL, 0, NULL, 0        \
    }

void delivery_claim_out_release(struct delivery_claim_out *out);

/* Due, unlocked logs, oldest due first, of merchants not in skip; at most limit. *out is a new
 * array of *n (NULL when none). */
int delivery_poll_due(struct db *db, const char *const *skip, size_t nskip, int limit,
                      struct delivery_due **out, size_t *n, struct gw_err *err);

/* The two delivery paths: the legacy webhook_logs of the merchant's webhook_url (SPEC 11) and
 * the endpoint_deliveries of SPEC 21.3. */
enum delivery_path {
    DELIVERY_LEGACY = 0,
    DELIVERY_ENDPOINT,
};

/* The result of attempt N of a claimed delivery: a webhook log (SPEC 11.4) or an endpoint
 * delivery (SPEC 21.3). The fields marked "endpoint" are not part of a log's result. */
struct delivery_result {
    const char *id;           /* legacy: the log id */
    int64_t delivery_id;      /* endpoint: the delivery id */
    const char *locked_until; /* the claim's value */
    const char *attempt_id;   /* endpoint: the wa_ id */
    int attempt;              /* N */
    long code;                /* HTTP status, < 0 for none (NULL) */
    const char *body;         /* response_body (valid UTF-8; endpoint: <= 1000 bytes or NULL) */
    const char *error;        /* endpoint: short error text, or NULL */
    const char *status;       /* success | pending | failed */
    int64_t retry;            /* to the next attempt when pending: legacy s, endpoint ms */
    int64_t started_ms;       /* endpoint: Unix ms */
    int64_t duration_ms;      /* endpoint */
    bool gone;                /* endpoint: 410 */
};

/* The one result codec of both paths: the JSON array of the n results that the path's turn
 * statement reads with json_to_recordset ($1). */
int delivery_results_json(struct buf *b, enum delivery_path path, const struct delivery_result *r,
                          size_t n);
/* Row row of a turn's result set is a result written (its id in column 1): marks the first
 * result of r not yet applied with that id. */
void delivery_result_applied(const struct db_res *res, int row, enum delivery_path path,
                             const struct delivery_result *r, size_t nr, bool *applied);

/* One statement per turn of the scheduler, one commit:
 * - the nr results (SPEC 11.4's conditional update for each: written only while its claim holds
 *   (locked_until unchanged), clearing the claim); applied[i] tells whether result i was written;
 * - then, when in is not NULL, the claim: of the candidates that are due (SPEC 11.3: pending,
 *   next_retry_at NULL or past, not locked) at most each merchant's free slots, every merchant's
 *   first candidate before anyone's second, at most in->limit in all; the claim is SPEC 11.3's
 *   conditional UPDATE on the set (locked_until = now() + 30 s), so two workers never claim one
 *   log. Due candidates that did not fit are returned in out->waiting.
 * Release out with delivery_claim_out_release. */
int delivery_turn(struct db *db, const struct delivery_result *r, size_t nr, bool *applied,
                  const struct delivery_claim_in *in, struct delivery_claim_out *out,
                  struct gw_err *err);

/* A claim to give up: the webhook log's id (DELIVERY_LEGACY) or the endpoint delivery's id
 * (DELIVERY_ENDPOINT), with the locked_until of the claim. */
struct delivery_claim_ref {
    const char *id;
    int64_t delivery_id;
    const char *locked_until;
};

/* One statement: gives up n claims of path whose attempt was never started, so that they are
 * due again at once instead of after the claim expires; a claim that lapsed or was taken over
 * meanwhile is left alone. */
int delivery_release(struct db *db, enum delivery_path path, const struct delivery_claim_ref *c,
                     size_t n, struct gw_err *err);

#endif /* GW_DELIVERY_H */

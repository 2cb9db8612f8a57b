/* epdelivery.h: the statements of delivery to webhook endpoints (SPEC 21.3): the fan-out of new
 * events into one delivery per (event, subscribed endpoint), and one statement per scheduler
 * turn that records finished attempts (every HTTP attempt kept, the endpoint's health, its
 * disabling with a webhook_endpoint.disabled event) and claims due deliveries under the
 * per-merchant, per-endpoint, rate_limit and fifo rules. worker/src/deliver.c schedules. */
#ifndef GW_EPDELIVERY_H
#define GW_EPDELIVERY_H

#include "db.h"
#include "delivery.h"
#include "gw.h"
#include "model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EPD_MAX_ATTEMPTS      8
#define EPD_RETRY_AFTER_MAX_S 3600

/* Fans out up to limit events waiting for it; *n receives how many were fanned out. */
int epd_fanout(struct db *db, int limit, int *n, struct gw_err *err);

struct epd_claim {
    int64_t delivery_id;
    char merchant_id[MODEL_UUID_SZ];
    char event_id[MODEL_ID_SZ];
    char endpoint_id[MODEL_ID_SZ];
    char type[64];
    char locked_until[DELIVERY_TS_SZ];
    int attempt;
    char *payload;
    size_t payload_len;
    char *url;
    char *secret;
    char *previous_secret; /* NULL unless still valid */
};

struct epd_claim_in {
    const struct delivery_slots *slots; /* merchants with claims held: their free slots */
    size_t nslots;
    int per_merchant; /* free slots of other merchants */
    int per_endpoint; /* claims per endpoint at most (all workers) */
    int limit;        /* claims at most (0: record only) */
};

/* What a turn gives back: the claims (to start), and the endpoints it disabled (claims of theirs
 * a worker still holds are to be released, not started). */
struct epd_turn_out {
    struct epd_claim *claims;
    size_t nclaims;
    char (*disabled)[MODEL_ID_SZ];
    size_t ndisabled;
};

/* One statement: the nr results (DELIVERY_ENDPOINT fields; applied[i]: the delivery's claim
 * still held and the result was written; the attempt row is kept either way), the endpoints'
 * health and disabling (disable_after_s), then the claim. Release *out with
 * epd_turn_out_release. */
int epd_turn(struct db *db, const struct delivery_result *r, size_t nr, bool *applied,
             int disable_after_s, const struct epd_claim_in *in, struct epd_turn_out *out,
             struct gw_err *err);
void epd_turn_out_release(struct epd_turn_out *out);

/* Frees a claim's strings (secrets wiped first); the claim may be cleared again. */
void epd_claim_clear(struct epd_claim *c);

/* Housekeeping (SPEC 21.1): removes events older than days with their deliveries and attempts,
 * at most limit; *n receives how many. */
int epd_expire_events(struct db *db, int days, int limit, int64_t *n, struct gw_err *err);

#endif /* GW_EPDELIVERY_H */

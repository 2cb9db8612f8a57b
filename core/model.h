/* model.h: domain objects as plain structs, and their loaders (SPEC sections 5 and 12).
 * Strings are fixed buffers, NUL-terminated; timestamps are "YYYY-MM-DDTHH:MM:SSZ". */
#ifndef GW_MODEL_H
#define GW_MODEL_H

#include "db.h"
#include "gw.h"

#include <stdbool.h>
#include <stdint.h>

#define MODEL_ID_SZ   32 /* order_/pay_/rfnd_ + 16 */
#define MODEL_UUID_SZ 40
#define MODEL_TS_SZ   24

struct merchant {
    char id[MODEL_UUID_SZ];
    char name[256 * 4 + 1];
    char email[256 * 4 + 1];
    char api_key[65];
    char api_secret[65];
    char webhook_url[2049]; /* "" with has_webhook_url false when NULL */
    bool has_webhook_url;
    char webhook_secret[65];
    bool is_active;
    char created_at[MODEL_TS_SZ];
};

struct payment {
    char id[MODEL_ID_SZ];
    char order_id[MODEL_ID_SZ];
    char merchant_id[MODEL_UUID_SZ];
    int64_t amount;
    char currency[4];
    char method[8]; /* "upi" | "card" */
    char vpa[256];  /* upi */
    char card_network[24];
    char card_last4[5];
    char status[16]; /* "pending" | "requires_action" (SPEC 22) | "success" | "failed" */
    bool captured;
    char error_code[64]; /* "" unless failed */
    char error_description[128];
    char created_at[MODEL_TS_SZ];
    char updated_at[MODEL_TS_SZ];
};

struct refund {
    char id[MODEL_ID_SZ];
    char payment_id[MODEL_ID_SZ];
    char merchant_id[MODEL_UUID_SZ];
    int64_t amount;
    char reason[1000 * 4 + 1]; /* "" with has_reason false when NULL */
    bool has_reason;
    char status[16]; /* "pending" | "processed" */
    char created_at[MODEL_TS_SZ];
    char processed_at[MODEL_TS_SZ]; /* "" while pending */
};

/* Loaders: *found false (and 0 returned) when no row; merchant_id NULL means any merchant
 * (worker). Implemented in payment.c, refund.c, merchant.c. */
int payment_load(struct db *db, const char *id, const char *merchant_id, struct payment *out,
                 bool *found, struct gw_err *err);
int refund_load(struct db *db, const char *id, const char *merchant_id, struct refund *out,
                bool *found, struct gw_err *err);
int merchant_load(struct db *db, const char *id, struct merchant *out, bool *found,
                  struct gw_err *err);

#endif /* GW_MODEL_H */

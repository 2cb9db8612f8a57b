/* order.h: orders (SPEC sections 5, 6.2): input rules, storage and representation. */
#ifndef GW_ORDER_H
#define GW_ORDER_H

#include "db.h"
#include "gw.h"
#include "idem.h"

struct merchant_creds;
#include "jsonh.h"
#include "model.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define ORDER_RECEIPT_MAX_CHARS 255
#define ORDER_AMOUNT_MIN        100

struct order {
    char id[MODEL_ID_SZ];
    char merchant_id[MODEL_UUID_SZ];
    int64_t amount;
    char currency[4];
    char receipt[ORDER_RECEIPT_MAX_CHARS * 4 + 1]; /* "" with has_receipt false when NULL */
    bool has_receipt;
    char *notes; /* JSON text of an object, never NULL after a successful load or create */
    char status[16];
    char created_at[MODEL_TS_SZ];
    char updated_at[MODEL_TS_SZ];
    char *merchant_name; /* the public read only (SPEC 6.2 public order, trailing key) */
};

/* Validated POST /api/v1/orders body. Pointers borrow from the parsed body except notes. */
struct order_create_in {
    int64_t amount;
    char currency[4];
    const char *receipt; /* NULL when absent or null */
    size_t receipt_len;
    char *notes; /* serialised notes object ("{}" when absent), caller frees */
};

struct order_list {
    struct order *items;
    int n;
    int64_t total;
};

/* SPEC 6.2 checks in order; err BAD_REQUEST with the exact descriptions. On success in->notes
 * is a new string (free with order_create_in_release). */
int order_parse_create(struct json_object *body, struct order_create_in *in, struct gw_err *err);
void order_create_in_release(struct order_create_in *in);

/* SPEC 4.2 (creds), 9 (idem: NULL or a NULL key for none) and 6.2 in their order: check_err is
 * what order_parse_create said (answered only after the credentials and a reused key); then the
 * insert (new order_ id, retried on a primary-key collision) and the idempotency record, in one
 * round trip. out (idem_answer_init; release with idem_answer_release) receives the answer. */
int order_create(struct db *db, const struct merchant_creds *creds, const struct idem_req *idem,
                 const struct order_create_in *in, const struct gw_err *check_err,
                 struct idem_answer *out, struct gw_err *err);
/* merchant_id NULL: any merchant whose is_active is true (public view). *found false when none. */
int order_load(struct db *db, const char *id, const char *merchant_id, struct order *out,
               bool *found, struct gw_err *err);
int order_list(struct db *db, const char *merchant_id, int64_t limit, int64_t offset,
               struct order_list *out, struct gw_err *err);
void order_release(struct order *o);
void order_list_release(struct order_list *l);

/* Representations of SPEC 5. */
void order_write_json(struct jw *w, const struct order *o);
void order_write_public_json(struct jw *w, const struct order *o);
void order_list_write_json(struct jw *w, const struct order_list *l, int64_t limit, int64_t offset);

#endif /* GW_ORDER_H */

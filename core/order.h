/* order.h: orders (SPEC sections 5, 6.2): input rules, storage and representation. */
#ifndef GW_ORDER_H
#define GW_ORDER_H

#include "db.h"
#include "gw.h"
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

/* Inserts the order (new order_ id, retried on a primary-key collision). out->notes is a new
 * string: release out with order_release. */
int order_create(struct db *db, const char *merchant_id, const struct order_create_in *in,
                 struct order *out, struct gw_err *err);
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

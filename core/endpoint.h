/* endpoint.h: webhook endpoints (SPEC 21.2): rules, storage and representations. */
#ifndef GW_ENDPOINT_H
#define GW_ENDPOINT_H

#include "cursor.h"
#include "db.h"
#include "gw.h"
#include "jsonh.h"
#include "model.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#define ENDPOINT_ID_PREFIX         "we_"
#define ENDPOINT_ATTEMPT_ID_PREFIX "wa_"
#define ENDPOINT_MAX               16 /* per merchant */
#define ENDPOINT_SECRET_SZ         64 /* whsec_ + 44 base64 characters + NUL, rounded up */
#define ENDPOINT_RECOVER_MAX_S     ((int64_t)30 * 86400)

/* A create or PATCH body, checked (SPEC 21.2 error texts). has_* tell which members were sent. */
struct endpoint_input {
    bool has_url, has_events, has_description, has_rate_limit, has_ordering, has_status;
    const char *url;
    struct buf events;       /* PostgreSQL text[] literal */
    const char *description; /* NULL clears */
    int64_t rate_limit;      /* 0: null (unlimited) */
    const char *ordering;
    const char *status;
};

/* Checks body for a create (create = true: url and enabled_events required) or a PATCH.
 * block_private: WEBHOOK_BLOCK_PRIVATE. Release in with endpoint_input_release. */
int endpoint_input_parse(struct json_object *body, bool create, bool block_private,
                         struct endpoint_input *in, struct gw_err *err);
void endpoint_input_release(struct endpoint_input *in);

/* POST /api/v1/webhook_endpoints: 201 object with its secret written to w; err BAD_REQUEST
 * "Endpoint limit reached" beyond ENDPOINT_MAX. */
int endpoint_create(struct db *db, const char *merchant_id, const struct endpoint_input *in,
                    struct jw *w, struct gw_err *err);
int endpoint_list(struct db *db, const char *merchant_id, const struct cursor_req *c, struct jw *w,
                  struct gw_err *err);
/* The following give err NOT_FOUND "Webhook endpoint not found" for an unknown or other
 * merchant's id. */
int endpoint_get(struct db *db, const char *merchant_id, const char *id, struct jw *w,
                 struct gw_err *err);
int endpoint_update(struct db *db, const char *merchant_id, const char *id,
                    const struct endpoint_input *in, struct jw *w, struct gw_err *err);
int endpoint_delete(struct db *db, const char *merchant_id, const char *id, struct jw *w,
                    struct gw_err *err);
/* New secret; the old one signs too for hours more (0-168). */
int endpoint_rotate(struct db *db, const char *merchant_id, const char *id, int64_t hours,
                    struct jw *w, struct gw_err *err);
/* A new cycle of every delivery to the endpoint failed for good of an event created at or after
 * since (Unix seconds). */
int endpoint_recover(struct db *db, const char *merchant_id, const char *id, int64_t since,
                     int64_t *deliveries, struct gw_err *err);
/* Cursor list of the endpoint's attempts, optionally of one event. */
int endpoint_attempts(struct db *db, const char *merchant_id, const char *id, const char *event_id,
                      const struct cursor_req *c, struct jw *w, struct gw_err *err);

/* New secret: whsec_ + standard padded base64 of 32 random bytes. */
int endpoint_new_secret(char out[ENDPOINT_SECRET_SZ], struct gw_err *err);

#endif /* GW_ENDPOINT_H */

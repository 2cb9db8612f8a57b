/* webhook_log.c: webhook log lists, detail and manual retry (SPEC 6.6, 16). */
#include "webhook_log.h"

#include "log.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WL_COLS                                                                                   \
    "w.id, w.event, COALESCE(w.status, 'pending'), COALESCE(w.attempts, 0), " DB_TS(              \
        "w.created_at") ", " DB_TS("w.last_attempt_at") ", " DB_TS("w.next_retry_at") ", "        \
                                                                                      "w."        \
                                                                                      "response_" \
                                                                                      "code"
#define WL_NCOLS 8

/* clang-format off */
static const struct db_stmt st_wl_list = { "webhook_log_list",
    "SELECT " WL_COLS ", count(*) OVER () FROM webhook_logs w WHERE w.merchant_id = $1 "
    "ORDER BY w.created_at DESC, w.id DESC LIMIT $2 OFFSET $3", 3 };
static const struct db_stmt st_wl_count = { "webhook_log_count",
    "SELECT count(*) FROM webhook_logs WHERE merchant_id = $1", 1 };
/* (extension) ?payment_id=: the logs of one payment and of its refunds (object_id). */
#define WL_OF_PAYMENT "(w.object_id = $2 OR w.object_id IN (SELECT r.id FROM refunds r " \
                      "WHERE r.payment_id = $2 AND r.merchant_id = $1))"
static const struct db_stmt st_wl_list_payment = { "webhook_log_list_payment",
    "SELECT " WL_COLS ", count(*) OVER () FROM webhook_logs w WHERE w.merchant_id = $1 "
    "AND " WL_OF_PAYMENT " ORDER BY w.created_at DESC, w.id DESC LIMIT $3 OFFSET $4", 4 };
static const struct db_stmt st_wl_count_payment = { "webhook_log_count_payment",
    "SELECT count(*) FROM webhook_logs w WHERE w.merchant_id = $1 AND " WL_OF_PAYMENT, 2 };
/* gatewayctl webhooks dlq list: the merchant and event of a dlq entry (type webhook, payment or
 * refund; $2 its id). */
static const struct db_stmt st_dlq_context = { "webhook_dlq_context",
    "SELECT m.id, m.email, x.event FROM ("
    "SELECT w.merchant_id, w.event::text AS event FROM webhook_logs w "
    "WHERE $1 = 'webhook' AND w.id::text = $2 "
    "UNION ALL SELECT p.merchant_id, 'payment job' FROM payments p WHERE $1 = 'payment' AND p.id = $2 "
    "UNION ALL SELECT r.merchant_id, 'refund job' FROM refunds r WHERE $1 = 'refund' AND r.id = $2"
    ") x JOIN merchants m ON m.id = x.merchant_id", 2 };
static const struct db_stmt st_wl_get = { "webhook_log_get",
    "SELECT " WL_COLS ", w.response_body, w.payload::text FROM webhook_logs w "
    "WHERE w.id = $1 AND w.merchant_id = $2", 2 };
static const struct db_stmt st_wl_reset = { "webhook_log_reset",
    "UPDATE webhook_logs SET attempts = 0, status = 'pending', next_retry_at = NULL, "
    "locked_until = NULL WHERE id = $1 AND ($2::uuid IS NULL OR merchant_id = $2) "
    "RETURNING id", 2 };
/* clang-format on */

static void
wl_from_row(const struct db_res *res, int row, void *out)
{
    struct webhook_log *l = out;

    memset(l, 0, sizeof(*l));
    gw_copy_str(l->id, sizeof(l->id), db_val(res, row, 0));
    gw_copy_str(l->event, sizeof(l->event), db_val(res, row, 1));
    gw_copy_str(l->status, sizeof(l->status), db_val(res, row, 2));
    l->attempts = db_int(res, row, 3);
    gw_copy_str(l->created_at, sizeof(l->created_at), db_val(res, row, 4));
    gw_copy_str(l->last_attempt_at, sizeof(l->last_attempt_at), db_val(res, row, 5));
    gw_copy_str(l->next_retry_at, sizeof(l->next_retry_at), db_val(res, row, 6));
    l->has_response_code = !db_isnull(res, row, 7);
    l->response_code = db_int(res, row, 7);
}

/* wl_from_row plus the detail columns of st_wl_get. */
static void
wl_detail_from_row(const struct db_res *res, int row, void *out)
{
    struct webhook_log *l = out;

    wl_from_row(res, row, l);
    if (!db_isnull(res, row, WL_NCOLS)) {
        l->response_body = xstrdup(db_val(res, row, WL_NCOLS));
    }
    l->payload =
        xstrdup(db_isnull(res, row, WL_NCOLS + 1) ? "null" : db_val(res, row, WL_NCOLS + 1));
}

static const struct db_page_query wl_page = { &st_wl_list, &st_wl_count, wl_from_row,
                                              sizeof(struct webhook_log) };
static const struct db_page_query wl_page_payment = { &st_wl_list_payment, &st_wl_count_payment,
                                                      wl_from_row, sizeof(struct webhook_log) };

int
webhook_log_list(struct db *db, const char *merchant_id, const char *payment_id, int64_t limit,
                 int64_t offset, struct webhook_log_list *out, struct gw_err *err)
{
    const char *params[2] = { merchant_id, payment_id };
    void *items = NULL;
    int ret;

    memset(out, 0, sizeof(*out));
    ret = db_query_page(db, payment_id != NULL ? &wl_page_payment : &wl_page, params, limit, offset,
                        &items, &out->n, &out->total, err);
    out->items = items;
    return ret;
}

void
webhook_log_list_release(struct webhook_log_list *l)
{
    int i;

    for (i = 0; i < l->n; i++) {
        webhook_log_release(&l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

int
webhook_log_get(struct db *db, const char *id, const char *merchant_id, struct webhook_log *out,
                bool *found, struct gw_err *err)
{
    const char *params[2] = { id, merchant_id };

    memset(out, 0, sizeof(*out));
    *found = false;
    if (id == NULL || !validate_uuid(id)) {
        return 0;
    }
    return db_query_row(db, &st_wl_get, params, wl_detail_from_row, out, found, err);
}

void
webhook_log_release(struct webhook_log *l)
{
    free(l->response_body);
    free(l->payload);
    l->response_body = NULL;
    l->payload = NULL;
}

int
webhook_log_reset_id(struct db *db, const char *id, const char *merchant_id_or_NULL, bool *found,
                     char canonical_id[MODEL_UUID_SZ], struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { id, merchant_id_or_NULL };
    int ret = -1;

    *found = false;
    if (id == NULL || !validate_uuid(id)) {
        return 0;
    }
    if (db_exec(db, &st_wl_reset, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows >= 1) {
        *found = true;
        if (canonical_id != NULL) {
            gw_copy_str(canonical_id, MODEL_UUID_SZ, db_val(&res, 0, 0));
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

void
webhook_log_push_committed(struct queue *q, const char *id, bool dlq_clean)
{
    struct gw_err err = GW_ERR_INIT;

    if (q == NULL || id == NULL || id[0] == '\0') {
        return;
    }
    if (dlq_clean && webhook_log_dlq_remove(q, id, NULL, 0, &err) < 0) {
        log_warn("dlq clean-up failed", LOG_S("webhook_id", id), LOG_S("error", err.msg));
    }
    queue_push_committed(q, QUEUE_PAYMENT, NULL, &id, 1);
}

int
webhook_log_retry(struct db *db, struct queue *q, const char *id, const char *merchant_id,
                  bool *found, char canonical_id[MODEL_UUID_SZ], struct gw_err *err)
{
    if (webhook_log_reset_id(db, id, merchant_id, found, canonical_id, err) != 0) {
        return -1;
    }
    if (*found) {
        webhook_log_push_committed(q, canonical_id, true);
    }
    return 0;
}

int
webhook_log_reset(struct db *db, const char *id, const char *merchant_id_or_NULL, bool *found,
                  struct gw_err *err)
{
    return webhook_log_reset_id(db, id, merchant_id_or_NULL, found, NULL, err);
}

bool
webhook_log_dlq_matches(const char *entry, size_t len, const char *id)
{
    struct json_object *root = NULL, *type = NULL, *jid = NULL;
    bool match = false;

    root = jsonh_parse_value(entry, len);
    if (root == NULL || !json_object_is_type(root, json_type_object)) {
        goto out;
    }
    if (!json_object_object_get_ex(root, "type", &type)
        || !json_object_is_type(type, json_type_string)
        || strcmp(json_object_get_string(type), "webhook") != 0) {
        goto out;
    }
    if (!json_object_object_get_ex(root, "id", &jid) || !json_object_is_type(jid, json_type_string)
        || (size_t)json_object_get_string_len(jid) != strlen(id)) {
        goto out;
    }
    match = strcasecmp(json_object_get_string(jid), id) == 0;
out:
    json_object_put(root);
    return match;
}

int
webhook_log_dlq_push(struct queue *q, const char *id, const char *entry, size_t len,
                     struct gw_err *err)
{
    return queue_dlq_push_webhook(q, id, entry, len, err);
}

int
webhook_log_dlq_remove(struct queue *q, const char *id, const char *exact_entry, size_t exact_len,
                       struct gw_err *err)
{
    int64_t n = 0;

    if (queue_dlq_remove_webhook(q, id, exact_entry, exact_len, &n, err) != 0) {
        return -1;
    }
    return (int)n;
}

static void
ts_or_null(struct jw *w, const char *ts)
{
    jw_str(w, ts[0] != '\0' ? ts : NULL);
}

static void
wl_fields(struct jw *w, const struct webhook_log *l)
{
    jw_key(w, "id");
    jw_str(w, l->id);
    jw_key(w, "event");
    jw_str(w, l->event);
    jw_key(w, "status");
    jw_str(w, l->status);
    jw_key(w, "attempts");
    jw_int(w, l->attempts);
    jw_key(w, "created_at");
    ts_or_null(w, l->created_at);
    jw_key(w, "last_attempt_at");
    ts_or_null(w, l->last_attempt_at);
    jw_key(w, "next_retry_at");
    ts_or_null(w, l->next_retry_at);
    jw_key(w, "response_code");
    if (l->has_response_code) {
        jw_int(w, l->response_code);
    } else {
        jw_null(w);
    }
}

void
webhook_log_write_json(struct jw *w, const struct webhook_log *l)
{
    jw_obj_begin(w);
    wl_fields(w, l);
    jw_obj_end(w);
}

void
webhook_log_write_detail_json(struct jw *w, const struct webhook_log *l)
{
    const char *payload = l->payload != NULL ? l->payload : "null";

    jw_obj_begin(w);
    wl_fields(w, l);
    jw_key(w, "response_body");
    jw_str(w, l->response_body);
    jw_key(w, "payload");
    jw_raw(w, payload, strlen(payload));
    jw_obj_end(w);
}

void
webhook_log_list_write_json(struct jw *w, const struct webhook_log_list *l, int64_t limit,
                            int64_t offset)
{
    int i;

    jw_list_begin(w);
    for (i = 0; i < l->n; i++) {
        webhook_log_write_json(w, &l->items[i]);
    }
    jw_list_end(w, l->total, limit, offset);
}

void
webhook_log_write_retry_json(struct jw *w, const char *id)
{
    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, id);
    jw_key(w, "status");
    jw_str(w, "pending");
    jw_key(w, "message");
    jw_str(w, "Webhook retry scheduled");
    jw_obj_end(w);
}

int
webhook_dlq_context(struct db *db, const char *type, const char *id,
                    struct webhook_dlq_context *out, bool *found, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { type, id };
    int ret = -1;

    memset(out, 0, sizeof(*out));
    *found = false;
    if (db_exec(db, &st_dlq_context, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        gw_copy_str(out->merchant_id, sizeof(out->merchant_id), db_val(&res, 0, 0));
        gw_copy_str(out->merchant_email, sizeof(out->merchant_email), db_val(&res, 0, 1));
        gw_copy_str(out->event, sizeof(out->event), db_val(&res, 0, 2));
        *found = true;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

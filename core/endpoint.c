/* endpoint.c: webhook endpoints (SPEC 21.2). */
#include "endpoint.h"

#include "crypto.h"
#include "event.h"
#include "netaddr.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The endpoint object's columns; previous_secret_expires_at and secret for create / rotate. */
#define WE_COLS                                                                           \
    "we.id, we.url, we.description, array_to_json(we.enabled_events)::text, we.status, "  \
    "we.disabled_reason, we.rate_limit, we.ordering, " DB_TS("we.created_at") ", " DB_TS( \
        "we.updated_at") ", " DB_TS("we.previous_secret_expires_at") ", we.secret"
#define WE_LIST(order)                                                              \
    "SELECT " WE_COLS                                                               \
    " FROM webhook_endpoints we WHERE we.merchant_id = $1::uuid AND " CURSOR_WHERE( \
        "we", "webhook_endpoints", "$2", "$3",                                      \
        "c.merchant_id = $1::uuid") " ORDER BY we.created_at " order ", we.id " order " LIMIT $4"
/* $1 endpoint, $2 merchant, $3 event filter, $4 starting_after, $5 ending_before, $6 rows. */
#define WA_LIST(order)                                                                            \
    "SELECT wa.id, wa.event_id, wa.attempt, " DB_TS(                                              \
        "wa.started_at") ", wa.duration_ms, "                                                     \
                         "wa.response_code, wa.response_body, wa.error FROM webhook_attempts wa " \
                         "WHERE wa.endpoint_id = $1 AND wa.endpoint_id IN (SELECT id FROM "       \
                         "webhook_endpoints "                                                     \
                         "WHERE merchant_id = $2::uuid) AND ($3::text IS NULL OR wa.event_id = "  \
                         "$3::text) AND " CURSOR_WHERE(                                           \
                             "wa", "webhook_attempts", "$4", "$5",                                \
                             "c.endpoint_id = $1") " ORDER BY wa.created_at " order               \
                                                   ", wa.id " order " LIMIT $6"

/* clang-format off */
static const struct db_stmt st_we_lock = { "endpoint_lock",
    "SELECT pg_advisory_xact_lock(hashtextextended('webhook_endpoints:' || $1, 0))", 1 };
static const struct db_stmt st_we_create = { "endpoint_create",
    "INSERT INTO webhook_endpoints AS we (id, merchant_id, url, description, enabled_events, "
    "rate_limit, ordering, secret) SELECT $2, $1::uuid, $3, $4, $5::text[], $6::int, "
    "COALESCE($7, 'unordered'), $8 WHERE (SELECT count(*) FROM webhook_endpoints "
    "WHERE merchant_id = $1::uuid) < 16 RETURNING " WE_COLS, 8 };
static const struct db_stmt st_we_list_desc = { "endpoint_list_desc", WE_LIST("DESC"), 4 };
static const struct db_stmt st_we_list_asc = { "endpoint_list_asc", WE_LIST("ASC"), 4 };
static const struct db_stmt st_we_known = { "endpoint_known",
    "SELECT 1 FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2::uuid", 2 };
static const struct db_stmt st_we_get = { "endpoint_get",
    "SELECT " WE_COLS " FROM webhook_endpoints we WHERE we.id = $1 AND we.merchant_id = $2::uuid", 2 };
/* $3 url, $4 description sent, $5 description, $6 events, $7 rate_limit sent, $8 rate_limit,
 * $9 ordering, $10 status. Enabling clears the reason and the failing clock; disabling by
 * hand is `manual` (an endpoint disabled already keeps its reason). */
static const struct db_stmt st_we_update = { "endpoint_update",
    "UPDATE webhook_endpoints we SET url = COALESCE($3, we.url), "
    "description = CASE WHEN $4::bool THEN $5 ELSE we.description END, "
    "enabled_events = COALESCE($6::text[], we.enabled_events), "
    "rate_limit = CASE WHEN $7::bool THEN $8::int ELSE we.rate_limit END, "
    "ordering = COALESCE($9, we.ordering), status = COALESCE($10, we.status), "
    "disabled_reason = CASE WHEN $10::text IS NULL THEN we.disabled_reason "
    "WHEN $10::text = 'enabled' THEN NULL WHEN we.status = 'disabled' THEN we.disabled_reason "
    "ELSE 'manual' END, "
    "failing_since = CASE WHEN $10::text = 'enabled' THEN NULL ELSE we.failing_since END, "
    "updated_at = now() WHERE we.id = $1 AND we.merchant_id = $2::uuid RETURNING " WE_COLS, 10 };
static const struct db_stmt st_we_delete = { "endpoint_delete",
    "DELETE FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2::uuid RETURNING id", 2 };
static const struct db_stmt st_we_rotate = { "endpoint_rotate",
    "UPDATE webhook_endpoints we SET previous_secret = we.secret, "
    "previous_secret_expires_at = now() + $3::int * interval '1 hour', secret = $4, "
    "updated_at = now() WHERE we.id = $1 AND we.merchant_id = $2::uuid RETURNING " WE_COLS, 4 };
static const struct db_stmt st_we_recover = { "endpoint_recover",
    "WITH ep AS (SELECT id FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2::uuid), "
    "up AS (UPDATE endpoint_deliveries d SET status = 'pending', attempts = 0, next_at = now(), "
    "locked_until = NULL, updated_at = now() FROM events e WHERE d.endpoint_id = (SELECT id FROM ep) "
    "AND d.status = 'failed' AND e.id = d.event_id "
    "AND e.created_at >= 'epoch'::timestamp + $3::bigint * interval '1 second' RETURNING 1) "
    "SELECT (SELECT count(*) FROM ep), (SELECT count(*) FROM up)", 3 };
static const struct db_stmt st_wa_list_desc = { "endpoint_attempts_desc", WA_LIST("DESC"), 6 };
static const struct db_stmt st_wa_list_asc = { "endpoint_attempts_asc", WA_LIST("ASC"), 6 };
static const struct db_stmt st_wa_known = { "endpoint_attempt_known",
    "SELECT 1 FROM webhook_attempts WHERE id = $1 AND endpoint_id = $2", 2 };
/* clang-format on */

#define URL_ERR    "url must be a valid http or https URL"
#define EVENTS_ERR "enabled_events must list known event types"

int
endpoint_new_secret(char out[ENDPOINT_SECRET_SZ], struct gw_err *err)
{
    unsigned char raw[32];
    char b64[48];

    if (crypto_random_bytes(raw, sizeof(raw), err) != 0) {
        return -1;
    }
    (void)crypto_base64(raw, sizeof(raw), b64);
    crypto_wipe(raw, sizeof(raw));
    (void)snprintf(out, ENDPOINT_SECRET_SZ, "whsec_%s", b64);
    crypto_wipe(b64, sizeof(b64));
    return 0;
}

/* The URL's host as written (brackets of an IPv6 literal removed). */
static void
endpoint_url_host(const char *url, char *host, size_t hostsz)
{
    const char *p = strstr(url, "://"), *end;
    size_t n;

    host[0] = '\0';
    if (p == NULL) {
        return;
    }
    p += 3;
    if (*p == '[') {
        p++;
        end = strchr(p, ']');
    } else {
        end = p + strcspn(p, ":/?#");
    }
    if (end == NULL) {
        return;
    }
    n = (size_t)(end - p);
    if (n >= hostsz) {
        return;
    }
    memcpy(host, p, n);
    host[n] = '\0';
}

static int
endpoint_parse_url(struct json_object *v, bool block_private, struct endpoint_input *in,
                   struct gw_err *err)
{
    char host[256];
    size_t len;

    if (!json_object_is_type(v, json_type_string)) {
        return GW_ERR(err, BAD_REQUEST, URL_ERR);
    }
    in->url = json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    if (len == 0 || strlen(in->url) != len || !validate_webhook_url(in->url, len)) {
        return GW_ERR(err, BAD_REQUEST, URL_ERR);
    }
    if (block_private) {
        endpoint_url_host(in->url, host, sizeof(host));
        if (netaddr_str_is_private(host)) {
            return GW_ERR(err, BAD_REQUEST, "url must not point to a private address");
        }
    }
    in->has_url = true;
    return 0;
}

static int
endpoint_parse_events(struct json_object *v, struct endpoint_input *in, struct gw_err *err)
{
    size_t i, n;

    if (v == NULL || !json_object_is_type(v, json_type_array)) {
        return GW_ERR(err, BAD_REQUEST, EVENTS_ERR);
    }
    n = json_object_array_length(v);
    if (n == 0 || n > 64) {
        return GW_ERR(err, BAD_REQUEST, EVENTS_ERR);
    }
    buf_reset(&in->events);
    for (i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(v, i);
        const char *s;

        if (e == NULL || !json_object_is_type(e, json_type_string)) {
            return GW_ERR(err, BAD_REQUEST, EVENTS_ERR);
        }
        s = json_object_get_string(e);
        if (strlen(s) != (size_t)json_object_get_string_len(e) || !event_type_pattern_valid(s)) {
            return GW_ERR(err, BAD_REQUEST, EVENTS_ERR);
        }
        if (buf_arr_add(&in->events, s) != 0) {
            return GW_ERR(err, INTERNAL, "cannot build enabled_events");
        }
    }
    if (buf_arr_end(&in->events) != 0) {
        return GW_ERR(err, INTERNAL, "cannot build enabled_events");
    }
    in->has_events = true;
    return 0;
}

/* Characters of valid UTF-8 text (the parser checked the encoding): bytes that start one. */
static size_t
endpoint_utf8_chars(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

static int
endpoint_parse_rest(struct json_object *body, struct endpoint_input *in, struct gw_err *err)
{
    struct json_object *v = NULL;
    int64_t n = 0;

    if (json_object_object_get_ex(body, "description", &v)) {
        in->has_description = true;
        if (v != NULL) {
            if (!json_object_is_type(v, json_type_string)
                || strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)
                || endpoint_utf8_chars(json_object_get_string(v),
                                       (size_t)json_object_get_string_len(v))
                       > 255) {
                return GW_ERR(err, BAD_REQUEST,
                              "description must be a string of at most 255 characters");
            }
            in->description = json_object_get_string(v);
        }
    }
    if (json_object_object_get_ex(body, "rate_limit", &v)) {
        in->has_rate_limit = true;
        if (v != NULL) {
            if ((!json_object_is_type(v, json_type_int)
                 && !json_object_is_type(v, json_type_double))
                || jsonh_int_classify(v, &n) != JSONH_INT_OK || n < 1 || n > 1000) {
                return GW_ERR(err, BAD_REQUEST,
                              "rate_limit must be an integer between 1 and 1000 or null");
            }
            in->rate_limit = n;
        }
    }
    if (json_object_object_get_ex(body, "ordering", &v)) {
        const char *s =
            v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

        if (strcmp(s, "unordered") != 0 && strcmp(s, "fifo") != 0) {
            return GW_ERR(err, BAD_REQUEST, "ordering must be one of unordered, fifo");
        }
        in->has_ordering = true;
        in->ordering = s;
    }
    return 0;
}

int
endpoint_input_parse(struct json_object *body, bool create, bool block_private,
                     struct endpoint_input *in, struct gw_err *err)
{
    struct json_object *v = NULL;

    memset(in, 0, sizeof(*in));
    buf_init(&in->events, 0);
    if (json_object_object_get_ex(body, "url", &v)) {
        if (endpoint_parse_url(v, block_private, in, err) != 0) {
            return -1;
        }
    } else if (create) {
        return GW_ERR(err, BAD_REQUEST, "url is required");
    }
    if (json_object_object_get_ex(body, "enabled_events", &v)) {
        if (endpoint_parse_events(v, in, err) != 0) {
            return -1;
        }
    } else if (create) {
        return GW_ERR(err, BAD_REQUEST, EVENTS_ERR);
    }
    if (endpoint_parse_rest(body, in, err) != 0) {
        return -1;
    }
    if (!create && json_object_object_get_ex(body, "status", &v)) {
        const char *s =
            v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

        if (strcmp(s, "enabled") != 0 && strcmp(s, "disabled") != 0) {
            return GW_ERR(err, BAD_REQUEST, "status must be one of enabled, disabled");
        }
        in->has_status = true;
        in->status = s;
    }
    return 0;
}

void
endpoint_input_release(struct endpoint_input *in)
{
    buf_release(&in->events);
}

/* The endpoint object of row `row`; with_secret adds secret (and, rotated, the expiry). */
static void
endpoint_write(struct jw *w, const struct db_res *res, int row, bool with_secret, bool rotated)
{
    const char *events = db_val(res, row, 3);

    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, db_val(res, row, 0));
    jw_key(w, "url");
    jw_str(w, db_val(res, row, 1));
    jw_key(w, "description");
    jw_str(w, db_val(res, row, 2));
    jw_key(w, "enabled_events");
    jw_raw(w, events != NULL ? events : "[]", events != NULL ? strlen(events) : 2);
    jw_key(w, "status");
    jw_str(w, db_val(res, row, 4));
    jw_key(w, "disabled_reason");
    jw_str(w, db_val(res, row, 5));
    jw_key(w, "rate_limit");
    if (db_isnull(res, row, 6)) {
        jw_null(w);
    } else {
        jw_int(w, db_int(res, row, 6));
    }
    jw_key(w, "ordering");
    jw_str(w, db_val(res, row, 7));
    jw_key(w, "created_at");
    jw_str(w, db_val(res, row, 8));
    jw_key(w, "updated_at");
    jw_str(w, db_val(res, row, 9));
    if (with_secret) {
        jw_key(w, "secret");
        jw_str(w, db_val(res, row, 11));
    }
    if (rotated) {
        jw_key(w, "previous_secret_expires_at");
        jw_str(w, db_val(res, row, 10));
    }
    jw_obj_end(w);
}

static void
endpoint_item(struct jw *w, const struct db_res *res, int row)
{
    endpoint_write(w, res, row, false, false);
}

struct endpoint_create_tx {
    const char *merchant_id;
    const struct endpoint_input *in;
    struct jw *w;
};

static int
endpoint_create_tx_fn(struct db *db, void *arg, struct gw_err *err)
{
    struct endpoint_create_tx *t = arg;
    const struct endpoint_input *in = t->in;
    struct db_res lock = DB_RES_INIT, res = DB_RES_INIT;
    char id[MODEL_ID_SZ], secret[ENDPOINT_SECRET_SZ], rl[24];
    const char *lp[1] = { t->merchant_id };
    const char *params[8];
    int ret = -1;

    if (crypto_new_id(ENDPOINT_ID_PREFIX, id, sizeof(id), err) != 0
        || endpoint_new_secret(secret, err) != 0) {
        return -1;
    }
    (void)snprintf(rl, sizeof(rl), "%" PRId64, in->rate_limit);
    params[0] = t->merchant_id;
    params[1] = id;
    params[2] = in->url;
    params[3] = in->description;
    params[4] = in->events.data;
    params[5] = in->rate_limit > 0 ? rl : NULL;
    params[6] = in->has_ordering ? in->ordering : NULL;
    params[7] = secret;
    /* the lock serialises a merchant's creates, so the count below cannot pass 16 */
    if (db_exec(db, &st_we_lock, lp, &lock, err) != 0
        || db_exec(db, &st_we_create, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1) {
        ret = GW_ERR(err, BAD_REQUEST, "Endpoint limit reached");
        goto out;
    }
    buf_reset(t->w->b);
    jw_init(t->w, t->w->b);
    endpoint_write(t->w, &res, 0, true, false);
    ret = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    db_res_release(&lock);
    db_res_release(&res);
    return ret;
}

int
endpoint_create(struct db *db, const char *merchant_id, const struct endpoint_input *in,
                struct jw *w, struct gw_err *err)
{
    struct endpoint_create_tx t = { merchant_id, in, w };

    return db_tx(db, endpoint_create_tx_fn, &t, err);
}

int
endpoint_list(struct db *db, const char *merchant_id, const struct cursor_req *c, struct jw *w,
              struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[1] = { merchant_id };
    int ret = -1;

    if (cursor_query(db, &st_we_list_desc, &st_we_list_asc, params, 1, c, &res, err) != 0
        || (res.nrows == 0 && cursor_check_known(db, &st_we_known, merchant_id, c, err) != 0)) {
        goto out;
    }
    cursor_write(w, c, &res, endpoint_item);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

/* Runs a statement returning WE_COLS for (id, merchant, …) and writes the endpoint. */
static int
endpoint_one(struct db *db, const struct db_stmt *st, const char *const *params, struct jw *w,
             bool with_secret, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    int ret = -1;

    if (db_exec(db, st, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1) {
        ret = GW_ERR(err, NOT_FOUND, "Webhook endpoint not found");
        goto out;
    }
    endpoint_write(w, &res, 0, with_secret, with_secret);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
endpoint_get(struct db *db, const char *merchant_id, const char *id, struct jw *w,
             struct gw_err *err)
{
    const char *params[2] = { id, merchant_id };

    return endpoint_one(db, &st_we_get, params, w, false, err);
}

int
endpoint_update(struct db *db, const char *merchant_id, const char *id,
                const struct endpoint_input *in, struct jw *w, struct gw_err *err)
{
    char rl[24];
    const char *params[10];

    (void)snprintf(rl, sizeof(rl), "%" PRId64, in->rate_limit);
    params[0] = id;
    params[1] = merchant_id;
    params[2] = in->has_url ? in->url : NULL;
    params[3] = in->has_description ? "true" : "false";
    params[4] = in->description;
    params[5] = in->has_events ? in->events.data : NULL;
    params[6] = in->has_rate_limit ? "true" : "false";
    params[7] = in->rate_limit > 0 ? rl : NULL;
    params[8] = in->has_ordering ? in->ordering : NULL;
    params[9] = in->has_status ? in->status : NULL;
    return endpoint_one(db, &st_we_update, params, w, false, err);
}

int
endpoint_delete(struct db *db, const char *merchant_id, const char *id, struct jw *w,
                struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { id, merchant_id };
    int ret = -1;

    if (db_exec(db, &st_we_delete, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1) {
        ret = GW_ERR(err, NOT_FOUND, "Webhook endpoint not found");
        goto out;
    }
    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, db_val(&res, 0, 0));
    jw_key(w, "deleted");
    jw_bool(w, true);
    jw_obj_end(w);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
endpoint_rotate(struct db *db, const char *merchant_id, const char *id, int64_t hours, struct jw *w,
                struct gw_err *err)
{
    char secret[ENDPOINT_SECRET_SZ], h[24];
    const char *params[4] = { id, merchant_id, h, secret };
    int ret;

    if (endpoint_new_secret(secret, err) != 0) {
        return -1;
    }
    (void)snprintf(h, sizeof(h), "%" PRId64, hours);
    ret = endpoint_one(db, &st_we_rotate, params, w, true, err);
    crypto_wipe(secret, sizeof(secret));
    return ret;
}

int
endpoint_recover(struct db *db, const char *merchant_id, const char *id, int64_t since,
                 int64_t *deliveries, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char s[24];
    const char *params[3] = { id, merchant_id, s };
    int ret = -1;

    *deliveries = 0;
    (void)snprintf(s, sizeof(s), "%" PRId64, since);
    if (db_exec(db, &st_we_recover, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1 || db_int(&res, 0, 0) == 0) {
        ret = GW_ERR(err, NOT_FOUND, "Webhook endpoint not found");
        goto out;
    }
    *deliveries = db_int(&res, 0, 1);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

static void
attempt_item(struct jw *w, const struct db_res *res, int row)
{
    jw_obj_begin(w);
    jw_key(w, "id");
    jw_str(w, db_val(res, row, 0));
    jw_key(w, "event_id");
    jw_str(w, db_val(res, row, 1));
    jw_key(w, "attempt");
    jw_int(w, db_int(res, row, 2));
    jw_key(w, "started_at");
    jw_str(w, db_val(res, row, 3));
    jw_key(w, "duration_ms");
    jw_int(w, db_int(res, row, 4));
    jw_key(w, "response_code");
    if (db_isnull(res, row, 5)) {
        jw_null(w);
    } else {
        jw_int(w, db_int(res, row, 5));
    }
    jw_key(w, "response_body");
    jw_str(w, db_val(res, row, 6));
    jw_key(w, "error");
    jw_str(w, db_val(res, row, 7));
    jw_obj_end(w);
}

int
endpoint_attempts(struct db *db, const char *merchant_id, const char *id, const char *event_id,
                  const struct cursor_req *c, struct jw *w, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT, known = DB_RES_INIT;
    const char *params[3] = { id, merchant_id, event_id };
    int ret = -1;

    if (cursor_query(db, &st_wa_list_desc, &st_wa_list_asc, params, 3, c, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        const char *kp[2] = { id, merchant_id };

        if (db_exec(db, &st_we_known, kp, &known, err) != 0) {
            goto out;
        }
        if (known.nrows == 0) {
            ret = GW_ERR(err, NOT_FOUND, "Webhook endpoint not found");
            goto out;
        }
        if (cursor_check_known(db, &st_wa_known, id, c, err) != 0) {
            goto out;
        }
    }
    cursor_write(w, c, &res, attempt_item);
    ret = 0;
out:
    db_res_release(&known);
    db_res_release(&res);
    return ret;
}

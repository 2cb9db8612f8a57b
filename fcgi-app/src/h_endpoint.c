/* h_endpoint.c: webhook endpoints (SPEC 21.2). Glue only: parse, call core/endpoint.c, write. */
#include "handlers.h"

#include "cursor.h"
#include "endpoint.h"
#include "jsonh.h"
#include "validate.h"

#include <string.h>
#include <time.h>

int
h_endpoint_create(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct endpoint_input in;
    struct jw w;
    int ret = -1;

    if (endpoint_input_parse(req->body, true, req->app->cfg->webhook_block_private, &in, err)
        != 0) {
        goto out;
    }
    jw_init(&w, &resp->body);
    if (endpoint_create(req->app->db, req->merchant.id, &in, &w, err) != 0) {
        goto out;
    }
    ret = http_resp_json(resp, &w, 201, err);
out:
    endpoint_input_release(&in);
    return ret;
}

int
h_endpoint_list(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct cursor_req c;
    struct jw w;

    if (http_req_cursor_params(req, &c, err) != 0) {
        return -1;
    }
    jw_init(&w, &resp->body);
    if (endpoint_list(req->app->db, req->merchant.id, &c, &w, err) != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

int
h_endpoint_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct jw w;

    jw_init(&w, &resp->body);
    if (endpoint_get(req->app->db, req->merchant.id, req->params[0], &w, err) != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

int
h_endpoint_update(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct endpoint_input in;
    struct jw w;
    int ret = -1;

    if (endpoint_input_parse(req->body, false, req->app->cfg->webhook_block_private, &in, err)
        != 0) {
        goto out;
    }
    jw_init(&w, &resp->body);
    if (endpoint_update(req->app->db, req->merchant.id, req->params[0], &in, &w, err) != 0) {
        goto out;
    }
    ret = http_resp_json(resp, &w, 200, err);
out:
    endpoint_input_release(&in);
    return ret;
}

int
h_endpoint_delete(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct jw w;

    jw_init(&w, &resp->body);
    if (endpoint_delete(req->app->db, req->merchant.id, req->params[0], &w, err) != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

/* A JSON integer member within [lo, hi]; *v unchanged when absent. */
static int
h_int_member(struct json_object *body, const char *key, int64_t lo, int64_t hi, int64_t *v,
             bool *present, const char *msg, struct gw_err *err)
{
    struct json_object *m = NULL;
    int64_t n = 0;

    *present = false;
    if (!json_object_object_get_ex(body, key, &m)) {
        return 0;
    }
    if (m == NULL
        || (!json_object_is_type(m, json_type_int) && !json_object_is_type(m, json_type_double))
        || jsonh_int_classify(m, &n) != JSONH_INT_OK || n < lo || n > hi) {
        return GW_ERR(err, BAD_REQUEST, "%s", msg);
    }
    *v = n;
    *present = true;
    return 0;
}

int
h_endpoint_rotate(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    int64_t hours = 24;
    bool present;
    struct jw w;

    if (h_int_member(req->body, "expire_previous_after_hours", 0, 168, &hours, &present,
                     "expire_previous_after_hours must be an integer between 0 and 168", err)
        != 0) {
        return -1;
    }
    jw_init(&w, &resp->body);
    if (endpoint_rotate(req->app->db, req->merchant.id, req->params[0], hours, &w, err) != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

int
h_endpoint_recover(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    int64_t now = (int64_t)time(NULL), since = 0, n = 0;
    bool present;
    static const char msg[] = "since must be a Unix time within the last 30 days";

    if (h_int_member(req->body, "since", now - ENDPOINT_RECOVER_MAX_S, now, &since, &present, msg,
                     err)
        != 0) {
        return -1;
    }
    if (!present) {
        return GW_ERR(err, BAD_REQUEST, "%s", msg);
    }
    if (endpoint_recover(req->app->db, req->merchant.id, req->params[0], since, &n, err) != 0) {
        return -1;
    }
    return h_event_deliveries_scheduled(resp, req->params[0], n, NULL, err);
}

int
h_endpoint_attempts(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    const char *event_id = http_req_query(req, "event_id");
    struct cursor_req c;
    struct jw w;

    if (http_req_cursor_params(req, &c, err) != 0) {
        return -1;
    }
    if (event_id != NULL && !validate_object_id("evt_", event_id)) {
        return GW_ERR(err, BAD_REQUEST, "event_id must be an event id");
    }
    jw_init(&w, &resp->body);
    if (endpoint_attempts(req->app->db, req->merchant.id, req->params[0], event_id, &c, &w, err)
        != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

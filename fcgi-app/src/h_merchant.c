/* h_merchant.c: merchant profile and webhook configuration (SPEC 6.7). */
#include "handlers.h"

#include "event.h"
#include "jsonh.h"
#include "merchant.h"
#include "validate.h"

#include <string.h>

static int
h_merchant_write(struct http_resp *resp, const struct merchant *m, struct gw_err *err)
{
    struct jw w;

    resp->status = 200;
    jw_init(&w, &resp->body);
    merchant_write_json(&w, m);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise merchant");
    }
    return 0;
}

int
h_merchant_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    return h_merchant_write(resp, &req->merchant, err);
}

int
h_merchant_webhook_parse(struct json_object *body, const char **url, struct gw_err *err)
{
    struct json_object *v = NULL;
    size_t len;

    *url = NULL;
    if (!json_object_object_get_ex(body, "webhook_url", &v)) {
        return GW_ERR(err, BAD_REQUEST, "webhook_url is required");
    }
    if (v == NULL) {
        return 0;
    }
    if (!json_object_is_type(v, json_type_string)) {
        return GW_ERR(err, BAD_REQUEST, "webhook_url must be a valid http or https URL");
    }
    len = (size_t)json_object_get_string_len(v);
    if (len == 0) {
        return 0;
    }
    if (strlen(json_object_get_string(v)) != len
        || !validate_webhook_url(json_object_get_string(v), len)) {
        return GW_ERR(err, BAD_REQUEST, "webhook_url must be a valid http or https URL");
    }
    *url = json_object_get_string(v);
    return 0;
}

int
h_merchant_webhook_put(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct merchant m;
    const char *url = NULL;

    if (h_merchant_webhook_parse(req->body, &url, err) != 0
        || merchant_set_webhook_url(req->app->db, req->merchant.id, url, &m, err) != 0) {
        return -1;
    }
    return h_merchant_write(resp, &m, err);
}

int
h_merchant_webhook_secret(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    char secret[65];
    struct jw w;

    if (merchant_new_webhook_secret(req->app->db, req->merchant.id, secret, err) != 0) {
        return -1;
    }
    resp->status = 200;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "webhook_secret");
    jw_str(&w, secret);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise webhook secret");
    }
    return 0;
}

int
h_merchant_webhook_test(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    char log_id[MODEL_UUID_SZ];
    struct jw w;

    if (merchant_send_test_webhook(req->app->db, req->app->q, &req->merchant, log_id, err) != 0) {
        return -1;
    }
    resp->status = 202;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, log_id);
    jw_key(&w, "event");
    jw_str(&w, EVENT_WEBHOOK_TEST);
    jw_key(&w, "status");
    jw_str(&w, "pending");
    jw_key(&w, "message");
    jw_str(&w, "Test webhook scheduled");
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise test webhook");
    }
    return 0;
}

/* h_webhook.c: webhook log endpoints (SPEC 6.6). Glue only: parse, call core/webhook_log.c,
 * write. */
#include "handlers.h"

#include "jsonh.h"
#include "log.h"
#include "validate.h"
#include "webhook_log.h"

#include <stdbool.h>

int
h_webhook_list(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct webhook_log_list l = { 0 };
    int64_t limit = 0, offset = 0;
    struct jw w;
    const char *payment_id = http_req_query(req, "payment_id");
    int ret = -1;

    if (http_req_list_params(req, &limit, &offset, err) != 0) {
        goto out;
    }
    /* (extension) the dashboard's payment view: that payment's logs and its refunds' */
    if (payment_id != NULL && !validate_object_id("pay_", payment_id)) {
        (void)GW_ERR(err, BAD_REQUEST, "payment_id must be a payment id");
        goto out;
    }
    if (webhook_log_list(req->app->db, req->merchant.id, payment_id, limit, offset, &l, err) != 0) {
        goto out;
    }
    jw_init(&w, &resp->body);
    webhook_log_list_write_json(&w, &l, limit, offset);
    ret = http_resp_json(resp, &w, 200, err);
out:
    webhook_log_list_release(&l);
    return ret;
}

int
h_webhook_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct webhook_log l = { 0 };
    bool found = false;
    struct jw w;
    int ret = -1;

    if (webhook_log_get(req->app->db, req->params[0], req->merchant.id, &l, &found, err) != 0) {
        goto out;
    }
    if (!found) {
        (void)GW_ERR(err, NOT_FOUND, "Webhook log not found");
        goto out;
    }
    jw_init(&w, &resp->body);
    webhook_log_write_detail_json(&w, &l);
    ret = http_resp_json(resp, &w, 200, err);
out:
    webhook_log_release(&l);
    return ret;
}

int
h_webhook_retry(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    char id[MODEL_UUID_SZ] = { 0 };
    bool found = false;
    struct jw w;

    if (webhook_log_retry(req->app->db, req->app->q, req->params[0], req->merchant.id, &found, id,
                          err)
        != 0) {
        return -1;
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Webhook log not found");
    }
    jw_init(&w, &resp->body);
    webhook_log_write_retry_json(&w, id);
    return http_resp_json(resp, &w, 200, err);
}

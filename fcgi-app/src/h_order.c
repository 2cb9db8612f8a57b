/* h_order.c: order endpoints (SPEC 6.2). Glue only: parse, call core/order.c, write. */
#include "handlers.h"

#include "jsonh.h"
#include "order.h"

#include <stdbool.h>

int
h_order_create(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct order_create_in in = { 0 };
    struct gw_err check = GW_ERR_INIT;
    struct idem_answer a;
    int ret;

    idem_answer_init(&a);
    (void)order_parse_create(req->body, &in, &check);
    if (check.code == GW_E_INTERNAL) {
        *err = check;
        ret = -1;
    } else {
        ret = order_create(req->app->db, &req->creds, &req->idem, &in, &check, &a, err);
    }
    if (ret == 0) {
        http_req_inline_done(req, &a);
        ret = http_resp_answer(resp, &a, err);
    }
    idem_answer_release(&a);
    order_create_in_release(&in);
    return ret;
}

int
h_order_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct order o = { 0 };
    bool found = false;
    struct jw w;
    int ret = -1;

    if (order_load(req->app->db, req->params[0], req->merchant.id, &o, &found, err) != 0) {
        goto out;
    }
    if (!found) {
        (void)GW_ERR(err, NOT_FOUND, "Order not found");
        goto out;
    }
    jw_init(&w, &resp->body);
    order_write_json(&w, &o);
    ret = http_resp_json(resp, &w, 200, err);
out:
    order_release(&o);
    return ret;
}

int
h_order_public(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct order o = { 0 };
    bool found = false;
    struct jw w;
    int ret = -1;

    if (order_load(req->app->db, req->params[0], NULL, &o, &found, err) != 0) {
        goto out;
    }
    if (!found) {
        (void)GW_ERR(err, NOT_FOUND, "Order not found");
        goto out;
    }
    jw_init(&w, &resp->body);
    order_write_public_json(&w, &o);
    ret = http_resp_json(resp, &w, 200, err);
out:
    order_release(&o);
    return ret;
}

int
h_order_list(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct order_list l = { 0 };
    int64_t limit = 0, offset = 0;
    struct jw w;
    int ret = -1;

    if (http_req_list_params(req, &limit, &offset, err) != 0) {
        goto out;
    }
    if (order_list(req->app->db, req->merchant.id, limit, offset, &l, err) != 0) {
        goto out;
    }
    jw_init(&w, &resp->body);
    order_list_write_json(&w, &l, limit, offset);
    ret = http_resp_json(resp, &w, 200, err);
out:
    order_list_release(&l);
    return ret;
}

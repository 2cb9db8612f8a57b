/* h_refund.c: refund endpoints (SPEC 6.5). Glue only: parse, call core/refund.c, write. */
#include "handlers.h"

#include "jsonh.h"
#include "refund.h"

#include <stdbool.h>
#include <string.h>

int
h_refund_create(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct refund_create_in in;
    struct gw_err check = GW_ERR_INIT;
    struct refund_created c;
    int ret;

    memset(&c, 0, sizeof(c));
    (void)refund_parse_create(req->body, &in, &check);
    ret = refund_create(req->app->db, req->app->q, &req->creds, &req->idem, req->params[0], &in,
                        &check, &c, err);
    if (ret == 0) {
        http_req_inline_done(req, &c.answer);
        ret = http_resp_answer(resp, &c.answer, err);
    }
    idem_answer_release(&c.answer);
    return ret;
}

int
h_refund_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct refund r = { 0 };
    bool found = false;
    struct jw w;

    if (refund_load(req->app->db, req->params[0], req->merchant.id, &r, &found, err) != 0) {
        return -1;
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Refund not found");
    }
    jw_init(&w, &resp->body);
    refund_write_json(&w, &r);
    return http_resp_json(resp, &w, 200, err);
}

int
h_payment_refund_list(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct refund_list l = { 0 };
    int64_t limit = 0, offset = 0;
    struct jw w;
    int ret = -1;

    if (http_req_list_params(req, &limit, &offset, err) != 0) {
        goto out;
    }
    if (refund_list(req->app->db, req->merchant.id, req->params[0], limit, offset, &l, err) != 0) {
        goto out;
    }
    jw_init(&w, &resp->body);
    refund_list_write_json(&w, &l, limit, offset);
    ret = http_resp_json(resp, &w, 200, err);
out:
    refund_list_release(&l);
    return ret;
}

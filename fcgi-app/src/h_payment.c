/* h_payment.c: payment endpoints (SPEC 6.3, 6.4). Glue only: parse, call core/payment.c,
 * write. */
#include "handlers.h"

#include "crypto.h"
#include "jsonh.h"
#include "log.h"
#include "payment.h"
#include "settle.h"
#include "validate.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

static int
h_payment_do_create(struct http_req *req, struct http_resp *resp, bool public_route,
                    struct gw_err *err)
{
    struct payment_created c;
    struct payment_input in;
    time_t now = time(NULL);
    struct tm tm;
    int ret;

    if (gmtime_r(&now, &tm) == NULL) {
        return GW_ERR(err, INTERNAL, "gmtime failed");
    }
    payment_input_parse(req->body, tm.tm_year + 1900, tm.tm_mon + 1, &in);
    memset(&c, 0, sizeof(c));
    ret = payment_create(req->app->db, req->app->q, &req->creds, public_route,
                         public_route ? NULL : &req->idem, &in, &c, err);
    if (ret == 0) {
        http_req_inline_done(req, &c.answer);
        ret = http_resp_answer(resp, &c.answer, err);
    }
    crypto_wipe(&in, sizeof(in));
    payment_created_release(&c);
    return ret;
}

int
h_payment_create(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    return h_payment_do_create(req, resp, false, err);
}

int
h_payment_create_public(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    return h_payment_do_create(req, resp, true, err);
}

static int
h_payment_show(struct http_req *req, struct http_resp *resp, bool public_view, struct gw_err *err)
{
    struct payment p = { 0 };
    bool found = false;
    struct jw w;

    if (public_view) {
        if (payment_load(req->app->db, req->params[0], NULL, &p, &found, err) != 0) {
            return -1;
        }
    } else if (payment_get(req->app->db, &req->creds, req->params[0], &p, &found, err) != 0) {
        return -1;
    } else if (req->auth_pending) {
        req->auth_pending = false;
        req->authenticated = true;
        gw_copy_str(req->merchant.id, sizeof(req->merchant.id), p.merchant_id);
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Payment not found");
    }
    jw_init(&w, &resp->body);
    if (public_view) {
        payment_write_public_json(&w, &p);
    } else {
        payment_write_json(&w, &p);
    }
    return http_resp_json(resp, &w, 200, err);
}

int
h_payment_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    return h_payment_show(req, resp, false, err);
}

int
h_payment_public_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    return h_payment_show(req, resp, true, err);
}

/* SPEC 22: the shopper's answer to a 3-D Secure challenge. The body check comes first (no
 * database needed), then the payment (404 unless it still waits for its challenge). */
int
h_payment_threeds(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct json_object *v = NULL;
    struct payment p = { 0 };
    bool approve, found = false;
    struct jw w;
    const char *r;

    if (!json_object_object_get_ex(req->body, "result", &v) || v == NULL
        || !json_object_is_type(v, json_type_string)) {
        return GW_ERR(err, BAD_REQUEST, "result must be approve or deny");
    }
    r = json_object_get_string(v);
    if ((size_t)json_object_get_string_len(v) != strlen(r)
        || (strcmp(r, "approve") != 0 && strcmp(r, "deny") != 0)) {
        return GW_ERR(err, BAD_REQUEST, "result must be approve or deny");
    }
    approve = strcmp(r, "approve") == 0;
    if (settle_threeds_answer(req->app->db, req->app->q, req->params[0], approve,
                              req->app->cfg->threeds_expiry_s, &p, &found, err)
        != 0) {
        return -1;
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Payment not found");
    }
    jw_init(&w, &resp->body);
    payment_write_public_json(&w, &p);
    return http_resp_json(resp, &w, 200, err);
}

static int
h_payment_filter(struct http_req *req, struct payment_filter *f, struct gw_err *err)
{
    const char *order_id = http_req_query(req, "order_id");

    if (payment_parse_filter(http_req_query(req, "status"), http_req_query(req, "method"),
                             http_req_query(req, "created_from"), http_req_query(req, "created_to"),
                             f, err)
        != 0) {
        return -1;
    }
    /* (extension) the dashboard's search by order id */
    if (order_id != NULL && !validate_object_id("order_", order_id)) {
        return GW_ERR(err, BAD_REQUEST, "order_id must be an order id");
    }
    f->order_id = order_id;
    return 0;
}

int
h_payment_list(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct payment_list l = { 0 };
    struct payment_filter f = { 0 };
    int64_t limit = 0, offset = 0;
    struct jw w;
    int ret = -1;

    if (http_req_list_params(req, &limit, &offset, err) != 0
        || h_payment_filter(req, &f, err) != 0) {
        goto out;
    }
    if (payment_list(req->app->db, req->merchant.id, &f, limit, offset, &l, err) != 0) {
        goto out;
    }
    jw_init(&w, &resp->body);
    payment_list_write_json(&w, &l, limit, offset);
    ret = http_resp_json(resp, &w, 200, err);
out:
    payment_list_release(&l);
    return ret;
}

int
h_payment_stats(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct payment_stats s = { 0 };
    struct jw w;

    if (payment_stats(req->app->db, req->merchant.id, &s, err) != 0) {
        return -1;
    }
    jw_init(&w, &resp->body);
    payment_stats_write_json(&w, &s);
    return http_resp_json(resp, &w, 200, err);
}

int
h_payment_stats_currencies(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct jw w;

    jw_init(&w, &resp->body);
    if (payment_stats_currencies_json(req->app->db, req->merchant.id, &w, err) != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

struct h_export_sink {
    struct http_req *req;
    struct http_resp *resp;
    bool started;
};

/* Headers go out with the first piece (after the first batch was read, so an unreachable
 * database still answers a plain 503), then every piece as it comes. */
static int
h_payment_export_sink(void *arg, const char *data, size_t len)
{
    static const char ct[] = "text/csv; charset=utf-8";
    struct h_export_sink *s = arg;

    if (!s->started) {
        memcpy(s->resp->content_type, ct, sizeof(ct));
        http_resp_set_header(s->resp, "Content-Disposition",
                             "attachment; filename=\"payments.csv\"");
        s->resp->status = 200;
        s->started = true;
        if (http_resp_stream_begin(s->resp, s->req) != 0) {
            return -1;
        }
    }
    return http_resp_stream_write(s->resp, s->req, data, len);
}

int
h_payment_export(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct h_export_sink sink = { req, resp, false };
    struct payment_filter f = { 0 };

    if (h_payment_filter(req, &f, err) != 0) {
        return -1;
    }
    buf_reset(&resp->body);
    if (payment_export_csv(req->app->db, req->merchant.id, &f, h_payment_export_sink, &sink, err)
        != 0) {
        if (sink.started) {
            /* 200 and part of the body are out: the client must not take it for complete */
            log_warn("payment export aborted", LOG_S("error", err->msg));
            http_resp_stream_abort(resp, req);
        }
        return -1;
    }
    return 0;
}

int
h_payment_capture(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct payment_capture_in in = { false, 0, GW_ERR_INIT };
    struct payment p = { 0 };
    struct jw w;

    (void)payment_parse_capture_amount(req->body, &in.has_amount, &in.amount, &in.check_err);
    if (payment_capture(req->app->db, req->merchant.id, req->params[0], &in, &p, err) != 0) {
        return -1;
    }
    jw_init(&w, &resp->body);
    payment_write_json(&w, &p);
    return http_resp_json(resp, &w, 200, err);
}

/* h_event.c: the events API (SPEC 21.1). Glue only: parse, call core/event.c, write. */
#include "handlers.h"

#include "cursor.h"
#include "event.h"
#include "jsonh.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* type, delivery_success, created[gte], created[lte]. */
static int
h_event_filter(struct http_req *req, struct event_filter *f, struct gw_err *err)
{
    const char *type = http_req_query(req, "type");
    const char *ds = http_req_query(req, "delivery_success");
    const char *gte = http_req_query(req, "created[gte]");
    const char *lte = http_req_query(req, "created[lte]");
    size_t len;

    memset(f, 0, sizeof(*f));
    f->delivery = -1;
    if (type != NULL) {
        len = strlen(type);
        if (!event_type_pattern_valid(type)) {
            return GW_ERR(err, BAD_REQUEST, "type must be a known event type or prefix");
        }
        if (strcmp(type, "*") == 0) {
            /* every type */
        } else if (len >= 2 && strcmp(type + len - 2, ".*") == 0) {
            (void)snprintf(f->prefix, sizeof(f->prefix), "%.*s", (int)(len - 1), type);
        } else {
            f->type = type;
        }
    }
    if (ds != NULL) {
        if (strcmp(ds, "true") == 0) {
            f->delivery = 1;
        } else if (strcmp(ds, "false") == 0) {
            f->delivery = 0;
        } else {
            return GW_ERR(err, BAD_REQUEST, "delivery_success must be true or false");
        }
    }
    if (gte != NULL) {
        if (!http_parse_uint(gte, &f->gte) || f->gte > 253402300799) {
            return GW_ERR(err, BAD_REQUEST, "created[gte] must be a Unix time");
        }
        f->has_gte = true;
    }
    if (lte != NULL) {
        if (!http_parse_uint(lte, &f->lte) || f->lte > 253402300799) {
            return GW_ERR(err, BAD_REQUEST, "created[lte] must be a Unix time");
        }
        f->has_lte = true;
    }
    return 0;
}

int
h_event_list(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct cursor_req c;
    struct event_filter f;
    struct jw w;

    if (http_req_cursor_params(req, &c, err) != 0 || h_event_filter(req, &f, err) != 0) {
        return -1;
    }
    jw_init(&w, &resp->body);
    if (event_list(req->app->db, req->merchant.id, &f, &c, &w, err) != 0) {
        return -1;
    }
    return http_resp_json(resp, &w, 200, err);
}

int
h_event_get(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    bool found = false;
    struct jw w;

    jw_init(&w, &resp->body);
    if (event_get(req->app->db, req->merchant.id, req->params[0], &w, &found, err) != 0) {
        return -1;
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Event not found");
    }
    return http_resp_json(resp, &w, 200, err);
}

int
h_event_resend(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct json_object *v = NULL;
    const char *endpoint_id = NULL;
    int64_t n = 0;

    if (json_object_object_get_ex(req->body, "endpoint_id", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_string)) {
            return GW_ERR(err, BAD_REQUEST, "endpoint_id must be a string");
        }
        endpoint_id = json_object_get_string(v);
        if (!validate_object_id("we_", endpoint_id)) {
            endpoint_id = "we_"; /* matches no endpoint: 404 once the event is known */
        }
    }
    if (event_resend(req->app->db, req->merchant.id, req->params[0], endpoint_id, &n, err) != 0) {
        return -1;
    }
    return h_event_deliveries_scheduled(resp, req->params[0], n, "Event resend scheduled", err);
}

int
h_event_deliveries_scheduled(struct http_resp *resp, const char *id, int64_t n, const char *message,
                             struct gw_err *err)
{
    struct jw w;

    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, id);
    jw_key(&w, "deliveries");
    jw_int(&w, n);
    if (message != NULL) {
        jw_key(&w, "message");
        jw_str(&w, message);
    }
    jw_obj_end(&w);
    return http_resp_json(resp, &w, 202, err);
}

/* h_health.c: health, test endpoints and /metrics (SPEC 6.1, 10.1, 18). */
#include "handlers.h"

#include "jsonh.h"
#include "merchant.h"
#include "metrics.h"
#include "queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
h_now_ts(char out[MODEL_TS_SZ])
{
    struct tm tm;
    time_t now = time(NULL);

    if (gmtime_r(&now, &tm) == NULL || strftime(out, MODEL_TS_SZ, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        (void)snprintf(out, MODEL_TS_SZ, "%s", "1970-01-01T00:00:00Z");
    }
}

/* Integer value of a Redis reply (INTEGER, numeric STRING, NIL -> 0); false on failure. */
static bool
h_redis_int(struct queue *q, long long *out, const char *cmd, const char *key)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct gw_err err = GW_ERR_INIT;
    bool ok;
    int rc;

    *out = 0;
    rc = queue_cmdv(q, &r, &err, cmd, key, (const char *)NULL);
    ok = rc == 0 && (r.type == QR_INTEGER || r.type == QR_STRING || r.type == QR_NIL);
    if (ok && r.type == QR_INTEGER) {
        *out = r.integer;
    } else if (ok && r.type == QR_STRING && r.str != NULL) {
        *out = strtoll(r.str, NULL, 10);
    }
    queue_reply_release(&r);
    return ok;
}

/* Sum of the values of a hash (HVALS). */
static bool
h_redis_hash_sum(struct queue *q, long long *out, const char *key)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct gw_err err = GW_ERR_INIT;
    bool ok = true;
    size_t i;

    *out = 0;
    if (queue_cmdv(q, &r, &err, "HVALS", key, (const char *)NULL) != 0 || r.type != QR_ARRAY) {
        ok = false;
    } else {
        for (i = 0; i < r.nelem; i++) {
            if (r.elem[i].type == QR_STRING && r.elem[i].str != NULL) {
                *out += strtoll(r.elem[i].str, NULL, 10);
            } else if (r.elem[i].type == QR_INTEGER) {
                *out += r.elem[i].integer;
            }
        }
    }
    queue_reply_release(&r);
    return ok;
}

int
h_health(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct app *app = req->app;
    char ts[MODEL_TS_SZ];
    bool db_ok, redis_ok, worker_ok = false;
    long long hb = 0;
    struct jw w;

    db_ok = app->db != NULL && db_ping(app->db, 2000);
    redis_ok = app->q != NULL && queue_ping(app->q);
    if (redis_ok && h_redis_int(app->q, &hb, "EXISTS", Q_HEARTBEAT)) {
        worker_ok = hb > 0;
    }
    h_now_ts(ts);
    resp->status = 200;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "status");
    jw_str(&w, db_ok && redis_ok && worker_ok ? "healthy" : "degraded");
    jw_key(&w, "database");
    jw_str(&w, db_ok ? "connected" : "disconnected");
    jw_key(&w, "redis");
    jw_str(&w, redis_ok ? "connected" : "disconnected");
    jw_key(&w, "worker");
    jw_str(&w, worker_ok ? "running" : "stopped");
    jw_key(&w, "timestamp");
    jw_str(&w, ts);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise health");
    }
    return 0;
}

int
h_test_merchant(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct merchant m;
    bool found = false;
    struct jw w;

    if (merchant_test_lookup(req->app->db, req->app->cfg->test_merchant_email, &m, &found, err)
        != 0) {
        return -1;
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Test merchant not found");
    }
    resp->status = 200;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, m.id);
    jw_key(&w, "email");
    jw_str(&w, m.email);
    jw_key(&w, "api_key");
    jw_str(&w, m.api_key);
    jw_key(&w, "seeded");
    jw_bool(&w, true);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise test merchant");
    }
    return 0;
}

int
h_test_jobs_status(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct queue *q = req->app->q;
    long long v[10] = { 0 };
    long long pending = 0, processing = 0, completed = 0, failed = 0, hb = 0;
    bool ok;
    struct jw w;

    ok = q != NULL && h_redis_int(q, &v[0], "LLEN", Q_PAYMENTS)
         && h_redis_int(q, &v[1], "LLEN", Q_REFUNDS) && h_redis_int(q, &v[2], "LLEN", Q_WEBHOOKS)
         && h_redis_int(q, &v[3], "LLEN", Q_PAYMENTS_PROCESSING)
         && h_redis_int(q, &v[4], "LLEN", Q_REFUNDS_PROCESSING)
         && h_redis_int(q, &v[5], "LLEN", Q_WEBHOOKS_PROCESSING)
         && h_redis_int(q, &v[6], "ZCARD", Q_PAYMENTS_DELAYED)
         && h_redis_int(q, &v[7], "ZCARD", Q_REFUNDS_DELAYED)
         && h_redis_int(q, &v[8], "GET", Q_INFLIGHT)
         && h_redis_hash_sum(q, &completed, Q_STATS_COMPLETED)
         && h_redis_hash_sum(q, &failed, Q_STATS_FAILED)
         && h_redis_int(q, &hb, "EXISTS", Q_HEARTBEAT);
    if (ok) {
        pending = v[0] + v[1] + v[2];
        processing = v[3] + v[4] + v[5] + v[6] + v[7] + v[8];
    } else {
        completed = 0;
        failed = 0;
        hb = 0;
    }
    resp->status = 200;
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "pending");
    jw_int(&w, pending);
    jw_key(&w, "processing");
    jw_int(&w, processing);
    jw_key(&w, "completed");
    jw_int(&w, completed);
    jw_key(&w, "failed");
    jw_int(&w, failed);
    jw_key(&w, "worker_status");
    jw_str(&w, hb > 0 ? "running" : "stopped");
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise job status");
    }
    return 0;
}

int
h_metrics(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    resp->status = 200;
    (void)snprintf(resp->content_type, sizeof(resp->content_type), "%s",
                   "text/plain; version=0.0.4; charset=utf-8");
    if (metrics_render(req->app, &resp->body) != 0) {
        return GW_ERR(err, INTERNAL, "cannot render metrics");
    }
    return 0;
}

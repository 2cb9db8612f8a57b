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

int
h_health(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct app *app = req->app;
    char ts[MODEL_TS_SZ];
    bool db_ok, redis_ok, worker_ok = false;
    struct gw_err qerr = GW_ERR_INIT;
    bool up = false;
    struct jw w;

    db_ok = app->db != NULL && db_ping(app->db, 2000);
    redis_ok = app->q != NULL && queue_ping(app->q);
    if (redis_ok && queue_worker_up(app->q, &up, &qerr) == 0) {
        worker_ok = up;
    }
    gw_utc_iso((int64_t)time(NULL), ts);
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
    struct gw_err qerr = GW_ERR_INIT;
    struct queue_depths d;
    struct queue_stats st;
    long long pending = 0, processing = 0, completed = 0, failed = 0;
    bool ok, running = false;
    struct jw w;

    /* SPEC 10.1: pending = the three waiting lists; processing = the three processing lists,
     * both delayed sets and worker:inflight */
    ok = q != NULL && queue_depths(q, &d, &qerr) == 0 && queue_stats(q, &st, &qerr) == 0;
    if (ok) {
        pending = d.waiting[0] + d.waiting[1] + d.waiting[2];
        processing = d.processing[0] + d.processing[1] + d.processing[2] + d.delayed[0]
                     + d.delayed[1] + d.inflight;
        completed = st.completed;
        failed = st.failed;
        running = st.worker_up;
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
    jw_str(&w, running ? "running" : "stopped");
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

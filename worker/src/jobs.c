/* jobs.c: payment and refund jobs (SPEC 8, 10.1, 10.3). */
#include "jobs.h"

#include "buf.h"
#include "event.h"
#include "jsonh.h"
#include "log.h"
#include "model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOBS_ID_MAX 63

#define TS_SQL(col) "to_char(" col ", 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const struct db_stmt st_pay_pending = {
    "wk_pay_pending",
    "SELECT id FROM payments WHERE id = ANY($1::varchar[]) AND status = 'pending'", 1
};

static const struct db_stmt st_ref_pending = {
    "wk_ref_pending", "SELECT id FROM refunds WHERE id = ANY($1::varchar[]) AND status = 'pending'",
    1
};

/* $2: outcome for upi, $3: outcome for card ('success' or 'failed'). */
static const struct db_stmt st_pay_settle = {
    "wk_pay_settle",
    "UPDATE payments SET status = CASE WHEN method = 'upi' THEN $2 ELSE $3 END, "
    "error_code = CASE WHEN (CASE WHEN method = 'upi' THEN $2 ELSE $3 END) = 'failed' "
    "THEN 'PAYMENT_FAILED' END, "
    "error_description = CASE WHEN (CASE WHEN method = 'upi' THEN $2 ELSE $3 END) = 'failed' "
    "THEN 'Payment processing failed' END, "
    "updated_at = now() WHERE id = $1 AND status = 'pending' "
    "RETURNING id, order_id, merchant_id, amount, currency, method, vpa, card_network, "
    "card_last4, status, error_code, error_description, " TS_SQL("created_at") ", " TS_SQL(
        "updated_at"),
    3
};

static const struct db_stmt st_ref_settle = {
    "wk_ref_settle",
    "UPDATE refunds SET status = 'processed', processed_at = now() "
    "WHERE id = $1 AND status = 'pending' "
    "RETURNING id, payment_id, merchant_id, amount, reason, status, " TS_SQL(
        "created_at") ", " TS_SQL("processed_at"),
    1
};

struct jobs_def {
    const char *type;
    const char *waiting;
    const char *processing;
    const char *delayed;
    const char *stat_field;
    const struct db_stmt *pending;
};

static const struct jobs_def jobs_defs[] = {
    { "payment", Q_PAYMENTS, Q_PAYMENTS_PROCESSING, Q_PAYMENTS_DELAYED, "payments",
      &st_pay_pending },
    { "refund", Q_REFUNDS, Q_REFUNDS_PROCESSING, Q_REFUNDS_DELAYED, "refunds", &st_ref_pending },
};

struct jobs_job {
    char *raw; /* the member exactly as stored in Redis */
    size_t rawlen;
    char id[JOBS_ID_MAX + 1];
    int deliveries;
    bool valid;
    bool pending;
};

static bool
jobs_id_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > JOBS_ID_MAX) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '_')) {
            return false;
        }
    }
    return true;
}

/* {"type":…,"id":…,"deliveries":n}; false when malformed or of the wrong type. */
static bool
jobs_parse(const char *raw, size_t len, const char *type, char id[JOBS_ID_MAX + 1], int *deliveries)
{
    struct json_object *root = NULL, *v = NULL;
    const char *s;
    size_t slen;
    int64_t d = 0;
    bool ok = false;

    root = jsonh_parse_value(raw, len);
    if (root == NULL || !json_object_is_type(root, json_type_object)) {
        goto out;
    }
    if (!json_object_object_get_ex(root, "type", &v) || !json_object_is_type(v, json_type_string)
        || strcmp(json_object_get_string(v), type) != 0) {
        goto out;
    }
    if (!json_object_object_get_ex(root, "id", &v) || !json_object_is_type(v, json_type_string)) {
        goto out;
    }
    s = json_object_get_string(v);
    slen = (size_t)json_object_get_string_len(v);
    if (!jobs_id_ok(s, slen)) {
        goto out;
    }
    memcpy(id, s, slen);
    id[slen] = '\0';
    if (json_object_object_get_ex(root, "deliveries", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_int)) {
            goto out;
        }
        d = json_object_get_int64(v);
        if (d < 0 || d > 1000) {
            goto out;
        }
    }
    *deliveries = (int)d;
    ok = true;
out:
    json_object_put(root);
    return ok;
}

static int
jobs_serialise(struct buf *b, const char *type, const char *id, int deliveries)
{
    struct jw jw;

    jw_init(&jw, b);
    jw_obj_begin(&jw);
    jw_key(&jw, "type");
    jw_str(&jw, type);
    jw_key(&jw, "id");
    jw_str(&jw, id);
    jw_key(&jw, "deliveries");
    jw_int(&jw, deliveries);
    jw_obj_end(&jw);
    return jw_finish(&jw);
}

static int
jobs_zadd(struct wk *w, const char *key, int64_t due_unix_ms, const char *member, size_t mlen,
          struct gw_err *err)
{
    char score[32];
    const char *argv[5];
    size_t lens[5];

    (void)snprintf(score, sizeof(score), "%" PRId64, due_unix_ms);
    argv[0] = "ZADD";
    argv[1] = key;
    argv[2] = "NX";
    argv[3] = score;
    argv[4] = member;
    lens[0] = 4;
    lens[1] = strlen(key);
    lens[2] = 2;
    lens[3] = strlen(score);
    lens[4] = mlen;
    return queue_cmd(w->q, NULL, err, 5, argv, lens);
}

static int
jobs_lrem(struct wk *w, const char *key, const char *member, size_t mlen, struct gw_err *err)
{
    const char *argv[4] = { "LREM", key, "1", member };
    size_t lens[4] = { 4, strlen(key), 1, mlen };

    return queue_cmd(w->q, NULL, err, 4, argv, lens);
}

static int64_t
jobs_delay_ms(struct wk *w, enum jobs_kind kind, struct gw_err *err)
{
    const struct cfg *c = w->cfg;
    int64_t d = 0;

    if (c->test_mode) {
        return c->test_processing_delay;
    }
    if (kind == JOBS_PAYMENT) {
        if (wk_random_range(c->processing_delay_min, c->processing_delay_max, &d, err) != 0) {
            return -1;
        }
    } else if (wk_random_range(3000, 5000, &d, err) != 0) {
        return -1;
    }
    return d;
}

/* Marks jobs[i].pending from one `id = ANY($1)` query. */
static int
jobs_check_pending(struct wk *w, const struct jobs_def *def, struct jobs_job *jobs, size_t n,
                   struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf arr;
    const char *params[1];
    size_t i;
    int r;
    int ret = -1;
    bool any = false;

    buf_init(&arr, 0);
    if (buf_putc(&arr, '{') != 0) {
        goto oom;
    }
    for (i = 0; i < n; i++) {
        if (!jobs[i].valid) {
            continue;
        }
        if ((any && buf_putc(&arr, ',') != 0) || buf_puts(&arr, jobs[i].id) != 0) {
            goto oom;
        }
        any = true;
    }
    if (buf_putc(&arr, '}') != 0) {
        goto oom;
    }
    if (!any) {
        ret = 0;
        goto out;
    }
    params[0] = arr.data;
    if (db_exec(w->db, def->pending, params, &res, err) != 0) {
        goto out;
    }
    for (r = 0; r < res.nrows; r++) {
        for (i = 0; i < n; i++) {
            if (jobs[i].valid && strcmp(jobs[i].id, db_val(&res, r, 0)) == 0) {
                jobs[i].pending = true;
            }
        }
    }
    ret = 0;
    goto out;
oom:
    ret = GW_ERR(err, INTERNAL, "cannot build id list");
out:
    db_res_release(&res);
    buf_release(&arr);
    return ret;
}

int
jobs_intake(struct wk *w, enum jobs_kind kind)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct jobs_job *jobs = NULL;
    size_t n = 0, i;
    int64_t delay, now;
    int ret = -1;

    jobs = xcalloc(WK_JOB_BATCH, sizeof(*jobs));
    while (n < WK_JOB_BATCH) {
        if (queue_cmdv(w->q, &r, &err, "LMOVE", def->waiting, def->processing, "RIGHT", "LEFT",
                       (const char *)NULL)
            != 0) {
            wk_queue_failed(w, &err);
            goto out;
        }
        if (r.type != QR_STRING) {
            queue_reply_release(&r);
            break;
        }
        jobs[n].raw = r.str;
        jobs[n].rawlen = r.len;
        r.str = NULL;
        queue_reply_release(&r);
        jobs[n].valid =
            jobs_parse(jobs[n].raw, jobs[n].rawlen, def->type, jobs[n].id, &jobs[n].deliveries);
        n++;
    }
    if (n == 0) {
        ret = 0;
        goto out;
    }
    if (jobs_check_pending(w, def, jobs, n, &err) != 0) {
        /* Put them back for a later tick; the database is the problem, not the jobs. */
        log_warn("job intake deferred", LOG_S("type", def->type), LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        gw_err_clear(&err);
        for (i = 0; i < n; i++) {
            const char *argv[3] = { "RPUSH", def->waiting, jobs[i].raw };
            size_t lens[3] = { 5, strlen(def->waiting), jobs[i].rawlen };
            if (queue_cmd(w->q, NULL, &err, 3, argv, lens) != 0
                || jobs_lrem(w, def->processing, jobs[i].raw, jobs[i].rawlen, &err) != 0) {
                wk_queue_failed(w, &err);
                break;
            }
        }
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (!jobs[i].valid) {
            log_warn("malformed job dropped", LOG_S("type", def->type));
        } else if (!jobs[i].pending) {
            log_info("job dropped", LOG_S("type", def->type), LOG_S("id", jobs[i].id),
                     LOG_S("reason", "not pending"));
        } else {
            delay = jobs_delay_ms(w, kind, &err);
            if (delay < 0) {
                log_error("cannot draw bank delay", LOG_S("error", err.msg));
                gw_err_clear(&err);
                delay = w->cfg->test_mode ? w->cfg->test_processing_delay : 5000;
            }
            now = wk_unix_ms();
            if (jobs_zadd(w, def->delayed, now + delay, jobs[i].raw, jobs[i].rawlen, &err) != 0) {
                wk_queue_failed(w, &err);
                goto out;
            }
            log_debug("job scheduled", LOG_S("type", def->type), LOG_S("id", jobs[i].id),
                      LOG_I("delay_ms", delay), LOG_I("deliveries", jobs[i].deliveries));
        }
        if (jobs_lrem(w, def->processing, jobs[i].raw, jobs[i].rawlen, &err) != 0) {
            wk_queue_failed(w, &err);
            goto out;
        }
    }
    ret = (int)n;
out:
    queue_reply_release(&r);
    for (i = 0; i < n; i++) {
        free(jobs[i].raw);
    }
    free(jobs);
    return ret;
}

/* ---- running a due job ------------------------------------------------------------------- */

struct jobs_tx {
    const char *id;
    const char *upi_outcome;
    const char *card_outcome;
    bool changed;
    char status[16];
    char log_id[MODEL_UUID_SZ];
};

static void
jobs_copy(char *dst, size_t dstsz, const char *src)
{
    (void)snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

static int
jobs_pay_tx(struct db *db, void *arg, struct gw_err *err)
{
    struct jobs_tx *t = arg;
    struct db_res res = DB_RES_INIT;
    struct payment *p = NULL;
    const char *params[3] = { t->id, t->upi_outcome, t->card_outcome };
    int ret = -1;

    t->changed = false;
    t->log_id[0] = '\0';
    if (db_exec(db, &st_pay_settle, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        ret = 0;
        goto out;
    }
    p = xcalloc(1, sizeof(*p));
    jobs_copy(p->id, sizeof(p->id), db_val(&res, 0, 0));
    jobs_copy(p->order_id, sizeof(p->order_id), db_val(&res, 0, 1));
    jobs_copy(p->merchant_id, sizeof(p->merchant_id), db_val(&res, 0, 2));
    p->amount = db_int(&res, 0, 3);
    jobs_copy(p->currency, sizeof(p->currency), db_val(&res, 0, 4));
    jobs_copy(p->method, sizeof(p->method), db_val(&res, 0, 5));
    jobs_copy(p->vpa, sizeof(p->vpa), db_val(&res, 0, 6));
    jobs_copy(p->card_network, sizeof(p->card_network), db_val(&res, 0, 7));
    jobs_copy(p->card_last4, sizeof(p->card_last4), db_val(&res, 0, 8));
    jobs_copy(p->status, sizeof(p->status), db_val(&res, 0, 9));
    jobs_copy(p->error_code, sizeof(p->error_code), db_val(&res, 0, 10));
    jobs_copy(p->error_description, sizeof(p->error_description), db_val(&res, 0, 11));
    jobs_copy(p->created_at, sizeof(p->created_at), db_val(&res, 0, 12));
    jobs_copy(p->updated_at, sizeof(p->updated_at), db_val(&res, 0, 13));
    t->changed = true;
    jobs_copy(t->status, sizeof(t->status), p->status);
    if (event_create(db, p->merchant_id,
                     strcmp(p->status, "success") == 0 ? EVENT_PAYMENT_SUCCESS
                                                       : EVENT_PAYMENT_FAILED,
                     p, NULL, t->log_id, err)
        != 0) {
        goto out;
    }
    ret = 0;
out:
    free(p);
    db_res_release(&res);
    return ret;
}

static int
jobs_ref_tx(struct db *db, void *arg, struct gw_err *err)
{
    struct jobs_tx *t = arg;
    struct db_res res = DB_RES_INIT;
    struct refund *r = NULL;
    const char *params[1] = { t->id };
    int ret = -1;

    t->changed = false;
    t->log_id[0] = '\0';
    if (db_exec(db, &st_ref_settle, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        ret = 0;
        goto out;
    }
    r = xcalloc(1, sizeof(*r));
    jobs_copy(r->id, sizeof(r->id), db_val(&res, 0, 0));
    jobs_copy(r->payment_id, sizeof(r->payment_id), db_val(&res, 0, 1));
    jobs_copy(r->merchant_id, sizeof(r->merchant_id), db_val(&res, 0, 2));
    r->amount = db_int(&res, 0, 3);
    r->has_reason = !db_isnull(&res, 0, 4);
    jobs_copy(r->reason, sizeof(r->reason), db_val(&res, 0, 4));
    jobs_copy(r->status, sizeof(r->status), db_val(&res, 0, 5));
    jobs_copy(r->created_at, sizeof(r->created_at), db_val(&res, 0, 6));
    jobs_copy(r->processed_at, sizeof(r->processed_at), db_val(&res, 0, 7));
    t->changed = true;
    jobs_copy(t->status, sizeof(t->status), r->status);
    if (event_create(db, r->merchant_id, EVENT_REFUND_PROCESSED, NULL, r, t->log_id, err) != 0) {
        goto out;
    }
    ret = 0;
out:
    free(r);
    db_res_release(&res);
    return ret;
}

static const char *
jobs_outcome(struct wk *w, double rate)
{
    struct gw_err err = GW_ERR_INIT;
    double u = 0;

    if (w->cfg->test_mode) {
        return w->cfg->test_payment_success ? "success" : "failed";
    }
    if (wk_random_unit(&u, &err) != 0) {
        log_error("cannot draw outcome", LOG_S("error", err.msg));
        return "failed";
    }
    return u < rate ? "success" : "failed";
}

static void
jobs_push_dlq(struct wk *w, const struct jobs_def *def, const char *id, const char *reason)
{
    struct gw_err err = GW_ERR_INIT;
    struct buf b;
    struct jw jw;
    char now[32];

    wk_utc_now(now);
    buf_init(&b, 8 * KIB);
    jw_init(&jw, &b);
    jw_obj_begin(&jw);
    jw_key(&jw, "type");
    jw_str(&jw, def->type);
    jw_key(&jw, "id");
    jw_str(&jw, id);
    jw_key(&jw, "reason");
    jw_str(&jw, reason);
    jw_key(&jw, "failed_at");
    jw_str(&jw, now);
    jw_obj_end(&jw);
    if (jw_finish(&jw) != 0
        || queue_cmdv(w->q, NULL, &err, "LPUSH", Q_DLQ, b.data, (const char *)NULL) != 0
        || queue_cmdv(w->q, NULL, &err, "HINCRBY", Q_STATS_FAILED, def->stat_field, "1",
                      (const char *)NULL)
               != 0) {
        log_error("cannot record dead job", LOG_S("type", def->type), LOG_S("id", id));
        wk_queue_failed(w, &err);
    }
    buf_release(&b);
}

/* Internal failure: back to the delayed set with deliveries + 1, or the dlq at 5. */
static void
jobs_retry(struct wk *w, const struct jobs_def *def, const char *id, int deliveries,
           const struct gw_err *cause)
{
    struct gw_err err = GW_ERR_INIT;
    struct buf b;
    int next = deliveries + 1;

    if (cause->code == GW_E_UNAVAILABLE && !db_is_connected(w->db)) {
        /* The database went away: not the job's fault, try again after the reconnect. */
        next = deliveries;
    }
    if (next >= WK_MAX_DELIVERIES) {
        log_error("job failed for good", LOG_S("type", def->type), LOG_S("id", id),
                  LOG_I("deliveries", next), LOG_S("reason", cause->msg));
        jobs_push_dlq(w, def, id, cause->msg[0] != '\0' ? cause->msg : "internal error");
        return;
    }
    buf_init(&b, 4 * KIB);
    if (jobs_serialise(&b, def->type, id, next) != 0
        || jobs_zadd(w, def->delayed, wk_unix_ms() + ((int64_t)1000 << next), b.data, b.len, &err)
               != 0) {
        wk_queue_failed(w, &err);
    }
    log_warn("job retry scheduled", LOG_S("type", def->type), LOG_S("id", id),
             LOG_I("deliveries", next), LOG_S("reason", cause->msg));
    buf_release(&b);
}

static void
jobs_run_one(struct wk *w, enum jobs_kind kind, const char *raw, size_t rawlen, int64_t due)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct jobs_tx t;
    char id[JOBS_ID_MAX + 1];
    int deliveries = 0;
    int rc;

    if (!jobs_parse(raw, rawlen, def->type, id, &deliveries)) {
        log_warn("malformed job dropped", LOG_S("type", def->type));
        return;
    }
    memset(&t, 0, sizeof(t));
    t.id = id;
    if (kind == JOBS_PAYMENT) {
        t.upi_outcome = jobs_outcome(w, w->cfg->upi_success_rate);
        t.card_outcome = jobs_outcome(w, w->cfg->card_success_rate);
        rc = db_tx(w->db, jobs_pay_tx, &t, &err);
    } else {
        rc = db_tx(w->db, jobs_ref_tx, &t, &err);
    }
    if (rc != 0) {
        log_warn("job failed", LOG_S("type", def->type), LOG_S("id", id),
                 LOG_I("deliveries", deliveries), LOG_S("error", err.msg));
        jobs_retry(w, def, id, deliveries, &err);
        wk_db_failed(w, &err);
        return;
    }
    if (!t.changed) {
        log_info("job done", LOG_S("type", def->type), LOG_S("id", id),
                 LOG_S("outcome", "already final"));
        return;
    }
    log_info("job done", LOG_S("type", def->type), LOG_S("id", id), LOG_S("outcome", t.status),
             LOG_S("webhook_id", t.log_id), LOG_I("late_ms", wk_unix_ms() - due));
    if (t.log_id[0] != '\0' && queue_push_webhook(w->q, t.log_id, &err) != 0) {
        /* The database poll finds the log anyway. */
        wk_queue_failed(w, &err);
        return;
    }
    if (queue_cmdv(w->q, NULL, &err, "HINCRBY", Q_STATS_COMPLETED, def->stat_field, "1",
                   (const char *)NULL)
        != 0) {
        wk_queue_failed(w, &err);
    }
}

int
jobs_run_due(struct wk *w, enum jobs_kind kind, int64_t deadline_ms, bool *more)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_reply z = QUEUE_REPLY_INIT;
    char now[32], lim[16];
    size_t i;
    int done = 0;
    int ret = -1;

    *more = false;
    (void)snprintf(now, sizeof(now), "%" PRId64, wk_unix_ms());
    (void)snprintf(lim, sizeof(lim), "%d", WK_DUE_BATCH);
    if (queue_cmdv(w->q, &r, &err, "ZRANGEBYSCORE", def->delayed, "-inf", now, "WITHSCORES",
                   "LIMIT", "0", lim, (const char *)NULL)
        != 0) {
        wk_queue_failed(w, &err);
        goto out;
    }
    if (r.type != QR_ARRAY) {
        ret = 0;
        goto out;
    }
    for (i = 0; i + 1 < r.nelem; i += 2) {
        const struct queue_reply *m = &r.elem[i];
        const char *argv[3] = { "ZREM", def->delayed, m->str };
        size_t lens[3] = { 4, strlen(def->delayed), m->len };
        int64_t due = r.elem[i + 1].str != NULL ? strtoll(r.elem[i + 1].str, NULL, 10) : 0;

        if (wk_now_ms() >= deadline_ms || !w->dbl.up || !w->ql.up || w->stopping) {
            *more = true;
            break;
        }
        if (m->type != QR_STRING) {
            continue;
        }
        if (queue_cmd(w->q, &z, &err, 3, argv, lens) != 0) {
            wk_queue_failed(w, &err);
            goto out;
        }
        if (z.type == QR_INTEGER && z.integer == 1) {
            jobs_run_one(w, kind, m->str, m->len, due);
            done++;
        }
        queue_reply_release(&z);
    }
    if (r.nelem / 2 >= WK_DUE_BATCH) {
        *more = true;
    }
    ret = done;
out:
    queue_reply_release(&z);
    queue_reply_release(&r);
    return ret;
}

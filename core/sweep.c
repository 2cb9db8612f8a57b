/* sweep.c: recovery sweep (SPEC 10.4), processing-list requeue and hourly housekeeping. */
#include "sweep.h"

#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX_BATCHES 10000

static const struct db_stmt st_sweep_cutoff = {
    "sweep_cutoff",
    "SELECT (clock_timestamp() - $1::bigint * interval '1 millisecond')::timestamp::text", 1
};

/* A payment whose bank answer is unknown (bank_requery_at set, SPEC 22) is the reconciler's: it
 * is re-queried from the database, never re-sent to the bank as a new job. */
static const struct db_stmt st_sweep_payments = {
    "sweep_payments",
    "WITH c AS (SELECT id FROM payments WHERE status = 'pending' AND bank_requery_at IS NULL "
    "AND (enqueued_at IS NULL OR "
    "enqueued_at < $1::timestamp) ORDER BY enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE payments p SET enqueued_at = now(), taken_at = NULL FROM c WHERE p.id = c.id "
    "RETURNING p.id",
    2
};

static const struct db_stmt st_sweep_refunds = {
    "sweep_refunds",
    "WITH c AS (SELECT id FROM refunds WHERE status = 'pending' AND (enqueued_at IS NULL OR "
    "enqueued_at < $1::timestamp) ORDER BY enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE refunds r SET enqueued_at = now(), taken_at = NULL FROM c WHERE r.id = c.id "
    "RETURNING r.id",
    2
};

/*
 * The unpushed sweep: pending rows no worker took ($1 ms after they were enqueued) that are
 * younger than the periodic sweep's age ($2 ms, which takes the older ones). Bounded: it reads
 * the partial index on (enqueued_at) WHERE status = 'pending' over that window only, i.e. the
 * payments in flight, and checks taken_at on their rows.
 */
static const struct db_stmt st_unpushed_payments = {
    "sweep_unpushed_payments",
    "WITH c AS (SELECT id FROM payments WHERE status = 'pending' AND taken_at IS NULL "
    "AND bank_requery_at IS NULL "
    "AND enqueued_at < now() - $1::bigint * interval '1 millisecond' "
    "AND enqueued_at >= now() - $2::bigint * interval '1 millisecond' "
    "ORDER BY enqueued_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "UPDATE payments p SET enqueued_at = now() FROM c WHERE p.id = c.id RETURNING p.id",
    3
};

static const struct db_stmt st_unpushed_refunds = {
    "sweep_unpushed_refunds",
    "WITH c AS (SELECT id FROM refunds WHERE status = 'pending' AND taken_at IS NULL "
    "AND enqueued_at < now() - $1::bigint * interval '1 millisecond' "
    "AND enqueued_at >= now() - $2::bigint * interval '1 millisecond' "
    "ORDER BY enqueued_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
    "UPDATE refunds r SET enqueued_at = now() FROM c WHERE r.id = c.id RETURNING r.id",
    3
};

static const struct db_stmt st_sweep_idem = {
    "sweep_idem", "DELETE FROM idempotency_keys WHERE expires_at < now()", 0
};

/* Expired sessions, and login failures and blocks past their 15-minute window (SPEC 17). */
static const struct db_stmt st_sweep_sessions = {
    "sweep_sessions",
    "WITH f AS (DELETE FROM login_failures WHERE failed_at < now() - interval '900 seconds'), "
    "b AS (DELETE FROM login_blocks WHERE blocked_until < now()) "
    "DELETE FROM dashboard_sessions WHERE expires_at < now()",
    0
};

/* Pushes a new job (deliveries 0) for every id of res (column 0). */
static int
sweep_push(struct queue *q, enum queue_kind kind, const struct db_res *res, struct gw_err *err)
{
    struct queue_job *jobs;
    int i;
    int ret;

    if (res->nrows == 0) {
        return 0;
    }
    jobs = xcalloc((size_t)res->nrows, sizeof(*jobs));
    for (i = 0; i < res->nrows; i++) {
        jobs[i].kind = kind;
        gw_copy_str(jobs[i].id, sizeof(jobs[i].id), db_val(res, i, 0));
        jobs[i].deliveries = 0;
    }
    ret = queue_push_jobs(q, jobs, (size_t)res->nrows, err);
    free(jobs);
    return ret;
}

static int
sweep_table(struct db *db, struct queue *q, const struct db_stmt *st, enum queue_kind kind,
            int64_t age_ms, int64_t *count, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char agebuf[32];
    char limbuf[16];
    char *cutoff = NULL;
    const char *params[2];
    int batches;
    int ret = -1;

    *count = 0;
    (void)snprintf(agebuf, sizeof(agebuf), "%" PRId64, age_ms);
    params[0] = agebuf;
    if (db_exec(db, &st_sweep_cutoff, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows != 1 || db_val(&res, 0, 0) == NULL) {
        ret = GW_ERR(err, INTERNAL, "sweep cutoff query returned no row");
        goto out;
    }
    cutoff = xstrdup(db_val(&res, 0, 0));
    db_res_release(&res);
    (void)snprintf(limbuf, sizeof(limbuf), "%d", SWEEP_BATCH);
    params[0] = cutoff;
    params[1] = limbuf;
    for (batches = 0; batches < SWEEP_MAX_BATCHES; batches++) {
        if (db_exec(db, st, params, &res, err) != 0) {
            goto out;
        }
        if (res.nrows > 0) {
            if (sweep_push(q, kind, &res, err) != 0) {
                goto out;
            }
            *count += res.nrows;
        }
        if (res.nrows < SWEEP_BATCH) {
            break;
        }
        db_res_release(&res);
    }
    ret = 0;
out:
    db_res_release(&res);
    free(cutoff);
    return ret;
}

int
sweep_run(struct db *db, struct queue *q, const struct cfg *cfg, bool all, struct sweep_counts *out,
          struct gw_err *err)
{
    int64_t pay_d = cfg->test_mode ? cfg->test_processing_delay : cfg->processing_delay_max;
    int64_t ref_d = cfg->test_mode ? cfg->test_processing_delay : SWEEP_REFUND_D_MS;

    out->payments = 0;
    out->refunds = 0;
    if (sweep_table(db, q, &st_sweep_payments, QUEUE_PAYMENT, all ? 0 : pay_d + SWEEP_GRACE_MS,
                    &out->payments, err)
        != 0) {
        return -1;
    }
    if (sweep_table(db, q, &st_sweep_refunds, QUEUE_REFUND, all ? 0 : ref_d + SWEEP_GRACE_MS,
                    &out->refunds, err)
        != 0) {
        return -1;
    }
    if (out->payments > 0 || out->refunds > 0) {
        log_info("sweep re-enqueued jobs", LOG_I("payments", out->payments),
                 LOG_I("refunds", out->refunds));
    }
    return 0;
}

/* One batch of the unpushed sweep of one table; *count receives the jobs pushed. */
static int
sweep_unpushed_table(struct db *db, struct queue *q, const struct db_stmt *st, enum queue_kind kind,
                     int64_t max_age_ms, int64_t *count, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char minbuf[24], maxbuf[24], limbuf[16];
    const char *params[3];
    int ret = -1;

    (void)snprintf(minbuf, sizeof(minbuf), "%d", SWEEP_UNPUSHED_AGE_MS);
    (void)snprintf(maxbuf, sizeof(maxbuf), "%" PRId64, max_age_ms);
    (void)snprintf(limbuf, sizeof(limbuf), "%d", SWEEP_BATCH);
    params[0] = minbuf;
    params[1] = maxbuf;
    params[2] = limbuf;
    *count = 0;
    if (db_exec(db, st, params, &res, err) != 0) {
        goto out;
    }
    if (sweep_push(q, kind, &res, err) != 0) {
        goto out;
    }
    *count = res.nrows;
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
sweep_unpushed(struct db *db, struct queue *q, const struct cfg *cfg, struct sweep_counts *out,
               struct gw_err *err)
{
    int64_t pay_d = cfg->test_mode ? cfg->test_processing_delay : cfg->processing_delay_max;
    int64_t ref_d = cfg->test_mode ? cfg->test_processing_delay : SWEEP_REFUND_D_MS;

    out->payments = 0;
    out->refunds = 0;
    if (sweep_unpushed_table(db, q, &st_unpushed_payments, QUEUE_PAYMENT, pay_d + SWEEP_GRACE_MS,
                             &out->payments, err)
            != 0
        || sweep_unpushed_table(db, q, &st_unpushed_refunds, QUEUE_REFUND, ref_d + SWEEP_GRACE_MS,
                                &out->refunds, err)
               != 0) {
        return -1;
    }
    if (out->payments > 0 || out->refunds > 0) {
        log_info("unpushed jobs re-enqueued", LOG_I("payments", out->payments),
                 LOG_I("refunds", out->refunds));
    }
    return 0;
}

int
sweep_requeue_processing(struct queue *q, int64_t *moved, struct gw_err *err)
{
    return queue_requeue_processing(q, moved, err);
}

int
sweep_housekeeping(struct db *db, int64_t *idem, int64_t *sessions, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    int ret = -1;

    if (db_exec(db, &st_sweep_idem, NULL, &res, err) != 0) {
        goto out;
    }
    if (idem != NULL) {
        *idem = res.affected;
    }
    db_res_release(&res);
    if (db_exec(db, &st_sweep_sessions, NULL, &res, err) != 0) {
        goto out;
    }
    if (sessions != NULL) {
        *sessions = res.affected;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

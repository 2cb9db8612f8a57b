/* sweep.c: recovery sweep (SPEC 10.4), processing-list requeue and hourly housekeeping. */
#include "sweep.h"

#include "buf.h"
#include "jsonh.h"
#include "log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_MAX_BATCHES 10000
#define SWEEP_MAX_REQUEUE 10000000

static const struct db_stmt st_sweep_cutoff = {
    "sweep_cutoff",
    "SELECT (clock_timestamp() - $1::bigint * interval '1 millisecond')::timestamp::text", 1
};

static const struct db_stmt st_sweep_payments = {
    "sweep_payments",
    "WITH c AS (SELECT id FROM payments WHERE status = 'pending' AND (enqueued_at IS NULL OR "
    "enqueued_at < $1::timestamp) ORDER BY enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE payments p SET enqueued_at = now() FROM c WHERE p.id = c.id RETURNING p.id",
    2
};

static const struct db_stmt st_sweep_refunds = {
    "sweep_refunds",
    "WITH c AS (SELECT id FROM refunds WHERE status = 'pending' AND (enqueued_at IS NULL OR "
    "enqueued_at < $1::timestamp) ORDER BY enqueued_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
    "UPDATE refunds r SET enqueued_at = now() FROM c WHERE r.id = c.id RETURNING r.id",
    2
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

/* LPUSH key job1 job2 … for every id of res (column 0). */
static int
sweep_push(struct queue *q, const char *type, const char *key, const struct db_res *res,
           struct gw_err *err)
{
    const char **argv = NULL;
    size_t *lens = NULL;
    struct buf *jobs = NULL;
    struct jw w;
    int n = res->nrows;
    int i;
    int ret = -1;

    if (n == 0) {
        return 0;
    }
    argv = xcalloc((size_t)n + 2, sizeof(*argv));
    lens = xcalloc((size_t)n + 2, sizeof(*lens));
    jobs = xcalloc((size_t)n, sizeof(*jobs));
    argv[0] = "LPUSH";
    lens[0] = 5;
    argv[1] = key;
    lens[1] = strlen(key);
    for (i = 0; i < n; i++) {
        buf_init(&jobs[i], (size_t)4 * KIB);
        jw_init(&w, &jobs[i]);
        jw_obj_begin(&w);
        jw_key(&w, "type");
        jw_str(&w, type);
        jw_key(&w, "id");
        jw_str(&w, db_val(res, i, 0));
        jw_key(&w, "deliveries");
        jw_int(&w, 0);
        jw_obj_end(&w);
        if (jw_finish(&w) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot serialise job");
            goto out;
        }
        argv[i + 2] = jobs[i].data;
        lens[i + 2] = jobs[i].len;
    }
    ret = queue_cmd(q, NULL, err, n + 2, argv, lens);
out:
    for (i = 0; i < n; i++) {
        if (jobs[i].data != NULL) {
            buf_release(&jobs[i]);
        }
    }
    free(jobs);
    free(lens);
    free(argv);
    return ret;
}

static int
sweep_table(struct db *db, struct queue *q, const struct db_stmt *st, const char *type,
            const char *key, int64_t age_ms, int64_t *count, struct gw_err *err)
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
            if (sweep_push(q, type, key, &res, err) != 0) {
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
    if (sweep_table(db, q, &st_sweep_payments, "payment", Q_PAYMENTS,
                    all ? 0 : pay_d + SWEEP_GRACE_MS, &out->payments, err)
        != 0) {
        return -1;
    }
    if (sweep_table(db, q, &st_sweep_refunds, "refund", Q_REFUNDS, all ? 0 : ref_d + SWEEP_GRACE_MS,
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

int
sweep_requeue_processing(struct queue *q, int64_t *moved, struct gw_err *err)
{
    static const char *const pairs[][2] = {
        { Q_PAYMENTS_PROCESSING, Q_PAYMENTS },
        { Q_REFUNDS_PROCESSING, Q_REFUNDS },
        { Q_WEBHOOKS_PROCESSING, Q_WEBHOOKS },
    };
    struct queue_reply r = QUEUE_REPLY_INIT;
    size_t i;
    int64_t n;

    *moved = 0;
    for (i = 0; i < ARRAY_LEN(pairs); i++) {
        for (n = 0; n < SWEEP_MAX_REQUEUE; n++) {
            if (queue_cmdv(q, &r, err, "LMOVE", pairs[i][0], pairs[i][1], "RIGHT", "RIGHT",
                           (const char *)NULL)
                != 0) {
                return -1;
            }
            if (r.type != QR_STRING) {
                queue_reply_release(&r);
                break;
            }
            queue_reply_release(&r);
            (*moved)++;
        }
    }
    return 0;
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

/* jobs.c: payment and refund jobs (SPEC 8, 10.1, 10.3): the bank simulation and the order of
 * core calls; no statement and no Redis command lives here. */
#include "jobs.h"

#include "log.h"
#include "settle.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int
jobs_bank_delay(const struct cfg *c, enum jobs_kind kind, int64_t *out, struct gw_err *err)
{
    if (c->test_mode) {
        *out = c->test_processing_delay;
        return 0;
    }
    if (kind == JOBS_PAYMENT) {
        return wk_random_range(c->processing_delay_min, c->processing_delay_max, out, err);
    }
    return wk_random_range(JOBS_REFUND_DELAY_MIN, JOBS_REFUND_DELAY_MAX, out, err);
}

/* ---- intake ------------------------------------------------------------------------------- */

/* The due time of a taken job: now plus the bank delay, or -1 to drop it. */
static int64_t
jobs_due(struct wk *w, enum jobs_kind kind, const struct queue_item *it, bool pending, int64_t now)
{
    struct gw_err err = GW_ERR_INIT;
    const char *type = queue_kind_name((enum queue_kind)kind);
    int64_t delay = 0;

    if (!it->valid) {
        log_warn("malformed job dropped", LOG_S("type", type));
        return -1;
    }
    if (!pending) {
        log_info("job dropped", LOG_S("type", type), LOG_S("id", it->job.id),
                 LOG_S("reason", "not pending"));
        return -1;
    }
    if (jobs_bank_delay(w->cfg, kind, &delay, &err) != 0) {
        log_error("cannot draw bank delay", LOG_S("error", err.msg));
        delay = w->cfg->test_mode ? w->cfg->test_processing_delay : 5000;
    }
    log_debug("job scheduled", LOG_S("type", type), LOG_S("id", it->job.id),
              LOG_I("delay_ms", delay), LOG_I("deliveries", it->job.deliveries));
    return now + delay;
}

int
jobs_intake(struct wk *w, enum jobs_kind kind)
{
    struct gw_err err = GW_ERR_INIT;
    struct queue_batch b = { (enum queue_kind)kind, NULL, 0 };
    const char *type = queue_kind_name((enum queue_kind)kind);
    const char **ids = NULL;
    bool *pending = NULL;
    int64_t *due = NULL;
    size_t i, nv = 0;
    int64_t now;
    int ret = -1;

    if (queue_take(w->q, (enum queue_kind)kind, WK_JOB_BATCH, &b, &err) != 0) {
        wk_queue_failed(w, &err);
        goto out;
    }
    if (b.n == 0) {
        ret = 0;
        goto out;
    }
    now = gw_unix_ms(); /* the bank delay counts from here */
    ids = xcalloc(b.n, sizeof(*ids));
    pending = xcalloc(b.n, sizeof(*pending));
    due = xcalloc(b.n, sizeof(*due));
    for (i = 0; i < b.n; i++) {
        if (b.items[i].valid) {
            ids[nv++] = b.items[i].job.id;
        }
    }
    if (settle_take(w->db, (enum queue_kind)kind, ids, nv, pending, &err) != 0) {
        /* Put them back for a later tick; the database is the problem, not the jobs. */
        log_warn("job intake deferred", LOG_S("type", type), LOG_I("jobs", b.n),
                 LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        gw_err_clear(&err);
        if (queue_putback(w->q, &b, &err) != 0) {
            /* They stay in the processing list: the next start or `jobs recover` requeues
             * them, and the sweeps find their objects anyway. */
            wk_queue_failed(w, &err);
        }
        goto out;
    }
    for (i = 0, nv = 0; i < b.n; i++) {
        due[i] = jobs_due(w, kind, &b.items[i], b.items[i].valid && pending[nv], now);
        if (b.items[i].valid) {
            nv++;
        }
    }
    if (queue_schedule(w->q, &b, due, &err) != 0) {
        /* Left in the processing list; requeued at the next start, and the sweep finds the
         * objects anyway. */
        wk_queue_failed(w, &err);
        goto out;
    }
    log_info("jobs taken", LOG_S("type", type), LOG_I("jobs", b.n),
             LOG_I("ms", gw_unix_ms() - now));
    ret = (int)b.n;
out:
    free(due);
    free(pending);
    free(ids);
    queue_batch_release(&b);
    return ret;
}

/* ---- outcomes and retries ----------------------------------------------------------------- */

static const char *
jobs_outcome(struct wk *w, double rate)
{
    struct gw_err err = GW_ERR_INIT;
    double u = 0;

    if (w->cfg->test_mode) {
        return w->cfg->test_payment_success ? SETTLE_SUCCESS : SETTLE_FAILED;
    }
    if (wk_random_unit(&u, &err) != 0) {
        log_error("cannot draw outcome", LOG_S("error", err.msg));
        return SETTLE_FAILED;
    }
    return u < rate ? SETTLE_SUCCESS : SETTLE_FAILED;
}

/* Internal failure: back to the delayed set with deliveries + 1, or the dlq at 5. */
static void
jobs_retry(struct wk *w, const struct queue_item *it, const struct gw_err *cause)
{
    struct gw_err err = GW_ERR_INIT;
    const char *type = queue_kind_name(it->job.kind);
    const char *reason = cause->msg[0] != '\0' ? cause->msg : "internal error";
    int next = it->job.deliveries + 1;
    char now[32];

    if (cause->code == GW_E_UNAVAILABLE && !db_is_connected(w->db)) {
        /* The database went away: not the job's fault, try again after the reconnect. */
        next = it->job.deliveries;
    }
    if (next >= WK_MAX_DELIVERIES) {
        log_error("job failed for good", LOG_S("type", type), LOG_S("id", it->job.id),
                  LOG_I("deliveries", next), LOG_S("reason", reason));
        gw_utc_iso((int64_t)time(NULL), now);
        if (queue_dead(w->q, it, reason, now, &err) != 0) {
            log_error("cannot record dead job", LOG_S("type", type), LOG_S("id", it->job.id));
            wk_queue_failed(w, &err);
        }
        return;
    }
    if (queue_retry(w->q, it, next, gw_unix_ms() + ((int64_t)1000 << next), &err) != 0) {
        /* Still claimed: due again when its lease ends. */
        wk_queue_failed(w, &err);
    }
    log_warn("job retry scheduled", LOG_S("type", type), LOG_S("id", it->job.id),
             LOG_I("deliveries", next), LOG_S("reason", cause->msg));
}

/* ---- settling claimed jobs ------------------------------------------------------------------ */

/* After COMMIT: one log line per job, then one round trip that removes the jobs from Redis,
 * pushes the new webhook log ids and counts the completed jobs. */
static void
jobs_done(struct wk *w, enum jobs_kind kind, const struct queue_item *items, size_t n,
          const struct settle_item *st, const size_t *sidx)
{
    struct gw_err err = GW_ERR_INIT;
    const char *type = queue_kind_name((enum queue_kind)kind);
    const char **logs = xcalloc(n + 1, sizeof(*logs));
    size_t i, nlogs = 0;
    int64_t changed = 0, now = gw_unix_ms();

    for (i = 0; i < n; i++) {
        const struct settle_item *s = sidx[i] != SIZE_MAX ? &st[sidx[i]] : NULL;

        if (s == NULL) {
            log_warn("malformed job dropped", LOG_S("type", type));
        } else if (!s->changed) {
            log_info("job done", LOG_S("type", type), LOG_S("id", s->id),
                     LOG_S("outcome", "already final"));
        } else {
            changed++;
            log_info("job done", LOG_S("type", type), LOG_S("id", s->id),
                     LOG_S("outcome", s->status), LOG_S("webhook_id", s->log_id),
                     LOG_I("late_ms", now - items[i].due));
            if (s->log_id[0] != '\0') {
                logs[nlogs++] = s->log_id;
            }
        }
    }
    if (queue_ack(w->q, (enum queue_kind)kind, items, n, logs, nlogs, changed, &err) != 0) {
        /* The jobs come back when their lease ends and find their objects final; the
         * database poll finds the logs. */
        wk_queue_failed(w, &err);
    }
    free(logs);
}

/* Settles items[0..n) in one transaction (outcomes drawn here: the bank), acking them after
 * COMMIT. Returns 0, or -1 with err set (nothing committed, nothing acked). */
static int
jobs_settle_batch(struct wk *w, enum jobs_kind kind, const struct queue_item *items, size_t n,
                  struct gw_err *err)
{
    struct settle_item *st = xcalloc(n, sizeof(*st));
    size_t *sidx = xcalloc(n, sizeof(*sidx)); /* item -> settle item, SIZE_MAX if malformed */
    size_t i, ns = 0;
    int ret;

    for (i = 0; i < n; i++) {
        sidx[i] = SIZE_MAX;
        if (!items[i].valid) {
            continue;
        }
        st[ns].id = items[i].job.id;
        if (kind == JOBS_PAYMENT) {
            st[ns].upi_outcome = jobs_outcome(w, w->cfg->upi_success_rate);
            st[ns].card_outcome = jobs_outcome(w, w->cfg->card_success_rate);
        }
        sidx[i] = ns++;
    }
    ret = settle_batch(w->db, (enum queue_kind)kind, st, ns, err);
    if (ret == 0) {
        jobs_done(w, kind, items, n, st, sidx);
    }
    free(sidx);
    free(st);
    return ret;
}

static void
jobs_settle(struct wk *w, enum jobs_kind kind, const struct queue_batch *b)
{
    struct gw_err err = GW_ERR_INIT;
    const char *type = queue_kind_name((enum queue_kind)kind);
    size_t i;
    int64_t t0 = gw_mono_ms();

    if (jobs_settle_batch(w, kind, b->items, b->n, &err) == 0) {
        log_info("job batch settled", LOG_S("type", type), LOG_I("jobs", b->n),
                 LOG_I("tx_ms", gw_mono_ms() - t0),
                 LOG_I("first_late_ms", gw_unix_ms() - b->items[0].due));
        return;
    }
    log_warn("job batch failed", LOG_S("type", type), LOG_I("jobs", b->n), LOG_S("error", err.msg));
    if (err.code == GW_E_UNAVAILABLE && !db_is_connected(w->db)) {
        /* The database went away: not the jobs' fault, try them again after the reconnect. */
        wk_db_failed(w, &err);
        gw_err_clear(&err);
        if (queue_delay(w->q, b->kind, b->items, b->n, gw_unix_ms() + WK_RESCHEDULE_MS, &err)
            != 0) {
            wk_queue_failed(w, &err); /* still claimed: due again when the lease ends */
        }
        return;
    }
    /* Internal failure: run the jobs one by one so that only a bad job counts a delivery. */
    for (i = 0; i < b->n; i++) {
        if (!w->dbl.up || !w->ql.up) {
            gw_err_clear(&err);
            if (queue_delay(w->q, b->kind, b->items + i, b->n - i, gw_unix_ms() + WK_RESCHEDULE_MS,
                            &err)
                != 0) {
                wk_queue_failed(w, &err);
            }
            return;
        }
        gw_err_clear(&err);
        if (jobs_settle_batch(w, kind, &b->items[i], 1, &err) != 0) {
            log_warn("job failed", LOG_S("type", type), LOG_S("id", b->items[i].job.id),
                     LOG_I("deliveries", b->items[i].job.deliveries), LOG_S("error", err.msg));
            jobs_retry(w, &b->items[i], &err);
            wk_db_failed(w, &err);
        }
    }
}

int
jobs_run_due(struct wk *w, enum jobs_kind kind, int64_t deadline_ms, bool *more)
{
    struct gw_err err = GW_ERR_INIT;
    struct queue_batch b = { (enum queue_kind)kind, NULL, 0 };
    int done = 0;
    bool first = true;
    size_t n;

    *more = false;
    for (;;) {
        if (!first && (gw_mono_ms() >= deadline_ms || !w->dbl.up || !w->ql.up || w->stopping)) {
            *more = true;
            break;
        }
        first = false;
        queue_batch_release(&b);
        if (queue_claim_due(w->q, (enum queue_kind)kind, gw_unix_ms(), WK_CLAIM_LEASE_MS,
                            WK_DUE_BATCH, &b, &err)
            != 0) {
            wk_queue_failed(w, &err);
            queue_batch_release(&b);
            return -1;
        }
        n = b.n;
        if (n > 0) {
            jobs_settle(w, kind, &b);
            done += (int)n;
        }
        if (n < WK_DUE_BATCH) {
            break;
        }
    }
    queue_batch_release(&b);
    return done;
}

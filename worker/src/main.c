/* main.c: gw-worker, one process with one single-threaded poll-based event loop (SPEC 10.2).
 * Each tick: take waiting jobs into the delayed sets, run due jobs, start webhook attempts,
 * drive the libcurl multi handle for at most WK_TICK_MS, and do the periodic tasks. */
#include "wk.h"

#include "cfg.h"
#include "crypto.h"
#include "deliver.h"
#include "epdelivery.h"
#include "jobs.h"
#include "jsonh.h"
#include "log.h"
#include "migrate.h"
#include "sweep.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct wk *wk_global;
/* ---- periodic tasks ---------------------------------------------------------------------- */

static bool wk_sweep(struct wk *w, bool all);

/* Heartbeat and in-flight count; when Redis lost its data since the last heartbeat (restarted
 * empty or flushed), every pending job is gone with it: sweep at once, without the age rule. */
static void
wk_heartbeat(struct wk *w)
{
    struct gw_err err = GW_ERR_INIT;
    struct buf b;
    struct jw jw;
    char now[32];
    bool lost = false;

    if (!wk_queue_ready(w)) {
        return;
    }
    gw_utc_iso((int64_t)time(NULL), now);
    buf_init(&b, (size_t)4 * KIB);
    jw_init(&jw, &b);
    jw_obj_begin(&jw);
    jw_key(&jw, "pid");
    jw_int(&jw, (int64_t)getpid());
    jw_key(&jw, "started_at");
    jw_str(&jw, w->started_at);
    jw_key(&jw, "ts");
    jw_str(&jw, now);
    jw_obj_end(&jw);
    if (jw_finish(&jw) != 0
        || queue_heartbeat(w->q, b.data, deliver_inflight(w->dl), &lost, &err) != 0) {
        wk_queue_failed(w, &err);
    } else if (lost) {
        log_warn("redis has lost its data: sweeping every pending job");
        w->sweep_all = true;
    }
    buf_release(&b);
    if (w->sweep_all && wk_sweep(w, true)) {
        w->sweep_all = false;
    }
}

/* all: no age condition (Redis lost its data). */
static bool
wk_sweep(struct wk *w, bool all)
{
    struct gw_err err = GW_ERR_INIT;
    struct sweep_counts counts;

    if (!wk_db_ready(w) || !wk_queue_ready(w)) {
        return false;
    }
    if (sweep_run(w->db, w->q, w->cfg, all, &counts, &err) != 0) {
        log_warn("recovery sweep failed", LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        wk_queue_failed(w, &err);
        return false;
    }
    return true;
}

/* Committed work that never reached Redis (an API process killed between COMMIT and its
 * pushes): found within seconds, not at the periodic sweep's D + 30 s. */
static void
wk_unpushed(struct wk *w)
{
    struct gw_err err = GW_ERR_INIT;
    struct sweep_counts counts;

    if (!wk_db_ready(w) || !wk_queue_ready(w)) {
        return;
    }
    if (sweep_unpushed(w->db, w->q, w->cfg, &counts, &err) != 0) {
        log_warn("unpushed sweep failed", LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        wk_queue_failed(w, &err);
    }
}

static bool
wk_requeue(struct wk *w)
{
    struct gw_err err = GW_ERR_INIT;
    int64_t moved = 0;

    if (!wk_queue_ready(w)) {
        return false;
    }
    if (sweep_requeue_processing(w->q, &moved, &err) != 0) {
        wk_queue_failed(w, &err);
        return false;
    }
    log_info("processing lists requeued", LOG_I("moved", moved));
    return true;
}

/* Expired idempotency keys, dashboard sessions and events. False when it could not run (the
 * database down): the loop tries again soon instead of an hour later. */
static bool
wk_housekeeping(struct wk *w)
{
    struct gw_err err = GW_ERR_INIT;
    int64_t idem = 0, sessions = 0, events = 0, removed = 0;

    if (!wk_db_ready(w)) {
        return false;
    }
    if (sweep_housekeeping(w->db, &idem, &sessions, &err) != 0) {
        log_warn("housekeeping failed", LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        return false;
    }
    log_info("housekeeping done", LOG_I("idempotency_keys", idem),
             LOG_I("dashboard_sessions", sessions));
    /* SPEC 21.1: events older than EVENT_RETENTION_DAYS, with their deliveries and attempts,
     * in batches so that no transaction grows large */
    do {
        events = 0;
        if (epd_expire_events(w->db, w->cfg->event_retention_days, 5000, &events, &err) != 0) {
            log_warn("event housekeeping failed", LOG_S("error", err.msg));
            wk_db_failed(w, &err);
            return false;
        }
        removed += events;
    } while (events >= 5000 && !w->stopping);
    log_info("events expired", LOG_I("events", removed));
    return true;
}

/* ---- start-up and signals ---------------------------------------------------------------- */

static void
wk_on_signal(int sig)
{
    UNUSED(sig);
    if (wk_global != NULL) {
        wk_global->stopping = 1;
    }
}

static void
wk_sleep_ms(struct wk *w, int64_t ms)
{
    int64_t end = gw_mono_ms() + ms;
    struct timespec ts = { 0, 50L * 1000 * 1000 };

    while (!w->stopping && gw_mono_ms() < end) {
        (void)nanosleep(&ts, NULL);
    }
}

/* Waits (retrying every 2 s) until the schema is at the latest migration on disk. */
static bool
wk_wait_schema(struct wk *w)
{
    struct gw_err err = GW_ERR_INIT;
    char *dir = migrate_sql_dir();
    int latest, current = 0;
    bool ok = false;

    latest = dir != NULL ? migrate_latest_on_disk(dir) : -1;
    while (!w->stopping) {
        gw_err_clear(&err);
        if (db_ensure(w->db, &err) == 0 && migrate_current(w->db, &current, &err) == 0) {
            if ((latest > 0 && current >= latest) || (latest <= 0 && current > 0)) {
                ok = true;
                break;
            }
            log_info("waiting for database schema", LOG_I("current", current),
                     LOG_I("latest", latest));
        } else {
            log_warn("waiting for database", LOG_S("error", err.msg));
        }
        wk_sleep_ms(w, 2000);
    }
    free(dir);
    return ok;
}

/* Takes batches of waiting jobs until the list is empty or deadline passes; true when more
 * may be waiting. */
static bool
wk_intake(struct wk *w, enum jobs_kind kind, int64_t deadline)
{
    int n;

    do {
        n = jobs_intake(w, kind);
        if (n < 0) {
            return true; /* not known to be drained */
        }
        if (n < WK_JOB_BATCH) {
            return false;
        }
    } while (gw_mono_ms() < deadline && !w->stopping);
    return true;
}

/* The sandbox bank (SPEC 22): re-queries unknown answers, fails expired challenges. Returns true
 * when a full batch was re-queried (more may be due). */
static bool
wk_bank(struct wk *w, int64_t now, int64_t *next_bank, int64_t *next_expiry)
{
    bool more = false;

    if (jobs_requery(w) == JOBS_REQUERY_BATCH) {
        more = true;
    } else {
        *next_bank = now + WK_BANK_MS;
    }
    if (now >= *next_expiry) {
        jobs_expire_challenges(w);
        *next_expiry = now + WK_HEARTBEAT_MS;
    }
    return more;
}

static void
wk_loop(struct wk *w)
{
    int64_t now, next_hb = 0, next_sweep = 0, next_house, stop_deadline = 0, next_unpushed = 0;
    int64_t deadline, next_bank = 0, next_expiry = 0;
    bool more, m, requeued = false, swept = false, drained;

    /* housekeeping once the loop is running (so that a worker restarted more often than hourly
     * still does it), then hourly */
    next_house = gw_mono_ms() + WK_HOUSEKEEPING_FIRST_MS;
    for (;;) {
        now = gw_mono_ms();
        if (w->stopping) {
            if (stop_deadline == 0) {
                log_info("stopping", LOG_I("inflight", deliver_inflight(w->dl)));
                stop_deadline = now + WK_SHUTDOWN_GRACE_MS;
            }
            if (deliver_inflight(w->dl) == 0 || now >= stop_deadline) {
                break;
            }
            deliver_poll(w->dl, WK_TICK_MS);
            continue;
        }
        more = false;
        if (!requeued) {
            requeued = wk_requeue(w);
        }
        if (!swept && requeued) {
            swept = wk_sweep(w, false);
            if (swept) {
                next_sweep = now + WK_SWEEP_MS;
            }
        }
        drained = false;
        if (wk_db_ready(w) && wk_queue_ready(w)) {
            if (w->ql.restored) {
                /* Back from a Redis outage: check at once whether it lost its data. */
                w->ql.restored = false;
                next_hb = 0;
            }
            deadline = now + WK_WORK_BUDGET_MS;
            /* Intake first: the bank delay counts from the take, so a burst of waiting jobs
             * is moved into the delayed sets within the tick's budget. */
            drained = true;
            if (wk_intake(w, JOBS_PAYMENT, deadline)) {
                more = true;
                drained = false;
            }
            if (wk_intake(w, JOBS_REFUND, deadline)) {
                more = true;
                drained = false;
            }
            m = false;
            (void)jobs_run_due(w, JOBS_PAYMENT, deadline, &m);
            more = more || m;
            m = false;
            (void)jobs_run_due(w, JOBS_REFUND, deadline + WK_WORK_BUDGET_MS / 2, &m);
            more = more || m;
        }
        deliver_start(w->dl);
        now = gw_mono_ms();
        if (now >= next_hb) {
            wk_heartbeat(w);
            next_hb = now + WK_HEARTBEAT_MS;
        }
        if (wk_db_ready(w) && wk_queue_ready(w) && now >= next_bank) {
            more = wk_bank(w, now, &next_bank, &next_expiry) || more;
        }
        if (swept && now >= next_sweep) {
            (void)wk_sweep(w, false);
            next_sweep = now + WK_SWEEP_MS;
        }
        if (swept && drained && now >= next_unpushed) {
            wk_unpushed(w);
            next_unpushed = now + WK_UNPUSHED_MS;
        }
        if (now >= next_house) {
            next_house = now + (wk_housekeeping(w) ? WK_HOUSEKEEPING_MS : WK_HOUSEKEEPING_RETRY_MS);
        }
        deliver_poll(w->dl, more ? 0 : 50);
    }
}

int
main(void)
{
    struct gw_err err = GW_ERR_INIT;
    struct sigaction sa;
    struct wk w;
    const struct cfg *cfg;
    int rc = 0;

    log_init("worker", LOG_INFO); /* a configuration error is the worker's, not the API's */
    cfg_load_or_exit();
    cfg = cfg_get();
    log_init("worker", cfg->log_level);
    cfg_log(cfg);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("curl_global_init failed");
        return 1;
    }
    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    w.started_unix = (int64_t)time(NULL);
    gw_utc_iso(w.started_unix, w.started_at);
    wk_global = &w;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wk_on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);

    w.db = db_new(cfg->database_url, "gw-worker");
    w.q = queue_new(cfg->redis_url, &err);
    if (w.q == NULL) {
        log_error("invalid REDIS_URL", LOG_S("error", err.msg));
        rc = 2;
        goto out;
    }
    log_info("worker starting", LOG_I("pid", getpid()), LOG_S("version", GW_VERSION),
             LOG_I("concurrency", cfg->worker_concurrency));
    if (!wk_wait_schema(&w)) {
        goto out;
    }
    w.dbl.up = true;
    w.dl = deliver_new(&w);
    wk_loop(&w);
    log_info("worker stopped");
out:
    deliver_free(w.dl);
    queue_free(w.q);
    db_free(w.db);
    curl_global_cleanup();
    return rc;
}

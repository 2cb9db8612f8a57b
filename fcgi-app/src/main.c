/* main.c: gw-fcgi, started by `spawn-fcgi -n -s SOCK -- gw-fcgi` with the listening socket on
 * fd 0. A prefork master forks FCGI_CHILDREN children, replaces those that die and on SIGTERM or
 * SIGINT stops them and exits 0. Each child runs the FCGX_Accept_r loop with one PostgreSQL and
 * one Redis connection (both connected lazily: a child never exits because they are down). */
#include "app.h"
#include "cfg.h"
#include "http.h"
#include "log.h"
#include "merchant.h"
#include "metrics.h"
#include "route.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAIN_MAX_CHILDREN   64
#define MAIN_FAST_DEATH_NS  INT64_C(1000000000)
#define MAIN_STOP_GRACE_SEC 10

struct child_slot {
    pid_t pid;
    int64_t started_ns;
};

static volatile sig_atomic_t main_stop;
static volatile sig_atomic_t child_in_request;

/* ---- child ------------------------------------------------------------------------------- */

static void
child_on_signal(int sig)
{
    UNUSED(sig);
    main_stop = 1;
    if (!child_in_request) {
        _exit(0); /* idle in accept: nothing to finish */
    }
}

static ssize_t
child_read(void *ctx, char *buf, size_t n)
{
    FCGX_Request *r = ctx;
    int got;

    got = FCGX_GetStr(buf, n > (size_t)INT32_MAX ? INT32_MAX : (int)n, r->in);
    return got < 0 ? -1 : (ssize_t)got;
}

static int
child_write(void *ctx, const char *buf, size_t n)
{
    FCGX_Request *r = ctx;

    if (n > (size_t)INT32_MAX) {
        return -1;
    }
    return FCGX_PutStr(buf, (int)n, r->out) == (int)n ? 0 : -1;
}

/* A streamed response failed midway: close the connection without FCGI_END_REQUEST, so nginx
 * does not finish the response and the client sees a truncated transfer. */
static void
child_abort(void *ctx)
{
    FCGX_Request *r = ctx;

    if (r->ipcFd >= 0) {
        (void)shutdown(r->ipcFd, SHUT_RDWR);
    }
}

static void
child_log_request(const struct http_req *req, const struct http_resp *resp, uint64_t dur_ns)
{
    int64_t ms = (int64_t)(dur_ns / 1000000);

    if (req->authenticated && req->merchant.id[0] != '\0') {
        log_info("request", LOG_S("method", req->method), LOG_S("route", req->route_label),
                 LOG_I("status", resp->status), LOG_I("duration_ms", ms),
                 LOG_S("merchant_id", req->merchant.id));
    } else {
        log_info("request", LOG_S("method", req->method), LOG_S("route", req->route_label),
                 LOG_I("status", resp->status), LOG_I("duration_ms", ms));
    }
}

static void
child_serve(struct app *app, FCGX_Request *r)
{
    struct http_io io = { child_read, child_write, r, child_abort };
    struct http_req req;
    struct http_resp resp;
    uint64_t now, dur;

    http_resp_init(&resp);
    http_req_init(&req, app, (const char *const *)r->envp, &io);
    log_set_request_id(req.request_id);
    route_dispatch(&req, &resp);
    if (http_resp_write(&resp, &req, &io) != 0) {
        log_warn("response write failed", LOG_I("status", resp.status));
    }
    now = (uint64_t)gw_mono_ns();
    dur = now > req.start_ns ? now - req.start_ns : 0;
    child_log_request(&req, &resp, dur);
    metrics_record(strcmp(req.route_label, "unmatched") != 0 ? req.route_label : NULL, req.method,
                   resp.status, dur);
    log_set_request_id(NULL);
    http_req_release(&req);
    http_resp_release(&resp);
}

static int
child_main(const struct cfg *cfg)
{
    struct gw_err err = GW_ERR_INIT;
    struct app app;
    FCGX_Request r;
    struct sigaction sa;

    (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
    memset(&app, 0, sizeof(app));
    app.cfg = cfg;
    if (FCGX_Init() != 0) {
        log_error("FCGX_Init failed");
        return 1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = child_on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)signal(SIGPIPE, SIG_IGN);

    app.db = db_new(cfg->database_url, "gw-fcgi");
    app.q = queue_new(cfg->redis_url, &err);
    if (app.q == NULL) {
        log_error("invalid REDIS_URL", LOG_S("error", err.msg));
        db_free(app.db);
        return 1;
    }
    gw_err_clear(&err);
    /* SEED_TEST_MERCHANT=false: nothing to seed */
    if (!cfg->seed_test_merchant
        || (db_ensure(app.db, &err) == 0 && merchant_seed_test(app.db, cfg, &err) == 0)) {
        app.seeded = true;
    } else {
        log_warn("test merchant not seeded yet, retrying on a later request",
                 LOG_S("error", err.msg));
    }
    if (FCGX_InitRequest(&r, 0, 0) != 0) {
        log_error("FCGX_InitRequest failed");
        queue_free(app.q);
        db_free(app.db);
        return 1;
    }
    for (;;) {
        /* idle from here: a SIGTERM now exits at once (child_on_signal) */
        child_in_request = 0;
        if (main_stop) {
            break;
        }
        if (FCGX_Accept_r(&r) < 0) {
            break;
        }
        child_in_request = 1;
        child_serve(&app, &r);
        FCGX_Finish_r(&r);
    }
    child_in_request = 0;
    FCGX_Free(&r, 0);
    queue_free(app.q);
    db_free(app.db);
    return 0;
}

/* ---- master ------------------------------------------------------------------------------ */

static void
master_on_signal(int sig)
{
    UNUSED(sig);
    main_stop = 1;
}

static pid_t
master_spawn(const struct cfg *cfg)
{
    pid_t pid = fork();

    if (pid < 0) {
        log_error("fork failed", LOG_S("error", strerror(errno)));
        return -1;
    }
    if (pid == 0) {
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        (void)sigemptyset(&sa.sa_mask);
        (void)sigaction(SIGTERM, &sa, NULL);
        (void)sigaction(SIGINT, &sa, NULL);
        _exit(child_main(cfg));
    }
    return pid;
}

static void
master_stop_children(struct child_slot *slots, int n)
{
    int i, alive, status;
    int64_t deadline = gw_mono_ns() + (int64_t)MAIN_STOP_GRACE_SEC * INT64_C(1000000000);
    pid_t pid;

    for (i = 0; i < n; i++) {
        if (slots[i].pid > 0) {
            (void)kill(slots[i].pid, SIGTERM);
        }
    }
    for (;;) {
        alive = 0;
        for (i = 0; i < n; i++) {
            if (slots[i].pid <= 0) {
                continue;
            }
            pid = waitpid(slots[i].pid, &status, WNOHANG);
            if (pid == slots[i].pid || (pid < 0 && errno == ECHILD)) {
                slots[i].pid = 0;
            } else {
                alive++;
            }
        }
        if (alive == 0) {
            return;
        }
        if (gw_mono_ns() > deadline) {
            for (i = 0; i < n; i++) {
                if (slots[i].pid > 0) {
                    log_warn("child did not stop, killing", LOG_I("pid", slots[i].pid));
                    (void)kill(slots[i].pid, SIGKILL);
                }
            }
            deadline = gw_mono_ns() + INT64_C(2000000000);
        }
        (void)usleep(20000);
    }
}

/* Forgets the child pid that exited and replaces every empty slot (backing off 1 s when a child
 * dies within 1 s of its start). */
static void
master_reap(const struct cfg *cfg, struct child_slot *slots, int n, pid_t pid, int status)
{
    int i;

    for (i = 0; i < n; i++) {
        if (pid > 0 && slots[i].pid == pid) {
            if (WIFSIGNALED(status)) {
                log_warn("fastcgi child died", LOG_I("pid", pid),
                         LOG_I("signal", WTERMSIG(status)));
            } else {
                log_warn("fastcgi child exited", LOG_I("pid", pid),
                         LOG_I("status", WEXITSTATUS(status)));
            }
            slots[i].pid = 0;
        }
        if (slots[i].pid > 0 || main_stop) {
            continue;
        }
        if (gw_mono_ns() - slots[i].started_ns < MAIN_FAST_DEATH_NS) {
            (void)sleep(1); /* children dying in a loop: back off */
            if (main_stop) {
                return;
            }
        }
        slots[i].pid = master_spawn(cfg);
        slots[i].started_ns = gw_mono_ns();
        if (slots[i].pid > 0) {
            log_info("fastcgi child replaced", LOG_I("pid", slots[i].pid));
        }
    }
}

/* SPEC 12.2 (v2): with TEST_MODE off, warn while the seeded merchant is active with the published
 * key pair. Seeds first (idempotent) so that a first start warns too. A database that is not up
 * yet skips the check; the children seed on their own later. */
static void
master_warn_test_merchant(const struct cfg *cfg)
{
    struct gw_err err = GW_ERR_INIT;
    struct db *db;
    bool active = false;

    if (cfg->test_mode) {
        return;
    }
    db = db_new(cfg->database_url, "gw-fcgi");
    if (db_ensure(db, &err) != 0
        || (cfg->seed_test_merchant && merchant_seed_test(db, cfg, &err) != 0)
        || merchant_test_pair_active(db, &active, &err) != 0) {
        log_info("test merchant check skipped", LOG_S("error", err.msg));
    } else if (active) {
        log_warn("the test merchant is active with its published API key pair while TEST_MODE is "
                 "off: rotate its keys (gatewayctl merchant rotate-keys " MERCHANT_TEST_ID
                 ") or deactivate it, and set SEED_TEST_MERCHANT=false",
                 LOG_S("merchant_id", MERCHANT_TEST_ID));
    }
    db_free(db);
}

static int
master_main(const struct cfg *cfg)
{
    struct child_slot slots[MAIN_MAX_CHILDREN];
    int n = cfg->fcgi_children, i, status;
    struct sigaction sa;
    struct gw_err err = GW_ERR_INIT;
    pid_t pid;

    if (n < 1 || n > MAIN_MAX_CHILDREN) {
        n = n < 1 ? 1 : MAIN_MAX_CHILDREN;
    }
    memset(slots, 0, sizeof(slots));
    master_warn_test_merchant(cfg);
    if (metrics_init(&err) != 0) {
        log_warn("request metrics disabled", LOG_S("error", err.msg));
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = master_on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: waitpid returns EINTR */
    (void)sigaction(SIGINT, &sa, NULL);
    (void)signal(SIGPIPE, SIG_IGN);

    for (i = 0; i < n; i++) {
        slots[i].pid = master_spawn(cfg);
        slots[i].started_ns = gw_mono_ns();
    }
    log_info("fastcgi pool started", LOG_I("children", n), LOG_I("pid", getpid()));
    while (!main_stop) {
        pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno == EINTR) {
            continue;
        }
        if (pid < 0 && errno == ECHILD) {
            (void)sleep(1);
        }
        master_reap(cfg, slots, n, pid, status);
    }
    log_info("stopping fastcgi pool");
    master_stop_children(slots, n);
    log_info("fastcgi pool stopped");
    return 0;
}

int
main(void)
{
    const struct cfg *cfg;

    cfg_load_or_exit();
    cfg = cfg_get();
    log_init("api", cfg->log_level);
    return master_main(cfg);
}

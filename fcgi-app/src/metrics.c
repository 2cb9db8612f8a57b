/* metrics.c: shared-memory request counters and the /metrics text (SPEC 18). */
#include "metrics.h"

#include "counts.h"
#include "db.h"
#include "log.h"
#include "queue.h"
#include "route.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define METRICS_SLOTS   2048 /* (route, method, status) counters, open addressing */
#define METRICS_ROUTES  64   /* distinct patterns + unmatched */
#define METRICS_BUCKETS 10

static const double metrics_bounds[METRICS_BUCKETS] = { 0.005, 0.01, 0.025, 0.05, 0.1,
                                                        0.25,  0.5,  1,     2.5,  5 };
static const char *const metrics_methods[] = { "GET",    "POST", "PUT",     "PATCH",
                                               "DELETE", "HEAD", "OPTIONS", "OTHER" };

struct metrics_slot {
    uint32_t key; /* 0 free; else (route + 1) << 16 | method << 12 | status */
    uint32_t pad;
    uint64_t count;
};

struct metrics_hist {
    uint64_t buckets[METRICS_BUCKETS + 1]; /* last one is +Inf */
    uint64_t sum_us;
    uint64_t count;
};

struct metrics_shm {
    struct metrics_slot slots[METRICS_SLOTS];
    struct metrics_hist hist[METRICS_ROUTES];
};

static struct metrics_shm *metrics_mem;

int
metrics_init(struct gw_err *err)
{
    char name[64];
    void *p;
    int fd;

    if (metrics_mem != NULL) {
        return 0;
    }
    (void)snprintf(name, sizeof(name), "/gw-fcgi-metrics-%ld", (long)getpid());
    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0) {
        return GW_ERR(err, INTERNAL, "shm_open %s failed", name);
    }
    (void)shm_unlink(name);
    if (ftruncate(fd, (off_t)sizeof(struct metrics_shm)) != 0) {
        (void)close(fd);
        return GW_ERR(err, INTERNAL, "ftruncate of the metrics segment failed");
    }
    p = mmap(NULL, sizeof(struct metrics_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    (void)close(fd);
    if (p == MAP_FAILED) {
        return GW_ERR(err, INTERNAL, "mmap of the metrics segment failed");
    }
    memset(p, 0, sizeof(struct metrics_shm));
    metrics_mem = p;
    return 0;
}

/* Index of a distinct route pattern: the position of its first route in the table, and
 * METRICS_ROUTES - 1 for "unmatched". */
static unsigned
metrics_route_index(const char *route)
{
    const struct route *t = route_table(NULL);
    unsigned i;

    if (route == NULL) {
        return METRICS_ROUTES - 1;
    }
    for (i = 0; i < METRICS_ROUTES - 1 && t[i].method != NULL; i++) {
        if (strcmp(t[i].pattern, route) == 0) {
            return i;
        }
    }
    return METRICS_ROUTES - 1;
}

static const char *
metrics_route_name(unsigned idx)
{
    const struct route *t;
    size_t n;

    t = route_table(&n);
    if (idx < n && idx < METRICS_ROUTES - 1) {
        return t[idx].pattern;
    }
    return "unmatched";
}

static unsigned
metrics_method_index(const char *method)
{
    unsigned i;

    for (i = 0; i + 1 < ARRAY_LEN(metrics_methods); i++) {
        if (strcmp(metrics_methods[i], method) == 0) {
            return i;
        }
    }
    return (unsigned)ARRAY_LEN(metrics_methods) - 1;
}

void
metrics_record(const char *route, const char *method, int status, uint64_t duration_ns)
{
    unsigned ri, mi, i, b;
    uint32_t key, cur;
    struct metrics_hist *h;
    double secs = (double)duration_ns / 1e9;

    if (metrics_mem == NULL) {
        return;
    }
    if (status < 100 || status > 999) {
        status = 999;
    }
    ri = metrics_route_index(route);
    mi = metrics_method_index(method);
    key = ((uint32_t)(ri + 1) << 16) | ((uint32_t)mi << 12) | (uint32_t)status;
    for (i = 0; i < METRICS_SLOTS; i++) {
        struct metrics_slot *s = &metrics_mem->slots[(key * 2654435761u + i) % METRICS_SLOTS];

        cur = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);
        if (cur == 0) {
            uint32_t expect = 0;

            if (__atomic_compare_exchange_n(&s->key, &expect, key, false, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                cur = key;
            } else {
                cur = expect;
            }
        }
        if (cur == key) {
            __atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
            break;
        }
    }
    h = &metrics_mem->hist[ri];
    for (b = 0; b < METRICS_BUCKETS; b++) {
        if (secs <= metrics_bounds[b]) {
            break;
        }
    }
    __atomic_add_fetch(&h->buckets[b], 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->sum_us, duration_ns / 1000, __ATOMIC_RELAXED);
    __atomic_add_fetch(&h->count, 1, __ATOMIC_RELAXED);
}

static void
metrics_render_requests(struct buf *out)
{
    unsigned i, b;

    (void)buf_puts(out, "# HELP gateway_http_requests_total HTTP requests answered by the API.\n"
                        "# TYPE gateway_http_requests_total counter\n");
    for (i = 0; metrics_mem != NULL && i < METRICS_SLOTS; i++) {
        uint32_t key = __atomic_load_n(&metrics_mem->slots[i].key, __ATOMIC_ACQUIRE);
        uint64_t n = __atomic_load_n(&metrics_mem->slots[i].count, __ATOMIC_RELAXED);

        if (key == 0 || n == 0) {
            continue;
        }
        (void)buf_printf(out,
                         "gateway_http_requests_total{route=\"%s\",method=\"%s\",status=\"%u\"} "
                         "%llu\n",
                         metrics_route_name((key >> 16) - 1), metrics_methods[(key >> 12) & 0xf],
                         key & 0xfff, (unsigned long long)n);
    }
    (void)buf_puts(out, "# HELP gateway_http_request_duration_seconds Time to answer a request.\n"
                        "# TYPE gateway_http_request_duration_seconds histogram\n");
    for (i = 0; metrics_mem != NULL && i < METRICS_ROUTES; i++) {
        struct metrics_hist *h = &metrics_mem->hist[i];
        uint64_t cum = 0, count = __atomic_load_n(&h->count, __ATOMIC_RELAXED);
        const char *name = metrics_route_name(i);

        if (count == 0) {
            continue;
        }
        for (b = 0; b <= METRICS_BUCKETS; b++) {
            cum += __atomic_load_n(&h->buckets[b], __ATOMIC_RELAXED);
            if (b < METRICS_BUCKETS) {
                (void)buf_printf(out,
                                 "gateway_http_request_duration_seconds_bucket{route=\"%s\","
                                 "le=\"%g\"} %llu\n",
                                 name, metrics_bounds[b], (unsigned long long)cum);
            } else {
                (void)buf_printf(out,
                                 "gateway_http_request_duration_seconds_bucket{route=\"%s\","
                                 "le=\"+Inf\"} %llu\n",
                                 name, (unsigned long long)cum);
            }
        }
        (void)buf_printf(out, "gateway_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                         name, (double)__atomic_load_n(&h->sum_us, __ATOMIC_RELAXED) / 1e6);
        (void)buf_printf(out, "gateway_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                         name, (unsigned long long)cum);
    }
}

static void
metrics_render_db(struct app *app, struct buf *out, int64_t *wh_delayed)
{
    static const char *const statuses[] = { "pending", "success", "failed" };
    struct gw_err err = GW_ERR_INIT;
    struct counts c;
    int64_t v[3];
    size_t s;

    *wh_delayed = 0;
    if (app == NULL || app->db == NULL || !db_ping(app->db, 1000)
        || counts_read(app->db, &c, &err) != 0) {
        return;
    }
    v[0] = c.payments_pending;
    v[1] = c.payments_success;
    v[2] = c.payments_failed;
    (void)buf_puts(out, "# HELP gateway_payments Payments by status.\n"
                        "# TYPE gateway_payments gauge\n");
    for (s = 0; s < ARRAY_LEN(statuses); s++) {
        (void)buf_printf(out, "gateway_payments{status=\"%s\"} %lld\n", statuses[s],
                         (long long)v[s]);
    }
    *wh_delayed = c.webhooks_delayed;
    (void)buf_puts(out, "# HELP gateway_endpoint_deliveries Deliveries to webhook endpoints by "
                        "outcome (SPEC 21.3).\n"
                        "# TYPE gateway_endpoint_deliveries gauge\n");
    (void)buf_printf(out,
                     "gateway_endpoint_deliveries{status=\"pending\"} %lld\n"
                     "gateway_endpoint_deliveries{status=\"success\"} %lld\n"
                     "gateway_endpoint_deliveries{status=\"failed\"} %lld\n",
                     (long long)c.endpoint_pending, (long long)c.endpoint_success,
                     (long long)c.endpoint_failed);
}

/* A counter family of attempts by outcome (the fields of a stats hash). */
static void
metrics_render_attempts(struct buf *out, const char *name, const char *help, const long long *v)
{
    size_t i;

    (void)buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (i = 0; i < QUEUE_NOUTCOMES; i++) {
        (void)buf_printf(out, "%s{outcome=\"%s\"} %lld\n", name, queue_attempt_outcomes[i], v[i]);
    }
}

static void
metrics_render_redis(struct app *app, struct buf *out, int64_t wh_delayed)
{
    static const char *const queues[] = { "payments", "refunds", "webhooks", "dlq" };
    static const char *const states[] = { "waiting", "processing", "delayed" };
    struct gw_err err = GW_ERR_INIT;
    struct queue_depths d;
    struct queue_stats st;
    bool ok = app->q != NULL && queue_ping(app->q);
    long long v[12];
    size_t i, qi, si;

    memset(&st, 0, sizeof(st));
    ok = ok && queue_depths(app->q, &d, &err) == 0 && queue_stats(app->q, &st, &err) == 0;
    if (ok) {
        metrics_render_attempts(out, "gateway_endpoint_attempts_total",
                                "Attempts to webhook endpoints by outcome (SPEC 21.3).",
                                st.ep_attempts);
        for (i = 0; i < 3; i++) {
            v[i * 3] = d.waiting[i];
            v[i * 3 + 1] = d.processing[i];
        }
        v[2] = d.delayed[0];
        v[5] = d.delayed[1];
        v[8] = wh_delayed;
        v[9] = d.dlq;
        v[10] = 0;
        v[11] = 0;
        (void)buf_puts(out, "# HELP gateway_queue_depth Jobs per queue and state.\n"
                            "# TYPE gateway_queue_depth gauge\n");
        for (qi = 0; qi < 4; qi++) {
            for (si = 0; si < 3; si++) {
                (void)buf_printf(out, "gateway_queue_depth{queue=\"%s\",state=\"%s\"} %lld\n",
                                 queues[qi], states[si], v[qi * 3 + si]);
            }
        }
        metrics_render_attempts(out, "gateway_webhook_attempts_total",
                                "Webhook attempts by outcome.", st.attempts);
    }
    (void)buf_printf(out,
                     "# HELP gateway_worker_up 1 while a worker heartbeat exists.\n"
                     "# TYPE gateway_worker_up gauge\ngateway_worker_up %d\n",
                     ok && st.worker_up ? 1 : 0);
}

int
metrics_render(struct app *app, struct buf *out)
{
    int64_t wh_delayed = 0;

    metrics_render_requests(out);
    metrics_render_db(app, out, &wh_delayed);
    metrics_render_redis(app, out, wh_delayed);
    return 0;
}

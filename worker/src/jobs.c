/* jobs.c: payment and refund jobs (SPEC 8, 10.1, 10.3). */
#include "jobs.h"

#include "buf.h"
#include "event.h"
#include "jsonh.h"
#include "log.h"
#include "model.h"
#include "payment.h"
#include "refund.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JOBS_ID_MAX   63
#define JOBS_SCORE_SZ 24 /* a delayed-set score: Unix ms, or "-" */

/* Ordinals (1-based) of the ids of $1 whose object is still pending. */
static const struct db_stmt st_pay_pending = {
    "wk_pay_pending",
    "SELECT u.i FROM unnest($1::varchar[]) WITH ORDINALITY AS u(id, i) "
    "JOIN payments p ON p.id = u.id WHERE p.status = 'pending'",
    1
};

static const struct db_stmt st_ref_pending = {
    "wk_ref_pending",
    "SELECT u.i FROM unnest($1::varchar[]) WITH ORDINALITY AS u(id, i) "
    "JOIN refunds r ON r.id = u.id WHERE r.status = 'pending'",
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
    const char *raw; /* the member exactly as stored in Redis (points into the reply) */
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

static int64_t
jobs_delay_ms(struct wk *w, enum jobs_kind kind, struct gw_err *err)
{
    int64_t d = 0;

    return jobs_bank_delay(w->cfg, kind, &d, err) == 0 ? d : -1;
}

/* Marks jobs[i].pending from one `id = ANY($1)` query. */
static int
jobs_check_pending(struct wk *w, const struct jobs_def *def, struct jobs_job *jobs, size_t n,
                   struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf arr;
    const char *params[1];
    size_t *map = xcalloc(n, sizeof(*map)); /* ordinal - 1 -> index in jobs */
    size_t i, m = 0;
    int64_t k;
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
        map[m++] = i;
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
        k = db_int(&res, r, 0);
        if (k >= 1 && (size_t)k <= m) {
            jobs[map[k - 1]].pending = true;
        }
    }
    ret = 0;
    goto out;
oom:
    ret = GW_ERR(err, INTERNAL, "cannot build id list");
out:
    free(map);
    db_res_release(&res);
    buf_release(&arr);
    return ret;
}

/* ---- Redis scripts ------------------------------------------------------------------------ */

/* KEYS: waiting, processing; ARGV: n. Moves up to n jobs (LMOVE RIGHT LEFT) and returns them. */
static const char lua_take[] =
    "local r = {}\n"
    "for i = 1, tonumber(ARGV[1]) do\n"
    "  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')\n"
    "  if not v then break end\n"
    "  r[#r + 1] = v\n"
    "end\n"
    "return r\n";

/* KEYS: delayed, processing; ARGV: score, member pairs (score '-' drops the job). ZADD NX each
 * kept job, then removes every job from the processing list. */
static const char lua_schedule[] =
    "for i = 1, #ARGV, 2 do\n"
    "  if ARGV[i] ~= '-' then redis.call('ZADD', KEYS[1], 'NX', ARGV[i], ARGV[i + 1]) end\n"
    "  redis.call('LREM', KEYS[2], 1, ARGV[i + 1])\n"
    "end\n"
    "return 0\n";

/* KEYS: waiting, processing; ARGV: jobs in the order taken. Puts them back at the right end
 * (first taken rightmost again) and removes them from the processing list. */
static const char lua_putback[] = "for i = #ARGV, 1, -1 do\n"
                                  "  redis.call('RPUSH', KEYS[1], ARGV[i])\n"
                                  "  redis.call('LREM', KEYS[2], 1, ARGV[i])\n"
                                  "end\n"
                                  "return 0\n";

/* KEYS: delayed; ARGV: members. ZREMs each one and returns the (1-based) indexes of those this
 * call removed: only the worker whose ZREM returned 1 runs the job (SPEC 10.2). */
static const char lua_claim[] =
    "local r = {}\n"
    "for i = 1, #ARGV do\n"
    "  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then r[#r + 1] = i end\n"
    "end\n"
    "return r\n";

/* EVAL script with nkeys keys and nargs arguments (binary-safe). */
static int
jobs_eval(struct wk *w, const char *script, int nkeys, const char *const *keys, size_t nargs,
          const char *const *args, const size_t *arglens, struct queue_reply *reply,
          struct gw_err *err)
{
    size_t argc = 3 + (size_t)nkeys + nargs;
    const char **argv = xcalloc(argc, sizeof(*argv));
    size_t *lens = xcalloc(argc, sizeof(*lens));
    char nk[16];
    size_t i, a = 0;
    int ret;

    (void)snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[a] = "EVAL";
    lens[a++] = 4;
    argv[a] = script;
    lens[a++] = strlen(script);
    argv[a] = nk;
    lens[a++] = strlen(nk);
    for (i = 0; i < (size_t)nkeys; i++) {
        argv[a] = keys[i];
        lens[a++] = strlen(keys[i]);
    }
    for (i = 0; i < nargs; i++) {
        argv[a] = args[i];
        lens[a++] = arglens != NULL ? arglens[i] : strlen(args[i]);
    }
    ret = queue_cmd(w->q, reply, err, (int)argc, argv, lens);
    free(lens);
    free(argv);
    return ret;
}

/* ---- intake ------------------------------------------------------------------------------- */

/* Puts taken jobs back on the waiting list (the database could not be asked about them). */
static void
jobs_putback(struct wk *w, const struct jobs_def *def, const struct jobs_job *jobs, size_t n)
{
    struct gw_err err = GW_ERR_INIT;
    const char *keys[2] = { def->waiting, def->processing };
    const char **args = xcalloc(n, sizeof(*args));
    size_t *lens = xcalloc(n, sizeof(*lens));
    size_t i;

    for (i = 0; i < n; i++) {
        args[i] = jobs[i].raw;
        lens[i] = jobs[i].rawlen;
    }
    if (jobs_eval(w, lua_putback, 2, keys, n, args, lens, NULL, &err) != 0) {
        /* They stay in the processing list: the next start or `jobs recover` requeues them,
         * and the sweep finds their objects anyway. */
        wk_queue_failed(w, &err);
    }
    free(lens);
    free(args);
}

/* One job per member of the reply r (pointing into it); valid when it parses as a def job. */
static struct jobs_job *
jobs_from_reply(const struct jobs_def *def, const struct queue_reply *r)
{
    struct jobs_job *jobs = xcalloc(r->nelem, sizeof(*jobs));
    size_t i;

    for (i = 0; i < r->nelem; i++) {
        jobs[i].raw = r->elem[i].str;
        jobs[i].rawlen = r->elem[i].len;
        jobs[i].valid =
            r->elem[i].type == QR_STRING
            && jobs_parse(jobs[i].raw, jobs[i].rawlen, def->type, jobs[i].id, &jobs[i].deliveries);
        if (jobs[i].raw == NULL) {
            jobs[i].raw = "";
            jobs[i].rawlen = 0;
        }
    }
    return jobs;
}

/* The delayed-set score of a taken job: now plus the bank delay, or "-" to drop it. */
static void
jobs_score(struct wk *w, enum jobs_kind kind, const struct jobs_job *job, int64_t now,
           char score[JOBS_SCORE_SZ])
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    int64_t delay;

    if (!job->valid) {
        log_warn("malformed job dropped", LOG_S("type", def->type));
        (void)snprintf(score, JOBS_SCORE_SZ, "-");
        return;
    }
    if (!job->pending) {
        log_info("job dropped", LOG_S("type", def->type), LOG_S("id", job->id),
                 LOG_S("reason", "not pending"));
        (void)snprintf(score, JOBS_SCORE_SZ, "-");
        return;
    }
    delay = jobs_delay_ms(w, kind, &err);
    if (delay < 0) {
        log_error("cannot draw bank delay", LOG_S("error", err.msg));
        gw_err_clear(&err);
        delay = w->cfg->test_mode ? w->cfg->test_processing_delay : 5000;
    }
    (void)snprintf(score, JOBS_SCORE_SZ, "%" PRId64, now + delay);
    log_debug("job scheduled", LOG_S("type", def->type), LOG_S("id", job->id),
              LOG_I("delay_ms", delay), LOG_I("deliveries", job->deliveries));
}

/* Moves the taken jobs from the processing list into the delayed set, dropping those that
 * are malformed or no longer pending. */
static int
jobs_schedule(struct wk *w, enum jobs_kind kind, const struct jobs_job *jobs, size_t n, int64_t now,
              struct gw_err *err)
{
    const struct jobs_def *def = &jobs_defs[kind];
    const char *keys[2] = { def->delayed, def->processing };
    const char **args = xcalloc(2 * n, sizeof(*args));
    size_t *lens = xcalloc(2 * n, sizeof(*lens));
    char(*scores)[JOBS_SCORE_SZ] = xcalloc(n, sizeof(*scores));
    size_t i, a = 0;
    int ret;

    for (i = 0; i < n; i++) {
        jobs_score(w, kind, &jobs[i], now, scores[i]);
        args[a] = scores[i];
        lens[a++] = strlen(scores[i]);
        args[a] = jobs[i].raw;
        lens[a++] = jobs[i].rawlen;
    }
    ret = jobs_eval(w, lua_schedule, 2, keys, a, args, lens, NULL, err);
    free(scores);
    free(lens);
    free(args);
    return ret;
}

int
jobs_intake(struct wk *w, enum jobs_kind kind)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct queue_reply r = QUEUE_REPLY_INIT;
    const char *keys[2] = { def->waiting, def->processing };
    struct jobs_job *jobs = NULL;
    char nbuf[16];
    const char *nargv[1] = { nbuf };
    size_t n = 0;
    int64_t now;
    int ret = -1;

    (void)snprintf(nbuf, sizeof(nbuf), "%d", WK_JOB_BATCH);
    if (jobs_eval(w, lua_take, 2, keys, 1, nargv, NULL, &r, &err) != 0) {
        wk_queue_failed(w, &err);
        goto out;
    }
    if (r.type != QR_ARRAY || r.nelem == 0) {
        ret = 0;
        goto out;
    }
    now = wk_unix_ms(); /* the bank delay counts from here */
    n = r.nelem;
    jobs = jobs_from_reply(def, &r);
    if (jobs_check_pending(w, def, jobs, n, &err) != 0) {
        /* Put them back for a later tick; the database is the problem, not the jobs. */
        log_warn("job intake deferred", LOG_S("type", def->type), LOG_I("jobs", n),
                 LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        jobs_putback(w, def, jobs, n);
        goto out;
    }
    if (jobs_schedule(w, kind, jobs, n, now, &err) != 0) {
        /* Left in the processing list; requeued at the next start, and the sweep finds the
         * objects anyway. */
        wk_queue_failed(w, &err);
        goto out;
    }
    log_info("jobs taken", LOG_S("type", def->type), LOG_I("jobs", n),
             LOG_I("ms", wk_unix_ms() - now));
    ret = (int)n;
out:
    free(jobs);
    queue_reply_release(&r);
    return ret;
}

/* ---- outcomes and retries ----------------------------------------------------------------- */

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
    buf_init(&b, (size_t)8 * KIB);
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
    buf_init(&b, (size_t)4 * KIB);
    if (jobs_serialise(&b, def->type, id, next) != 0
        || jobs_zadd(w, def->delayed, wk_unix_ms() + ((int64_t)1000 << next), b.data, b.len, &err)
               != 0) {
        wk_queue_failed(w, &err);
    }
    log_warn("job retry scheduled", LOG_S("type", def->type), LOG_S("id", id),
             LOG_I("deliveries", next), LOG_S("reason", cause->msg));
    buf_release(&b);
}

/* ---- running due jobs in batches ---------------------------------------------------------- */

/*
 * A batch of claimed jobs is settled in one transaction: one conditional UPDATE over all ids
 * (outcome per id drawn in C), then one INSERT of the events of the rows that changed, for the
 * merchants that have a webhook_url at that moment (event_create semantics). Payloads are
 * built in C from the RETURNING rows, so their bytes are those of event_payment_payload /
 * event_refund_payload (SPEC 11.2).
 */

/*
 * $1 ids, $2 outcome if upi, $3 outcome if card ('success' or 'failed'). One statement settles
 * the batch and moves orders to paid (SPEC 8, 10.3 v2):
 *   due   the batch's payments still pending, row-locked in id order (a duplicate job of the
 *         same payment waits here and then finds it final);
 *   win   per order, the first job of the batch whose bank outcome is success;
 *   lk    their orders still `created`, row-locked in id order (a concurrent statement of
 *         another worker that moved the order first makes it drop out here);
 *   flip  those orders become `paid`, returning the payment that won each; `won` is false when
 *         the order already has a successful payment although it was still `created` (rows
 *         settled before migration 0002, or by hand): the order is paid all the same, and the
 *         backstop index uq_payments_order_success is never tripped;
 * then every due payment ends `success` if it won, `failed` / ORDER_ALREADY_PAID if its bank
 * said success but it did not, else `failed` / PAYMENT_FAILED.
 */
static const struct db_stmt st_pay_settle_batch = {
    "wk_pay_settle_batch",
    "WITH u AS (SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) "
    "WITH ORDINALITY AS u(id, uo, co, i)), "
    "due AS (SELECT p.id, p.order_id, u.i, "
    "CASE WHEN p.method = 'upi' THEN u.uo ELSE u.co END AS outcome "
    "FROM payments p JOIN u ON p.id = u.id WHERE p.status = 'pending' "
    "ORDER BY p.id FOR UPDATE OF p), "
    "win AS (SELECT DISTINCT ON (order_id) order_id, id FROM due WHERE outcome = 'success' "
    "ORDER BY order_id, i), "
    "lk AS (SELECT o.id FROM orders o JOIN win ON win.order_id = o.id "
    "WHERE o.status = 'created' ORDER BY o.id FOR UPDATE OF o), "
    "flip AS (UPDATE orders o SET status = 'paid', updated_at = now() FROM lk, win "
    "WHERE o.id = lk.id AND win.order_id = o.id AND o.status = 'created' "
    "RETURNING win.id AS payment_id, NOT EXISTS (SELECT 1 FROM payments s "
    "WHERE s.order_id = o.id AND s.status = 'success') AS won) "
    "UPDATE payments p SET "
    "status = CASE WHEN flip.won THEN 'success' ELSE 'failed' END, "
    "error_code = CASE WHEN flip.won THEN NULL "
    "WHEN due.outcome = 'success' THEN 'ORDER_ALREADY_PAID' ELSE 'PAYMENT_FAILED' END, "
    "error_description = CASE WHEN flip.won THEN NULL "
    "WHEN due.outcome = 'success' THEN 'Order already paid' "
    "ELSE 'Payment processing failed' END, updated_at = now() "
    "FROM due LEFT JOIN flip ON flip.payment_id = due.id "
    "WHERE p.id = due.id AND p.status = 'pending' "
    "RETURNING " PAYMENT_COLS ", due.i",
    3
};

static const struct db_stmt st_ref_settle_batch = {
    "wk_ref_settle_batch",
    "UPDATE refunds r SET status = 'processed', processed_at = now() "
    "FROM unnest($1::varchar[]) WITH ORDINALITY AS u(id, i) "
    "WHERE r.id = u.id AND r.status = 'pending' "
    "RETURNING " REFUND_COLS ", u.i",
    1
};

/* $1 merchant ids, $2 events, $3 payloads, $4 object ids, $5 Unix microseconds of the first
 * event (event_clock_reserve): event k gets $5 + k - 1, so they keep their order (SPEC 4.5). */
static const struct db_stmt st_event_insert_batch = {
    "wk_event_insert_batch",
    "WITH ins AS (INSERT INTO webhook_logs (merchant_id, event, payload, object_id, created_at) "
    "SELECT m.id, u.ev, u.pl::json, u.oid, "
    "'epoch'::timestamp + ($5::bigint + u.k - 1) * interval '1 microsecond' "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY "
    "AS u(mid, ev, pl, oid, k) "
    "JOIN merchants m ON m.id = u.mid::uuid AND m.webhook_url IS NOT NULL "
    "AND m.webhook_url <> '' "
    "ON CONFLICT (object_id, event) DO NOTHING RETURNING id, object_id) "
    "SELECT ins.id, o.i FROM ins JOIN unnest($4::text[]) WITH ORDINALITY AS o(oid, i) "
    "ON o.oid = ins.object_id",
    5
};

struct jobs_due {
    const char *raw; /* the member exactly as stored in Redis (points into the reply) */
    size_t rawlen;
    int64_t due; /* Unix ms */
    char id[JOBS_ID_MAX + 1];
    int deliveries;
    bool valid;
    bool dup; /* same id as an earlier job of the batch */
    const char *upi_outcome;
    const char *card_outcome;
    bool changed;
    char status[16];
    char log_id[MODEL_UUID_SZ];
};

struct jobs_batch {
    enum jobs_kind kind;
    struct jobs_due *jobs;
    size_t n;
};

/* Appends s as one element of a PostgreSQL array literal ("…" with \ and " escaped). */
static int
jobs_arr_add(struct buf *b, const char *s)
{
    const char *p;

    if (buf_putc(b, b->len == 0 ? '{' : ',') != 0 || buf_putc(b, '"') != 0) {
        return -1;
    }
    for (p = s; *p != '\0'; p++) {
        if ((*p == '"' || *p == '\\') && buf_putc(b, '\\') != 0) {
            return -1;
        }
        if (buf_putc(b, *p) != 0) {
            return -1;
        }
    }
    return buf_putc(b, '"');
}

static int
jobs_arr_end(struct buf *b)
{
    if (b->len == 0 && buf_putc(b, '{') != 0) {
        return -1;
    }
    return buf_putc(b, '}');
}

/* Sets *ix to map[k - 1] for the 1-based ordinal k read from column col; false when k is out
 * of range (m entries). */
static bool
jobs_at(const size_t *map, size_t m, const struct db_res *res, int row, int col, size_t *ix)
{
    int64_t k = db_int(res, row, col);

    if (k < 1 || (size_t)k > m) {
        return false;
    }
    *ix = map[k - 1];
    return true;
}

/* Runs the settling UPDATE over the valid, distinct jobs of the batch. map[k - 1] is set to
 * the index in bt->jobs of the job whose id is element k of $1, and *m to their number. */
static int
jobs_batch_update(struct db *db, struct jobs_batch *bt, size_t *map, size_t *m, struct db_res *res,
                  struct gw_err *err)
{
    struct buf ids, upi, card;
    const char *params[3];
    struct jobs_due *j;
    size_t i;
    int ret = -1;

    buf_init(&ids, 0);
    buf_init(&upi, 0);
    buf_init(&card, 0);
    *m = 0;
    for (i = 0; i < bt->n; i++) {
        j = &bt->jobs[i];
        j->changed = false;
        j->log_id[0] = '\0';
        if (!j->valid || j->dup) {
            continue;
        }
        if (jobs_arr_add(&ids, j->id) != 0
            || (bt->kind == JOBS_PAYMENT
                && (jobs_arr_add(&upi, j->upi_outcome) != 0
                    || jobs_arr_add(&card, j->card_outcome) != 0))) {
            goto oom;
        }
        map[(*m)++] = i;
    }
    if (jobs_arr_end(&ids) != 0 || jobs_arr_end(&upi) != 0 || jobs_arr_end(&card) != 0) {
        goto oom;
    }
    params[0] = ids.data;
    params[1] = upi.data;
    params[2] = card.data;
    if (db_exec(db, bt->kind == JOBS_PAYMENT ? &st_pay_settle_batch : &st_ref_settle_batch, params,
                res, err)
        == 0) {
        ret = 0;
    }
    goto out;
oom:
    ret = GW_ERR(err, INTERNAL, "cannot build batch parameters");
out:
    buf_release(&card);
    buf_release(&upi);
    buf_release(&ids);
    return ret;
}

/* The events of the rows a batch changed, as PostgreSQL array literals ($1 to $4 of
 * st_event_insert_batch), and the job of each. */
struct jobs_events {
    struct buf mids, evs, pls, oids;
    struct buf payload; /* scratch: the payload of one event */
    size_t *map;        /* ordinal of an event - 1 -> index in the batch */
    size_t n;
};

static void
jobs_events_init(struct jobs_events *ev, size_t max)
{
    buf_init(&ev->mids, 0);
    buf_init(&ev->evs, 0);
    buf_init(&ev->pls, 0);
    buf_init(&ev->oids, 0);
    buf_init(&ev->payload, (size_t)64 * KIB);
    ev->map = xcalloc(max, sizeof(*ev->map));
    ev->n = 0;
}

static void
jobs_events_release(struct jobs_events *ev)
{
    free(ev->map);
    buf_release(&ev->payload);
    buf_release(&ev->oids);
    buf_release(&ev->pls);
    buf_release(&ev->evs);
    buf_release(&ev->mids);
}

/* Scratch space for one settled row. */
union jobs_obj {
    struct payment p;
    struct refund r;
};

/* Reads settled row `row` (the job bt->jobs[ix]) into o, records the job's new status and
 * appends its event to ev, its payload built by event_payment_payload or event_refund_payload
 * so that its bytes are theirs (SPEC 11.2). */
static int
jobs_batch_event(struct jobs_batch *bt, size_t ix, const struct db_res *res, int row, int64_t ts,
                 union jobs_obj *o, struct jobs_events *ev, struct gw_err *err)
{
    struct jobs_due *j = &bt->jobs[ix];
    const char *event, *merchant_id, *object_id;
    int rc;

    buf_reset(&ev->payload);
    if (bt->kind == JOBS_PAYMENT) {
        payment_from_row(res, row, &o->p);
        event = strcmp(o->p.status, "success") == 0 ? EVENT_PAYMENT_SUCCESS : EVENT_PAYMENT_FAILED;
        rc = event_payment_payload(&ev->payload, event, ts, &o->p);
        merchant_id = o->p.merchant_id;
        object_id = o->p.id;
        gw_copy_str(j->status, sizeof(j->status), o->p.status);
    } else {
        refund_from_row(res, row, &o->r);
        event = EVENT_REFUND_PROCESSED;
        rc = event_refund_payload(&ev->payload, event, ts, &o->r);
        merchant_id = o->r.merchant_id;
        object_id = o->r.id;
        gw_copy_str(j->status, sizeof(j->status), o->r.status);
    }
    if (rc != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise '%s' payload", event);
    }
    j->changed = true;
    if (jobs_arr_add(&ev->mids, merchant_id) != 0 || jobs_arr_add(&ev->evs, event) != 0
        || jobs_arr_add(&ev->pls, ev->payload.data) != 0
        || jobs_arr_add(&ev->oids, object_id) != 0) {
        return GW_ERR(err, INTERNAL, "cannot build batch parameters");
    }
    ev->map[ev->n++] = ix;
    return 0;
}

/* Inserts the events (for the merchants that have a webhook_url, event_create semantics) and
 * records each new log id on its job. */
static int
jobs_events_insert(struct db *db, struct jobs_batch *bt, struct jobs_events *ev, int64_t us,
                   struct gw_err *err)
{
    struct db_res ins = DB_RES_INIT;
    const char *params[5];
    char tsbuf[32];
    size_t ix;
    int row;
    int ret = -1;

    if (ev->n == 0) {
        return 0;
    }
    if (jobs_arr_end(&ev->mids) != 0 || jobs_arr_end(&ev->evs) != 0 || jobs_arr_end(&ev->pls) != 0
        || jobs_arr_end(&ev->oids) != 0) {
        return GW_ERR(err, INTERNAL, "cannot build batch parameters");
    }
    (void)snprintf(tsbuf, sizeof(tsbuf), "%" PRId64, us);
    params[0] = ev->mids.data;
    params[1] = ev->evs.data;
    params[2] = ev->pls.data;
    params[3] = ev->oids.data;
    params[4] = tsbuf;
    if (db_exec(db, &st_event_insert_batch, params, &ins, err) != 0) {
        goto out;
    }
    for (row = 0; row < ins.nrows; row++) {
        if (jobs_at(ev->map, ev->n, &ins, row, 1, &ix) && db_val(&ins, row, 0) != NULL) {
            gw_copy_str(bt->jobs[ix].log_id, sizeof(bt->jobs[ix].log_id), db_val(&ins, row, 0));
        }
    }
    ret = 0;
out:
    db_res_release(&ins);
    return ret;
}

static int
jobs_batch_tx(struct db *db, void *arg, struct gw_err *err)
{
    struct jobs_batch *bt = arg;
    struct db_res res = DB_RES_INIT;
    struct jobs_events ev;
    union jobs_obj *o = xcalloc(1, sizeof(*o));
    size_t *idmap = xcalloc(bt->n, sizeof(*idmap)); /* ordinal in $1 - 1 -> index in the batch */
    int64_t us, ts;
    size_t nid, ix;
    int row;
    int ret = -1;

    jobs_events_init(&ev, bt->n);
    if (jobs_batch_update(db, bt, idmap, &nid, &res, err) != 0) {
        goto out;
    }
    us = event_clock_reserve((size_t)res.nrows); /* one value per possible event */
    ts = us / 1000000;
    for (row = 0; row < res.nrows; row++) {
        const char *id = db_val(&res, row, 0);

        if (!jobs_at(idmap, nid, &res, row, res.ncols - 1, &ix)
            || strcmp(bt->jobs[ix].id, id != NULL ? id : "") != 0) {
            ret = GW_ERR(err, INTERNAL, "settled row matches no job");
            goto out;
        }
        if (jobs_batch_event(bt, ix, &res, row, ts, o, &ev, err) != 0) {
            goto out;
        }
    }
    ret = jobs_events_insert(db, bt, &ev, us, err);
out:
    jobs_events_release(&ev);
    free(idmap);
    free(o);
    db_res_release(&res);
    return ret;
}

/* Puts claimed jobs back into the delayed set unchanged, due in 1 s (the database is away). */
static void
jobs_reschedule(struct wk *w, const struct jobs_def *def, const struct jobs_due *jobs, size_t n)
{
    struct gw_err err = GW_ERR_INIT;
    const char **argv;
    size_t *lens;
    char score[32];
    size_t i, a = 0;

    if (n == 0) {
        return;
    }
    argv = xcalloc(3 + 2 * n, sizeof(*argv));
    lens = xcalloc(3 + 2 * n, sizeof(*lens));
    (void)snprintf(score, sizeof(score), "%" PRId64, wk_unix_ms() + WK_BACKOFF_MIN_MS);
    argv[a] = "ZADD";
    lens[a++] = 4;
    argv[a] = def->delayed;
    lens[a++] = strlen(def->delayed);
    argv[a] = "NX";
    lens[a++] = 2;
    for (i = 0; i < n; i++) {
        argv[a] = score;
        lens[a++] = strlen(score);
        argv[a] = jobs[i].raw;
        lens[a++] = jobs[i].rawlen;
    }
    if (queue_cmd(w->q, NULL, &err, (int)a, argv, lens) != 0) {
        /* Lost from Redis: the sweep re-enqueues the objects (SPEC 10.4). */
        log_error("cannot reschedule jobs", LOG_S("type", def->type), LOG_I("jobs", n),
                  LOG_S("error", err.msg));
        wk_queue_failed(w, &err);
    }
    free(lens);
    free(argv);
}

/* After COMMIT: one LPUSH of the new log ids, one HINCRBY, one log line per job. */
static void
jobs_batch_done(struct wk *w, const struct jobs_def *def, struct jobs_batch *bt)
{
    struct gw_err err = GW_ERR_INIT;
    const char **argv = xcalloc(2 + bt->n, sizeof(*argv));
    char nbuf[24];
    size_t i, a = 2;
    int64_t changed = 0, now = wk_unix_ms();

    argv[0] = "LPUSH";
    argv[1] = Q_WEBHOOKS;
    for (i = 0; i < bt->n; i++) {
        struct jobs_due *j = &bt->jobs[i];

        if (!j->valid) {
            log_warn("malformed job dropped", LOG_S("type", def->type));
        } else if (!j->changed) {
            log_info("job done", LOG_S("type", def->type), LOG_S("id", j->id),
                     LOG_S("outcome", "already final"));
        } else {
            changed++;
            log_info("job done", LOG_S("type", def->type), LOG_S("id", j->id),
                     LOG_S("outcome", j->status), LOG_S("webhook_id", j->log_id),
                     LOG_I("late_ms", now - j->due));
            if (j->log_id[0] != '\0') {
                argv[a++] = j->log_id;
            }
        }
    }
    if (a > 2 && queue_cmd(w->q, NULL, &err, (int)a, argv, NULL) != 0) {
        /* The database poll finds the logs anyway. */
        wk_queue_failed(w, &err);
    } else if (changed > 0) {
        (void)snprintf(nbuf, sizeof(nbuf), "%" PRId64, changed);
        if (queue_cmdv(w->q, NULL, &err, "HINCRBY", Q_STATS_COMPLETED, def->stat_field, nbuf,
                       (const char *)NULL)
            != 0) {
            wk_queue_failed(w, &err);
        }
    }
    free(argv);
}

/* Runs one job alone, through the same statements as a batch (used when a batch failed for an
 * internal reason, so that only a bad job counts a delivery). */
static void
jobs_run_one(struct wk *w, enum jobs_kind kind, const struct jobs_due *src)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct jobs_due job;
    struct jobs_batch bt = { kind, &job, 1 };

    memset(&job, 0, sizeof(job));
    job.raw = src->raw;
    job.rawlen = src->rawlen;
    job.due = src->due;
    if (!jobs_parse(job.raw, job.rawlen, def->type, job.id, &job.deliveries)) {
        log_warn("malformed job dropped", LOG_S("type", def->type));
        return;
    }
    job.valid = true;
    if (kind == JOBS_PAYMENT) {
        job.upi_outcome = jobs_outcome(w, w->cfg->upi_success_rate);
        job.card_outcome = jobs_outcome(w, w->cfg->card_success_rate);
    }
    if (db_tx(w->db, jobs_batch_tx, &bt, &err) != 0) {
        log_warn("job failed", LOG_S("type", def->type), LOG_S("id", job.id),
                 LOG_I("deliveries", job.deliveries), LOG_S("error", err.msg));
        jobs_retry(w, def, job.id, job.deliveries, &err);
        wk_db_failed(w, &err);
        return;
    }
    jobs_batch_done(w, def, &bt);
}

static void
jobs_settle(struct wk *w, enum jobs_kind kind, struct jobs_due *jobs, size_t n)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct jobs_batch bt = { kind, jobs, n };
    size_t i, k;
    int64_t t0;

    for (i = 0; i < n; i++) {
        jobs[i].valid =
            jobs_parse(jobs[i].raw, jobs[i].rawlen, def->type, jobs[i].id, &jobs[i].deliveries);
        if (!jobs[i].valid) {
            continue;
        }
        for (k = 0; k < i; k++) {
            if (jobs[k].valid && !jobs[k].dup && strcmp(jobs[k].id, jobs[i].id) == 0) {
                jobs[i].dup = true;
                break;
            }
        }
        if (kind == JOBS_PAYMENT) {
            jobs[i].upi_outcome = jobs_outcome(w, w->cfg->upi_success_rate);
            jobs[i].card_outcome = jobs_outcome(w, w->cfg->card_success_rate);
        }
    }
    t0 = wk_now_ms();
    if (db_tx(w->db, jobs_batch_tx, &bt, &err) == 0) {
        log_info("job batch settled", LOG_S("type", def->type), LOG_I("jobs", n),
                 LOG_I("tx_ms", wk_now_ms() - t0),
                 LOG_I("first_late_ms", wk_unix_ms() - jobs[0].due));
        jobs_batch_done(w, def, &bt);
        return;
    }
    log_warn("job batch failed", LOG_S("type", def->type), LOG_I("jobs", n),
             LOG_S("error", err.msg));
    if (err.code == GW_E_UNAVAILABLE && !db_is_connected(w->db)) {
        /* The database went away: not the jobs' fault, try them again after the reconnect. */
        wk_db_failed(w, &err);
        jobs_reschedule(w, def, jobs, n);
        return;
    }
    /* Internal failure: run the jobs one by one so that only a bad job counts a delivery. */
    for (i = 0; i < n; i++) {
        if (!w->dbl.up || !w->ql.up) {
            jobs_reschedule(w, def, jobs + i, n - i);
            return;
        }
        jobs_run_one(w, kind, &jobs[i]);
    }
}

int
jobs_run_due(struct wk *w, enum jobs_kind kind, int64_t deadline_ms, bool *more)
{
    const struct jobs_def *def = &jobs_defs[kind];
    struct gw_err err = GW_ERR_INIT;
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_reply c = QUEUE_REPLY_INIT;
    const char *keys[1] = { def->delayed };
    const char **args = NULL;
    size_t *lens = NULL;
    struct jobs_due *jobs = NULL;
    char now[32], lim[16];
    size_t i, nm, n;
    int done = 0;
    int ret = -1;
    bool first = true;

    *more = false;
    (void)snprintf(lim, sizeof(lim), "%d", WK_DUE_BATCH);
    args = xcalloc(WK_DUE_BATCH, sizeof(*args));
    lens = xcalloc(WK_DUE_BATCH, sizeof(*lens));
    jobs = xcalloc(WK_DUE_BATCH, sizeof(*jobs));
    for (;;) {
        if (!first && (wk_now_ms() >= deadline_ms || !w->dbl.up || !w->ql.up || w->stopping)) {
            *more = true;
            break;
        }
        first = false;
        queue_reply_release(&r);
        queue_reply_release(&c);
        (void)snprintf(now, sizeof(now), "%" PRId64, wk_unix_ms());
        if (queue_cmdv(w->q, &r, &err, "ZRANGEBYSCORE", def->delayed, "-inf", now, "WITHSCORES",
                       "LIMIT", "0", lim, (const char *)NULL)
            != 0) {
            wk_queue_failed(w, &err);
            goto out;
        }
        if (r.type != QR_ARRAY || r.nelem < 2) {
            break;
        }
        nm = 0;
        for (i = 0; i + 1 < r.nelem && nm < WK_DUE_BATCH; i += 2) {
            args[nm] = r.elem[i].str != NULL ? r.elem[i].str : "";
            lens[nm] = r.elem[i].str != NULL ? r.elem[i].len : 0;
            nm++;
        }
        if (jobs_eval(w, lua_claim, 1, keys, nm, args, lens, &c, &err) != 0) {
            wk_queue_failed(w, &err);
            goto out;
        }
        n = 0;
        memset(jobs, 0, WK_DUE_BATCH * sizeof(*jobs));
        for (i = 0; c.type == QR_ARRAY && i < c.nelem; i++) {
            long long idx = c.elem[i].type == QR_INTEGER ? c.elem[i].integer : 0;
            const char *score;

            if (idx < 1 || (size_t)idx > nm) {
                continue;
            }
            score = r.elem[2 * (size_t)(idx - 1) + 1].str;
            jobs[n].raw = args[idx - 1];
            jobs[n].rawlen = lens[idx - 1];
            jobs[n].due = score != NULL ? strtoll(score, NULL, 10) : 0;
            n++;
        }
        if (n > 0) {
            jobs_settle(w, kind, jobs, n);
            done += (int)n;
        }
        if (nm < WK_DUE_BATCH) {
            break;
        }
    }
    ret = done;
out:
    free(jobs);
    free(lens);
    free(args);
    queue_reply_release(&c);
    queue_reply_release(&r);
    return ret;
}

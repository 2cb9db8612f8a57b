/* queue.c: the only hiredis user (STYLE 2.8). Commands go through redisCommandArgv only, so user
 * data is never a format string; replies are copied out; a NULL reply drops the context and the
 * next call reconnects (one attempt per call, never a loop). */
#include "queue.h"

#include "buf.h"
#include "jsonh.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_TIMEOUT_S 1 /* connect and command timeout */
#define QUEUE_MAX_ARGS  64

struct queue {
    char *host;
    int port;
    char *user;     /* NULL when not given */
    char *password; /* NULL when not given */
    long db;
    redisContext *ctx;
};

static char *
queue_pct_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t i, j = 0;
    char hex[3];

    for (i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            hex[0] = s[i + 1];
            hex[1] = s[i + 2];
            hex[2] = '\0';
            if (strspn(hex, "0123456789abcdefABCDEF") == 2) {
                out[j++] = (char)strtol(hex, NULL, 16);
                i += 2;
                continue;
            }
        }
        out[j++] = s[i];
    }
    out[j] = '\0';
    return out;
}

static int
queue_parse_url(struct queue *q, const char *url, struct gw_err *err)
{
    const char *p, *at, *hostend, *colon, *slash, *end;
    char *endp;
    long v;

    if (strncmp(url, "redis://", 8) != 0) {
        return GW_ERR(err, INTERNAL, "REDIS_URL must start with redis://");
    }
    p = url + 8;
    end = p + strlen(p);
    slash = strchr(p, '/');
    if (slash == NULL) {
        slash = end;
    }
    at = memrchr(p, '@', (size_t)(slash - p));
    if (at != NULL) {
        colon = memchr(p, ':', (size_t)(at - p));
        if (colon != NULL) {
            if (colon > p) {
                q->user = queue_pct_decode(p, (size_t)(colon - p));
            }
            q->password = queue_pct_decode(colon + 1, (size_t)(at - colon - 1));
        } else if (at > p) {
            q->password = queue_pct_decode(p, (size_t)(at - p));
        }
        p = at + 1;
    }
    if (*p == '[') {
        hostend = memchr(p, ']', (size_t)(slash - p));
        if (hostend == NULL) {
            return GW_ERR(err, INTERNAL, "REDIS_URL has a malformed host");
        }
        q->host = xstrndup(p + 1, (size_t)(hostend - p - 1));
        colon = hostend + 1 < slash && hostend[1] == ':' ? hostend + 1 : NULL;
    } else {
        colon = memchr(p, ':', (size_t)(slash - p));
        hostend = colon != NULL ? colon : slash;
        q->host = xstrndup(p, (size_t)(hostend - p));
    }
    if (q->host[0] == '\0') {
        free(q->host);
        q->host = xstrdup("localhost");
    }
    q->port = 6379;
    if (colon != NULL && colon + 1 < slash) {
        errno = 0;
        v = strtol(colon + 1, &endp, 10);
        if (errno != 0 || endp != slash || v < 1 || v > 65535) {
            return GW_ERR(err, INTERNAL, "REDIS_URL has an invalid port");
        }
        q->port = (int)v;
    }
    q->db = 0;
    if (slash < end && slash[1] != '\0') {
        errno = 0;
        v = strtol(slash + 1, &endp, 10);
        if (errno != 0 || *endp != '\0' || v < 0 || v > 1000000) {
            return GW_ERR(err, INTERNAL, "REDIS_URL has an invalid database number");
        }
        q->db = v;
    }
    return 0;
}

struct queue *
queue_new(const char *url, struct gw_err *err)
{
    struct queue *q = xcalloc(1, sizeof(*q));

    if (url == NULL || queue_parse_url(q, url, err) != 0) {
        if (url == NULL) {
            (void)GW_ERR(err, INTERNAL, "REDIS_URL is not set");
        }
        queue_free(q);
        return NULL;
    }
    return q;
}

static void
queue_drop(struct queue *q)
{
    if (q->ctx != NULL) {
        redisFree(q->ctx);
        q->ctx = NULL;
    }
}

void
queue_free(struct queue *q)
{
    if (q == NULL) {
        return;
    }
    queue_drop(q);
    free(q->host);
    free(q->user);
    if (q->password != NULL) {
        memset(q->password, 0, strlen(q->password));
        free(q->password);
    }
    free(q);
}

bool
queue_is_connected(const struct queue *q)
{
    return q->ctx != NULL && q->ctx->err == 0;
}

/* Runs a setup command (AUTH, SELECT) on a fresh context; -1 on any failure. */
static int
queue_setup_cmd(struct queue *q, int argc, const char **argv, const char *what)
{
    redisReply *r = redisCommandArgv(q->ctx, argc, argv, NULL);
    int ret = -1;

    if (r == NULL) {
        log_warn("redis connection failed", LOG_S("step", what), LOG_S("error", q->ctx->errstr));
        goto out;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        log_warn("redis connection failed", LOG_S("step", what), LOG_S("error", r->str));
        goto out;
    }
    ret = 0;
out:
    freeReplyObject(r);
    return ret;
}

int
queue_ensure(struct queue *q, struct gw_err *err)
{
    struct timeval tv = { QUEUE_TIMEOUT_S, 0 };
    const char *argv[3];
    char dbstr[24];

    if (queue_is_connected(q)) {
        return 0;
    }
    queue_drop(q);
    q->ctx = redisConnectWithTimeout(q->host, q->port, tv);
    if (q->ctx == NULL || q->ctx->err != 0) {
        log_warn("redis connection failed",
                 LOG_S("error", q->ctx != NULL ? q->ctx->errstr : "out of memory"));
        goto fail;
    }
    if (redisSetTimeout(q->ctx, tv) != REDIS_OK) {
        log_warn("redis connection failed", LOG_S("error", "cannot set timeout"));
        goto fail;
    }
    if (q->password != NULL) {
        argv[0] = "AUTH";
        if (q->user != NULL) {
            argv[1] = q->user;
            argv[2] = q->password;
            if (queue_setup_cmd(q, 3, argv, "auth") != 0) {
                goto fail;
            }
        } else {
            argv[1] = q->password;
            if (queue_setup_cmd(q, 2, argv, "auth") != 0) {
                goto fail;
            }
        }
    }
    if (q->db != 0) {
        (void)snprintf(dbstr, sizeof(dbstr), "%ld", q->db);
        argv[0] = "SELECT";
        argv[1] = dbstr;
        if (queue_setup_cmd(q, 2, argv, "select") != 0) {
            goto fail;
        }
    }
    return 0;
fail:
    queue_drop(q);
    return GW_ERR(err, UNAVAILABLE, "redis unavailable");
}

/* Recursion depth is bounded by hiredis (its reader nests at most 7 levels). */
static void
queue_reply_copy(const redisReply *r, struct queue_reply *out) /* NOLINT(misc-no-recursion) */
{
    size_t i;

    memset(out, 0, sizeof(*out));
    switch (r->type) {
    case REDIS_REPLY_STRING:
        out->type = QR_STRING;
        break;
    case REDIS_REPLY_STATUS:
        out->type = QR_STATUS;
        break;
    case REDIS_REPLY_ERROR:
        out->type = QR_ERROR;
        break;
    case REDIS_REPLY_INTEGER:
        out->type = QR_INTEGER;
        out->integer = r->integer;
        return;
    case REDIS_REPLY_ARRAY:
        out->type = QR_ARRAY;
        out->nelem = r->elements;
        if (r->elements > 0) {
            out->elem = xcalloc(r->elements, sizeof(*out->elem));
            for (i = 0; i < r->elements; i++) {
                queue_reply_copy(r->element[i], &out->elem[i]);
            }
        }
        return;
    case REDIS_REPLY_NIL:
    default:
        out->type = QR_NIL;
        return;
    }
    out->len = r->len;
    out->str = xmemdup0(r->str != NULL ? r->str : "", r->str != NULL ? r->len : 0);
}

static void
queue_reply_release(struct queue_reply *r) /* NOLINT(misc-no-recursion) */
{
    size_t i;

    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->nelem && r->elem != NULL; i++) {
        queue_reply_release(&r->elem[i]);
    }
    free(r->elem);
    free(r->str);
    memset(r, 0, sizeof(*r));
}

/* Runs one command given as argv; reply may be NULL when not needed. A server error reply sets
 * err INTERNAL; a lost connection sets err UNAVAILABLE and drops the context. Only the verbs
 * below call it. */
static int
queue_cmd(struct queue *q, struct queue_reply *reply, struct gw_err *err, int argc,
          const char *const *argv, const size_t *argvlen)
{
    redisReply *r = NULL;
    int ret = -1;

    if (reply != NULL) {
        queue_reply_release(reply);
    }
    if (argc < 1) {
        return GW_ERR(err, INTERNAL, "empty redis command");
    }
    if (queue_ensure(q, err) != 0) {
        return -1;
    }
    /* hiredis 0.14 takes non-const argv; it only reads it */
    r = redisCommandArgv(q->ctx, argc, (const char **)(uintptr_t)argv, argvlen);
    if (r == NULL) {
        log_warn("redis command failed", LOG_S("command", argv[0]), LOG_S("error", q->ctx->errstr));
        queue_drop(q);
        ret = GW_ERR(err, UNAVAILABLE, "redis connection lost");
        goto out;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        log_error("redis error reply", LOG_S("command", argv[0]), LOG_S("error", r->str));
        ret = GW_ERR(err, INTERNAL, "redis error reply to %s", argv[0]);
        goto out;
    }
    if (reply != NULL) {
        queue_reply_copy(r, reply);
    }
    ret = 0;
out:
    freeReplyObject(r);
    return ret;
}

/* Convenience: NULL-terminated list of NUL-terminated strings. */
static int
queue_cmdv(struct queue *q, struct queue_reply *reply, struct gw_err *err, ...)
{
    const char *argv[QUEUE_MAX_ARGS];
    const char *s;
    va_list ap;
    int argc = 0;

    va_start(ap, err);
    for (;;) {
        /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): false positive, va_start above */
        s = va_arg(ap, const char *);
        if (s == NULL) {
            break;
        }
        if (argc == QUEUE_MAX_ARGS) {
            va_end(ap);
            return GW_ERR(err, INTERNAL, "too many redis arguments");
        }
        argv[argc++] = s;
    }
    va_end(ap);
    return queue_cmd(q, reply, err, argc, argv, NULL);
}

bool
queue_ping(struct queue *q)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct gw_err err = GW_ERR_INIT;
    bool ok;

    ok = queue_cmdv(q, &r, &err, "PING", (const char *)NULL) == 0 && r.type == QR_STATUS
         && r.str != NULL && strcmp(r.str, "PONG") == 0;
    queue_reply_release(&r);
    return ok;
}

/* ---- command building and pipelines ---------------------------------------------------------- */

/* A command under construction: argv with lengths, so that every argument is binary safe. */
struct queue_argv {
    const char **argv;
    size_t *lens;
    size_t n;
    size_t cap;
};

static void
queue_argv_init(struct queue_argv *a, size_t cap)
{
    a->cap = cap < 4 ? 4 : cap;
    a->argv = xcalloc(a->cap, sizeof(*a->argv));
    a->lens = xcalloc(a->cap, sizeof(*a->lens));
    a->n = 0;
}

static void
queue_argv_release(struct queue_argv *a)
{
    free(a->argv);
    free(a->lens);
    memset(a, 0, sizeof(*a));
}

static void
queue_argv_addn(struct queue_argv *a, const char *s, size_t len)
{
    if (a->n == a->cap) {
        a->cap *= 2;
        a->argv = xrealloc(a->argv, a->cap * sizeof(*a->argv));
        a->lens = xrealloc(a->lens, a->cap * sizeof(*a->lens));
    }
    a->argv[a->n] = s;
    a->lens[a->n] = len;
    a->n++;
}

static void
queue_argv_add(struct queue_argv *a, const char *s)
{
    queue_argv_addn(a, s, strlen(s));
}

/* EVAL script nkeys key… (arguments follow with queue_argv_add*). */
static void
queue_argv_eval(struct queue_argv *a, const char *script, const char *nkeys)
{
    queue_argv_add(a, "EVAL");
    queue_argv_add(a, script);
    queue_argv_add(a, nkeys);
}

static int
queue_run(struct queue *q, const struct queue_argv *a, struct queue_reply *reply,
          struct gw_err *err)
{
    return queue_cmd(q, reply, err, (int)a->n, a->argv, a->lens);
}

/*
 * Sends n commands in one round trip, then reads the n replies (copied into replies[i] when
 * replies is not NULL). A lost connection drops the context (err UNAVAILABLE); an error reply
 * sets err INTERNAL once every reply has been read, so the context stays usable.
 */
static int
queue_pipeline(struct queue *q, const struct queue_argv *cmds, size_t n,
               struct queue_reply *replies, struct gw_err *err)
{
    void *vr = NULL;
    redisReply *r;
    size_t i;
    int ret = 0;

    for (i = 0; replies != NULL && i < n; i++) {
        queue_reply_release(&replies[i]);
    }
    if (queue_ensure(q, err) != 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        /* hiredis 0.14 takes non-const argv; it only reads it */
        if (redisAppendCommandArgv(q->ctx, (int)cmds[i].n, (const char **)(uintptr_t)cmds[i].argv,
                                   cmds[i].lens)
            != REDIS_OK) {
            log_warn("redis command failed", LOG_S("command", cmds[i].argv[0]),
                     LOG_S("error", q->ctx->errstr));
            queue_drop(q);
            return GW_ERR(err, UNAVAILABLE, "redis connection lost");
        }
    }
    for (i = 0; i < n; i++) {
        vr = NULL;
        if (redisGetReply(q->ctx, &vr) != REDIS_OK || vr == NULL) {
            log_warn("redis command failed", LOG_S("command", cmds[i].argv[0]),
                     LOG_S("error", q->ctx->errstr));
            freeReplyObject(vr);
            queue_drop(q);
            return GW_ERR(err, UNAVAILABLE, "redis connection lost");
        }
        r = vr;
        if (r->type == REDIS_REPLY_ERROR) {
            log_error("redis error reply", LOG_S("command", cmds[i].argv[0]),
                      LOG_S("error", r->str));
            if (ret == 0) {
                ret = GW_ERR(err, INTERNAL, "redis error reply to %s", cmds[i].argv[0]);
            }
        } else if (replies != NULL) {
            queue_reply_copy(r, &replies[i]);
        }
        freeReplyObject(r);
    }
    return ret;
}

static void
queue_argvs_release(struct queue_argv *cmds, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        queue_argv_release(&cmds[i]);
    }
}

/* Integer value of a reply: INTEGER, numeric STRING, anything else 0. */
static long long
queue_reply_int(const struct queue_reply *r)
{
    if (r->type == QR_INTEGER) {
        return r->integer;
    }
    if (r->type == QR_STRING && r->str != NULL) {
        return strtoll(r->str, NULL, 10);
    }
    return 0;
}

/* ---- the job message ------------------------------------------------------------------------ */

struct queue_keys {
    const char *type;
    const char *waiting;
    const char *processing;
    const char *delayed;
    const char *stat_field;
};

static const struct queue_keys queue_keys[QUEUE_NKINDS] = {
    { "payment", Q_PAYMENTS, Q_PAYMENTS_PROCESSING, Q_PAYMENTS_DELAYED, "payments" },
    { "refund", Q_REFUNDS, Q_REFUNDS_PROCESSING, Q_REFUNDS_DELAYED, "refunds" },
};

const char *
queue_kind_name(enum queue_kind kind)
{
    return queue_keys[kind].type;
}

static bool
queue_id_ok(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > QUEUE_ID_MAX) {
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

int
queue_job_encode(const struct queue_job *job, struct buf *out)
{
    struct jw w;

    jw_init(&w, out);
    jw_obj_begin(&w);
    jw_key(&w, "type");
    jw_str(&w, queue_kind_name(job->kind));
    jw_key(&w, "id");
    jw_str(&w, job->id);
    jw_key(&w, "deliveries");
    jw_int(&w, job->deliveries);
    jw_obj_end(&w);
    return jw_finish(&w);
}

bool
queue_job_decode(const char *raw, size_t len, enum queue_kind kind, struct queue_job *out)
{
    struct json_object *root = NULL, *v = NULL;
    const char *s;
    size_t slen;
    int64_t d = 0;
    bool ok = false;

    memset(out, 0, sizeof(*out));
    root = jsonh_parse_value(raw, len);
    if (root == NULL || !json_object_is_type(root, json_type_object)) {
        goto out;
    }
    if (!json_object_object_get_ex(root, "type", &v) || !json_object_is_type(v, json_type_string)
        || strcmp(json_object_get_string(v), queue_kind_name(kind)) != 0) {
        goto out;
    }
    if (!json_object_object_get_ex(root, "id", &v) || !json_object_is_type(v, json_type_string)) {
        goto out;
    }
    s = json_object_get_string(v);
    slen = (size_t)json_object_get_string_len(v);
    if (!queue_id_ok(s, slen)) {
        goto out;
    }
    if (json_object_object_get_ex(root, "deliveries", &v) && v != NULL) {
        if (!json_object_is_type(v, json_type_int)) {
            goto out;
        }
        d = json_object_get_int64(v);
        if (d < 0 || d > 1000) {
            goto out;
        }
    }
    out->kind = kind;
    memcpy(out->id, s, slen);
    out->id[slen] = '\0';
    out->deliveries = (int)d;
    ok = true;
out:
    json_object_put(root);
    return ok;
}

void
queue_batch_release(struct queue_batch *b)
{
    size_t i;

    if (b == NULL) {
        return;
    }
    for (i = 0; i < b->n; i++) {
        free(b->items[i].raw);
    }
    free(b->items);
    b->items = NULL;
    b->n = 0;
}

/* Fills out from the members of an array reply (every stride-th element from 0; with stride 2
 * the next element is the score). */
static void
queue_batch_from_reply(enum queue_kind kind, const struct queue_reply *r, size_t stride,
                       struct queue_batch *out)
{
    size_t i, k;

    out->kind = kind;
    out->n = 0;
    out->items = NULL;
    if (r->type != QR_ARRAY || r->nelem < stride) {
        return;
    }
    out->items = xcalloc(r->nelem / stride, sizeof(*out->items));
    for (i = 0; i + stride <= r->nelem; i += stride) {
        const struct queue_reply *e = &r->elem[i];
        struct queue_item *it = &out->items[out->n++];

        it->raw = xmemdup0(e->str != NULL ? e->str : "", e->str != NULL ? e->len : 0);
        it->rawlen = e->str != NULL ? e->len : 0;
        it->valid = e->type == QR_STRING && queue_job_decode(it->raw, it->rawlen, kind, &it->job);
        for (k = 1; k < stride; k++) {
            it->due = queue_reply_int(&r->elem[i + k]);
        }
    }
}

/* Encodes jobs[i] into bufs[i] (initialised here). */
static int
queue_encode_all(const struct queue_job *jobs, size_t n, struct buf *bufs, struct gw_err *err)
{
    size_t i;
    int ret = 0;

    for (i = 0; i < n; i++) {
        buf_init(&bufs[i], (size_t)4 * KIB);
        if (ret == 0 && queue_job_encode(&jobs[i], &bufs[i]) != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot serialise job");
        }
    }
    return ret;
}

/* ---- producers ------------------------------------------------------------------------------ */

int
queue_push_work(struct queue *q, const struct queue_job *jobs, size_t njobs,
                const char *const *webhook_log_ids, size_t nlogs, struct gw_err *err)
{
    struct queue_argv cmds[QUEUE_NKINDS + 1];
    struct buf *bufs = NULL;
    size_t i, n = 0;
    int k;
    int ret = -1;

    memset(cmds, 0, sizeof(cmds));
    if (njobs == 0 && nlogs == 0) {
        return 0;
    }
    bufs = xcalloc(njobs > 0 ? njobs : 1, sizeof(*bufs));
    if (queue_encode_all(jobs, njobs, bufs, err) != 0) {
        goto out;
    }
    for (k = 0; k < QUEUE_NKINDS; k++) {
        struct queue_argv *a = &cmds[n];

        for (i = 0; i < njobs; i++) {
            if ((int)jobs[i].kind != k) {
                continue;
            }
            if (a->argv == NULL) {
                queue_argv_init(a, njobs + 2);
                queue_argv_add(a, "LPUSH");
                queue_argv_add(a, queue_keys[k].waiting);
            }
            queue_argv_addn(a, bufs[i].data, bufs[i].len);
        }
        if (a->argv != NULL) {
            n++;
        }
    }
    if (nlogs > 0) {
        queue_argv_init(&cmds[n], nlogs + 2);
        queue_argv_add(&cmds[n], "LPUSH");
        queue_argv_add(&cmds[n], Q_WEBHOOKS);
        for (i = 0; i < nlogs; i++) {
            queue_argv_add(&cmds[n], webhook_log_ids[i]);
        }
        n++;
    }
    ret = queue_pipeline(q, cmds, n, NULL, err);
out:
    queue_argvs_release(cmds, ARRAY_LEN(cmds));
    for (i = 0; i < njobs; i++) {
        buf_release(&bufs[i]);
    }
    free(bufs);
    return ret;
}

void
queue_push_committed(struct queue *q, enum queue_kind kind, const char *job_id,
                     const char *const *webhook_log_ids, size_t nlogs)
{
    struct gw_err err = GW_ERR_INIT;
    struct queue_job job = { kind, "", 0 };
    const char *logs[4];
    size_t n = 0, i;
    bool has_job = job_id != NULL && job_id[0] != '\0';

    if (q == NULL) {
        return;
    }
    for (i = 0; i < nlogs && n < ARRAY_LEN(logs); i++) {
        if (webhook_log_ids[i] != NULL && webhook_log_ids[i][0] != '\0') {
            logs[n++] = webhook_log_ids[i];
        }
    }
    if (!has_job && n == 0) {
        return;
    }
    if (has_job) {
        (void)snprintf(job.id, sizeof(job.id), "%s", job_id);
    }
    if (queue_push_work(q, &job, has_job ? 1 : 0, logs, n, &err) != 0) {
        log_warn("redis push failed after commit", LOG_S("id", has_job ? job_id : logs[0]),
                 LOG_S("error", err.msg));
    }
}

int
queue_push_jobs(struct queue *q, const struct queue_job *jobs, size_t njobs, struct gw_err *err)
{
    return queue_push_work(q, jobs, njobs, NULL, 0, err);
}

/* ---- the worker's job verbs ----------------------------------------------------------------- */

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

/* KEYS: delayed; ARGV: now, lease end, max. The due members with their scores; each one's
 * score becomes the lease end, so that no other worker claims it before then (SPEC 10.2: one
 * claimer), while it stays in Redis until it is acked after COMMIT. */
static const char lua_claim[] =
    "local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, "
    "tonumber(ARGV[3]))\n"
    "for i = 1, #m, 2 do redis.call('ZADD', KEYS[1], 'XX', ARGV[2], m[i]) end\n"
    "return m\n";

/* KEYS: delayed; ARGV: claimed member, score, new member. */
static const char lua_retry[] = "redis.call('ZREM', KEYS[1], ARGV[1])\n"
                                "redis.call('ZADD', KEYS[1], 'NX', ARGV[2], ARGV[3])\n"
                                "return 0\n";

/* KEYS: delayed, dlq, stats:failed; ARGV: claimed member, dlq entry, stats field. */
static const char lua_dead[] = "redis.call('ZREM', KEYS[1], ARGV[1])\n"
                               "redis.call('LPUSH', KEYS[2], ARGV[2])\n"
                               "redis.call('HINCRBY', KEYS[3], ARGV[3], 1)\n"
                               "return 0\n";

/* KEYS: processing, waiting; ARGV: max. Moves up to max items back, oldest first again. */
static const char lua_requeue[] =
    "local n = 0\n"
    "while n < tonumber(ARGV[1]) do\n"
    "  if not redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'RIGHT') then break end\n"
    "  n = n + 1\n"
    "end\n"
    "return n\n";

int
queue_take(struct queue *q, enum queue_kind kind, size_t max, struct queue_batch *out,
           struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    char nbuf[24];
    int ret;

    out->kind = kind;
    out->items = NULL;
    out->n = 0;
    (void)snprintf(nbuf, sizeof(nbuf), "%zu", max);
    queue_argv_init(&a, 6);
    queue_argv_eval(&a, lua_take, "2");
    queue_argv_add(&a, queue_keys[kind].waiting);
    queue_argv_add(&a, queue_keys[kind].processing);
    queue_argv_add(&a, nbuf);
    ret = queue_run(q, &a, &r, err);
    if (ret == 0) {
        queue_batch_from_reply(kind, &r, 1, out);
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

int
queue_schedule(struct queue *q, const struct queue_batch *b, const int64_t *due, struct gw_err *err)
{
    char(*scores)[24] = NULL;
    struct queue_argv a;
    size_t i;
    int ret;

    if (b->n == 0) {
        return 0;
    }
    scores = xcalloc(b->n, sizeof(*scores));
    queue_argv_init(&a, 5 + 2 * b->n);
    queue_argv_eval(&a, lua_schedule, "2");
    queue_argv_add(&a, queue_keys[b->kind].delayed);
    queue_argv_add(&a, queue_keys[b->kind].processing);
    for (i = 0; i < b->n; i++) {
        if (due[i] >= 0) {
            (void)snprintf(scores[i], sizeof(scores[i]), "%" PRId64, due[i]);
        } else {
            (void)snprintf(scores[i], sizeof(scores[i]), "-");
        }
        queue_argv_add(&a, scores[i]);
        queue_argv_addn(&a, b->items[i].raw, b->items[i].rawlen);
    }
    ret = queue_run(q, &a, NULL, err);
    queue_argv_release(&a);
    free(scores);
    return ret;
}

int
queue_putback(struct queue *q, const struct queue_batch *b, struct gw_err *err)
{
    struct queue_argv a;
    size_t i;
    int ret;

    if (b->n == 0) {
        return 0;
    }
    queue_argv_init(&a, 5 + b->n);
    queue_argv_eval(&a, lua_putback, "2");
    queue_argv_add(&a, queue_keys[b->kind].waiting);
    queue_argv_add(&a, queue_keys[b->kind].processing);
    for (i = 0; i < b->n; i++) {
        queue_argv_addn(&a, b->items[i].raw, b->items[i].rawlen);
    }
    ret = queue_run(q, &a, NULL, err);
    queue_argv_release(&a);
    return ret;
}

int
queue_claim_due(struct queue *q, enum queue_kind kind, int64_t now_ms, int64_t lease_ms, size_t max,
                struct queue_batch *out, struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    char now[24], until[24], nbuf[24];
    int ret;

    out->kind = kind;
    out->items = NULL;
    out->n = 0;
    (void)snprintf(now, sizeof(now), "%" PRId64, now_ms);
    (void)snprintf(until, sizeof(until), "%" PRId64, now_ms + lease_ms);
    (void)snprintf(nbuf, sizeof(nbuf), "%zu", max);
    queue_argv_init(&a, 7);
    queue_argv_eval(&a, lua_claim, "1");
    queue_argv_add(&a, queue_keys[kind].delayed);
    queue_argv_add(&a, now);
    queue_argv_add(&a, until);
    queue_argv_add(&a, nbuf);
    ret = queue_run(q, &a, &r, err);
    if (ret == 0) {
        queue_batch_from_reply(kind, &r, 2, out);
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

int
queue_ack(struct queue *q, enum queue_kind kind, const struct queue_item *items, size_t n,
          const char *const *log_ids, size_t nlogs, int64_t completed, struct gw_err *err)
{
    struct queue_argv cmds[3];
    char nbuf[24];
    size_t i, c = 0;
    int ret;

    memset(cmds, 0, sizeof(cmds));
    if (n > 0) {
        queue_argv_init(&cmds[c], n + 2);
        queue_argv_add(&cmds[c], "ZREM");
        queue_argv_add(&cmds[c], queue_keys[kind].delayed);
        for (i = 0; i < n; i++) {
            queue_argv_addn(&cmds[c], items[i].raw, items[i].rawlen);
        }
        c++;
    }
    if (nlogs > 0) {
        queue_argv_init(&cmds[c], nlogs + 2);
        queue_argv_add(&cmds[c], "LPUSH");
        queue_argv_add(&cmds[c], Q_WEBHOOKS);
        for (i = 0; i < nlogs; i++) {
            queue_argv_add(&cmds[c], log_ids[i]);
        }
        c++;
    }
    if (completed > 0) {
        (void)snprintf(nbuf, sizeof(nbuf), "%" PRId64, completed);
        queue_argv_init(&cmds[c], 4);
        queue_argv_add(&cmds[c], "HINCRBY");
        queue_argv_add(&cmds[c], Q_STATS_COMPLETED);
        queue_argv_add(&cmds[c], queue_keys[kind].stat_field);
        queue_argv_add(&cmds[c], nbuf);
        c++;
    }
    ret = c > 0 ? queue_pipeline(q, cmds, c, NULL, err) : 0;
    queue_argvs_release(cmds, ARRAY_LEN(cmds));
    return ret;
}

int
queue_delay(struct queue *q, enum queue_kind kind, const struct queue_item *items, size_t n,
            int64_t due_ms, struct gw_err *err)
{
    struct queue_argv a;
    char score[24];
    size_t i;
    int ret;

    if (n == 0) {
        return 0;
    }
    (void)snprintf(score, sizeof(score), "%" PRId64, due_ms);
    queue_argv_init(&a, 3 + 2 * n);
    queue_argv_add(&a, "ZADD");
    queue_argv_add(&a, queue_keys[kind].delayed);
    queue_argv_add(&a, "XX");
    for (i = 0; i < n; i++) {
        queue_argv_add(&a, score);
        queue_argv_addn(&a, items[i].raw, items[i].rawlen);
    }
    ret = queue_run(q, &a, NULL, err);
    queue_argv_release(&a);
    return ret;
}

int
queue_retry(struct queue *q, const struct queue_item *item, int deliveries, int64_t due_ms,
            struct gw_err *err)
{
    struct queue_job job = item->job;
    struct queue_argv a;
    struct buf b;
    char score[24];
    int ret = -1;

    job.deliveries = deliveries;
    buf_init(&b, (size_t)4 * KIB);
    queue_argv_init(&a, 7);
    if (queue_job_encode(&job, &b) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise job");
        goto out;
    }
    (void)snprintf(score, sizeof(score), "%" PRId64, due_ms);
    queue_argv_eval(&a, lua_retry, "1");
    queue_argv_add(&a, queue_keys[job.kind].delayed);
    queue_argv_addn(&a, item->raw, item->rawlen);
    queue_argv_add(&a, score);
    queue_argv_addn(&a, b.data, b.len);
    ret = queue_run(q, &a, NULL, err);
out:
    queue_argv_release(&a);
    buf_release(&b);
    return ret;
}

int
queue_dead(struct queue *q, const struct queue_item *item, const char *reason,
           const char *failed_at, struct gw_err *err)
{
    const struct queue_keys *k = &queue_keys[item->job.kind];
    struct queue_argv a;
    struct buf b;
    struct jw w;
    int ret = -1;

    buf_init(&b, (size_t)8 * KIB);
    queue_argv_init(&a, 9);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "type");
    jw_str(&w, k->type);
    jw_key(&w, "id");
    jw_str(&w, item->job.id);
    jw_key(&w, "reason");
    jw_str(&w, reason);
    jw_key(&w, "failed_at");
    jw_str(&w, failed_at);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise dlq entry");
        goto out;
    }
    queue_argv_eval(&a, lua_dead, "3");
    queue_argv_add(&a, k->delayed);
    queue_argv_add(&a, Q_DLQ);
    queue_argv_add(&a, Q_STATS_FAILED);
    queue_argv_addn(&a, item->raw, item->rawlen);
    queue_argv_addn(&a, b.data, b.len);
    queue_argv_add(&a, k->stat_field);
    ret = queue_run(q, &a, NULL, err);
out:
    queue_argv_release(&a);
    buf_release(&b);
    return ret;
}

int
queue_requeue_processing(struct queue *q, int64_t *moved, struct gw_err *err)
{
    static const char *const pairs[][2] = {
        { Q_PAYMENTS_PROCESSING, Q_PAYMENTS },
        { Q_REFUNDS_PROCESSING, Q_REFUNDS },
        { Q_WEBHOOKS_PROCESSING, Q_WEBHOOKS },
    };
    static const char max[] = "10000";
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    size_t i;
    int rounds;
    int ret = 0;

    *moved = 0;
    queue_argv_init(&a, 6);
    for (i = 0; i < ARRAY_LEN(pairs) && ret == 0; i++) {
        for (rounds = 0; rounds < 1000; rounds++) {
            a.n = 0;
            queue_argv_eval(&a, lua_requeue, "2");
            queue_argv_add(&a, pairs[i][0]);
            queue_argv_add(&a, pairs[i][1]);
            queue_argv_add(&a, max);
            ret = queue_run(q, &a, &r, err);
            if (ret != 0) {
                break;
            }
            *moved += queue_reply_int(&r);
            if (queue_reply_int(&r) < 10000) {
                break;
            }
        }
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

int
queue_heartbeat(struct queue *q, const char *heartbeat_json, size_t inflight, bool *lost,
                struct gw_err *err)
{
    struct queue_reply r[3] = { QUEUE_REPLY_INIT, QUEUE_REPLY_INIT, QUEUE_REPLY_INIT };
    struct queue_argv cmds[3];
    char nbuf[24];
    size_t i;
    int ret;

    *lost = false;
    (void)snprintf(nbuf, sizeof(nbuf), "%zu", inflight);
    for (i = 0; i < ARRAY_LEN(cmds); i++) {
        queue_argv_init(&cmds[i], 5);
        queue_argv_add(&cmds[i], "SET");
    }
    queue_argv_add(&cmds[0], Q_HEARTBEAT);
    queue_argv_add(&cmds[0], heartbeat_json);
    queue_argv_add(&cmds[0], "EX");
    queue_argv_add(&cmds[0], "10");
    queue_argv_add(&cmds[1], Q_INFLIGHT);
    queue_argv_add(&cmds[1], nbuf);
    queue_argv_add(&cmds[1], "EX");
    queue_argv_add(&cmds[1], "10");
    queue_argv_add(&cmds[2], Q_MARKER);
    queue_argv_add(&cmds[2], heartbeat_json);
    queue_argv_add(&cmds[2], "NX");
    ret = queue_pipeline(q, cmds, ARRAY_LEN(cmds), r, err);
    if (ret == 0) {
        *lost = r[2].type == QR_STATUS; /* "OK": the marker was missing */
    }
    queue_argvs_release(cmds, ARRAY_LEN(cmds));
    for (i = 0; i < ARRAY_LEN(r); i++) {
        queue_reply_release(&r[i]);
    }
    return ret;
}

/* ---- observability -------------------------------------------------------------------------- */

const char *const queue_attempt_outcomes[QUEUE_NOUTCOMES] = {
    "success", "http_error", "timeout", "connection_error", "not_configured", "blocked",
};

/* A command of one or two fixed words and a key. */
static void
queue_argv_simple(struct queue_argv *a, const char *cmd, const char *key)
{
    queue_argv_init(a, 4);
    queue_argv_add(a, cmd);
    queue_argv_add(a, key);
}

int
queue_depths(struct queue *q, struct queue_depths *out, struct gw_err *err)
{
    static const struct {
        const char *cmd;
        const char *key;
    } spec[] = {
        { "LLEN", Q_PAYMENTS },
        { "LLEN", Q_REFUNDS },
        { "LLEN", Q_WEBHOOKS },
        { "LLEN", Q_PAYMENTS_PROCESSING },
        { "LLEN", Q_REFUNDS_PROCESSING },
        { "LLEN", Q_WEBHOOKS_PROCESSING },
        { "ZCARD", Q_PAYMENTS_DELAYED },
        { "ZCARD", Q_REFUNDS_DELAYED },
        { "LLEN", Q_DLQ },
        { "GET", Q_INFLIGHT },
    };
    struct queue_argv cmds[ARRAY_LEN(spec)];
    struct queue_reply r[ARRAY_LEN(spec)];
    size_t i;
    int ret;

    memset(out, 0, sizeof(*out));
    memset(r, 0, sizeof(r));
    for (i = 0; i < ARRAY_LEN(spec); i++) {
        queue_argv_simple(&cmds[i], spec[i].cmd, spec[i].key);
    }
    ret = queue_pipeline(q, cmds, ARRAY_LEN(spec), r, err);
    if (ret == 0) {
        for (i = 0; i < 3; i++) {
            out->waiting[i] = queue_reply_int(&r[i]);
            out->processing[i] = queue_reply_int(&r[3 + i]);
        }
        out->delayed[0] = queue_reply_int(&r[6]);
        out->delayed[1] = queue_reply_int(&r[7]);
        out->dlq = queue_reply_int(&r[8]);
        out->inflight = queue_reply_int(&r[9]);
    }
    queue_argvs_release(cmds, ARRAY_LEN(cmds));
    for (i = 0; i < ARRAY_LEN(r); i++) {
        queue_reply_release(&r[i]);
    }
    return ret;
}

static long long
queue_reply_sum(const struct queue_reply *r)
{
    long long s = 0;
    size_t i;

    for (i = 0; r->type == QR_ARRAY && i < r->nelem; i++) {
        s += queue_reply_int(&r->elem[i]);
    }
    return s;
}

/* The HMGET reply of the QUEUE_NOUTCOMES outcome fields (a missing field is 0). */
static void
queue_reply_counts(const struct queue_reply *r, long long *out)
{
    size_t i;

    for (i = 0; r->type == QR_ARRAY && i < r->nelem && i < QUEUE_NOUTCOMES; i++) {
        out[i] = queue_reply_int(&r->elem[i]);
    }
}

int
queue_stats(struct queue *q, struct queue_stats *out, struct gw_err *err)
{
    struct queue_argv cmds[5];
    struct queue_reply r[5];
    size_t i;
    int ret;

    memset(out, 0, sizeof(*out));
    memset(r, 0, sizeof(r));
    queue_argv_simple(&cmds[0], "HVALS", Q_STATS_COMPLETED);
    queue_argv_simple(&cmds[1], "HVALS", Q_STATS_FAILED);
    queue_argv_simple(&cmds[2], "HMGET", Q_STATS_ATTEMPTS);
    queue_argv_simple(&cmds[3], "HMGET", Q_STATS_EP_ATTEMPTS);
    for (i = 0; i < QUEUE_NOUTCOMES; i++) {
        queue_argv_add(&cmds[2], queue_attempt_outcomes[i]);
        queue_argv_add(&cmds[3], queue_attempt_outcomes[i]);
    }
    queue_argv_simple(&cmds[4], "EXISTS", Q_HEARTBEAT);
    ret = queue_pipeline(q, cmds, ARRAY_LEN(cmds), r, err);
    if (ret == 0) {
        out->completed = queue_reply_sum(&r[0]);
        out->failed = queue_reply_sum(&r[1]);
        queue_reply_counts(&r[2], out->attempts);
        queue_reply_counts(&r[3], out->ep_attempts);
        out->worker_up = queue_reply_int(&r[4]) > 0;
    }
    queue_argvs_release(cmds, ARRAY_LEN(cmds));
    for (i = 0; i < ARRAY_LEN(r); i++) {
        queue_reply_release(&r[i]);
    }
    return ret;
}

int
queue_worker_up(struct queue *q, bool *up, struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    int ret;

    *up = false;
    queue_argv_simple(&a, "EXISTS", Q_HEARTBEAT);
    ret = queue_run(q, &a, &r, err);
    if (ret == 0) {
        *up = queue_reply_int(&r) > 0;
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

/* ---- dlq ------------------------------------------------------------------------------------ */

void
queue_strs_release(struct queue_strs *l)
{
    size_t i;

    if (l == NULL) {
        return;
    }
    for (i = 0; i < l->n; i++) {
        free(l->v[i].s);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int
queue_dlq_entries(struct queue *q, struct queue_strs *out, struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    size_t i;
    int ret;

    out->v = NULL;
    out->n = 0;
    queue_argv_simple(&a, "LRANGE", Q_DLQ);
    queue_argv_add(&a, "0");
    queue_argv_add(&a, "-1");
    ret = queue_run(q, &a, &r, err);
    if (ret == 0 && r.type == QR_ARRAY && r.nelem > 0) {
        out->v = xcalloc(r.nelem, sizeof(*out->v));
        for (i = 0; i < r.nelem; i++) {
            if (r.elem[i].type != QR_STRING) {
                continue;
            }
            out->v[out->n].s = xmemdup0(r.elem[i].str, r.elem[i].len);
            out->v[out->n].len = r.elem[i].len;
            out->n++;
        }
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

int
queue_dlq_remove_entry(struct queue *q, const char *entry, size_t len, int64_t *removed,
                       struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    int ret;

    queue_argv_simple(&a, "LREM", Q_DLQ);
    queue_argv_add(&a, "0");
    queue_argv_addn(&a, entry, len);
    ret = queue_run(q, &a, &r, err);
    if (ret == 0 && removed != NULL) {
        *removed = queue_reply_int(&r);
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

/* KEYS dlq, index; ARGV id, entry */
static const char lua_dlq_push[] = "redis.call('LPUSH', KEYS[1], ARGV[2])\n"
                                   "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
                                   "return 1\n";
/* KEYS dlq, index; ARGV id, exact entry or "". LREM compares inside Redis: no list transfer,
 * and none at all for a log that is not in the dlq (the usual retry). */
static const char lua_dlq_remove[] =
    "local e = redis.call('HGET', KEYS[2], ARGV[1])\n"
    "local n = 0\n"
    "if e then n = redis.call('LREM', KEYS[1], 0, e); redis.call('HDEL', KEYS[2], ARGV[1]) end\n"
    "if ARGV[2] ~= '' and ARGV[2] ~= e then n = n + redis.call('LREM', KEYS[1], 0, ARGV[2]) end\n"
    "return n\n";

static int
queue_dlq_eval(struct queue *q, const char *script, const char *id, const char *arg, size_t arglen,
               int64_t *n, struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct queue_argv a;
    char lid[QUEUE_ID_MAX + 1];
    size_t i;
    int ret;

    for (i = 0; i + 1 < sizeof(lid) && id[i] != '\0'; i++) {
        lid[i] = (char)tolower((unsigned char)id[i]);
    }
    lid[i] = '\0';
    queue_argv_init(&a, 7);
    queue_argv_eval(&a, script, "2");
    queue_argv_add(&a, Q_DLQ);
    queue_argv_add(&a, Q_DLQ_WEBHOOKS);
    queue_argv_add(&a, lid);
    queue_argv_addn(&a, arg, arglen);
    ret = queue_run(q, &a, &r, err);
    if (ret == 0 && n != NULL) {
        *n = queue_reply_int(&r);
    }
    queue_argv_release(&a);
    queue_reply_release(&r);
    return ret;
}

int
queue_dlq_push_webhook(struct queue *q, const char *id, const char *entry, size_t len,
                       struct gw_err *err)
{
    return queue_dlq_eval(q, lua_dlq_push, id, entry, len, NULL, err);
}

int
queue_dlq_remove_webhook(struct queue *q, const char *id, const char *exact_entry, size_t exact_len,
                         int64_t *removed, struct gw_err *err)
{
    int64_t n = 0;

    if (queue_dlq_eval(q, lua_dlq_remove, id, exact_entry != NULL ? exact_entry : "",
                       exact_entry != NULL ? exact_len : 0, &n, err)
        != 0) {
        return -1;
    }
    if (removed != NULL) {
        *removed = n;
    }
    return 0;
}

/* ---- single pushes (the API, until it uses queue_push_work) --------------------------------- */

int
queue_push_job(struct queue *q, const char *type, const char *id, int deliveries,
               struct gw_err *err)
{
    struct queue_job job;

    job.kind = strcmp(type, "refund") == 0 ? QUEUE_REFUND : QUEUE_PAYMENT;
    gw_copy_str(job.id, sizeof(job.id), id);
    job.deliveries = deliveries;
    return queue_push_jobs(q, &job, 1, err);
}

int
queue_push_webhook(struct queue *q, const char *log_id, struct gw_err *err)
{
    return queue_cmdv(q, NULL, err, "LPUSH", Q_WEBHOOKS, log_id, (const char *)NULL);
}

/* ---- webhook delivery verbs ---- */

/* KEYS queue:webhooks, queue:webhooks:processing; ARGV max. */
static const char qwh_take_lua[] =
    "local out = {}\n"
    "for i = 1, tonumber(ARGV[1]) do\n"
    "  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')\n"
    "  if not v then break end\n"
    "  out[i] = v\n"
    "end\n"
    "return out\n";

void
queue_ids_release(struct queue_ids *ids)
{
    size_t i;

    if (ids == NULL) {
        return;
    }
    for (i = 0; i < ids->n; i++) {
        free(ids->v[i]);
    }
    free(ids->v);
    free(ids->len);
    memset(ids, 0, sizeof(*ids));
}

int
queue_webhooks_take(struct queue *q, size_t max, struct queue_ids *out, struct gw_err *err)
{
    struct queue_reply r = QUEUE_REPLY_INIT;
    char maxs[24];
    const char *argv[6];
    size_t i;
    int ret = -1;

    memset(out, 0, sizeof(*out));
    if (max == 0) {
        return 0;
    }
    (void)snprintf(maxs, sizeof(maxs), "%zu", max);
    argv[0] = "EVAL";
    argv[1] = qwh_take_lua;
    argv[2] = "2";
    argv[3] = Q_WEBHOOKS;
    argv[4] = Q_WEBHOOKS_PROCESSING;
    argv[5] = maxs;
    if (queue_cmd(q, &r, err, 6, argv, NULL) != 0) {
        goto out;
    }
    if (r.type == QR_ARRAY && r.nelem > 0) {
        out->v = xcalloc(r.nelem, sizeof(*out->v));
        out->len = xcalloc(r.nelem, sizeof(*out->len));
        for (i = 0; i < r.nelem; i++) {
            if (r.elem[i].type != QR_STRING) {
                continue;
            }
            out->v[out->n] = r.elem[i].str;
            out->len[out->n] = r.elem[i].len;
            r.elem[i].str = NULL;
            out->n++;
        }
    }
    ret = 0;
out:
    queue_reply_release(&r);
    return ret;
}

/* A pipeline: commands are appended to the context's output buffer, then all replies read. */
struct qwh_pipe {
    struct queue *q;
    size_t n;    /* commands appended */
    bool failed; /* an append failed (out of memory) */
};

static void
qwh_append(struct qwh_pipe *p, int argc, const char **argv, const size_t *lens)
{
    if (p->failed) {
        return;
    }
    if (redisAppendCommandArgv(p->q->ctx, argc, argv, lens) != REDIS_OK) {
        p->failed = true;
        return;
    }
    p->n++;
}

static int
qwh_run(struct qwh_pipe *p, struct gw_err *err)
{
    redisReply *r = NULL;
    void *rv = NULL;
    size_t i, errors = 0;

    if (p->failed) {
        queue_drop(p->q);
        return GW_ERR(err, INTERNAL, "cannot build redis pipeline");
    }
    for (i = 0; i < p->n; i++) {
        rv = NULL;
        if (redisGetReply(p->q->ctx, &rv) != REDIS_OK || rv == NULL) {
            log_warn("redis pipeline failed", LOG_S("error", p->q->ctx->errstr));
            queue_drop(p->q);
            return GW_ERR(err, UNAVAILABLE, "redis connection lost");
        }
        r = rv;
        if (r->type == REDIS_REPLY_ERROR) {
            log_error("redis error reply", LOG_S("command", "webhook settle pipeline"),
                      LOG_S("error", r->str));
            errors++;
        }
        freeReplyObject(r);
    }
    return errors > 0 ? GW_ERR(err, INTERNAL, "redis error reply in webhook settle pipeline") : 0;
}

static void
qwh_append_lists(struct qwh_pipe *p, const struct queue_webhook_settle *s)
{
    const char *argv[4];
    size_t lens[4];
    size_t i;

    for (i = 0; i < s->nack; i++) {
        argv[0] = "LREM";
        argv[1] = Q_WEBHOOKS_PROCESSING;
        argv[2] = "1";
        argv[3] = s->ack[i];
        lens[0] = 4;
        lens[1] = strlen(Q_WEBHOOKS_PROCESSING);
        lens[2] = 1;
        lens[3] = s->ack_len[i];
        qwh_append(p, 4, argv, lens);
    }
    for (i = 0; i < s->nrequeue; i++) {
        argv[0] = "LPUSH";
        argv[1] = Q_WEBHOOKS;
        argv[2] = s->requeue[i];
        lens[0] = 5;
        lens[1] = strlen(Q_WEBHOOKS);
        lens[2] = s->requeue_len[i];
        qwh_append(p, 3, argv, lens);
    }
}

static void
qwh_append_hincrby(struct qwh_pipe *p, const char *key, const char *field, long long n)
{
    const char *argv[4];
    char num[24];

    if (n == 0) {
        return;
    }
    (void)snprintf(num, sizeof(num), "%lld", n);
    argv[0] = "HINCRBY";
    argv[1] = key;
    argv[2] = field;
    argv[3] = num;
    qwh_append(p, 4, argv, NULL);
}

static void
qwh_append_dead(struct qwh_pipe *p, const struct queue_webhook_dead *dead)
{
    const char *argv[4];
    size_t lens[4];

    argv[0] = "MULTI";
    qwh_append(p, 1, argv, NULL);
    argv[0] = "LPUSH";
    argv[1] = Q_DLQ;
    argv[2] = dead->entry;
    lens[0] = 5;
    lens[1] = strlen(Q_DLQ);
    lens[2] = dead->len;
    qwh_append(p, 3, argv, lens);
    argv[0] = "HSET";
    argv[1] = Q_DLQ_WEBHOOKS;
    argv[2] = dead->id;
    argv[3] = dead->entry;
    lens[0] = 4;
    lens[1] = strlen(Q_DLQ_WEBHOOKS);
    lens[2] = strlen(dead->id);
    lens[3] = dead->len;
    qwh_append(p, 4, argv, lens);
    argv[0] = "EXEC";
    qwh_append(p, 1, argv, NULL);
}

int
queue_webhooks_settle(struct queue *q, const struct queue_webhook_settle *s, struct gw_err *err)
{
    struct qwh_pipe p = { q, 0, false };
    size_t i;

    if (queue_ensure(q, err) != 0) {
        return -1;
    }
    qwh_append_lists(&p, s);
    for (i = 0; i < s->noutcomes; i++) {
        qwh_append_hincrby(&p, Q_STATS_ATTEMPTS, s->outcomes[i], s->attempts[i]);
        if (s->ep_attempts != NULL) {
            qwh_append_hincrby(&p, Q_STATS_EP_ATTEMPTS, s->outcomes[i], s->ep_attempts[i]);
        }
    }
    qwh_append_hincrby(&p, Q_STATS_COMPLETED, "webhooks", s->completed);
    for (i = 0; i < s->ndead; i++) {
        qwh_append_dead(&p, &s->dead[i]);
    }
    qwh_append_hincrby(&p, Q_STATS_FAILED, "webhooks", (long long)s->ndead);
    return qwh_run(&p, err);
}

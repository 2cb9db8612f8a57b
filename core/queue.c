/* queue.c: the only hiredis user (STYLE 2.8). Commands go through redisCommandArgv only, so user
 * data is never a format string; replies are copied out; a NULL reply drops the context and the
 * next call reconnects (one attempt per call, never a loop). */
#include "queue.h"

#include "buf.h"
#include "jsonh.h"
#include "log.h"

#include <errno.h>
#include <hiredis/hiredis.h>
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

void
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

int
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

int
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

int
queue_push_job(struct queue *q, const char *type, const char *id, int deliveries,
               struct gw_err *err)
{
    const char *key = strcmp(type, "refund") == 0 ? Q_REFUNDS : Q_PAYMENTS;
    const char *argv[3];
    size_t lens[3];
    struct buf b;
    struct jw w;
    int ret = -1;

    buf_init(&b, (size_t)4 * KIB);
    jw_init(&w, &b);
    jw_obj_begin(&w);
    jw_key(&w, "type");
    jw_str(&w, type);
    jw_key(&w, "id");
    jw_str(&w, id);
    jw_key(&w, "deliveries");
    jw_int(&w, deliveries);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise job");
        goto out;
    }
    argv[0] = "LPUSH";
    argv[1] = key;
    argv[2] = b.data;
    lens[0] = 5;
    lens[1] = strlen(key);
    lens[2] = b.len;
    ret = queue_cmd(q, NULL, err, 3, argv, lens);
out:
    buf_release(&b);
    return ret;
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
    }
    qwh_append_hincrby(&p, Q_STATS_COMPLETED, "webhooks", s->completed);
    for (i = 0; i < s->ndead; i++) {
        qwh_append_dead(&p, &s->dead[i]);
    }
    qwh_append_hincrby(&p, Q_STATS_FAILED, "webhooks", (long long)s->ndead);
    return qwh_run(&p, err);
}

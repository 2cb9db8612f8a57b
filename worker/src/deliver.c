/* deliver.c: webhook attempts (SPEC 11.3, 11.4, STYLE 2.10). Due logs come from queue:webhooks
 * and from a database poll; each is claimed with locked_until, POSTed through one libcurl multi
 * handle, and its result written with one conditional update. No in-memory retry timers. */
#include "deliver.h"

#include "crypto.h"
#include "jsonh.h"
#include "log.h"
#include "model.h"
#include "netaddr.h"
#include "webhook_log.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

static const int deliver_intervals[DELIVER_MAX_ATTEMPTS] = { 0, 60, 300, 1800, 7200 };
static const int deliver_intervals_test[DELIVER_MAX_ATTEMPTS] = { 0, 5, 10, 15, 20 };

static const struct db_stmt st_dl_merchants = {
    "wk_dl_merchants",
    "SELECT id::text, merchant_id::text FROM webhook_logs WHERE id = ANY($1::uuid[])", 1
};

static const struct db_stmt st_dl_poll = {
    "wk_dl_poll",
    "SELECT id::text, merchant_id::text FROM webhook_logs WHERE status = 'pending' "
    "AND (next_retry_at IS NULL OR next_retry_at <= now()) "
    "AND (locked_until IS NULL OR locked_until < now()) "
    "AND merchant_id <> ALL($2::uuid[]) "
    "ORDER BY COALESCE(next_retry_at, created_at), created_at LIMIT $1",
    2
};

static const struct db_stmt st_dl_claim = {
    "wk_dl_claim",
    "WITH c AS (UPDATE webhook_logs SET locked_until = now() + interval '30 seconds' "
    "WHERE id=$1 AND status='pending' AND (next_retry_at IS NULL OR next_retry_at <= now()) "
    "AND (locked_until IS NULL OR locked_until < now()) "
    "RETURNING merchant_id, attempts, event, payload, locked_until) "
    "SELECT c.merchant_id::text, c.attempts, c.event, c.payload::text, c.locked_until::text, "
    "m.webhook_url, m.webhook_secret FROM c JOIN merchants m ON m.id = c.merchant_id",
    1
};

static const struct db_stmt st_dl_result = {
    "wk_dl_result",
    "UPDATE webhook_logs SET attempts = $2::int, last_attempt_at = now(), "
    "response_code = $3::int, response_body = $4, status = $5::text, "
    "next_retry_at = CASE WHEN $5::text = 'pending' THEN now() + $6::int * interval '1 second' "
    "END, locked_until = NULL WHERE id = $1::uuid AND locked_until = $7::timestamp",
    7
};

enum dl_outcome {
    DL_SUCCESS = 0,
    DL_HTTP_ERROR,
    DL_TIMEOUT,
    DL_CONNECTION_ERROR,
    DL_NOT_CONFIGURED,
    DL_BLOCKED,
};

static const char *const dl_outcome_names[] = {
    "success", "http_error", "timeout", "connection_error", "not_configured", "blocked",
};

struct dl_xfer {
    CURL *easy;
    struct curl_slist *hdrs;
    struct deliver *d;
    char id[MODEL_UUID_SZ];
    char merchant_id[MODEL_UUID_SZ];
    char event[64];
    char locked_until[48];
    int attempt; /* N = attempts + 1 at claim time */
    char *payload;
    size_t payload_len;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    unsigned char body[DELIVER_BODY_MAX];
    size_t body_len;
    bool blocked;
    int64_t started_ms;
};

struct dl_cand {
    char id[MODEL_UUID_SZ];
    char merchant_id[MODEL_UUID_SZ];
    char *raw; /* Redis member to LREM, NULL for database candidates */
    size_t rawlen;
};

struct deliver {
    struct wk *w;
    CURLM *multi;
    struct dl_xfer **xfers;
    size_t nxfers;
    size_t max;
    size_t per_merchant;
    int64_t next_poll_ms;
};

/* ---- helpers ----------------------------------------------------------------------------- */

static bool
dl_uuid_ok(const char *s, size_t len)
{
    size_t i;

    if (len != GW_UUID_LEN) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

static size_t
dl_merchant_count(const struct deliver *d, const char *merchant_id)
{
    size_t i, n = 0;

    for (i = 0; i < d->nxfers; i++) {
        if (strcmp(d->xfers[i]->merchant_id, merchant_id) == 0) {
            n++;
        }
    }
    return n;
}

static void
dl_xfer_free(struct dl_xfer *x)
{
    if (x == NULL) {
        return;
    }
    if (x->easy != NULL) {
        curl_easy_cleanup(x->easy);
    }
    curl_slist_free_all(x->hdrs);
    free(x->payload);
    free(x->url);
    free(x);
}

int
deliver_clean_body(const unsigned char *in, size_t len, struct buf *out)
{
    static const char repl[] = "\xEF\xBF\xBD";
    size_t i = 0, need, k;
    uint32_t cp;
    unsigned char c;

    if (len > DELIVER_BODY_MAX) {
        len = DELIVER_BODY_MAX;
    }
    while (i < len) {
        c = in[i];
        if (c == 0) {
            if (buf_append(out, repl, 3) != 0) {
                return -1;
            }
            i++;
            continue;
        }
        if (c < 0x80) {
            if (buf_putc(out, (char)c) != 0) {
                return -1;
            }
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            cp = c & 0x07u;
        } else {
            goto invalid;
        }
        for (k = 1; k <= need; k++) {
            if (i + k >= len) {
                /* Ran off the end with a valid prefix: an incomplete trailing sequence. */
                return 0;
            }
            if ((in[i + k] & 0xC0) != 0x80) {
                goto invalid;
            }
            cp = (cp << 6) | (in[i + k] & 0x3Fu);
            /* Reject overlong forms, surrogates and values above U+10FFFF early. */
            if (k == 1
                && ((c == 0xE0 && in[i + 1] < 0xA0) || (c == 0xED && in[i + 1] > 0x9F)
                    || (c == 0xF0 && in[i + 1] < 0x90) || (c == 0xF4 && in[i + 1] > 0x8F))) {
                goto invalid;
            }
        }
        if (buf_append(out, in + i, need + 1) != 0) {
            return -1;
        }
        i += need + 1;
        continue;
    invalid:
        if (buf_append(out, repl, 3) != 0) {
            return -1;
        }
        i++;
    }
    return 0;
}

static curl_socket_t
dl_opensocket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    struct dl_xfer *x = clientp;

    UNUSED(purpose);
    if (netaddr_sockaddr_is_private(&address->addr)) {
        x->blocked = true;
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype, address->protocol);
}

static size_t
dl_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct dl_xfer *x = userdata;
    size_t n = size * nmemb;
    size_t take = DELIVER_BODY_MAX - x->body_len;

    if (take > n) {
        take = n;
    }
    if (take > 0) {
        memcpy(x->body + x->body_len, ptr, take);
        x->body_len += take;
    }
    return n; /* the rest is read and discarded */
}

/* ---- lifecycle --------------------------------------------------------------------------- */

struct deliver *
deliver_new(struct wk *w)
{
    struct deliver *d = xcalloc(1, sizeof(*d));
    int conc = w->cfg->worker_concurrency;

    d->w = w;
    d->max = conc > 0 ? (size_t)conc : 1;
    d->per_merchant = d->max / 4 > 0 ? d->max / 4 : 1;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, so sizeof(pointer) */
    d->xfers = xcalloc(d->max, sizeof(*d->xfers));
    d->multi = curl_multi_init();
    if (d->multi == NULL) {
        log_error("cannot create curl multi handle");
        abort();
    }
    (void)curl_multi_setopt(d->multi, CURLMOPT_MAXCONNECTS, (long)d->max);
    return d;
}

size_t
deliver_inflight(const struct deliver *d)
{
    return d->nxfers;
}

void
deliver_free(struct deliver *d)
{
    size_t i;

    if (d == NULL) {
        return;
    }
    for (i = 0; i < d->nxfers; i++) {
        log_warn("webhook attempt abandoned", LOG_S("webhook_id", d->xfers[i]->id),
                 LOG_I("attempt", d->xfers[i]->attempt));
        (void)curl_multi_remove_handle(d->multi, d->xfers[i]->easy);
        dl_xfer_free(d->xfers[i]);
    }
    (void)curl_multi_cleanup(d->multi);
    free(d->xfers);
    free(d);
}

/* ---- results ----------------------------------------------------------------------------- */

static void
dl_stats(struct deliver *d, const struct dl_xfer *x, enum dl_outcome oc, const char *reason)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct buf b;
    struct jw jw;
    char now[32];

    if (!wk_queue_ready(w)) {
        return;
    }
    if (queue_cmdv(w->q, NULL, &err, "HINCRBY", Q_STATS_ATTEMPTS, dl_outcome_names[oc], "1",
                   (const char *)NULL)
        != 0) {
        goto fail;
    }
    if (oc == DL_SUCCESS) {
        if (queue_cmdv(w->q, NULL, &err, "HINCRBY", Q_STATS_COMPLETED, "webhooks", "1",
                       (const char *)NULL)
            != 0) {
            goto fail;
        }
        return;
    }
    if (x->attempt < DELIVER_MAX_ATTEMPTS) {
        return;
    }
    wk_utc_now(now);
    buf_init(&b, (size_t)8 * KIB);
    jw_init(&jw, &b);
    jw_obj_begin(&jw);
    jw_key(&jw, "type");
    jw_str(&jw, "webhook");
    jw_key(&jw, "id");
    jw_str(&jw, x->id);
    jw_key(&jw, "reason");
    jw_str(&jw, reason);
    jw_key(&jw, "failed_at");
    jw_str(&jw, now);
    jw_obj_end(&jw);
    if (jw_finish(&jw) != 0 || webhook_log_dlq_push(w->q, x->id, b.data, b.len, &err) != 0
        || queue_cmdv(w->q, NULL, &err, "HINCRBY", Q_STATS_FAILED, "webhooks", "1",
                      (const char *)NULL)
               != 0) {
        buf_release(&b);
        goto fail;
    }
    buf_release(&b);
    return;
fail:
    log_warn("cannot record webhook stats", LOG_S("webhook_id", x->id), LOG_S("error", err.msg));
    wk_queue_failed(w, &err);
}

/* Writes the result of attempt x (SPEC 11.4). code < 0 means no response (NULL). */
static void
dl_finish(struct deliver *d, const struct dl_xfer *x, enum dl_outcome oc, long code,
          const char *text)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct db_res res = DB_RES_INIT;
    int next = deliver_retry_interval(w->cfg->webhook_retry_intervals_test, x->attempt);
    char attempt[16], codebuf[16], interval[16];
    const char *status;
    const char *params[7];
    struct buf body;

    buf_init(&body, 0);
    if (oc == DL_SUCCESS) {
        status = "success";
    } else if (x->attempt >= DELIVER_MAX_ATTEMPTS) {
        status = "failed";
    } else {
        status = "pending";
    }
    if (text != NULL) {
        (void)buf_puts(&body, text);
    } else {
        (void)deliver_clean_body(x->body, x->body_len, &body);
    }
    (void)snprintf(attempt, sizeof(attempt), "%d", x->attempt);
    (void)snprintf(codebuf, sizeof(codebuf), "%ld", code);
    (void)snprintf(interval, sizeof(interval), "%d", next > 0 ? next : 0);
    params[0] = x->id;
    params[1] = attempt;
    params[2] = code >= 0 ? codebuf : NULL;
    params[3] = body.data;
    params[4] = status;
    params[5] = interval;
    params[6] = x->locked_until;
    log_info("webhook attempt", LOG_S("webhook_id", x->id), LOG_S("merchant_id", x->merchant_id),
             LOG_S("event", x->event), LOG_I("attempt", x->attempt),
             LOG_S("outcome", dl_outcome_names[oc]), LOG_I("response_code", code),
             LOG_S("status", status), LOG_I("duration_ms", wk_now_ms() - x->started_ms));
    if (!wk_db_ready(w) || db_exec(w->db, &st_dl_result, params, &res, &err) != 0) {
        log_warn("cannot record webhook attempt; claim will expire", LOG_S("webhook_id", x->id),
                 LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        goto out;
    }
    if (res.affected != 1) {
        log_warn("webhook claim lost before result", LOG_S("webhook_id", x->id));
    }
    dl_stats(d, x, oc, oc == DL_HTTP_ERROR ? "HTTP error" : body.data);
out:
    db_res_release(&res);
    buf_release(&body);
}

static void
dl_done(struct deliver *d, struct dl_xfer *x, CURLcode rc)
{
    long code = 0;
    long oserr = 0;
    char text[160];

    if (x->blocked) {
        dl_finish(d, x, DL_BLOCKED, -1, "Destination address not allowed");
        return;
    }
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        dl_finish(d, x, code >= 200 && code <= 299 ? DL_SUCCESS : DL_HTTP_ERROR, code, NULL);
        return;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        (void)snprintf(text, sizeof(text), "Timeout after %d ms", DELIVER_TIMEOUT_MS);
        dl_finish(d, x, DL_TIMEOUT, -1, text);
        return;
    }
    (void)curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
    if (rc == CURLE_COULDNT_CONNECT && oserr != 0) {
        (void)snprintf(text, sizeof(text), "%s", strerror((int)oserr));
    } else {
        (void)snprintf(text, sizeof(text), "%s", curl_easy_strerror(rc));
    }
    dl_finish(d, x, DL_CONNECTION_ERROR, -1, text);
}

static void
dl_remove(struct deliver *d, struct dl_xfer *x)
{
    size_t i;

    for (i = 0; i < d->nxfers; i++) {
        if (d->xfers[i] == x) {
            d->xfers[i] = d->xfers[d->nxfers - 1];
            d->nxfers--;
            break;
        }
    }
    (void)curl_multi_remove_handle(d->multi, x->easy);
    dl_xfer_free(x);
}

void
deliver_poll(struct deliver *d, int timeout_ms)
{
    struct CURLMsg *msg;
    struct dl_xfer *x = NULL;
    int running = 0, numfds = 0, left = 0;

    (void)curl_multi_poll(d->multi, NULL, 0, timeout_ms, &numfds);
    (void)curl_multi_perform(d->multi, &running);
    for (;;) {
        msg = curl_multi_info_read(d->multi, &left);
        if (msg == NULL) {
            break;
        }
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        x = NULL;
        (void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x == NULL) {
            continue;
        }
        dl_done(d, x, msg->data.result);
        dl_remove(d, x);
    }
}

/* ---- starting attempts ------------------------------------------------------------------- */

int
deliver_retry_interval(bool test_schedule, int attempt)
{
    const int *iv = test_schedule ? deliver_intervals_test : deliver_intervals;

    if (attempt < 1 || attempt >= DELIVER_MAX_ATTEMPTS) {
        return -1;
    }
    return iv[attempt];
}

int
deliver_signatures(const char *secret, const char *id, int64_t ts, const void *body, size_t len,
                   char hex[CRYPTO_SHA256_HEXLEN + 1], char std[DELIVER_STDSIG_SZ])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    struct buf msg;
    size_t slen = strlen(secret);
    int ret = -1;

    buf_init(&msg, 0);
    if (crypto_hmac_sha256(secret, slen, body, len, mac) != 0) {
        goto out;
    }
    crypto_hex(mac, sizeof(mac), hex);
    if (buf_printf(&msg, "%s.%" PRId64 ".", id, ts) != 0 || buf_append(&msg, body, len) != 0) {
        goto out;
    }
    if (crypto_hmac_sha256(secret, slen, msg.data, msg.len, mac) != 0) {
        goto out;
    }
    memcpy(std, "v1,", sizeof("v1,")); /* with its NUL; the base64 goes after "v1," */
    (void)crypto_base64(mac, sizeof(mac), std + 3);
    ret = 0;
out:
    crypto_wipe(mac, sizeof(mac));
    buf_release(&msg);
    return ret;
}

static int
dl_sign_headers(struct dl_xfer *x, const char *secret)
{
    char hex[CRYPTO_SHA256_HEXLEN + 1];
    char std[DELIVER_STDSIG_SZ];
    char line[256];
    int64_t ts = (int64_t)time(NULL);

    if (deliver_signatures(secret, x->id, ts, x->payload, x->payload_len, hex, std) != 0) {
        return -1;
    }
    x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
    (void)snprintf(line, sizeof(line), "X-Webhook-Signature: %s", hex);
    x->hdrs = curl_slist_append(x->hdrs, line);
    (void)snprintf(line, sizeof(line), "webhook-id: %s", x->id);
    x->hdrs = curl_slist_append(x->hdrs, line);
    (void)snprintf(line, sizeof(line), "webhook-timestamp: %" PRId64, ts);
    x->hdrs = curl_slist_append(x->hdrs, line);
    (void)snprintf(line, sizeof(line), "webhook-signature: %s", std);
    x->hdrs = curl_slist_append(x->hdrs, line);
    x->hdrs = curl_slist_append(x->hdrs, "Expect:");
    return x->hdrs != NULL ? 0 : -1;
}

static int
dl_setup_easy(struct deliver *d, struct dl_xfer *x)
{
    CURL *e = curl_easy_init();
    CURLcode rc = CURLE_OK;

    if (e == NULL) {
        return -1;
    }
    x->easy = e;
    rc |= curl_easy_setopt(e, CURLOPT_URL, x->url);
    rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->payload);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->payload_len);
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "Gateway-Webhooks/" GW_VERSION);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)DELIVER_TIMEOUT_MS);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)DELIVER_TIMEOUT_MS);
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Never a proxy from http_proxy, https_proxy or ALL_PROXY: the connect-time address check
     * must see the destination itself. */
    rc |= curl_easy_setopt(e, CURLOPT_PROXY, "");
    rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, dl_write);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    if (d->w->cfg->webhook_block_private) {
        rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, dl_opensocket);
        rc |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    }
    return rc == CURLE_OK ? 0 : -1;
}

/* Claims one candidate and starts its attempt. Returns 1 when started, 0 when not claimed. */
static int
dl_claim_start(struct deliver *d, const struct dl_cand *c)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct db_res res = DB_RES_INIT;
    struct dl_xfer *x = NULL;
    const char *params[1] = { c->id };
    const char *url, *secret;
    int ret = 0;

    if (db_exec(w->db, &st_dl_claim, params, &res, &err) != 0) {
        log_warn("webhook claim failed", LOG_S("webhook_id", c->id), LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        goto out;
    }
    if (res.nrows == 0) {
        log_debug("webhook not claimed", LOG_S("webhook_id", c->id));
        goto out;
    }
    x = xcalloc(1, sizeof(*x));
    x->d = d;
    x->started_ms = wk_now_ms();
    (void)snprintf(x->id, sizeof(x->id), "%s", c->id);
    (void)snprintf(x->merchant_id, sizeof(x->merchant_id), "%s", db_val(&res, 0, 0));
    x->attempt = (int)db_int(&res, 0, 1) + 1;
    (void)snprintf(x->event, sizeof(x->event), "%s",
                   db_val(&res, 0, 2) != NULL ? db_val(&res, 0, 2) : "");
    x->payload = xmemdup0(db_val(&res, 0, 3) != NULL ? db_val(&res, 0, 3) : "",
                          db_val(&res, 0, 3) != NULL ? db_len(&res, 0, 3) : 0);
    x->payload_len = db_val(&res, 0, 3) != NULL ? db_len(&res, 0, 3) : 0;
    (void)snprintf(x->locked_until, sizeof(x->locked_until), "%s", db_val(&res, 0, 4));
    url = db_val(&res, 0, 5);
    secret = db_val(&res, 0, 6) != NULL ? db_val(&res, 0, 6) : "";
    if (url == NULL || url[0] == '\0') {
        dl_finish(d, x, DL_NOT_CONFIGURED, -1, "Webhook URL not configured");
        goto out;
    }
    x->url = xstrdup(url);
    if (dl_sign_headers(x, secret) != 0 || dl_setup_easy(d, x) != 0
        || curl_multi_add_handle(d->multi, x->easy) != CURLM_OK) {
        log_error("cannot start webhook attempt", LOG_S("webhook_id", x->id));
        dl_finish(d, x, DL_CONNECTION_ERROR, -1, "Internal error starting attempt");
        goto out;
    }
    d->xfers[d->nxfers++] = x;
    x = NULL;
    ret = 1;
out:
    dl_xfer_free(x);
    db_res_release(&res);
    return ret;
}

/* Up to max ids from queue:webhooks into cands (merchant ids looked up in one query). */
static size_t
dl_take_redis(struct deliver *d, struct dl_cand *cands, size_t max)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct queue_reply r = QUEUE_REPLY_INIT;
    struct db_res res = DB_RES_INIT;
    struct buf arr;
    const char *params[1];
    size_t n = 0, i;
    int row;

    buf_init(&arr, 0);
    while (n < max) {
        if (queue_cmdv(w->q, &r, &err, "LMOVE", Q_WEBHOOKS, Q_WEBHOOKS_PROCESSING, "RIGHT", "LEFT",
                       (const char *)NULL)
            != 0) {
            wk_queue_failed(w, &err);
            break;
        }
        if (r.type != QR_STRING) {
            queue_reply_release(&r);
            break;
        }
        memset(&cands[n], 0, sizeof(cands[n]));
        cands[n].raw = r.str;
        cands[n].rawlen = r.len;
        r.str = NULL;
        queue_reply_release(&r);
        if (dl_uuid_ok(cands[n].raw, cands[n].rawlen)) {
            memcpy(cands[n].id, cands[n].raw, cands[n].rawlen);
            cands[n].id[cands[n].rawlen] = '\0';
            (void)buf_puts(&arr, arr.len == 0 ? "{" : ",");
            (void)buf_puts(&arr, cands[n].id);
        }
        n++;
    }
    if (arr.len > 0) {
        (void)buf_putc(&arr, '}');
        params[0] = arr.data;
        if (db_exec(w->db, &st_dl_merchants, params, &res, &err) != 0) {
            wk_db_failed(w, &err);
        } else {
            for (row = 0; row < res.nrows; row++) {
                for (i = 0; i < n; i++) {
                    if (strcmp(cands[i].id, db_val(&res, row, 0)) == 0) {
                        (void)snprintf(cands[i].merchant_id, sizeof(cands[i].merchant_id), "%s",
                                       db_val(&res, row, 1));
                    }
                }
            }
        }
    }
    db_res_release(&res);
    buf_release(&arr);
    return n;
}

/* Due logs from the database, skipping merchants already at their cap. */
static size_t
dl_take_db(struct deliver *d, struct dl_cand *cands, size_t max)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct db_res res = DB_RES_INIT;
    struct buf capped;
    char lim[24];
    const char *params[2];
    size_t i, j, n = 0;
    bool seen;
    int row;

    buf_init(&capped, 0);
    (void)buf_putc(&capped, '{');
    for (i = 0; i < d->nxfers; i++) {
        seen = false;
        for (j = 0; j < i; j++) {
            if (strcmp(d->xfers[j]->merchant_id, d->xfers[i]->merchant_id) == 0) {
                seen = true;
                break;
            }
        }
        if (!seen && dl_merchant_count(d, d->xfers[i]->merchant_id) >= d->per_merchant) {
            (void)buf_puts(&capped, capped.len > 1 ? "," : "");
            (void)buf_puts(&capped, d->xfers[i]->merchant_id);
        }
    }
    (void)buf_putc(&capped, '}');
    (void)snprintf(lim, sizeof(lim), "%zu", max);
    params[0] = lim;
    params[1] = capped.data;
    if (db_exec(w->db, &st_dl_poll, params, &res, &err) != 0) {
        wk_db_failed(w, &err);
        goto out;
    }
    for (row = 0; row < res.nrows && n < max; row++) {
        memset(&cands[n], 0, sizeof(cands[n]));
        (void)snprintf(cands[n].id, sizeof(cands[n].id), "%s", db_val(&res, row, 0));
        (void)snprintf(cands[n].merchant_id, sizeof(cands[n].merchant_id), "%s",
                       db_val(&res, row, 1));
        n++;
    }
out:
    db_res_release(&res);
    buf_release(&capped);
    return n;
}

/* Starts what it can from cands; LREMs the Redis ones after the claim decision. Returns how
 * many were left for later because of the slot limits (a backlog the database poll finds). */
static size_t
dl_start_cands(struct deliver *d, struct dl_cand *cands, size_t n)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    size_t i, skipped = 0;

    for (i = 0; i < n; i++) {
        struct dl_cand *c = &cands[i];

        if (c->id[0] == '\0') {
            log_warn("malformed webhook id dropped");
        } else if (c->merchant_id[0] == '\0') {
            log_debug("webhook log not found or database unavailable", LOG_S("webhook_id", c->id));
        } else if (!w->stopping && w->dbl.up && d->nxfers < d->max
                   && dl_merchant_count(d, c->merchant_id) < d->per_merchant) {
            (void)dl_claim_start(d, c);
        } else {
            skipped++;
        }
        /* Otherwise left unclaimed: the database poll finds it later. */
        if (c->raw != NULL) {
            const char *argv[4] = { "LREM", Q_WEBHOOKS_PROCESSING, "1", c->raw };
            size_t lens[4] = { 4, strlen(Q_WEBHOOKS_PROCESSING), 1, c->rawlen };
            if (w->ql.up && queue_cmd(w->q, NULL, &err, 4, argv, lens) != 0) {
                wk_queue_failed(w, &err);
            }
            free(c->raw);
            c->raw = NULL;
        }
    }
    return skipped;
}

/* True when some merchant has all its slots busy (its due logs are left out of the poll). */
static bool
dl_any_capped(const struct deliver *d)
{
    size_t i;

    for (i = 0; i < d->nxfers; i++) {
        if (dl_merchant_count(d, d->xfers[i]->merchant_id) >= d->per_merchant) {
            return true;
        }
    }
    return false;
}

void
deliver_start(struct deliver *d)
{
    struct wk *w = d->w;
    struct dl_cand *cands = NULL;
    size_t free_slots, n, skipped;
    int64_t now = wk_now_ms();

    if (w->stopping || !wk_db_ready(w) || d->nxfers >= d->max) {
        return;
    }
    free_slots = d->max - d->nxfers;
    cands = xcalloc(free_slots, sizeof(*cands));
    if (wk_queue_ready(w)) {
        n = dl_take_redis(d, cands, free_slots);
        if (dl_start_cands(d, cands, n) > 0 && d->next_poll_ms > now + WK_WEBHOOK_BACKLOG_MS) {
            d->next_poll_ms = now + WK_WEBHOOK_BACKLOG_MS;
        }
    }
    if (now >= d->next_poll_ms && w->dbl.up && d->nxfers < d->max) {
        free_slots = d->max - d->nxfers;
        n = dl_take_db(d, cands, free_slots);
        skipped = dl_start_cands(d, cands, n);
        /* A full page, candidates left for lack of slots or a merchant at its cap mean more
         * are due: poll again as soon as slots free up (the next tick, at most every
         * WK_WEBHOOK_BACKLOG_MS), else every WK_WEBHOOK_POLL_MS. */
        d->next_poll_ms = n >= free_slots || skipped > 0 || dl_any_capped(d)
                              ? now + WK_WEBHOOK_BACKLOG_MS
                              : now + WK_WEBHOOK_POLL_MS;
    }
    free(cands);
}

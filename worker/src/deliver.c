/* deliver.c: the webhook delivery scheduler (SPEC 11.3, 11.4, STYLE 2.10). Each turn drives the
 * libcurl multi handle, records every finished attempt in one statement (delivery_record),
 * claims candidates for the free slots in one statement (delivery_claim) and tells Redis
 * everything in one pipeline (queue_webhooks_settle). Candidates come from queue:webhooks
 * (queue_webhooks_take), from a database poll at least every WK_WEBHOOK_POLL_MS, and from a
 * small per-merchant buffer of due logs that had no free slot; merchants are served round
 * robin, at most max(1, WORKER_CONCURRENCY/4) attempts each. No SQL and no Redis command here:
 * core/delivery.c and core/queue.c own them. No in-memory retry timers: PostgreSQL decides. */
#include "deliver.h"

#include "crypto.h"
#include "delivery.h"
#include "endpoint.h"
#include "epdelivery.h"
#include "jsonh.h"
#include "log.h"
#include "model.h"
#include "netaddr.h"
#include "validate.h"

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

#define DL_TAKE_MIN      8 /* ids taken from queue:webhooks per call, adaptive between these */
#define DL_TAKE_MAX      256
#define DL_TAKE_PAUSE_MS 10 /* after a take that gave nothing startable, or an empty queue */
#define DL_POLL_PAGE_MIN 64
#define DL_CLAIM_HOLD_MS 20000 /* a claim not started by then is given up (claims last 30 s) */
#define DL_EP_POLL_MS    100   /* due endpoint deliveries and the fan-out: at least this often */
#define DL_FANOUT_BATCH  500

/* SPEC 21.3: seconds after failed attempt N (1-based) of an endpoint delivery, ±10 % jitter. */
static const int deliver_ep_intervals[EPD_MAX_ATTEMPTS - 1] = { 5,     300,   1800, 7200,
                                                                18000, 36000, 36000 };

static const int deliver_intervals[DELIVER_MAX_ATTEMPTS] = { 0, 60, 300, 1800, 7200 };
static const int deliver_intervals_test[DELIVER_MAX_ATTEMPTS] = { 0, 5, 10, 15, 20 };

enum dl_outcome {
    DL_SUCCESS = 0,
    DL_HTTP_ERROR,
    DL_TIMEOUT,
    DL_CONNECTION_ERROR,
    DL_NOT_CONFIGURED,
    DL_BLOCKED,
    DL_NOUTCOMES,
};

static const char *const dl_outcome_names[DL_NOUTCOMES] = {
    "success", "http_error", "timeout", "connection_error", "not_configured", "blocked",
};

/* A merchant with attempts in flight or due logs waiting for a slot. */
struct dl_merchant {
    char id[MODEL_UUID_SZ];
    int inflight;                 /* attempts running */
    int queued;                   /* claimed, waiting for a slot to start */
    int unrecorded;               /* finished, result not yet written */
    char (*ready)[MODEL_UUID_SZ]; /* ring of due log ids (ready_cap) */
    size_t rhead;
    size_t rlen;
};

struct dl_xfer {
    CURL *easy;
    struct curl_slist *hdrs;
    struct deliver *d;
    struct dl_merchant *m;
    char id[MODEL_UUID_SZ];
    char event[64];
    char locked_until[DELIVERY_TS_SZ];
    int attempt; /* N = attempts + 1 at claim time */
    char *payload;
    size_t payload_len;
    char *url;
    char errbuf[CURL_ERROR_SIZE];
    unsigned char body[DELIVER_BODY_MAX];
    size_t body_len;
    bool blocked;
    int64_t started_ms;
    /* endpoint deliveries (SPEC 21.3): id is the event id (webhook-id) */
    bool ep;
    int64_t delivery_id;
    int64_t started_unix_ms;
    long retry_after; /* seconds from a 429/503 Retry-After, -1 when none */
    /* the outcome, once finished */
    enum dl_outcome oc;
    long code;      /* < 0: no response */
    char text[160]; /* response_body when there was no response */
    bool has_text;
};

/* A claim of either path waiting for its merchant's slot (claimed ahead, so a slot that frees
 * up is refilled in the same turn, without waiting for a claim). */
struct dl_pend {
    bool ep;
    int64_t ms; /* when claimed */
    struct delivery_claim log;
    struct epd_claim epc;
};

/* A delivery path's finished attempts whose results are not yet recorded, and the turn's
 * attempts by outcome for the Redis pipeline (stats:webhook_attempts, stats:endpoint_attempts). */
struct dl_path {
    enum delivery_path kind;
    struct dl_xfer **done;
    size_t ndone;
    long long attempts[DL_NOUTCOMES];
};

struct deliver {
    struct wk *w;
    CURLM *multi;
    struct dl_xfer **xfers; /* running transfers */
    size_t nxfers;
    struct dl_path paths[2]; /* by enum delivery_path */
    int64_t next_ep_ms;      /* next claim of due endpoint deliveries */
    int64_t next_fanout_ms;  /* next fan-out of new events */
    size_t max;
    size_t per_merchant;
    size_t ready_cap;
    struct dl_merchant **ms;
    size_t nms;
    size_t ms_cap;
    size_t rr;            /* round-robin start among ms */
    struct dl_pend *pend; /* claims of both paths waiting for a slot, oldest first */
    size_t npend;
    CURL **easy_pool;
    size_t neasy;
    size_t take_n;
    int64_t take_pause_until;
    bool redis_dry; /* the last take found queue:webhooks empty, or Redis is down */
    int64_t next_poll_ms;
    /* for the turn's Redis pipeline */
    struct queue_ids taken;
    char **requeue;
    size_t *requeue_len;
    size_t nrequeue;
    long long completed;
    struct queue_webhook_dead *dead;
    size_t ndead;
};

static void dl_ep_start(struct deliver *d, struct epd_claim *c);

/* ---- helpers ----------------------------------------------------------------------------- */

static struct dl_merchant *
dl_merchant_find(struct deliver *d, const char *id, bool create)
{
    struct dl_merchant *m;
    size_t i;

    for (i = 0; i < d->nms; i++) {
        if (strcmp(d->ms[i]->id, id) == 0) {
            return d->ms[i];
        }
    }
    if (!create) {
        return NULL;
    }
    if (d->nms == d->ms_cap) {
        d->ms_cap = d->ms_cap > 0 ? d->ms_cap * 2 : 16;
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        d->ms = xrealloc(d->ms, d->ms_cap * sizeof(*d->ms));
    }
    m = xcalloc(1, sizeof(*m));
    gw_copy_str(m->id, sizeof(m->id), id);
    m->ready = xcalloc(d->ready_cap, sizeof(*m->ready));
    d->ms[d->nms++] = m;
    return m;
}

/* Forgets merchants with nothing in flight and nothing waiting. */
static void
dl_merchant_gc(struct deliver *d)
{
    size_t i = 0;

    while (i < d->nms) {
        struct dl_merchant *m = d->ms[i];

        if (m->inflight == 0 && m->queued == 0 && m->unrecorded == 0 && m->rlen == 0) {
            free(m->ready);
            free(m);
            d->ms[i] = d->ms[--d->nms];
            continue;
        }
        i++;
    }
    if (d->rr >= d->nms) {
        d->rr = 0;
    }
}

/* How many more logs of m may be claimed: its running attempts plus its claims waiting to start
 * stay within twice its attempt limit. */
static size_t
dl_merchant_free(const struct deliver *d, const struct dl_merchant *m)
{
    size_t used = (size_t)m->inflight + (size_t)m->queued;

    return used >= 2 * d->per_merchant ? 0 : 2 * d->per_merchant - used;
}

/* The free claim slots of the merchants with claims held (running or waiting), for a turn's
 * claim; other merchants get the turn's default. A new array of *n (free it). */
static struct delivery_slots *
dl_slots(const struct deliver *d, size_t *n)
{
    struct delivery_slots *slots = xcalloc(d->nms + 1, sizeof(*slots));
    size_t i;

    *n = 0;
    for (i = 0; i < d->nms; i++) {
        if (d->ms[i]->inflight > 0 || d->ms[i]->queued > 0) {
            slots[*n].merchant_id = d->ms[i]->id;
            slots[*n].free = (int)dl_merchant_free(d, d->ms[i]);
            (*n)++;
        }
    }
    return slots;
}

/* Adds id to m's ready ring unless it is there or the ring is full; false when full. */
static bool
dl_ready_push(struct deliver *d, struct dl_merchant *m, const char *id)
{
    size_t i;

    for (i = 0; i < m->rlen; i++) {
        if (strcmp(m->ready[(m->rhead + i) % d->ready_cap], id) == 0) {
            return true;
        }
    }
    if (m->rlen >= d->ready_cap) {
        return false;
    }
    gw_copy_str(m->ready[(m->rhead + m->rlen) % d->ready_cap], MODEL_UUID_SZ, id);
    m->rlen++;
    return true;
}

static void
dl_requeue_add(struct deliver *d, const char *id)
{
    d->requeue = xrealloc(d->requeue, (d->nrequeue + 1) * sizeof(*d->requeue));
    d->requeue_len = xrealloc(d->requeue_len, (d->nrequeue + 1) * sizeof(*d->requeue_len));
    d->requeue[d->nrequeue] = xstrdup(id);
    d->requeue_len[d->nrequeue] = strlen(id);
    d->nrequeue++;
}

static const char *
dl_pend_merchant(const struct dl_pend *p)
{
    return p->ep ? p->epc.merchant_id : p->log.merchant_id;
}

/* Frees a waiting claim's strings (a started one has handed its payload and url on). */
static void
dl_pend_clear(struct dl_pend *p)
{
    if (p->ep) {
        epd_claim_clear(&p->epc);
        return;
    }
    free(p->log.payload);
    free(p->log.url);
    free(p->log.secret);
    p->log.payload = NULL;
    p->log.url = NULL;
    p->log.secret = NULL;
}

static void
dl_xfer_free(struct deliver *d, struct dl_xfer *x)
{
    if (x == NULL) {
        return;
    }
    if (x->easy != NULL) {
        if (d != NULL && d->neasy < d->max) {
            d->easy_pool[d->neasy++] = x->easy;
        } else {
            curl_easy_cleanup(x->easy);
        }
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
    size_t i;

    d->w = w;
    d->max = conc > 0 ? (size_t)conc : 1;
    d->per_merchant = d->max / 4 > 0 ? d->max / 4 : 1;
    d->ready_cap = d->per_merchant * 8;
    d->take_n = (size_t)DL_TAKE_MIN * 4;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, so sizeof(pointer) */
    d->xfers = xcalloc(d->max, sizeof(*d->xfers));
    for (i = 0; i < ARRAY_LEN(d->paths); i++) {
        d->paths[i].kind = (enum delivery_path)i;
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        d->paths[i].done = xcalloc(d->max, sizeof(*d->paths[i].done));
    }
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, so sizeof(pointer) */
    d->easy_pool = xcalloc(d->max, sizeof(*d->easy_pool));
    d->pend = xcalloc(2 * d->max, sizeof(*d->pend));
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
    return d->nxfers + d->paths[DELIVERY_LEGACY].ndone + d->paths[DELIVERY_ENDPOINT].ndone;
}

static void
dl_turn_reset(struct deliver *d)
{
    size_t i;

    queue_ids_release(&d->taken);
    for (i = 0; i < d->nrequeue; i++) {
        free(d->requeue[i]);
    }
    d->nrequeue = 0;
    for (i = 0; i < d->ndead; i++) {
        free((char *)(uintptr_t)d->dead[i].entry);
        free((char *)(uintptr_t)d->dead[i].id);
    }
    d->ndead = 0;
    memset(d->paths[DELIVERY_LEGACY].attempts, 0, sizeof(d->paths[DELIVERY_LEGACY].attempts));
    memset(d->paths[DELIVERY_ENDPOINT].attempts, 0, sizeof(d->paths[DELIVERY_ENDPOINT].attempts));
    d->completed = 0;
}

void
deliver_free(struct deliver *d)
{
    size_t i, k;

    if (d == NULL) {
        return;
    }
    for (i = 0; i < d->nxfers; i++) {
        log_warn("webhook attempt abandoned", LOG_S("webhook_id", d->xfers[i]->id),
                 LOG_I("attempt", d->xfers[i]->attempt));
        (void)curl_multi_remove_handle(d->multi, d->xfers[i]->easy);
        dl_xfer_free(NULL, d->xfers[i]);
    }
    for (k = 0; k < ARRAY_LEN(d->paths); k++) {
        struct dl_path *p = &d->paths[k];
        bool ep = p->kind == DELIVERY_ENDPOINT;

        for (i = 0; i < p->ndone; i++) {
            log_warn(ep ? "endpoint attempt not recorded" : "webhook attempt not recorded",
                     LOG_S(ep ? "event_id" : "webhook_id", p->done[i]->id),
                     LOG_I("attempt", p->done[i]->attempt));
            dl_xfer_free(NULL, p->done[i]);
        }
        free(p->done);
    }
    for (i = 0; i < d->neasy; i++) {
        curl_easy_cleanup(d->easy_pool[i]);
    }
    for (i = 0; i < d->nms; i++) {
        free(d->ms[i]->ready);
        free(d->ms[i]);
    }
    dl_turn_reset(d);
    for (i = 0; i < d->npend; i++) {
        dl_pend_clear(&d->pend[i]);
    }
    free(d->pend);
    (void)curl_multi_cleanup(d->multi);
    free(d->ms);
    free(d->requeue);
    free(d->requeue_len);
    free(d->dead);
    free(d->easy_pool);
    free(d->xfers);
    free(d);
}

/* ---- results ----------------------------------------------------------------------------- */

static void
dl_set_outcome(struct dl_xfer *x, enum dl_outcome oc, long code, const char *text)
{
    x->oc = oc;
    x->code = code;
    x->has_text = text != NULL;
    if (text != NULL) {
        (void)snprintf(x->text, sizeof(x->text), "%s", text);
    }
}

/* Moves x (whose outcome is set) to the list of attempts to record. */
static void
dl_finished(struct deliver *d, struct dl_xfer *x)
{
    struct dl_path *p = &d->paths[x->ep ? DELIVERY_ENDPOINT : DELIVERY_LEGACY];

    x->m->unrecorded++;
    p->done[p->ndone++] = x;
}

static void
dl_done(struct dl_xfer *x, CURLcode rc)
{
    long code = 0;
    long oserr = 0;
    char text[160];

    if (x->blocked) {
        dl_set_outcome(x, DL_BLOCKED, -1, "Destination address not allowed");
        return;
    }
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        dl_set_outcome(x, code >= 200 && code <= 299 ? DL_SUCCESS : DL_HTTP_ERROR, code, NULL);
        if (x->ep && (code == 429 || code == 503)) {
            curl_off_t ra = -1;

            /* seconds, or an HTTP date turned into seconds from now by libcurl */
            if (curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0) {
                x->retry_after = ra > EPD_RETRY_AFTER_MAX_S ? EPD_RETRY_AFTER_MAX_S : (long)ra;
            }
        }
        return;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        (void)snprintf(text, sizeof(text), "Timeout after %d ms", DELIVER_TIMEOUT_MS);
        dl_set_outcome(x, DL_TIMEOUT, -1, text);
        return;
    }
    (void)curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &oserr);
    if (rc == CURLE_COULDNT_CONNECT && oserr != 0) {
        (void)snprintf(text, sizeof(text), "%s", strerror((int)oserr));
    } else {
        (void)snprintf(text, sizeof(text), "%s", curl_easy_strerror(rc));
    }
    dl_set_outcome(x, DL_CONNECTION_ERROR, -1, text);
}

/* Collects finished transfers into their path's done list. */
static void
dl_harvest(struct deliver *d)
{
    struct CURLMsg *msg;
    struct dl_xfer *x = NULL;
    size_t i;
    int left = 0;

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
        dl_done(x, msg->data.result);
        (void)curl_multi_remove_handle(d->multi, x->easy);
        x->m->inflight--;
        for (i = 0; i < d->nxfers; i++) {
            if (d->xfers[i] == x) {
                d->xfers[i] = d->xfers[--d->nxfers];
                break;
            }
        }
        dl_finished(d, x);
        /* A slot is free: a take paused because every taken id's merchant was full may
         * succeed now, so the pause ends here rather than on its clock. */
        if (!d->redis_dry) {
            d->take_pause_until = 0;
        }
    }
}

static void
dl_dead_add(struct deliver *d, const struct dl_xfer *x, const char *reason)
{
    struct buf b;
    struct jw jw;
    char now[32];
    size_t len = 0;

    gw_utc_iso((int64_t)time(NULL), now);
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
    if (jw_finish(&jw) != 0) {
        log_warn("cannot serialise dlq entry", LOG_S("webhook_id", x->id));
        buf_release(&b);
        return;
    }
    d->dead = xrealloc(d->dead, (d->ndead + 1) * sizeof(*d->dead));
    d->dead[d->ndead].id = xstrdup(x->id);
    d->dead[d->ndead].entry = buf_detach(&b, &len);
    d->dead[d->ndead].len = len;
    d->ndead++;
}

/* A random factor in [900, 1100] per mille: the ±10 % jitter of SPEC 21.3. */
static int
dl_jitter(void)
{
    unsigned char b[2] = { 0, 0 };
    struct gw_err err = GW_ERR_INIT;

    if (crypto_random_bytes(b, sizeof(b), &err) != 0) {
        return 1000;
    }
    return 900 + (int)(((unsigned)b[0] << 8 | b[1]) % 201u);
}

/* The results of a path's finished attempts, as its turn statement writes them. */
struct dl_results {
    struct delivery_result *r;
    struct buf *bodies;
    char (*aids)[MODEL_ID_SZ]; /* endpoint: the attempt ids */
    bool *applied;
    size_t n;
};

/* What only an endpoint result has (SPEC 21.3): its attempt id, Retry-After or the jittered
 * schedule in ms, the error text apart from the body, the start time and 410. */
static void
dl_ep_result(struct deliver *d, const struct dl_xfer *x, struct delivery_result *r, char *aid)
{
    struct gw_err err = GW_ERR_INIT;

    if (crypto_new_id(ENDPOINT_ATTEMPT_ID_PREFIX, aid, MODEL_ID_SZ, &err) != 0) {
        (void)snprintf(aid, MODEL_ID_SZ, "wa_%016" PRIx64, (uint64_t)x->started_unix_ms);
    }
    r->delivery_id = x->delivery_id;
    r->attempt_id = aid;
    r->retry = x->retry_after > 0 ? (int64_t)x->retry_after * 1000
                                  : deliver_ep_retry_ms(d->w->cfg->webhook_retry_intervals_test,
                                                        x->attempt, dl_jitter());
    if (x->has_text) {
        r->body = NULL;
        r->error = x->text;
    }
    r->started_ms = x->started_unix_ms;
    r->gone = x->oc == DL_HTTP_ERROR && x->code == 410;
}

/* The one harvest of both paths: the results of p's finished attempts, each logged. */
static void
dl_results_prepare(struct deliver *d, const struct dl_path *p, struct dl_results *rs)
{
    bool ep = p->kind == DELIVERY_ENDPOINT;
    int max = ep ? EPD_MAX_ATTEMPTS : DELIVER_MAX_ATTEMPTS;
    size_t i, n = p->ndone;

    memset(rs, 0, sizeof(*rs));
    if (n == 0) {
        return;
    }
    rs->n = n;
    rs->r = xcalloc(n, sizeof(*rs->r));
    rs->bodies = xcalloc(n, sizeof(*rs->bodies));
    rs->aids = ep ? xcalloc(n, sizeof(*rs->aids)) : NULL;
    rs->applied = xcalloc(n, sizeof(*rs->applied));
    for (i = 0; i < n; i++) {
        struct dl_xfer *x = p->done[i];
        struct delivery_result *r = &rs->r[i];

        buf_init(&rs->bodies[i], 0);
        if (!x->has_text) {
            (void)deliver_clean_body(x->body, x->body_len, &rs->bodies[i]);
        } else if (!ep) {
            (void)buf_puts(&rs->bodies[i], x->text);
        }
        r->id = x->id;
        r->locked_until = x->locked_until;
        r->attempt = x->attempt;
        r->code = x->code;
        r->body = rs->bodies[i].data;
        r->status = x->oc == DL_SUCCESS ? "success" : x->attempt >= max ? "failed" : "pending";
        r->duration_ms = gw_mono_ms() - x->started_ms;
        if (ep) {
            dl_ep_result(d, x, r, rs->aids[i]);
        } else {
            r->retry = deliver_retry_interval(d->w->cfg->webhook_retry_intervals_test, x->attempt);
        }
        log_info(ep ? "endpoint attempt" : "webhook attempt",
                 LOG_S(ep ? "event_id" : "webhook_id", x->id), LOG_S("merchant_id", x->m->id),
                 LOG_S("event", x->event), LOG_I("attempt", x->attempt),
                 LOG_S("outcome", dl_outcome_names[x->oc]), LOG_I("response_code", x->code),
                 LOG_S("status", r->status), LOG_I("duration_ms", r->duration_ms));
    }
}

/* What only a written legacy result does: completed, or the dlq entry of a log that failed. */
static void
dl_legacy_recorded(struct deliver *d, const struct dl_xfer *x, const struct dl_results *rs,
                   size_t i)
{
    if (!rs->applied[i]) {
        log_warn("webhook claim lost before result", LOG_S("webhook_id", x->id));
        return;
    }
    if (x->oc == DL_SUCCESS) {
        d->completed++;
    } else if (x->attempt >= DELIVER_MAX_ATTEMPTS) {
        dl_dead_add(d, x, x->oc == DL_HTTP_ERROR ? "HTTP error" : rs->bodies[i].data);
    }
}

/* The one record of both paths, after the turn's statement: counters (and for logs the dlq
 * entries) of the written results (none when written is false: the claims then expire and the
 * attempts are repeated, at-least-once), then the finished attempts are freed. */
static void
dl_results_apply(struct deliver *d, struct dl_path *p, struct dl_results *rs, bool written)
{
    bool ep = p->kind == DELIVERY_ENDPOINT;
    size_t i;

    if (!written && rs->n > 0) {
        log_warn(ep ? "cannot record endpoint attempts; claims will expire"
                    : "cannot record webhook attempts; claims will expire",
                 LOG_I("attempts", rs->n));
    }
    for (i = 0; i < rs->n; i++) {
        struct dl_xfer *x = p->done[i];

        if (written) {
            p->attempts[x->oc]++;
            if (!ep) {
                dl_legacy_recorded(d, x, rs, i);
            }
        }
        x->m->unrecorded--;
        dl_xfer_free(d, x);
        buf_release(&rs->bodies[i]);
    }
    if (rs->n > 0) {
        p->ndone = 0;
    }
    free(rs->r);
    free(rs->bodies);
    free(rs->aids);
    free(rs->applied);
    memset(rs, 0, sizeof(*rs));
}

/* Sends the turn's Redis work (acks, requeues, counters, dlq) as one pipeline. */
static void
dl_settle(struct deliver *d)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct queue_webhook_settle s;
    long long total = d->completed + (long long)d->ndead + (long long)d->taken.n;
    size_t i;

    for (i = 0; i < DL_NOUTCOMES; i++) {
        total += d->paths[DELIVERY_LEGACY].attempts[i] + d->paths[DELIVERY_ENDPOINT].attempts[i];
    }
    if (total == 0 && d->nrequeue == 0) {
        return;
    }
    memset(&s, 0, sizeof(s));
    s.ack = (const char *const *)d->taken.v;
    s.ack_len = d->taken.len;
    s.nack = d->taken.n;
    s.requeue = (const char *const *)d->requeue;
    s.requeue_len = d->requeue_len;
    s.nrequeue = d->nrequeue;
    s.outcomes = dl_outcome_names;
    s.attempts = d->paths[DELIVERY_LEGACY].attempts;
    s.ep_attempts = d->paths[DELIVERY_ENDPOINT].attempts;
    s.noutcomes = DL_NOUTCOMES;
    s.completed = d->completed;
    s.dead = d->dead;
    s.ndead = d->ndead;
    if (!wk_queue_ready(w) || queue_webhooks_settle(w->q, &s, &err) != 0) {
        log_warn("cannot record webhook counters in redis", LOG_S("error", err.msg));
        wk_queue_failed(w, &err);
    }
    dl_turn_reset(d);
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

int64_t
deliver_ep_retry_ms(bool test_schedule, int attempt, int jitter_permille)
{
    int64_t base;

    if (attempt < 1 || attempt >= EPD_MAX_ATTEMPTS) {
        return -1;
    }
    base =
        test_schedule ? (int64_t)attempt * 1000 : (int64_t)deliver_ep_intervals[attempt - 1] * 1000;
    return base * jitter_permille / 1000;
}

int
deliver_secret_key(const char *secret, size_t min_decoded, unsigned char *key, size_t keysz,
                   size_t *klen)
{
    size_t slen = strlen(secret), n = 0;

    if (slen > 6 && strncmp(secret, "whsec_", 6) == 0
        && crypto_base64_decode(secret + 6, slen - 6, key, keysz, &n) == 0 && n >= min_decoded
        && n > 0) {
        *klen = n;
        return 0;
    }
    if (slen > keysz) {
        return -1;
    }
    memcpy(key, secret, slen);
    *klen = slen;
    return 0;
}

int
deliver_std_signature(const unsigned char *key, size_t klen, const char *id, int64_t ts,
                      const void *body, size_t len, char std[DELIVER_STDSIG_SZ])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    struct buf msg;
    int ret = -1;

    buf_init(&msg, 0);
    if (buf_printf(&msg, "%s.%" PRId64 ".", id, ts) != 0 || buf_append(&msg, body, len) != 0) {
        goto out;
    }
    if (crypto_hmac_sha256(key, klen, msg.data, msg.len, mac) != 0) {
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

int
deliver_signatures(const char *secret, const char *id, int64_t ts, const void *body, size_t len,
                   char hex[CRYPTO_SHA256_HEXLEN + 1], char std[DELIVER_STDSIG_SZ])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    unsigned char key[DELIVER_KEY_MAX];
    size_t klen = 0;
    int ret = -1;

    /* SPEC 21.3: a whsec_ secret whose rest is base64 of at least 24 bytes signs with those
     * bytes (Standard Webhooks); any other secret with its own bytes (SPEC 11.3) */
    if (deliver_secret_key(secret, 24, key, sizeof(key), &klen) != 0) {
        goto out;
    }
    if (crypto_hmac_sha256(key, klen, body, len, mac) != 0) {
        goto out;
    }
    crypto_hex(mac, sizeof(mac), hex);
    ret = deliver_std_signature(key, klen, id, ts, body, len, std);
out:
    crypto_wipe(mac, sizeof(mac));
    crypto_wipe(key, sizeof(key));
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
    CURL *e = NULL;
    CURLcode rc = CURLE_OK;

    if (d->neasy > 0) {
        e = d->easy_pool[--d->neasy];
        curl_easy_reset(e);
    } else {
        e = curl_easy_init();
    }
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

/* Starts the attempt of claim c (its payload and url move into the transfer). */
/* Starts a prepared attempt of either path on the multi handle (signed: the result of signing
 * its headers, 0 when done); one that cannot start ends at once as an internal connection error,
 * logged as `what` with its id under `id_key`. */
static void
dl_launch(struct deliver *d, struct dl_xfer *x, int signed_ok, const char *what, const char *id_key)
{
    if (signed_ok != 0 || dl_setup_easy(d, x) != 0
        || curl_multi_add_handle(d->multi, x->easy) != CURLM_OK) {
        log_error(what, LOG_S(id_key, x->id));
        dl_set_outcome(x, DL_CONNECTION_ERROR, -1, "Internal error starting attempt");
        dl_finished(d, x);
        return;
    }
    x->m->inflight++;
    d->xfers[d->nxfers++] = x;
}

static void
dl_start(struct deliver *d, struct delivery_claim *c)
{
    struct dl_xfer *x = xcalloc(1, sizeof(*x));

    x->d = d;
    x->m = dl_merchant_find(d, c->merchant_id, true);
    x->started_ms = gw_mono_ms();
    gw_copy_str(x->id, sizeof(x->id), c->id);
    gw_copy_str(x->event, sizeof(x->event), c->event);
    gw_copy_str(x->locked_until, sizeof(x->locked_until), c->locked_until);
    x->attempt = c->attempt;
    x->payload = c->payload;
    x->payload_len = c->payload_len;
    x->url = c->url;
    c->payload = NULL;
    c->url = NULL;
    if (x->url == NULL) {
        dl_set_outcome(x, DL_NOT_CONFIGURED, -1, "Webhook URL not configured");
        dl_finished(d, x);
        return;
    }
    dl_launch(d, x, dl_sign_headers(x, c->secret), "cannot start webhook attempt", "webhook_id");
}

/* Whether pend[i] is to be given up: all of them, one held too long, or one to an endpoint
 * (not NULL) that was disabled. */
static bool
dl_pend_drop(const struct dl_pend *p, bool all, int64_t now, const char *endpoint)
{
    if (endpoint != NULL) {
        return p->ep && strcmp(p->epc.endpoint_id, endpoint) == 0;
    }
    return all || now - p->ms > DL_CLAIM_HOLD_MS;
}

/* Gives up the waiting claims dl_pend_drop selects, one statement per path. */
static void
dl_release(struct deliver *d, bool all, int64_t now, const char *endpoint)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct delivery_claim_ref *refs[2];
    size_t i, j = 0, n[2] = { 0, 0 };
    enum delivery_path k;
    bool ok = true;

    for (k = DELIVERY_LEGACY; k <= DELIVERY_ENDPOINT; k++) {
        refs[k] = xcalloc(d->npend + 1, sizeof(*refs[k]));
    }
    for (i = 0; i < d->npend; i++) {
        struct dl_pend *p = &d->pend[i];
        struct delivery_claim_ref *r;

        if (!dl_pend_drop(p, all, now, endpoint)) {
            continue;
        }
        k = p->ep ? DELIVERY_ENDPOINT : DELIVERY_LEGACY;
        r = &refs[k][n[k]++];
        r->id = p->log.id;
        r->delivery_id = p->epc.delivery_id;
        r->locked_until = p->ep ? p->epc.locked_until : p->log.locked_until;
    }
    for (k = DELIVERY_LEGACY; ok && k <= DELIVERY_ENDPOINT; k++) {
        ok = n[k] == 0 || !wk_db_ready(w) || delivery_release(w->db, k, refs[k], n[k], &err) == 0;
    }
    if (!ok) {
        log_warn("cannot release webhook claims; they will expire", LOG_S("error", err.msg));
        wk_db_failed(w, &err);
    }
    for (i = 0; i < d->npend; i++) {
        if (dl_pend_drop(&d->pend[i], all, now, endpoint)) {
            dl_merchant_find(d, dl_pend_merchant(&d->pend[i]), true)->queued--;
            dl_pend_clear(&d->pend[i]);
            continue;
        }
        d->pend[j++] = d->pend[i];
    }
    d->npend = j;
    free(refs[DELIVERY_LEGACY]);
    free(refs[DELIVERY_ENDPOINT]);
}

/* Starts the waiting claims whose merchant has a free slot, oldest first. */
static size_t
dl_start_pending(struct deliver *d)
{
    struct dl_merchant *m;
    size_t i, j = 0, started = 0;

    for (i = 0; i < d->npend; i++) {
        struct dl_pend *p = &d->pend[i];

        m = dl_merchant_find(d, dl_pend_merchant(p), true);
        if (d->nxfers < d->max && (size_t)m->inflight < d->per_merchant) {
            m->queued--;
            if (p->ep) {
                dl_ep_start(d, &p->epc);
            } else {
                dl_start(d, &p->log);
            }
            dl_pend_clear(p);
            started++;
            continue;
        }
        d->pend[j++] = *p;
    }
    d->npend = j;
    return started;
}

/* Appends a claim to pend (which takes over its strings). */
static void
dl_pend_add(struct deliver *d, const struct delivery_claim *log, const struct epd_claim *epc,
            int64_t now)
{
    struct dl_pend *p = &d->pend[d->npend++];

    memset(p, 0, sizeof(*p));
    p->ep = epc != NULL;
    p->ms = now;
    if (epc != NULL) {
        p->epc = *epc;
    } else if (log != NULL) {
        p->log = *log;
    }
    dl_merchant_find(d, dl_pend_merchant(p), true)->queued++;
}

/* Due logs from the database into the ready rings, for merchants with room. */
static void
dl_poll_db(struct deliver *d, int64_t now)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct delivery_due *due = NULL;
    const char **skip = NULL;
    size_t i, n = 0, nskip = 0, page = d->max > DL_POLL_PAGE_MIN ? d->max : DL_POLL_PAGE_MIN;
    struct dl_merchant *m;

    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    skip = xcalloc(d->nms + 1, sizeof(*skip));
    for (i = 0; i < d->nms; i++) {
        if (dl_merchant_free(d, d->ms[i]) == 0 || d->ms[i]->rlen >= d->ready_cap) {
            skip[nskip++] = d->ms[i]->id;
        }
    }
    if (delivery_poll_due(w->db, skip, nskip, (int)page, &due, &n, &err) != 0) {
        wk_db_failed(w, &err);
        d->next_poll_ms = now + WK_WEBHOOK_POLL_MS;
        goto out;
    }
    for (i = 0; i < n; i++) {
        m = dl_merchant_find(d, due[i].merchant_id, true);
        (void)dl_ready_push(d, m, due[i].id);
    }
    /* A full page means more are due than Redis told us of (e.g. after Redis lost its data):
     * poll again soon while Redis has nothing, else at the normal pace. */
    d->next_poll_ms =
        n >= page && d->redis_dry ? now + WK_WEBHOOK_BACKLOG_MS : now + WK_WEBHOOK_POLL_MS;
out:
    free(due);
    free(skip);
}

/* Due ids waiting in the rings of merchants that may claim more: when there are enough of them,
 * taking more from Redis would only buffer or hand back ids. */
static size_t
dl_ready_usable(const struct deliver *d)
{
    size_t i, n = 0;

    for (i = 0; i < d->nms; i++) {
        if (dl_merchant_free(d, d->ms[i]) > 0) {
            n += d->ms[i]->rlen;
        }
    }
    return n;
}

/* Ready ids for the free slots, one per merchant per round, starting at the round-robin
 * cursor; popped from their rings into cids. Returns how many. */
static size_t
dl_pick_ready(struct deliver *d, size_t free_slots, char (*cids)[MODEL_UUID_SZ])
{
    size_t n = 0, round, k, want;
    bool any = true;

    for (round = 0; any && n < free_slots; round++) {
        any = false;
        for (k = 0; k < d->nms && n < free_slots; k++) {
            struct dl_merchant *m = d->ms[(d->rr + k) % d->nms];

            want = dl_merchant_free(d, m);
            if (round >= want || m->rlen == 0) {
                continue;
            }
            /* round < want: this merchant may start one more */
            gw_copy_str(cids[n++], MODEL_UUID_SZ, m->ready[m->rhead]);
            m->rhead = (m->rhead + 1) % d->ready_cap;
            m->rlen--;
            any = true;
        }
    }
    if (d->nms > 0) {
        d->rr = (d->rr + 1) % d->nms;
    }
    return n;
}

/* Up to room ids from queue:webhooks into cids (well-formed ones; all are acknowledged at the
 * end of the turn). Returns how many. */
static size_t
dl_take(struct deliver *d, size_t room, char (*cids)[MODEL_UUID_SZ], int64_t now)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    size_t want, i, n = 0;

    if (!wk_queue_ready(w)) {
        d->redis_dry = true;
        return 0;
    }
    if (dl_ready_usable(d) >= d->max || now < d->take_pause_until) {
        return 0;
    }
    want = d->take_n < room ? d->take_n : room;
    if (queue_webhooks_take(w->q, want, &d->taken, &err) != 0) {
        wk_queue_failed(w, &err);
        d->redis_dry = true;
        return 0;
    }
    d->redis_dry = d->taken.n < want;
    if (d->redis_dry) {
        d->take_pause_until = now + DL_TAKE_PAUSE_MS;
    }
    for (i = 0; i < d->taken.n; i++) {
        if (d->taken.len[i] < MODEL_UUID_SZ && validate_uuid(d->taken.v[i])) {
            gw_copy_str(cids[n++], MODEL_UUID_SZ, d->taken.v[i]);
        } else {
            log_warn("malformed webhook id dropped");
        }
    }
    return n;
}

/* New claims wait in pend for a slot; due candidates that did not fit go to their merchant's
 * ready ring, or back on queue:webhooks when it is full. */
static void
dl_claims_apply(struct deliver *d, struct delivery_claim_out *out, size_t nfresh, int64_t now)
{
    struct dl_merchant *m;
    size_t i, overflow = 0;

    for (i = 0; i < out->nclaims; i++) {
        dl_pend_add(d, &out->claims[i], NULL, now);
        /* moved: the list no longer owns them */
        out->claims[i].payload = NULL;
        out->claims[i].url = NULL;
        out->claims[i].secret = NULL;
    }
    for (i = 0; i < out->nwaiting; i++) {
        m = dl_merchant_find(d, out->waiting[i].merchant_id, true);
        if (!dl_ready_push(d, m, out->waiting[i].id)) {
            dl_requeue_add(d, out->waiting[i].id);
            overflow++;
        }
    }
    /* Take size follows what the takes are good for: halve it when most taken ids only went
     * back (their merchants were full), double it when all were used; pause after a take that
     * gave nothing at all. */
    if (nfresh > 0) {
        if (overflow * 4 > nfresh * 3) {
            d->take_n = d->take_n / 2 > DL_TAKE_MIN ? d->take_n / 2 : DL_TAKE_MIN;
        } else if (overflow * 4 < nfresh && nfresh >= d->take_n) {
            d->take_n = d->take_n * 2 < DL_TAKE_MAX ? d->take_n * 2 : DL_TAKE_MAX;
        }
        if (overflow >= nfresh && out->nclaims == 0) {
            d->take_pause_until = now + DL_TAKE_PAUSE_MS;
        }
    }
}

/* The turn's statement: records the finished attempts and claims candidates for the free
 * slots (from the ready rings, the database poll and queue:webhooks) in one round trip. */
static void
dl_exchange(struct deliver *d)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct delivery_claim_out out = DELIVERY_CLAIM_OUT_INIT;
    struct delivery_claim_in in;
    struct dl_path *p = &d->paths[DELIVERY_LEGACY];
    struct dl_results rs;
    struct delivery_slots *slots = NULL;
    char(*cids)[MODEL_UUID_SZ] = NULL;
    const char **ids = NULL;
    size_t free_slots, nready, ncand = 0, nfresh = 0, i, nslots = 0;
    int64_t now = gw_mono_ms();
    bool ok;

    dl_results_prepare(d, p, &rs);
    if (!wk_db_ready(w)) {
        dl_results_apply(d, p, &rs, false);
        return;
    }
    free_slots =
        w->stopping || d->nxfers + d->npend >= 2 * d->max ? 0 : 2 * d->max - d->nxfers - d->npend;
    if (free_slots > 0 && now >= d->next_poll_ms) {
        dl_poll_db(d, now);
    }
    cids = xcalloc(free_slots + DL_TAKE_MAX, sizeof(*cids));
    nready = dl_pick_ready(d, free_slots, cids);
    ncand = nready;
    if (free_slots > 0 && nready < free_slots) {
        nfresh = dl_take(d, free_slots - nready, cids + nready, now);
        ncand += nfresh;
    }
    if (ncand == 0 && rs.n == 0) {
        goto out;
    }
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    ids = xcalloc(ncand + 1, sizeof(*ids));
    for (i = 0; i < ncand; i++) {
        ids[i] = cids[i];
    }
    slots = dl_slots(d, &nslots);
    in.ids = ids;
    in.nids = ncand;
    in.slots = slots;
    in.nslots = nslots;
    in.per_merchant = (int)(2 * d->per_merchant);
    in.limit = (int)free_slots;
    ok = delivery_turn(w->db, rs.r, rs.n, rs.applied, ncand > 0 ? &in : NULL, &out, &err) == 0;
    dl_results_apply(d, p, &rs, ok);
    if (!ok) {
        log_warn("webhook turn failed", LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        /* Not lost: the fresh ids go back on the queue, the others the poll finds again. */
        for (i = nready; i < ncand; i++) {
            dl_requeue_add(d, cids[i]);
        }
        goto out;
    }
    dl_claims_apply(d, &out, nfresh, now);
out:
    dl_results_apply(d, p, &rs, false); /* only when the statement did not run */
    delivery_claim_out_release(&out);
    free(slots);
    free(ids);
    free(cids);
    dl_merchant_gc(d);
}

/* ---- endpoint deliveries (SPEC 21.3) ------------------------------------------------------ */

/* Standard Webhooks headers: webhook-id the event id, the signature with the endpoint's key and,
 * while a rotated secret is still valid, with the previous one too ("v1,<new> v1,<old>"). */
static int
dl_ep_sign_headers(struct dl_xfer *x, const char *secret, const char *previous)
{
    unsigned char key[DELIVER_KEY_MAX];
    char std[DELIVER_STDSIG_SZ], old[DELIVER_STDSIG_SZ];
    char line[256];
    size_t klen = 0;
    int64_t ts = (int64_t)time(NULL);
    int rc = -1;

    old[0] = '\0';
    if (secret == NULL || deliver_secret_key(secret, 1, key, sizeof(key), &klen) != 0
        || deliver_std_signature(key, klen, x->id, ts, x->payload, x->payload_len, std) != 0) {
        goto out;
    }
    if (previous != NULL
        && (deliver_secret_key(previous, 1, key, sizeof(key), &klen) != 0
            || deliver_std_signature(key, klen, x->id, ts, x->payload, x->payload_len, old) != 0)) {
        goto out;
    }
    x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json");
    (void)snprintf(line, sizeof(line), "webhook-id: %s", x->id);
    x->hdrs = curl_slist_append(x->hdrs, line);
    (void)snprintf(line, sizeof(line), "webhook-timestamp: %" PRId64, ts);
    x->hdrs = curl_slist_append(x->hdrs, line);
    (void)snprintf(line, sizeof(line), "webhook-signature: %s%s%s", std, old[0] != '\0' ? " " : "",
                   old);
    x->hdrs = curl_slist_append(x->hdrs, line);
    x->hdrs = curl_slist_append(x->hdrs, "Expect:");
    rc = x->hdrs != NULL ? 0 : -1;
out:
    crypto_wipe(key, sizeof(key));
    return rc;
}

/* Starts the attempt of endpoint claim c (its payload and url move into the transfer). */
static void
dl_ep_start(struct deliver *d, struct epd_claim *c)
{
    struct dl_xfer *x = xcalloc(1, sizeof(*x));

    x->d = d;
    x->ep = true;
    x->retry_after = -1;
    x->m = dl_merchant_find(d, c->merchant_id, true);
    x->started_ms = gw_mono_ms();
    x->started_unix_ms = gw_unix_ms();
    x->delivery_id = c->delivery_id;
    gw_copy_str(x->id, sizeof(x->id), c->event_id);
    gw_copy_str(x->event, sizeof(x->event), c->type);
    gw_copy_str(x->locked_until, sizeof(x->locked_until), c->locked_until);
    x->attempt = c->attempt;
    x->payload = c->payload;
    x->payload_len = c->payload_len;
    x->url = c->url;
    c->payload = NULL;
    c->url = NULL;
    dl_launch(d, x,
              x->url == NULL || x->payload == NULL
                  ? -1
                  : dl_ep_sign_headers(x, c->secret, c->previous_secret),
              "cannot start endpoint attempt", "event_id");
}

/* Fans new events out to their endpoints' deliveries (at least every DL_EP_POLL_MS; at once
 * again while batches come back full). */
static void
dl_fanout(struct deliver *d, int64_t now)
{
    struct gw_err err = GW_ERR_INIT;
    int n = 0;

    if (now < d->next_fanout_ms || d->w->stopping || !wk_db_ready(d->w)) {
        return;
    }
    if (epd_fanout(d->w->db, DL_FANOUT_BATCH, &n, &err) != 0) {
        log_warn("endpoint fan-out failed", LOG_S("error", err.msg));
        wk_db_failed(d->w, &err);
        d->next_fanout_ms = now + DL_EP_POLL_MS;
        return;
    }
    d->next_fanout_ms = n >= DL_FANOUT_BATCH ? now : now + DL_EP_POLL_MS;
    if (n > 0) {
        d->next_ep_ms = now; /* new deliveries are due */
    }
}

/* The endpoint turn: records the finished endpoint attempts and claims due deliveries in one
 * statement. Claims wait in pend like the legacy path's (each merchant twice its attempt limit
 * claimed, each endpoint its attempt limit across workers), so the attempts that finish while
 * a turn runs are followed at once by the next ones. */
static void
dl_ep_exchange(struct deliver *d)
{
    struct wk *w = d->w;
    struct gw_err err = GW_ERR_INIT;
    struct dl_path *p = &d->paths[DELIVERY_ENDPOINT];
    struct dl_results rs;
    struct epd_claim_in in;
    struct epd_turn_out out;
    struct delivery_slots *slots = NULL;
    size_t free_slots, i, nslots = 0;
    int64_t now = gw_mono_ms();
    bool ok;

    free_slots =
        w->stopping || d->nxfers + d->npend >= 2 * d->max ? 0 : 2 * d->max - d->nxfers - d->npend;
    if (p->ndone == 0 && (free_slots == 0 || now < d->next_ep_ms)) {
        return;
    }
    dl_results_prepare(d, p, &rs);
    if (!wk_db_ready(w)) {
        dl_results_apply(d, p, &rs, false);
        return;
    }
    /* Finished attempts freed their merchants' and endpoints' slots: the turn that records them
     * also claims (one statement either way), or a merchant with more due deliveries than its
     * slots would wait for the next poll after every batch. */
    slots = dl_slots(d, &nslots);
    in.slots = slots;
    in.nslots = nslots;
    in.per_merchant = (int)(2 * d->per_merchant);
    in.per_endpoint = (int)d->per_merchant;
    in.limit = (int)free_slots;
    ok = epd_turn(w->db, rs.r, rs.n, rs.applied, w->cfg->webhook_disable_after_s, &in, &out, &err)
         == 0;
    dl_results_apply(d, p, &rs, ok);
    if (!ok) {
        log_warn("endpoint turn failed", LOG_S("error", err.msg));
        wk_db_failed(w, &err);
        d->next_ep_ms = now + DL_EP_POLL_MS;
        goto out;
    }
    if (free_slots > 0) {
        d->next_ep_ms = out.nclaims >= free_slots ? now : now + DL_EP_POLL_MS;
    }
    for (i = 0; i < out.nclaims; i++) {
        dl_pend_add(d, NULL, &out.claims[i], now);
        memset(&out.claims[i], 0, sizeof(out.claims[i])); /* moved into pend */
    }
    /* An endpoint this turn disabled gets none of the attempts still waiting for it. */
    for (i = 0; i < out.ndisabled; i++) {
        dl_release(d, false, now, out.disabled[i]);
    }
    (void)dl_start_pending(d);
out:
    epd_turn_out_release(&out);
    free(slots);
}

/* One turn: drive the transfers, record what finished, fill the free slots, tell Redis. */
static void
dl_turn(struct deliver *d)
{
    int running = 0;
    int64_t now = gw_mono_ms();

    (void)curl_multi_perform(d->multi, &running);
    dl_harvest(d);
    if (d->w->stopping) {
        if (d->npend > 0) {
            dl_release(d, true, now, NULL);
        }
    } else if (dl_start_pending(d) > 0) {
        (void)curl_multi_perform(d->multi, &running); /* send the new requests now */
    }
    dl_exchange(d);
    if (dl_start_pending(d) > 0) {
        (void)curl_multi_perform(d->multi, &running);
    }
    dl_fanout(d, now);
    dl_ep_exchange(d);
    if (d->nxfers > 0) {
        (void)curl_multi_perform(d->multi, &running);
        /* A fast receiver answers within this call: take those now, or the poll below would
         * sleep its whole wait with nothing left to watch (40 ms stalls, found by
         * bench/webhooks.sh under strace). */
        dl_harvest(d);
    }
    if (d->npend > 0 && now - d->pend[0].ms > DL_CLAIM_HOLD_MS) {
        dl_release(d, false, now, NULL);
    }
    dl_settle(d);
    dl_merchant_gc(d);
}

void
deliver_start(struct deliver *d)
{
    dl_turn(d);
}

/* When the next turn has work besides transfers (a take pause ending while Redis still holds
 * ids, or the database poll), for slots that are free; INT64_MAX when none. Without it the
 * worker sleeps its whole tick with slots free and due ids waiting. */
static int64_t
dl_wake_at(const struct deliver *d)
{
    int64_t at = INT64_MAX;

    if (d->paths[DELIVERY_LEGACY].ndone + d->paths[DELIVERY_ENDPOINT].ndone > 0) {
        return 0; /* finished attempts to record */
    }
    /* Nothing to gain while a link is down: its reconnect has its own backoff. */
    if (d->w->stopping || d->nxfers + d->npend >= 2 * d->max || !db_is_connected(d->w->db)
        || !queue_is_connected(d->w->q)) {
        return at;
    }
    if (!d->redis_dry) {
        at = d->take_pause_until;
    }
    if (d->nxfers < d->max && d->next_ep_ms < at) {
        at = d->next_ep_ms;
    }
    if (d->next_fanout_ms < at) {
        at = d->next_fanout_ms;
    }
    return d->next_poll_ms < at ? d->next_poll_ms : at;
}

void
deliver_poll(struct deliver *d, int timeout_ms)
{
    int64_t end = gw_mono_ms() + timeout_ms, now, wake;
    int numfds = 0, wait;

    for (;;) {
        dl_turn(d);
        now = gw_mono_ms();
        if (now >= end) {
            break;
        }
        wake = dl_wake_at(d);
        wait = (int)((wake < end ? (wake > now ? wake : now) : end) - now);
        (void)curl_multi_poll(d->multi, NULL, 0, wait, &numfds);
    }
}

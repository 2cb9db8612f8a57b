/* ceiling.c: the machine's write ceiling for a payment create, as a FastCGI responder.
 *
 * The least a payment create can do behind the same nginx, PostgreSQL and Redis as the product:
 * read the body, run one prepared INSERT of a payment-like row (the columns, defaults, CHECKs,
 * indexes and foreign keys of `payments`), LPUSH one job, answer 201 with a small JSON body. No
 * authentication, no validation, no JSON parsing, no idempotency, no events. `make bench` runs it
 * on the product's FastCGI socket with the product's child count and compares the two in one
 * run (bench/run.sh). It is a measuring instrument, never part of the gateway.
 *
 * Environment: DATABASE_URL, REDIS_URL (redis://host:port), FCGI_CHILDREN (1-64, default 4),
 * CEILING_ORDER_ID and CEILING_MERCHANT_ID (an existing order and its merchant). */
#include <errno.h>
#include <fcgiapp.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CEILING_MAX_CHILDREN 64
#define CEILING_BODY_MAX     65536
#define CEILING_ID_LEN       16

static const char ceiling_alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static const char ceiling_insert[] =
    "INSERT INTO bench_ceiling_payments (id, order_id, merchant_id, amount, currency, method, "
    "status, vpa) VALUES ($1, $2, $3::uuid, 50000, 'INR', 'upi', 'pending', 'user@paytm')";

static volatile sig_atomic_t ceiling_stop;

static void
ceiling_on_signal(int sig)
{
    (void)sig;
    ceiling_stop = 1;
}

static const char *
ceiling_env(const char *name, const char *def)
{
    const char *v = getenv(name); /* NOLINT(concurrency-mt-unsafe): single-threaded */

    return v != NULL && v[0] != '\0' ? v : def;
}

/* "pay_" + 16 alphanumerics by rejection sampling, as the product makes ids (SPEC 4.4). */
static int
ceiling_new_id(char out[32])
{
    unsigned char raw[64];
    size_t i, n = 0;

    memcpy(out, "pay_", 4);
    while (n < CEILING_ID_LEN) {
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            return -1;
        }
        for (i = 0; i < sizeof(raw) && n < CEILING_ID_LEN; i++) {
            if (raw[i] < 248) {
                out[4 + n++] = ceiling_alnum[raw[i] % 62];
            }
        }
    }
    out[4 + CEILING_ID_LEN] = '\0';
    return 0;
}

/* redis://host[:port] (no password, no database: the bench stack's own Redis). */
static redisContext *
ceiling_redis(const char *url)
{
    char host[256];
    const char *p = strncmp(url, "redis://", 8) == 0 ? url + 8 : url;
    const char *colon = strchr(p, ':');
    size_t hl = colon != NULL ? (size_t)(colon - p) : strcspn(p, "/");
    long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 6379;

    if (hl == 0 || hl >= sizeof(host) || port < 1 || port > 65535) {
        return NULL;
    }
    memcpy(host, p, hl);
    host[hl] = '\0';
    return redisConnect(host, (int)port);
}

static void
ceiling_answer(FCGX_Request *r, int status, const char *body)
{
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "Status: %d\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     status, strlen(body));

    /* FCGX_FPrintF has its own printf without %zu: format here, write raw bytes */
    if (n > 0 && (size_t)n < sizeof(head)) {
        (void)FCGX_PutStr(head, n, r->out);
        (void)FCGX_PutStr(body, (int)strlen(body), r->out);
    }
}

static void
ceiling_serve(FCGX_Request *r, PGconn *pg, redisContext *rd, const char *order_id,
              const char *merchant_id)
{
    static char body[CEILING_BODY_MAX + 1];
    const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->envp);
    long want = cl != NULL ? strtol(cl, NULL, 10) : 0;
    const char *params[3];
    char id[32], out[160];
    redisReply *reply;
    PGresult *res;
    int got = 0, n;

    if (want < 0 || want > CEILING_BODY_MAX) {
        ceiling_answer(r, 413, "{\"error\":\"too large\"}");
        return;
    }
    while (got < want) {
        n = FCGX_GetStr(body + got, (int)want - got, r->in);
        if (n <= 0) {
            break;
        }
        got += n;
    }
    if (ceiling_new_id(id) != 0) {
        ceiling_answer(r, 500, "{\"error\":\"random\"}");
        return;
    }
    params[0] = id;
    params[1] = order_id;
    params[2] = merchant_id;
    res = PQexecPrepared(pg, "ins", 3, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        PQclear(res);
        ceiling_answer(r, 503, "{\"error\":\"database\"}");
        return;
    }
    PQclear(res);
    (void)snprintf(out, sizeof(out), "{\"type\":\"payment\",\"id\":\"%s\",\"deliveries\":0}", id);
    reply = redisCommand(rd, "LPUSH %s %s", "queue:bench_ceiling", out);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        ceiling_answer(r, 503, "{\"error\":\"redis\"}");
        return;
    }
    freeReplyObject(reply);
    (void)snprintf(out, sizeof(out), "{\"id\":\"%s\",\"order_id\":\"%s\",\"status\":\"pending\"}",
                   id, order_id);
    ceiling_answer(r, 201, out);
}

static int
ceiling_child(void)
{
    const char *order_id = ceiling_env("CEILING_ORDER_ID", "");
    const char *merchant_id = ceiling_env("CEILING_MERCHANT_ID", "");
    PGconn *pg = PQconnectdb(ceiling_env("DATABASE_URL", ""));
    redisContext *rd = ceiling_redis(ceiling_env("REDIS_URL", "redis://127.0.0.1:6379"));
    FCGX_Request r;
    PGresult *res;
    int ret = 1;

    if (PQstatus(pg) != CONNECTION_OK || rd == NULL || rd->err != 0) {
        (void)fprintf(stderr, "ceiling: cannot connect to PostgreSQL or Redis\n");
        goto out;
    }
    res = PQprepare(pg, "ins", ceiling_insert, 3, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        (void)fprintf(stderr, "ceiling: prepare failed: %s", PQerrorMessage(pg));
        PQclear(res);
        goto out;
    }
    PQclear(res);
    if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0) {
        goto out;
    }
    while (!ceiling_stop && FCGX_Accept_r(&r) >= 0) {
        ceiling_serve(&r, pg, rd, order_id, merchant_id);
        FCGX_Finish_r(&r);
    }
    ret = 0;
out:
    if (rd != NULL) {
        redisFree(rd);
    }
    PQfinish(pg);
    return ret;
}

int
main(void)
{
    long n = strtol(ceiling_env("FCGI_CHILDREN", "4"), NULL, 10);
    pid_t kids[CEILING_MAX_CHILDREN];
    struct sigaction sa;
    long i;

    if (n < 1 || n > CEILING_MAX_CHILDREN) {
        (void)fprintf(stderr, "ceiling: FCGI_CHILDREN must be 1-64\n");
        return 2;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ceiling_on_signal;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < n; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            (void)signal(SIGTERM, SIG_DFL); /* a child stops at once, even inside accept() */
            return ceiling_child();
        }
    }
    while (!ceiling_stop) {
        if (wait(NULL) < 0 && errno == ECHILD) {
            break;
        }
    }
    for (i = 0; i < n; i++) {
        if (kids[i] > 0) {
            (void)kill(kids[i], SIGTERM);
        }
    }
    while (wait(NULL) > 0 || errno == EINTR) {
    }
    return 0;
}

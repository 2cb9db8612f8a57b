/* queue.h: the only hiredis user. One context per process; every command goes through
 * queue_cmd(); after a NULL reply the context is reconnected (never reused); user data is only
 * ever passed as an argument, never as a format string.
 *
 * Redis keys of SPEC section 10.1. */
#ifndef GW_QUEUE_H
#define GW_QUEUE_H

#include "gw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define Q_PAYMENTS            "queue:payments"
#define Q_PAYMENTS_PROCESSING "queue:payments:processing"
#define Q_PAYMENTS_DELAYED    "queue:payments:delayed"
#define Q_REFUNDS             "queue:refunds"
#define Q_REFUNDS_PROCESSING  "queue:refunds:processing"
#define Q_REFUNDS_DELAYED     "queue:refunds:delayed"
#define Q_WEBHOOKS            "queue:webhooks"
#define Q_WEBHOOKS_PROCESSING "queue:webhooks:processing"
#define Q_DLQ                 "dlq"
/* hash: webhook log id (lowercase) -> its exact entry in dlq, so that a retry removes the entry
 * without reading the list (webhook_log_dlq_push / webhook_log_dlq_remove) */
#define Q_DLQ_WEBHOOKS    "dlq:webhooks"
#define Q_HEARTBEAT       "worker:heartbeat"
#define Q_INFLIGHT        "worker:inflight"
#define Q_STATS_COMPLETED "stats:completed"
#define Q_STATS_FAILED    "stats:failed"
#define Q_STATS_ATTEMPTS  "stats:webhook_attempts"

struct queue;

/* Copied reply (no redisReply leaves queue.c). */
enum queue_reply_type {
    QR_NIL = 0,
    QR_STRING,
    QR_INTEGER,
    QR_ARRAY,
    QR_STATUS,
    QR_ERROR,
};
struct queue_reply {
    enum queue_reply_type type;
    long long integer;
    char *str; /* NUL-terminated copy for STRING, STATUS, ERROR */
    size_t len;
    size_t nelem;
    struct queue_reply *elem;
};
#define QUEUE_REPLY_INIT            \
    {                               \
        QR_NIL, 0, NULL, 0, 0, NULL \
    }

/* url: redis://[:password@]host[:port][/db]. Does not connect. */
struct queue *queue_new(const char *url, struct gw_err *err);
void queue_free(struct queue *q);
/* Connects (1 s connect and command timeouts) or reconnects; err UNAVAILABLE on failure. */
int queue_ensure(struct queue *q, struct gw_err *err);
bool queue_is_connected(const struct queue *q);
bool queue_ping(struct queue *q); /* PING within 1 s */

/* Runs one command given as argv; reply may be NULL when not needed. A server error reply sets
 * err INTERNAL; a lost connection sets err UNAVAILABLE and drops the context. */
int queue_cmd(struct queue *q, struct queue_reply *reply, struct gw_err *err, int argc,
              const char *const *argv, const size_t *argvlen);
/* Convenience: NULL-terminated list of NUL-terminated strings. */
int queue_cmdv(struct queue *q, struct queue_reply *reply, struct gw_err *err, ...);
void queue_reply_release(struct queue_reply *r);

/* LPUSH queue:payments / queue:refunds {"type":type,"id":id,"deliveries":deliveries}. */
int queue_push_job(struct queue *q, const char *type, const char *id, int deliveries,
                   struct gw_err *err);
/* LPUSH queue:webhooks <log id>. */
int queue_push_webhook(struct queue *q, const char *log_id, struct gw_err *err);

/* ---- webhook delivery verbs ---- */

/* Ids taken from a list, copied out (queue_ids_release frees them). */
struct queue_ids {
    char **v;
    size_t *len;
    size_t n;
};
#define QUEUE_IDS_INIT \
    {                  \
        NULL, NULL, 0  \
    }
void queue_ids_release(struct queue_ids *ids);

/* Moves up to max ids, oldest first, from queue:webhooks to queue:webhooks:processing in one
 * script call (each an LMOVE RIGHT LEFT, so a crash leaves them in the processing list). */
int queue_webhooks_take(struct queue *q, size_t max, struct queue_ids *out, struct gw_err *err);

/* A webhook log that reached failed: its dlq entry (SPEC 10.1 JSON). */
struct queue_webhook_dead {
    const char *id; /* lowercase log id */
    const char *entry;
    size_t len;
};

/* Everything a delivery turn tells Redis, sent as one pipeline (one round trip):
 * - ack: taken ids whose claim was decided, removed from queue:webhooks:processing;
 * - requeue: of those, due ids left for lack of a slot, pushed back on queue:webhooks (the end
 *   that is taken last);
 * - attempts[i] added to stats:webhook_attempts field outcomes[i] (0 skipped);
 * - completed added to stats:completed webhooks;
 * - each dead entry pushed onto dlq and indexed in dlq:webhooks (MULTI/EXEC, as
 *   webhook_log_dlq_push), and stats:failed webhooks incremented by their number. */
struct queue_webhook_settle {
    const char *const *ack;
    const size_t *ack_len;
    size_t nack;
    const char *const *requeue;
    const size_t *requeue_len;
    size_t nrequeue;
    const char *const *outcomes;
    const long long *attempts;
    size_t noutcomes;
    long long completed;
    const struct queue_webhook_dead *dead;
    size_t ndead;
};
int queue_webhooks_settle(struct queue *q, const struct queue_webhook_settle *s,
                          struct gw_err *err);

#endif /* GW_QUEUE_H */

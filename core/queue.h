/* queue.h: the only hiredis user, and the only place that names Redis commands. One context per
 * process; after a NULL reply the context is reconnected (never reused); user data is only ever
 * passed as an argument, never as a format string. Callers use the verbs below (push, take,
 * schedule, claim due, ack, delay, retry, dead-letter, depths, heartbeat, stats, dlq); the job
 * message has one codec (queue_job_encode / queue_job_decode).
 *
 * Redis keys of SPEC section 10.1. */
#ifndef GW_QUEUE_H
#define GW_QUEUE_H

#include "buf.h"
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
/* hash: attempts to webhook endpoints (SPEC 21.3) by outcome, the fields of Q_STATS_ATTEMPTS */
#define Q_STATS_EP_ATTEMPTS "stats:endpoint_attempts"
/* string, set with NX by every heartbeat: its absence means Redis lost its data (restarted
 * empty or flushed), so the worker that re-creates it runs the recovery sweep at once */
#define Q_MARKER "worker:marker"

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

/* ---- the job message (SPEC 10.1): one codec ---------------------------------------------- */

enum queue_kind { QUEUE_PAYMENT = 0, QUEUE_REFUND };
#define QUEUE_NKINDS 2
#define QUEUE_ID_MAX 63

/* {"type":"payment"|"refund","id":…,"deliveries":n} */
struct queue_job {
    enum queue_kind kind;
    char id[QUEUE_ID_MAX + 1];
    int deliveries;
};

/* "payment" / "refund" */
const char *queue_kind_name(enum queue_kind kind);
/* Appends the message of job to out. */
int queue_job_encode(const struct queue_job *job, struct buf *out);
/* Decodes a message of the given kind; false when malformed, of another kind, or its id is not
 * 1-63 characters of [A-Za-z0-9_]. */
bool queue_job_decode(const char *raw, size_t len, enum queue_kind kind, struct queue_job *out);

/* A job read from Redis: decoded once, with the member exactly as stored (what later verbs
 * remove or move). */
struct queue_item {
    struct queue_job job;
    bool valid; /* decoded; an invalid item is only ever dropped */
    char *raw;  /* owned copy of the member */
    size_t rawlen;
    int64_t due; /* queue_claim_due: the score it had (Unix ms) */
};
struct queue_batch {
    enum queue_kind kind;
    struct queue_item *items;
    size_t n;
};
void queue_batch_release(struct queue_batch *b);

/* ---- producers ---------------------------------------------------------------------------- */

/* LPUSHes each job onto its waiting list (one command per kind, pipelined). */
int queue_push_jobs(struct queue *q, const struct queue_job *jobs, size_t njobs,
                    struct gw_err *err);
/* After COMMIT: the jobs onto their waiting lists and the webhook log ids onto queue:webhooks
 * (same keys and messages as queue_push_job / queue_push_webhook), in one pipelined round
 * trip. Either count may be 0. */
int queue_push_work(struct queue *q, const struct queue_job *jobs, size_t njobs,
                    const char *const *webhook_log_ids, size_t nlogs, struct gw_err *err);
/* After COMMIT (a db_on_commit hook, or right after an auto-committed statement): pushes the job
 * of kind for job_id (none when job_id is NULL or "") and the non-empty log ids with
 * queue_push_work. A failure is only logged: the recovery sweeps find the work in PostgreSQL. */
void queue_push_committed(struct queue *q, enum queue_kind kind, const char *job_id,
                          const char *const *webhook_log_ids, size_t nlogs);

/* ---- the worker's job verbs (SPEC 10.2) -------------------------------------------------- */

/* Moves up to max waiting jobs into the processing list (LMOVE RIGHT LEFT, atomically) and
 * returns them decoded. */
int queue_take(struct queue *q, enum queue_kind kind, size_t max, struct queue_batch *out,
               struct gw_err *err);
/* Moves taken jobs from the processing list into the delayed set: item i with due[i] >= 0 is
 * ZADD NX'ed with that score (Unix ms), with due[i] < 0 it is dropped. */
int queue_schedule(struct queue *q, const struct queue_batch *b, const int64_t *due,
                   struct gw_err *err);
/* Puts taken jobs back at the taking end of their waiting list, in their order. */
int queue_putback(struct queue *q, const struct queue_batch *b, struct gw_err *err);
/*
 * Reliable claim: up to max members of the delayed set with score <= now_ms, in due order,
 * get score now_ms + lease_ms in the same script, so no other worker claims them until the
 * lease ends, and they stay in Redis until queue_ack (after COMMIT) removes them. A worker
 * that dies between claim and COMMIT leaves them there: due again when the lease ends.
 */
int queue_claim_due(struct queue *q, enum queue_kind kind, int64_t now_ms, int64_t lease_ms,
                    size_t max, struct queue_batch *out, struct gw_err *err);
/* After COMMIT, one pipelined round trip: removes the items from the delayed set, pushes the
 * webhook log ids and adds completed to stats:completed (field payments / refunds). */
int queue_ack(struct queue *q, enum queue_kind kind, const struct queue_item *items, size_t n,
              const char *const *log_ids, size_t nlogs, int64_t completed, struct gw_err *err);
/* Claimed items stay as they are, due again at due_ms (ZADD XX: one already acked by another
 * worker is not brought back). */
int queue_delay(struct queue *q, enum queue_kind kind, const struct queue_item *items, size_t n,
                int64_t due_ms, struct gw_err *err);
/* Replaces a claimed item by the same job with deliveries, due at due_ms (SPEC 10.3). */
int queue_retry(struct queue *q, const struct queue_item *item, int deliveries, int64_t due_ms,
                struct gw_err *err);
/* Removes a claimed item, LPUSHes {"type","id","reason","failed_at"} onto dlq and increments
 * stats:failed. */
int queue_dead(struct queue *q, const struct queue_item *item, const char *reason,
               const char *failed_at, struct gw_err *err);
/* Moves everything left in the three processing lists back to their waiting lists (LMOVE
 * RIGHT RIGHT, so the oldest item is taken first again). *moved receives the count. */
int queue_requeue_processing(struct queue *q, int64_t *moved, struct gw_err *err);
/* Heartbeat and in-flight count (TTL 10 s) and the data-loss marker, one round trip. *lost is
 * true when this call re-created Q_MARKER: Redis has lost its data since the last heartbeat of
 * any worker (or this is its first start), and the caller must sweep without the age rule. */
int queue_heartbeat(struct queue *q, const char *heartbeat_json, size_t inflight, bool *lost,
                    struct gw_err *err);

/* ---- observability (SPEC 6.1, 10.1, 18) -------------------------------------------------- */

struct queue_depths {
    long long waiting[3];    /* payments, refunds, webhooks */
    long long processing[3]; /* payments, refunds, webhooks */
    long long delayed[2];    /* payments, refunds */
    long long dlq;
    long long inflight; /* worker:inflight */
};
#define QUEUE_NOUTCOMES 6
/* Field names of stats:webhook_attempts and stats:endpoint_attempts, in the order of
 * queue_stats.attempts and queue_stats.ep_attempts. */
extern const char *const queue_attempt_outcomes[QUEUE_NOUTCOMES];
struct queue_stats {
    long long completed;                    /* sum of the fields of stats:completed */
    long long failed;                       /* sum of the fields of stats:failed */
    long long attempts[QUEUE_NOUTCOMES];    /* legacy webhook_url attempts */
    long long ep_attempts[QUEUE_NOUTCOMES]; /* webhook endpoint attempts (SPEC 21.3) */
    bool worker_up;                         /* worker:heartbeat exists */
};
/* Each is one pipelined round trip. */
int queue_depths(struct queue *q, struct queue_depths *out, struct gw_err *err);
int queue_stats(struct queue *q, struct queue_stats *out, struct gw_err *err);
int queue_worker_up(struct queue *q, bool *up, struct gw_err *err);

/* ---- dlq (SPEC 10.1, 16) ----------------------------------------------------------------- */

struct queue_str {
    char *s; /* NUL-terminated copy */
    size_t len;
};
struct queue_strs {
    struct queue_str *v;
    size_t n;
};
void queue_strs_release(struct queue_strs *l);
/* Every dlq entry, newest first. */
int queue_dlq_entries(struct queue *q, struct queue_strs *out, struct gw_err *err);
/* LREM of every copy of one exact entry; *removed may be NULL. */
int queue_dlq_remove_entry(struct queue *q, const char *entry, size_t len, int64_t *removed,
                           struct gw_err *err);
/* A dead webhook log: LPUSH onto dlq and index it by its (lowercased) id in dlq:webhooks. */
int queue_dlq_push_webhook(struct queue *q, const char *id, const char *entry, size_t len,
                           struct gw_err *err);
/* Removes the dlq entry of webhook log id found through dlq:webhooks, and exact_entry too when
 * not NULL; *removed receives the number of entries removed. */
int queue_dlq_remove_webhook(struct queue *q, const char *id, const char *exact_entry,
                             size_t exact_len, int64_t *removed, struct gw_err *err);

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
 * - attempts[i] added to stats:webhook_attempts field outcomes[i] (0 skipped), and
 *   ep_attempts[i] (the endpoint attempts, when not NULL) to stats:endpoint_attempts;
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
    const long long *ep_attempts;
    size_t noutcomes;
    long long completed;
    const struct queue_webhook_dead *dead;
    size_t ndead;
};
int queue_webhooks_settle(struct queue *q, const struct queue_webhook_settle *s,
                          struct gw_err *err);

#endif /* GW_QUEUE_H */

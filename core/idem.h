/* idem.h: idempotency records (SPEC 9). Every function runs inside the caller's transaction. */
#ifndef GW_IDEM_H
#define GW_IDEM_H

#include "buf.h"
#include "db.h"
#include "gw.h"

#include <stdbool.h>
#include <stddef.h>

struct merchant_creds;

#define IDEM_TTL_HOURS 24

enum idem_state {
    IDEM_NEW = 0, /* no live record: process the request */
    IDEM_REPLAY,  /* same fingerprint: answer with the stored status and body */
    IDEM_MISMATCH /* different fingerprint: 400 */
};

#define IDEM_KEY_LEN 32

/* SPEC 9 (v2): lowercase hex HMAC-SHA256 of "<METHOD>\n<path without query>\n<body bytes>",
 * keyed with the 32-byte installation secret; out holds 65 bytes. -1 only when HMAC fails. */
int idem_fingerprint(const unsigned char key[IDEM_KEY_LEN], const char *method, const char *path,
                     const char *body, size_t body_len, char out[65]);

/* The same with the installation secret, read from installation_secrets (sql/0003) on first use
 * and kept for the life of the process (it never changes; a reconnect does not lose it). err
 * UNAVAILABLE when the database cannot be asked or the secret is missing (migration 3 not yet
 * applied: asked again on the next request). */
int idem_fingerprint_db(struct db *db, const char *method, const char *path, const char *body,
                        size_t body_len, char out[65], struct gw_err *err);

/* Takes the transaction-scoped advisory lock on (merchant_id, key), deletes an expired record
 * and compares a live one. On IDEM_REPLAY *status and body receive the stored answer. */
int idem_begin(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
               enum idem_state *state, int *status, struct buf *body, struct gw_err *err);

/*
 * SPEC 9 inside a service's own round trip (payment and order creation): the request's key
 * (NULL: none) and fingerprint. The service sends idem_lock_stmt first in its batch (the lock
 * holds until the batch commits, and the next statement's snapshot is taken after it), then
 * its statement built from the CTEs below over the "a" of MERCHANT_AUTH_CTE, with the key in
 * parameter K:
 *   IDEM_LIVE_CTE: "k", the live record (fingerprint, status, body), if any;
 *   IDEM_EXPIRED_CTE: "x", deletes an expired record (referenced by IDEM_PUT_CTE, so it runs first);
 *   IDEM_PUT_CTE: stores DOC with STATUS for the row of FROM meeting COND, if any.
 * A record stored by a request that did not take the lock would make the PUT fail with a unique
 * violation, rolling the whole batch back: never two objects for one key.
 */
struct idem_req {
    const char *key;
    char fingerprint[65];
};
extern const struct db_stmt idem_lock_stmt; /* $1-$3 MERCHANT_AUTH_CTE, $4 key */
/* The first columns of such a statement's answer row: credentials valid, live record's
 * fingerprint equal to FP (NULL: no live record), its status and body, then the new object's
 * answer and merchant from the CTE "f" (columns doc, merchant_id; row n = 0). */
#define IDEM_ANSWER_COLS(FP)                                                              \
    "EXISTS (SELECT 1 FROM a), (SELECT k.fp = " FP " FROM k), (SELECT k.status FROM k), " \
    "(SELECT k.body FROM k), (SELECT f.doc FROM f WHERE f.n = 0), "                       \
    "(SELECT f.merchant_id::text FROM f WHERE f.n = 0)"
#define IDEM_ANSWER_NCOLS 6
/* What such a statement said: the answer to send (a replay, or the new object with status
 * created_status) and the verdicts the caller turns into errors. */
struct idem_answer {
    bool auth_ok;
    bool live;  /* a live record exists */
    bool match; /* ... with this request's fingerprint: replay it */
    bool inserted;
    int status;
    struct buf body;
    char merchant_id[40];
};
void idem_answer_init(struct idem_answer *a);
void idem_answer_release(struct idem_answer *a);
/* Reads columns 0-5 (IDEM_ANSWER_COLS). */
void idem_answer_read(const struct db_res *res, int created_status, struct idem_answer *a);
/* SPEC 4.1 steps 4 and 7 from the answer: 401 (unless public), 400 for a reused key; 0 to go on
 * (a replay when a->match). */
int idem_answer_check(const struct idem_answer *a, bool public_route, struct gw_err *err);
#define IDEM_LIVE_CTE(K)                                                                          \
    "k AS (SELECT i.request_fingerprint AS fp, i.response_status AS status, i.response::text "    \
    "AS body FROM idempotency_keys i WHERE i.key = " K " AND i.merchant_id = (SELECT id FROM a) " \
    "AND i.expires_at > now())"
#define IDEM_EXPIRED_CTE(K)                                                                      \
    "x AS (DELETE FROM idempotency_keys WHERE key = " K " AND merchant_id = (SELECT id FROM a) " \
    "AND expires_at <= now() RETURNING 1)"
#define IDEM_PUT_CTE(K, FP, STATUS, MERCHANT, DOC, FROM, COND)                               \
    "s AS (INSERT INTO idempotency_keys (key, merchant_id, response, expires_at, "           \
    "request_fingerprint, response_status) SELECT " K ", " MERCHANT ", (" DOC ")::json, "    \
    "now() + interval '24 hours', " FP ", " STATUS " FROM " FROM " WHERE " K " IS NOT NULL " \
    "AND " COND " AND (SELECT count(*) FROM x) >= 0 RETURNING 1)"

/*
 * The batch of such a create: idem_trip_begin takes the credentials (err AUTH when there are
 * none, unless public) and fills auth[0..2], the statement parameters $1-$3 of
 * MERCHANT_AUTH_CTE; idem_trip_add appends a statement (the first one is preceded by
 * idem_lock_stmt when a key was sent); idem_trip_run sends them in one round trip (db_batch) and
 * empties the list for another attempt.
 */
struct idem_trip {
    const char *auth[3];
    const char *lock_params[4];
    char hex[65];
    struct db_res lock_res;
    struct db_call calls[4];
    size_t n;
    const struct idem_req *idem;
};
int idem_trip_begin(struct idem_trip *t, const struct merchant_creds *creds,
                    const struct idem_req *idem, bool public_route, struct gw_err *err);
void idem_trip_add(struct idem_trip *t, const struct db_stmt *stmt, const char *const *params,
                   struct db_res *res, db_done_fn *done, void *arg);
int idem_trip_run(struct db *db, struct idem_trip *t, struct gw_err *err);
void idem_trip_release(struct idem_trip *t);

/* Stores a 2xx answer (exact body text, expires now + 24 h). */
int idem_store(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
               int status, const char *body, size_t body_len, struct gw_err *err);

#endif /* GW_IDEM_H */

/* idem.h: idempotency records (SPEC 9). Every function runs inside the caller's transaction. */
#ifndef GW_IDEM_H
#define GW_IDEM_H

#include "buf.h"
#include "db.h"
#include "gw.h"

#include <stddef.h>

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

/* Stores a 2xx answer (exact body text, expires now + 24 h). */
int idem_store(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
               int status, const char *body, size_t body_len, struct gw_err *err);

#endif /* GW_IDEM_H */

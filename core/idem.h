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

/* Lowercase hex SHA-256 of "<METHOD>\n<path>\n<body bytes>"; out holds 65 bytes. */
void idem_fingerprint(const char *method, const char *path, const char *body, size_t body_len,
                      char out[65]);

/* Takes the transaction-scoped advisory lock on (merchant_id, key), deletes an expired record
 * and compares a live one. On IDEM_REPLAY *status and body receive the stored answer. */
int idem_begin(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
               enum idem_state *state, int *status, struct buf *body, struct gw_err *err);

/* Stores a 2xx answer (exact body text, expires now + 24 h). */
int idem_store(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
               int status, const char *body, size_t body_len, struct gw_err *err);

#endif /* GW_IDEM_H */

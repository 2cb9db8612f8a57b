/* deliver.h: webhook delivery (SPEC 11.3, 11.4) through one libcurl multi handle. */
#ifndef GW_WK_DELIVER_H
#define GW_WK_DELIVER_H

#include "buf.h"
#include "crypto.h"
#include "wk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DELIVER_TIMEOUT_MS   5000
#define DELIVER_BODY_MAX     1000
#define DELIVER_MAX_ATTEMPTS 5
#define DELIVER_STDSIG_SZ    64 /* "v1," + padded base64 of 32 bytes + NUL */
#define DELIVER_KEY_MAX      128

struct deliver;

struct deliver *deliver_new(struct wk *w);
void deliver_free(struct deliver *d); /* abandons transfers still running (claims expire) */

/* Takes due logs from queue:webhooks (when Redis is up) and from the database (at least every
 * WK_WEBHOOK_POLL_MS), claims them and starts attempts while slots are free. */
void deliver_start(struct deliver *d);
/* Waits up to timeout_ms for transfer activity, then drives transfers and records finished
 * attempts. */
void deliver_poll(struct deliver *d, int timeout_ms);
size_t deliver_inflight(const struct deliver *d);

/* Exposed for unit tests: SPEC 11.3 response_body cleaning (first DELIVER_BODY_MAX bytes, an
 * incomplete trailing UTF-8 sequence dropped, invalid bytes and NUL replaced by U+FFFD). */
int deliver_clean_body(const unsigned char *in, size_t len, struct buf *out);
/* Seconds from failed attempt N (1-based) to the next one (SPEC 11.4; test_schedule:
 * WEBHOOK_RETRY_INTERVALS_TEST), or -1 when attempt N was the last (the log becomes failed). */
int deliver_retry_interval(bool test_schedule, int attempt);
/* Milliseconds from failed attempt N of an endpoint delivery to the next (SPEC 21.3: 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h; test: 1-7 s), times jitter_permille/1000 (900-1100 for ±10 %),
 * or -1 after attempt 8. */
int64_t deliver_ep_retry_ms(bool test_schedule, int attempt, int jitter_permille);
/* The signing key of a secret (SPEC 21.3): the base64-decoded bytes after "whsec_" when they are
 * valid standard base64 of at least min_decoded bytes, else the secret's own bytes. */
int deliver_secret_key(const char *secret, size_t min_decoded, unsigned char *key, size_t keysz,
                       size_t *klen);
/* "v1,<base64 of HMAC-SHA256 over id.ts.body>" with key. */
int deliver_std_signature(const unsigned char *key, size_t klen, const char *id, int64_t ts,
                          const void *body, size_t len, char std[DELIVER_STDSIG_SZ]);
/* SPEC 11.3 signatures over body: hex is X-Webhook-Signature, std the Standard Webhooks
 * webhook-signature value "v1,<base64 of HMAC-SHA256 over id.ts.body>"; key as
 * deliver_secret_key(secret, 24) (SPEC 21.3: a 32-byte base64 secret is decoded). */
int deliver_signatures(const char *secret, const char *id, int64_t ts, const void *body, size_t len,
                       char hex[CRYPTO_SHA256_HEXLEN + 1], char std[DELIVER_STDSIG_SZ]);

#endif /* GW_WK_DELIVER_H */

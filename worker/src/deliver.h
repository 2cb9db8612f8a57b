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
/* SPEC 11.3 signatures over body: hex is X-Webhook-Signature, std the Standard Webhooks
 * webhook-signature value "v1,<base64 of HMAC-SHA256 over id.ts.body>"; key = secret's bytes. */
int deliver_signatures(const char *secret, const char *id, int64_t ts, const void *body, size_t len,
                       char hex[CRYPTO_SHA256_HEXLEN + 1], char std[DELIVER_STDSIG_SZ]);

#endif /* GW_WK_DELIVER_H */

/* deliver.h: webhook delivery (SPEC 11.3, 11.4) through one libcurl multi handle. */
#ifndef GW_WK_DELIVER_H
#define GW_WK_DELIVER_H

#include "buf.h"
#include "wk.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define DELIVER_TIMEOUT_MS   5000
#define DELIVER_BODY_MAX     1000
#define DELIVER_MAX_ATTEMPTS 5

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
/* True for loopback, private, link-local and unspecified addresses (v4, v6, v4-mapped). */
bool deliver_addr_is_private(const struct sockaddr *sa);

#endif /* GW_WK_DELIVER_H */

/* metrics.h: request metrics shared by every FastCGI process through a POSIX shared-memory
 * segment (created by the master before it forks; counters updated with __atomic builtins),
 * and the Prometheus text rendering of SPEC 18. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include "app.h"
#include "buf.h"
#include "gw.h"

#include <stdint.h>

/* Creates and maps the segment (the name is unlinked at once; children inherit the mapping).
 * Without it metrics_record() does nothing. */
int metrics_init(struct gw_err *err);
/* route: pattern or NULL for unmatched. */
void metrics_record(const char *route, const char *method, int status, uint64_t duration_ns);
/* Prometheus text format 0.0.4. Database and Redis gauges are skipped when unreachable. */
int metrics_render(struct app *app, struct buf *out);

#endif /* GW_METRICS_H */

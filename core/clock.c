/* clock.c: the process's clocks, in one place (monotonic for intervals and deadlines, wall
 * clock for timestamps), and the UTC rendering of SPEC 4.4. */
#include "gw.h"

#include <stdio.h>
#include <time.h>

int64_t
gw_mono_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * INT64_C(1000000000) + ts.tv_nsec;
}

int64_t
gw_mono_ms(void)
{
    return gw_mono_ns() / 1000000;
}

int64_t
gw_unix_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
gw_utc_iso(int64_t t, char out[GW_TS_LEN + 1])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL
        || strftime(out, GW_TS_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != GW_TS_LEN) {
        (void)snprintf(out, GW_TS_LEN + 1, "%s", "1970-01-01T00:00:00Z");
    }
}

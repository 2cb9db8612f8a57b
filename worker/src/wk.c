/* wk.c: the worker's shared helpers (clocks, randomness, connections with reconnect backoff),
 * kept out of main.c so that the unit tests can link every worker object except main.o. */
#include "wk.h"

#include "crypto.h"
#include "log.h"

#include <time.h>
int
wk_random_range(int64_t lo, int64_t hi, int64_t *out, struct gw_err *err)
{
    uint64_t v = 0;
    uint64_t span;

    if (hi <= lo) {
        *out = lo;
        return 0;
    }
    if (crypto_random_bytes((unsigned char *)&v, sizeof(v), err) != 0) {
        return -1;
    }
    span = (uint64_t)(hi - lo) + 1;
    *out = lo + (int64_t)(v % span);
    return 0;
}

int
wk_random_unit(double *out, struct gw_err *err)
{
    uint64_t v = 0;

    if (crypto_random_bytes((unsigned char *)&v, sizeof(v), err) != 0) {
        return -1;
    }
    *out = (double)(v >> 11) / 9007199254740992.0; /* 2^53 */
    return 0;
}

/* ---- connections with backoff ------------------------------------------------------------ */

static void
wk_link_down(struct wk_link *l, const char *what)
{
    if (l->up) {
        log_warn("connection lost", LOG_S("server", what));
    }
    l->up = false;
    if (l->backoff_ms < WK_BACKOFF_MIN_MS) {
        l->backoff_ms = WK_BACKOFF_MIN_MS;
    }
    l->next_try_ms = gw_mono_ms() + l->backoff_ms;
}

void
wk_db_failed(struct wk *w, const struct gw_err *err)
{
    if (err->code == GW_E_UNAVAILABLE || !db_is_connected(w->db)) {
        wk_link_down(&w->dbl, "postgresql");
    }
}

void
wk_queue_failed(struct wk *w, const struct gw_err *err)
{
    if (err->code == GW_E_UNAVAILABLE || !queue_is_connected(w->q)) {
        wk_link_down(&w->ql, "redis");
    }
}

static bool
wk_link_ready(struct wk_link *l, bool connected, int (*ensure)(struct wk *, struct gw_err *),
              struct wk *w, const char *what)
{
    struct gw_err err = GW_ERR_INIT;

    if (l->up && connected) {
        return true;
    }
    if (l->up) {
        wk_link_down(l, what);
        l->next_try_ms = 0; /* first reconnect attempt at once */
    }
    if (gw_mono_ms() < l->next_try_ms) {
        return false;
    }
    if (ensure(w, &err) != 0) {
        l->backoff_ms = l->backoff_ms < WK_BACKOFF_MIN_MS ? WK_BACKOFF_MIN_MS : l->backoff_ms * 2;
        if (l->backoff_ms > WK_BACKOFF_MAX_MS) {
            l->backoff_ms = WK_BACKOFF_MAX_MS;
        }
        l->next_try_ms = gw_mono_ms() + l->backoff_ms;
        log_warn("reconnect failed", LOG_S("server", what), LOG_I("retry_in_ms", l->backoff_ms),
                 LOG_S("error", err.msg));
        return false;
    }
    if (l->backoff_ms > 0) {
        log_info("connection restored", LOG_S("server", what));
        l->restored = true;
    }
    l->up = true;
    l->backoff_ms = 0;
    return true;
}

static int
wk_db_ensure(struct wk *w, struct gw_err *err)
{
    return db_ensure(w->db, err);
}

static int
wk_queue_ensure(struct wk *w, struct gw_err *err)
{
    return queue_ensure(w->q, err);
}

bool
wk_db_ready(struct wk *w)
{
    return wk_link_ready(&w->dbl, db_is_connected(w->db), wk_db_ensure, w, "postgresql");
}

bool
wk_queue_ready(struct wk *w)
{
    return wk_link_ready(&w->ql, queue_is_connected(w->q), wk_queue_ensure, w, "redis");
}

/* epdelivery.c: statements of delivery to webhook endpoints (SPEC 21.3). Sets travel as one
 * JSON parameter each, so that a batch is one statement whatever its size. */
#include "epdelivery.h"

#include "buf.h"
#include "crypto.h"
#include "event.h"
#include "jsonh.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The endpoint object (SPEC 21.2 key order) of alias `we` as compact JSON text, with status
 * disabled and disabled_reason `reason` (an SQL text expression). to_json escapes strings the
 * way JSON.stringify does (control characters only, \u00xx lowercase). */
/* clang-format off */
#define EPD_ENDPOINT_JSON(reason)                                                                  \
    "'{\"id\":' || to_json(we.id)::text || ',\"url\":' || to_json(we.url)::text || "               \
    "',\"description\":' || COALESCE(to_json(we.description)::text, 'null') || "                   \
    "',\"enabled_events\":' || array_to_json(we.enabled_events)::text || "                         \
    "',\"status\":\"disabled\",\"disabled_reason\":' || to_json(" reason ")::text || "             \
    "',\"rate_limit\":' || COALESCE(we.rate_limit::text, 'null') || "                              \
    "',\"ordering\":' || to_json(we.ordering)::text || ',\"created_at\":' || "                     \
    "to_json(" DB_TS("we.created_at") ")::text || ',\"updated_at\":' || "                          \
    "to_json(" DB_TS("now()") ")::text || '}'"

/* Up to $1 events waiting for their fan-out (skipped when another worker holds them): one
 * delivery per enabled endpoint of the merchant subscribed to the type (a disabled endpoint's
 * own webhook_endpoint.disabled event excluded by its status). Inserted event by event, so
 * that deliveries due at the same instant interleave their endpoints in the due index and a
 * turn's candidate window holds all of a merchant's endpoints, not 256 rows of the first. */
static const struct db_stmt st_fanout = { "epd_fanout",
    "WITH ev AS (SELECT id, merchant_id, type, created_at FROM events WHERE fanout_pending "
    "ORDER BY created_at LIMIT $1::int FOR UPDATE SKIP LOCKED), "
    "ins AS (INSERT INTO endpoint_deliveries (event_id, endpoint_id, merchant_id) "
    "SELECT ev.id, we.id, ev.merchant_id FROM ev JOIN webhook_endpoints we "
    "ON we.merchant_id = ev.merchant_id AND we.status = 'enabled' AND "
    EVENT_SUBSCRIBED_SQL("ev.type", "we.enabled_events") " "
    "ORDER BY ev.created_at, ev.id, we.id "
    "ON CONFLICT (event_id, endpoint_id) DO NOTHING RETURNING 1), "
    "up AS (UPDATE events e SET fanout_pending = false FROM ev WHERE e.id = ev.id RETURNING 1) "
    "SELECT (SELECT count(*) FROM up), (SELECT count(*) FROM ins)", 1 };

/* The turn. r: the results ($1); rec: each written while its claim holds; rd: each result's
 * delivery; att: every attempt kept (the delivery still exists); h/ep: the endpoints' health: a
 * success clears failing_since, a failure starts it (last_success_at, which nothing reads back, is
 * stamped at most once a second, so that a busy endpoint's row is not rewritten by every turn; hl
 * locks, in id order, the rows ep will change (EPD_HEALTH_CHANGES; ep changes no other), so that
 * two workers' turns cannot deadlock on them, and only those: locking every endpoint with a result
 * made two workers delivering to the same endpoints wait for each other's commit in every turn;
 * FOR NO KEY UPDATE, the lock ep's update takes anyway, does not conflict with the key-share lock
 * a fan-out's foreign key check takes); a 410, or failures for longer than $3 s, disable an
 * enabled endpoint (gone / failing); dis/ev/wl: its webhook_endpoint.disabled event ($2: spare
 * event ids) and legacy log. Then the claim: cand the due deliveries merchant by merchant (st: a
 * random starting merchant each turn; hi/lo step through the merchants with pending deliveries
 * from there and round to it, one descent of idx_endpoint_deliveries_merchant_due each (sql/0011),
 * at most 128 each way; merchants in $4 with no free slot passed over without reading their rows;
 * gen: each other merchant's oldest due deliveries, at most 4 per free slot, $8 in all; with, for
 * each fifo endpoint of those merchants, its head (the row again, marked head), the oldest
 * pending delivery in event order, when due and unclaimed: a head retrying behind as many waiting
 * deliveries as gen reads, all older by next_at, was never read again, and the endpoint stalled
 * for good), ce their endpoints,
 * e2 those still enabled (not one this turn disables) with, where a rule needs them, their
 * deliveries claimed by any worker (running or waiting to start; counted through
 * idx_endpoint_deliveries_claimed, sql/0010, the only index the condition fits) and their attempts
 * in the last second; c2/c3 at most min(per endpoint $6, rate_limit room) per endpoint and turn,
 * fifo endpoints only their head and only when none is claimed (ranked first
 * whatever its next_at: a head retrying behind more waiting deliveries than the endpoint's room,
 * all older by next_at, ranked past the room and was never claimed); c4/pick at most each
 * merchant's free slots ($4, default $5), $7 in all; lk skips the rows another worker's turn is
 * claiming right now (they look due until it commits; waiting for that lock made two workers take
 * turns, 10 times slower than one); claimed SPEC 11.3's conditional claim.
 * Rows reached by id go through the primary key whatever the statistics say: LATERAL lookups
 * fenced by LIMIT 1 (without it the planner pulls the subquery up into a join and, with the
 * statistics a VACUUM of a just-emptied table leaves, hashed a scan of every delivery: 2.7 ms of a
 * 4.4 ms turn at 20,000 deliveries, growing with the table), rec's `= ANY` of the result ids and
 * its claim compared with IS NOT DISTINCT FROM (a claim is never NULL; `=` implied
 * idx_endpoint_deliveries_claimed's predicate, and rec read every claimed row through it), and IS
 * NOT DISTINCT FROM (status is never NULL) so that no partial index on pending rows applies
 * (statistics taken while none was pending make those look like one row, and a burst then scanned
 * all of them in every turn; see DL_DUE_BY_ID in delivery.c). Rows: 'c' a claim, 'r' a result
 * written, 'x' an endpoint this turn disabled (its id last). */
#define EPD_DISABLING                                                                              \
    "(h.old_status = 'enabled' AND NOT h.ok AND (h.gone OR h.old_fs < now() - $3::int * interval '1 second'))"
/* An endpoint row the turn's results change (on alias we, with its results' h). */
#define EPD_HEALTH_CHANGES                                                                         \
    "(NOT h.ok OR we.failing_since IS NOT NULL OR we.last_success_at IS NULL "                     \
    "OR we.last_success_at < now() - interval '1 second')"
/* The first merchant with a pending delivery that meets cond (on alias d), or NULL: one descent
 * of idx_endpoint_deliveries_merchant_due (sql/0011). */
#define EPD_NEXT_MERCHANT(cond)                                                                    \
    "(SELECT d.merchant_id FROM endpoint_deliveries d WHERE d.status = 'pending' AND " cond       \
    " ORDER BY d.merchant_id LIMIT 1)"
static const struct db_stmt st_turn = { "epd_turn",
    "WITH r AS (SELECT * FROM json_to_recordset($1::json) AS r(d bigint, l timestamp, a text, "
    "n int, c int, b text, e text, s text, i bigint, st bigint, ms bigint, g bool)), "
    "rec AS (UPDATE endpoint_deliveries d SET attempts = r.n, status = r.s, next_at = CASE "
    "WHEN r.s = 'pending' THEN now() + r.i * interval '1 millisecond' ELSE d.next_at END, "
    "locked_until = NULL, updated_at = now() FROM r WHERE d.id = r.d "
    "AND d.locked_until IS NOT DISTINCT FROM r.l "
    "AND d.id = ANY(ARRAY(SELECT r.d FROM r)) "
    "RETURNING d.id), "
    "rd AS MATERIALIZED (SELECT r.*, d.endpoint_id, d.event_id FROM r CROSS JOIN LATERAL "
    "(SELECT d.endpoint_id, d.event_id FROM endpoint_deliveries d WHERE d.id = r.d LIMIT 1) d), "
    "att AS (INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, event_id, attempt, "
    "started_at, duration_ms, response_code, response_body, error) SELECT rd.a, rd.d, "
    "rd.endpoint_id, rd.event_id, rd.n, 'epoch'::timestamp + rd.st * interval '1 millisecond', "
    "rd.ms, rd.c, rd.b, rd.e FROM rd ON CONFLICT (id) DO NOTHING), "
    "h AS (SELECT rd.endpoint_id, bool_or(rd.s = 'success') AS ok, bool_or(rd.g) AS gone, "
    "min(we.status) AS old_status, min(COALESCE(we.failing_since, now())) AS old_fs "
    "FROM rd JOIN webhook_endpoints we ON we.id = rd.endpoint_id GROUP BY rd.endpoint_id), "
    "hl AS (SELECT we.id FROM webhook_endpoints we JOIN h ON h.endpoint_id = we.id "
    "WHERE " EPD_HEALTH_CHANGES " ORDER BY we.id FOR NO KEY UPDATE OF we), "
    "ep AS (UPDATE webhook_endpoints we SET "
    "last_success_at = CASE WHEN h.ok THEN now() ELSE we.last_success_at END, "
    "failing_since = CASE WHEN h.ok THEN NULL ELSE COALESCE(we.failing_since, now()) END, "
    "status = CASE WHEN " EPD_DISABLING " THEN 'disabled' ELSE we.status END, "
    "disabled_reason = CASE WHEN " EPD_DISABLING " THEN CASE WHEN h.gone THEN 'gone' "
    "ELSE 'failing' END ELSE we.disabled_reason END, "
    "updated_at = CASE WHEN " EPD_DISABLING " THEN now() ELSE we.updated_at END "
    "FROM h JOIN hl ON hl.id = h.endpoint_id WHERE we.id = h.endpoint_id "
    "AND " EPD_HEALTH_CHANGES " "
    "RETURNING we.id, we.merchant_id, " EPD_DISABLING " AS newly, "
    EPD_ENDPOINT_JSON("CASE WHEN h.gone THEN 'gone' ELSE 'failing' END") " AS obj), "
    "dis AS (SELECT ep.id, ep.merchant_id, '{\"event\":\"webhook_endpoint.disabled\",\"timestamp\":' "
    "|| floor(extract(epoch FROM now()))::bigint || ',\"data\":{\"webhook_endpoint\":' || ep.obj "
    "|| '}}' AS payload, row_number() OVER (ORDER BY ep.id) AS k FROM ep WHERE ep.newly), "
    "ev AS (INSERT INTO events (id, merchant_id, type, object_id, payload, created_at, "
    "fanout_pending) SELECT q.x, dis.merchant_id, 'webhook_endpoint.disabled', dis.id, "
    "dis.payload::json, now(), " EVENT_FANOUT_SQL("dis.merchant_id") " FROM dis "
    "JOIN json_array_elements_text($2::json) WITH ORDINALITY AS q(x, o) ON q.o = dis.k "
    "ON CONFLICT DO NOTHING), "
    "wl AS (INSERT INTO webhook_logs (merchant_id, event, payload, object_id, created_at) "
    "SELECT dis.merchant_id, 'webhook_endpoint.disabled', dis.payload::json, dis.id, now() "
    "FROM dis JOIN merchants m ON m.id = dis.merchant_id AND m.webhook_url IS NOT NULL "
    "AND m.webhook_url <> '' ON CONFLICT (object_id, event) DO NOTHING), "
    "slots AS (SELECT s.m, s.f FROM json_to_recordset($4::json) AS s(m uuid, f int)), "
    "st AS MATERIALIZED (SELECT gen_random_uuid() AS u), "
    "cand AS (WITH RECURSIVE "
    "hi(m, k) AS (SELECT " EPD_NEXT_MERCHANT("d.merchant_id >= (SELECT u FROM st)") ", 1 "
    "WHERE $7::int > 0 UNION ALL SELECT " EPD_NEXT_MERCHANT("d.merchant_id > hi.m") ", "
    "hi.k + 1 FROM hi WHERE hi.m IS NOT NULL AND hi.k < 128), "
    "lo(m, k) AS (SELECT " EPD_NEXT_MERCHANT("d.merchant_id < (SELECT u FROM st)") ", 1 "
    "WHERE $7::int > 0 UNION ALL SELECT " EPD_NEXT_MERCHANT("d.merchant_id > lo.m "
    "AND d.merchant_id < (SELECT u FROM st)") ", lo.k + 1 FROM lo "
    "WHERE lo.m IS NOT NULL AND lo.k < 128), "
    "mv AS (SELECT hi.m FROM hi WHERE hi.m IS NOT NULL "
    "UNION ALL SELECT lo.m FROM lo WHERE lo.m IS NOT NULL), "
    "gen AS (SELECT d.id, d.endpoint_id, d.merchant_id, d.event_id, d.next_at, false AS head "
    "FROM mv LEFT JOIN slots s ON s.m = mv.m CROSS JOIN LATERAL (SELECT d.id, d.endpoint_id, "
    "d.merchant_id, d.event_id, d.next_at FROM endpoint_deliveries d WHERE d.merchant_id = mv.m "
    "AND d.status = 'pending' AND d.next_at <= now() "
    "AND (d.locked_until IS NULL OR d.locked_until < now()) "
    "ORDER BY d.next_at LIMIT LEAST($8::int, 4 * COALESCE(s.f, $5::int))) d "
    "WHERE COALESCE(s.f, 1) > 0 LIMIT $8::int) "
    "SELECT * FROM gen UNION ALL SELECT h.id, h.endpoint_id, h.merchant_id, h.event_id, "
    "h.next_at, true FROM mv LEFT JOIN slots s ON s.m = mv.m CROSS JOIN LATERAL (SELECT we.id "
    "FROM webhook_endpoints we WHERE we.merchant_id = mv.m AND we.status = 'enabled' "
    "AND we.ordering = 'fifo' LIMIT 16) f CROSS JOIN LATERAL (SELECT d.id, d.endpoint_id, "
    "d.merchant_id, d.event_id, d.next_at, d.locked_until FROM endpoint_deliveries d "
    "JOIN events e ON e.id = d.event_id WHERE d.endpoint_id = f.id AND d.status = 'pending' "
    "ORDER BY e.created_at, e.id LIMIT 1) h WHERE COALESCE(s.f, 1) > 0 AND h.next_at <= now() "
    "AND (h.locked_until IS NULL OR h.locked_until < now())), "
    "ce AS MATERIALIZED (SELECT DISTINCT endpoint_id FROM cand), "
    "e2 AS MATERIALIZED (SELECT we.id, we.ordering, we.rate_limit, "
    "CASE WHEN we.rate_limit IS NULL AND we.ordering <> 'fifo' THEN 0 ELSE (SELECT count(*) "
    "FROM endpoint_deliveries l WHERE l.endpoint_id = we.id AND l.locked_until >= now() "
    "AND l.status IS NOT DISTINCT FROM 'pending') END AS busy, "
    "CASE WHEN we.rate_limit IS NULL THEN 0 ELSE (SELECT count(*) FROM webhook_attempts a "
    "WHERE a.endpoint_id = we.id AND a.created_at > now() - interval '1 second') END AS recent "
    "FROM ce JOIN webhook_endpoints we ON we.id = ce.endpoint_id AND we.status = 'enabled' "
    "WHERE we.id NOT IN (SELECT ep.id FROM ep WHERE ep.newly)), "
    "c2 AS (SELECT c.*, e2.ordering, e2.busy, row_number() OVER (PARTITION BY c.endpoint_id "
    "ORDER BY c.next_at, c.id) AS rn, LEAST($6::int - e2.busy, COALESCE(e2.rate_limit - "
    "e2.recent - e2.busy, $6::int)) AS room FROM cand c JOIN e2 ON e2.id = c.endpoint_id), "
    "c3 AS (SELECT c2.id, c2.merchant_id, c2.next_at, CASE WHEN c2.ordering = 'fifo' THEN 1 "
    "ELSE c2.rn END AS rn FROM c2 WHERE CASE WHEN c2.ordering = 'fifo' THEN c2.room >= 1 "
    "ELSE c2.rn <= c2.room END AND (c2.ordering <> 'fifo' OR (c2.busy = 0 AND c2.head))), "
    "c4 AS (SELECT c3.id, c3.rn, c3.next_at, row_number() OVER (PARTITION BY c3.merchant_id "
    "ORDER BY c3.rn, c3.next_at) AS mrn, COALESCE(s.f, $5::int) AS mf FROM c3 "
    "LEFT JOIN slots s ON s.m = c3.merchant_id), "
    "pick AS (SELECT c4.id FROM c4 WHERE c4.mrn <= c4.mf ORDER BY c4.mrn, c4.next_at "
    "LIMIT $7::int), "
    "lk AS (SELECT d.id FROM pick JOIN endpoint_deliveries d ON d.id = pick.id "
    "WHERE d.status IS NOT DISTINCT FROM 'pending' AND d.next_at <= now() "
    "AND (d.locked_until IS NULL OR d.locked_until < now()) FOR UPDATE OF d SKIP LOCKED), "
    "claimed AS (UPDATE endpoint_deliveries d SET locked_until = now() + interval '30 seconds' "
    "FROM lk WHERE d.id = lk.id AND d.status IS NOT DISTINCT FROM 'pending' "
    "AND d.next_at <= now() "
    "AND (d.locked_until IS NULL OR d.locked_until < now()) "
    "RETURNING d.id, d.endpoint_id, d.event_id, d.merchant_id, d.attempts, d.locked_until) "
    "SELECT 'c', c.id, c.merchant_id::text, c.attempts, e.type, e.payload::text, "
    "c.locked_until::text, we.url, we.secret, CASE WHEN we.previous_secret_expires_at > now() "
    "THEN we.previous_secret END, c.event_id, c.endpoint_id FROM claimed c CROSS JOIN LATERAL "
    "(SELECT e.type, e.payload FROM events e WHERE e.id = c.event_id LIMIT 1) e "
    "JOIN webhook_endpoints we ON we.id = c.endpoint_id "
    "UNION ALL SELECT 'r', rec.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM rec UNION ALL SELECT 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "ep.id FROM ep WHERE ep.newly", 8 };

static const struct db_stmt st_expire = { "epd_expire_events",
    "WITH old AS (SELECT id FROM events WHERE created_at < now() - $1::int * interval '1 day' "
    "ORDER BY created_at LIMIT $2::int), d AS (DELETE FROM events e USING old "
    "WHERE e.id = old.id RETURNING 1) SELECT count(*) FROM d", 2 };
/* clang-format on */

int
epd_fanout(struct db *db, int limit, int *n, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char lim[16];
    const char *params[1] = { lim };
    int ret = -1;

    *n = 0;
    (void)snprintf(lim, sizeof(lim), "%d", limit);
    if (db_exec(db, &st_fanout, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 1) {
        *n = (int)db_int(&res, 0, 0);
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

/* Spare event ids for the endpoints a failure may disable: one per failed result. */
static int
epd_spare_ids(struct buf *b, const struct delivery_result *r, size_t n, struct gw_err *err)
{
    char id[MODEL_ID_SZ];
    struct jw w;
    size_t i;

    jw_init(&w, b);
    jw_arr_begin(&w);
    for (i = 0; i < n; i++) {
        if (strcmp(r[i].status, "success") == 0) {
            continue;
        }
        if (crypto_new_id(EVENT_ID_PREFIX, id, sizeof(id), err) != 0) {
            return -1;
        }
        jw_str(&w, id);
    }
    jw_arr_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise event ids");
    }
    return 0;
}

static char *
epd_dup(const struct db_res *res, int row, int col)
{
    return db_isnull(res, row, col) ? NULL : xstrdup(db_val(res, row, col));
}

static void
epd_claim_from_row(const struct db_res *res, int row, struct epd_claim *c)
{
    memset(c, 0, sizeof(*c));
    c->delivery_id = db_int(res, row, 1);
    gw_copy_str(c->merchant_id, sizeof(c->merchant_id), db_val(res, row, 2));
    c->attempt = (int)db_int(res, row, 3) + 1;
    gw_copy_str(c->type, sizeof(c->type), db_val(res, row, 4));
    c->payload = epd_dup(res, row, 5);
    c->payload_len = c->payload != NULL ? strlen(c->payload) : 0;
    gw_copy_str(c->locked_until, sizeof(c->locked_until), db_val(res, row, 6));
    c->url = epd_dup(res, row, 7);
    c->secret = epd_dup(res, row, 8);
    c->previous_secret = epd_dup(res, row, 9);
    gw_copy_str(c->event_id, sizeof(c->event_id), db_val(res, row, 10));
    gw_copy_str(c->endpoint_id, sizeof(c->endpoint_id), db_val(res, row, 11));
}

int
epd_turn(struct db *db, const struct delivery_result *r, size_t nr, bool *applied,
         int disable_after_s, const struct epd_claim_in *in, struct epd_turn_out *out,
         struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf results, spare, slots;
    char dis[16], per[16], pere[16], lim[16], scan[16];
    const char *params[8];
    size_t i, nc = 0, nx = 0;
    int row, limit = in != NULL ? in->limit : 0, ret = -1;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < nr; i++) {
        applied[i] = false;
    }
    buf_init(&results, 0);
    buf_init(&spare, 0);
    buf_init(&slots, 0);
    if (delivery_results_json(&results, DELIVERY_ENDPOINT, r, nr) != 0
        || delivery_slots_json(&slots, in != NULL ? in->slots : NULL, in != NULL ? in->nslots : 0)
               != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise an endpoint delivery turn");
        goto out;
    }
    if (epd_spare_ids(&spare, r, nr, err) != 0) {
        goto out;
    }
    (void)snprintf(dis, sizeof(dis), "%d", disable_after_s);
    (void)snprintf(per, sizeof(per), "%d", in != NULL ? in->per_merchant : 0);
    (void)snprintf(pere, sizeof(pere), "%d", in != NULL ? in->per_endpoint : 0);
    (void)snprintf(lim, sizeof(lim), "%d", limit);
    (void)snprintf(scan, sizeof(scan), "%d", limit * 4 > 256 ? limit * 4 : 256);
    params[0] = results.data;
    params[1] = spare.data;
    params[2] = dis;
    params[3] = slots.data;
    params[4] = per;
    params[5] = pere;
    params[6] = lim;
    params[7] = scan;
    if (db_exec(db, &st_turn, params, &res, err) != 0) {
        goto out;
    }
    for (row = 0; row < res.nrows; row++) {
        nc += db_val(&res, row, 0)[0] == 'c';
        nx += db_val(&res, row, 0)[0] == 'x';
    }
    out->claims = nc > 0 ? xcalloc(nc, sizeof(*out->claims)) : NULL;
    out->disabled = nx > 0 ? xcalloc(nx, sizeof(*out->disabled)) : NULL;
    for (row = 0; row < res.nrows; row++) {
        switch (db_val(&res, row, 0)[0]) {
        case 'c':
            if (out->nclaims < nc) {
                epd_claim_from_row(&res, row, &out->claims[out->nclaims++]);
            }
            break;
        case 'x':
            if (out->ndisabled < nx) {
                gw_copy_str(out->disabled[out->ndisabled++], MODEL_ID_SZ, db_val(&res, row, 11));
            }
            break;
        default:
            delivery_result_applied(&res, row, DELIVERY_ENDPOINT, r, nr, applied);
            break;
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    buf_release(&results);
    buf_release(&spare);
    buf_release(&slots);
    return ret;
}

void
epd_claim_clear(struct epd_claim *c)
{
    free(c->payload);
    free(c->url);
    if (c->secret != NULL) {
        crypto_wipe(c->secret, strlen(c->secret));
    }
    if (c->previous_secret != NULL) {
        crypto_wipe(c->previous_secret, strlen(c->previous_secret));
    }
    free(c->secret);
    free(c->previous_secret);
    c->payload = NULL;
    c->url = NULL;
    c->secret = NULL;
    c->previous_secret = NULL;
}

void
epd_turn_out_release(struct epd_turn_out *out)
{
    size_t i;

    for (i = 0; out->claims != NULL && i < out->nclaims; i++) {
        epd_claim_clear(&out->claims[i]);
    }
    free(out->claims);
    free(out->disabled);
    memset(out, 0, sizeof(*out));
}

int
epd_expire_events(struct db *db, int days, int limit, int64_t *n, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char d[16], lim[16];
    const char *params[2] = { d, lim };
    int ret = -1;

    *n = 0;
    (void)snprintf(d, sizeof(d), "%d", days);
    (void)snprintf(lim, sizeof(lim), "%d", limit);
    if (db_exec(db, &st_expire, params, &res, err) != 0) {
        goto out;
    }
    *n = res.nrows == 1 ? db_int(&res, 0, 0) : 0;
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

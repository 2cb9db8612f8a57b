/* delivery.c: webhook_logs statements of webhook delivery (SPEC 11.3, 11.4). Sets travel as one
 * JSON parameter each (written by jw, so every value is escaped; read back with
 * json_array_elements_text / json_to_recordset), so that a batch is one statement whatever its
 * size. */
#include "delivery.h"

#include "buf.h"
#include "jsonh.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SPEC 11.3's due-and-unlocked condition, on alias w. */
#define DL_DUE_AFTER_STATUS                                  \
    "(w.next_retry_at IS NULL OR w.next_retry_at <= now()) " \
    "AND (w.locked_until IS NULL OR w.locked_until < now())"
#define DL_DUE "w.status = 'pending' AND " DL_DUE_AFTER_STATUS
/* The same on a row the turn reaches by its id. IS NOT DISTINCT FROM (status is never NULL)
 * matches neither idx_webhook_logs_status nor the partial indexes on status = 'pending', so the
 * primary key is the only way in: statistics taken while no log was pending make those indexes
 * look like one row, and a burst of 20,000 pending logs then scanned them all in every turn
 * (40 ms a turn instead of 1, found by bench/webhooks.sh). */
#define DL_DUE_BY_ID "w.status IS NOT DISTINCT FROM 'pending' AND " DL_DUE_AFTER_STATUS

/* One statement per delivery turn: rec is SPEC 11.4's conditional result update for a set of
 * attempts ($1: one row per result, written only while its claim holds); then the claim of
 * candidates ($2 ids in order of preference, $3 [{"m":merchant,"f":free}], $4 free slots of
 * other merchants, $5 limit): cand ranks each merchant's due candidates, pick takes rank 1 of
 * every merchant, then rank 2, ..., within the merchant's free slots, and claimed is SPEC 11.3's
 * conditional claim on that set (re-checked on the locked row, so a log another worker claimed
 * meanwhile is skipped); lk passes over the rows another worker's turn holds right now (its
 * claim or its result): waiting for them deadlocked two workers' turns (40P01 in
 * bench/webhooks.sh with BENCH_WORKERS=2, each costing 64 claims that lapsed after 30 s). The
 * rows recorded by rec are locked by this worker, so no candidate is one of them. cand's LATERAL
 * lookup is fenced by LIMIT 1, so that the planner cannot pull it up into a join and hash a scan
 * of every log. Rows: 'r' id (result written), 'c' claimed, 'w' due candidates that did not
 * fit. */
/* clang-format off */
static const struct db_stmt st_turn = { "delivery_turn",
    "WITH rec AS (UPDATE webhook_logs w SET attempts = r.n, last_attempt_at = now(), "
    "response_code = r.c, response_body = r.b, status = r.s, next_retry_at = CASE "
    "WHEN r.s = 'pending' THEN now() + r.i * interval '1 second' END, locked_until = NULL "
    "FROM json_to_recordset($1::json) AS r(id uuid, l timestamp, n int, c int, b text, s text, "
    "i int) WHERE w.id = r.id AND w.locked_until = r.l RETURNING w.id), "
    "u AS (SELECT DISTINCT ON (u.v) u.v::uuid AS id, u.ord "
    "FROM json_array_elements_text($2::json) WITH ORDINALITY AS u(v, ord) ORDER BY u.v, u.ord), "
    "cand AS (SELECT w.id, w.merchant_id, u.ord, "
    "row_number() OVER (PARTITION BY w.merchant_id ORDER BY u.ord) AS rn "
    "FROM u CROSS JOIN LATERAL (SELECT w.id, w.merchant_id FROM webhook_logs w "
    "WHERE w.id = u.id AND " DL_DUE_BY_ID " LIMIT 1) w), "
    "slots AS (SELECT s.m, s.f FROM json_to_recordset($3::json) AS s(m uuid, f int)), "
    "pick AS (SELECT c.id FROM cand c LEFT JOIN slots s ON s.m = c.merchant_id "
    "WHERE c.rn <= COALESCE(s.f, $4::int) ORDER BY c.rn, c.ord LIMIT $5::int), "
    "lk AS (SELECT w.id FROM pick JOIN webhook_logs w ON w.id = pick.id WHERE " DL_DUE_BY_ID " "
    "FOR UPDATE OF w SKIP LOCKED), "
    "claimed AS (UPDATE webhook_logs w SET locked_until = now() + interval '30 seconds' "
    "FROM lk WHERE w.id = lk.id AND " DL_DUE_BY_ID " "
    "RETURNING w.id, w.merchant_id, w.attempts, w.event, w.payload, w.locked_until) "
    "SELECT 'r', id::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM rec "
    "UNION ALL SELECT 'c', c.id::text, c.merchant_id::text, c.attempts, c.event, "
    "c.payload::text, c.locked_until::text, m.webhook_url, m.webhook_secret "
    "FROM claimed c JOIN merchants m ON m.id = c.merchant_id "
    "UNION ALL SELECT 'w', c.id::text, c.merchant_id::text, NULL, NULL, NULL, NULL, NULL, NULL "
    "FROM cand c WHERE c.id NOT IN (SELECT id FROM pick)", 5 };

static const struct db_stmt st_poll = { "delivery_poll_due",
    "SELECT w.id::text, w.merchant_id::text FROM webhook_logs w WHERE " DL_DUE " "
    "AND w.merchant_id <> ALL(ARRAY(SELECT json_array_elements_text($2::json)::uuid)) "
    "ORDER BY COALESCE(w.next_retry_at, w.created_at), w.created_at LIMIT $1::int", 2 };

static const struct db_stmt st_release = { "delivery_release",
    "UPDATE webhook_logs w SET locked_until = NULL "
    "FROM json_to_recordset($1::json) AS r(id uuid, l timestamp) "
    "WHERE w.id = r.id AND w.locked_until = r.l", 1 };
static const struct db_stmt st_ep_release = { "epd_release",
    "UPDATE endpoint_deliveries d SET locked_until = NULL "
    "FROM json_to_recordset($1::json) AS r(id bigint, l timestamp) "
    "WHERE d.id = r.id AND d.locked_until = r.l", 1 };
/* clang-format on */

/* JSON array of the well-formed UUIDs among ids. */
static int
dl_ids_json(struct buf *b, const char *const *ids, size_t n)
{
    struct jw w;
    size_t i;

    jw_init(&w, b);
    jw_arr_begin(&w);
    for (i = 0; i < n; i++) {
        if (ids[i] != NULL && validate_uuid(ids[i])) {
            jw_str(&w, ids[i]);
        }
    }
    jw_arr_end(&w);
    return jw_finish(&w);
}

/* JSON array of the results, as r / rec in the path's turn statement reads them: a log's
 * (id, l, n, c, b, s, i: seconds), an endpoint delivery's (d, l, a, n, c, b, e, s, i: ms, st,
 * ms, g). */
int
delivery_results_json(struct buf *b, enum delivery_path path, const struct delivery_result *r,
                      size_t n)
{
    bool ep = path == DELIVERY_ENDPOINT;
    struct jw w;
    size_t i;

    jw_init(&w, b);
    jw_arr_begin(&w);
    for (i = 0; i < n; i++) {
        jw_obj_begin(&w);
        if (ep) {
            jw_key(&w, "d");
            jw_int(&w, r[i].delivery_id);
        } else {
            jw_key(&w, "id");
            jw_str(&w, r[i].id);
        }
        jw_key(&w, "l");
        jw_str(&w, r[i].locked_until);
        if (ep) {
            jw_key(&w, "a");
            jw_str(&w, r[i].attempt_id);
        }
        jw_key(&w, "n");
        jw_int(&w, r[i].attempt);
        jw_key(&w, "c");
        if (r[i].code >= 0) {
            jw_int(&w, r[i].code);
        } else {
            jw_null(&w);
        }
        jw_key(&w, "b");
        jw_str(&w, r[i].body);
        if (ep) {
            jw_key(&w, "e");
            jw_str(&w, r[i].error);
        }
        jw_key(&w, "s");
        jw_str(&w, r[i].status);
        jw_key(&w, "i");
        jw_int(&w, r[i].retry > 0 ? r[i].retry : 0);
        if (ep) {
            jw_key(&w, "st");
            jw_int(&w, r[i].started_ms);
            jw_key(&w, "ms");
            jw_int(&w, r[i].duration_ms);
            jw_key(&w, "g");
            jw_bool(&w, r[i].gone);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    return jw_finish(&w);
}

void
delivery_result_applied(const struct db_res *res, int row, enum delivery_path path,
                        const struct delivery_result *r, size_t nr, bool *applied)
{
    const char *id = db_val(res, row, 1);
    int64_t did = path == DELIVERY_ENDPOINT ? db_int(res, row, 1) : 0;
    size_t i;

    for (i = 0; i < nr; i++) {
        if (!applied[i]
            && (path == DELIVERY_ENDPOINT ? r[i].delivery_id == did : strcmp(r[i].id, id) == 0)) {
            applied[i] = true;
            return;
        }
    }
}

int
delivery_slots_json(struct buf *b, const struct delivery_slots *slots, size_t n)
{
    struct jw w;
    size_t i;

    jw_init(&w, b);
    jw_arr_begin(&w);
    for (i = 0; slots != NULL && i < n; i++) {
        jw_obj_begin(&w);
        jw_key(&w, "m");
        jw_str(&w, slots[i].merchant_id);
        jw_key(&w, "f");
        jw_int(&w, slots[i].free);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    return jw_finish(&w);
}

static void
dl_claim_from_row(const struct db_res *res, int row, struct delivery_claim *c)
{
    const char *v;

    gw_copy_str(c->id, sizeof(c->id), db_val(res, row, 1));
    gw_copy_str(c->merchant_id, sizeof(c->merchant_id), db_val(res, row, 2));
    c->attempt = (int)db_int(res, row, 3) + 1;
    gw_copy_str(c->event, sizeof(c->event), db_val(res, row, 4));
    v = db_val(res, row, 5);
    c->payload_len = v != NULL ? db_len(res, row, 5) : 0;
    c->payload = xmemdup0(v != NULL ? v : "", c->payload_len);
    gw_copy_str(c->locked_until, sizeof(c->locked_until), db_val(res, row, 6));
    v = db_val(res, row, 7);
    c->url = v != NULL && v[0] != '\0' ? xstrdup(v) : NULL;
    v = db_val(res, row, 8);
    c->secret = xstrdup(v != NULL ? v : "");
}

int
delivery_turn(struct db *db, const struct delivery_result *r, size_t nr, bool *applied,
              const struct delivery_claim_in *in, struct delivery_claim_out *out,
              struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf results, ids, slots;
    char per[16], lim[16];
    const char *params[5];
    const char *kind;
    size_t i, nc = 0, nw = 0;
    int row, ret = -1;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < nr; i++) {
        applied[i] = false;
    }
    buf_init(&results, 0);
    buf_init(&ids, 0);
    buf_init(&slots, 0);
    if (delivery_results_json(&results, DELIVERY_LEGACY, r, nr) != 0
        || dl_ids_json(&ids, in != NULL ? in->ids : NULL, in != NULL ? in->nids : 0) != 0
        || delivery_slots_json(&slots, in != NULL ? in->slots : NULL, in != NULL ? in->nslots : 0)
               != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise a delivery turn");
        goto out;
    }
    (void)snprintf(per, sizeof(per), "%d", in != NULL ? in->per_merchant : 0);
    (void)snprintf(lim, sizeof(lim), "%d", in != NULL ? in->limit : 0);
    params[0] = results.data;
    params[1] = ids.data;
    params[2] = slots.data;
    params[3] = per;
    params[4] = lim;
    if (db_exec(db, &st_turn, params, &res, err) != 0) {
        goto out;
    }
    for (row = 0; row < res.nrows; row++) {
        kind = db_val(&res, row, 0);
        if (kind[0] == 'c') {
            nc++;
        } else if (kind[0] == 'w') {
            nw++;
        }
    }
    out->claims = nc > 0 ? xcalloc(nc, sizeof(*out->claims)) : NULL;
    out->waiting = nw > 0 ? xcalloc(nw, sizeof(*out->waiting)) : NULL;
    for (row = 0; row < res.nrows; row++) {
        kind = db_val(&res, row, 0);
        if (kind[0] == 'c' && out->claims != NULL) {
            dl_claim_from_row(&res, row, &out->claims[out->nclaims++]);
        } else if (kind[0] == 'w' && out->waiting != NULL) {
            struct delivery_due *d = &out->waiting[out->nwaiting++];

            gw_copy_str(d->id, sizeof(d->id), db_val(&res, row, 1));
            gw_copy_str(d->merchant_id, sizeof(d->merchant_id), db_val(&res, row, 2));
        } else {
            delivery_result_applied(&res, row, DELIVERY_LEGACY, r, nr, applied);
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    buf_release(&results);
    buf_release(&ids);
    buf_release(&slots);
    return ret;
}

void
delivery_claim_out_release(struct delivery_claim_out *out)
{
    size_t i;

    if (out == NULL) {
        return;
    }
    for (i = 0; i < out->nclaims; i++) {
        free(out->claims[i].payload);
        free(out->claims[i].url);
        free(out->claims[i].secret);
    }
    free(out->claims);
    free(out->waiting);
    memset(out, 0, sizeof(*out));
}

int
delivery_poll_due(struct db *db, const char *const *skip, size_t nskip, int limit,
                  struct delivery_due **out, size_t *n, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf sk;
    char lim[16];
    const char *params[2];
    int row, ret = -1;

    *out = NULL;
    *n = 0;
    buf_init(&sk, 0);
    if (dl_ids_json(&sk, skip, nskip) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise merchant list");
        goto out;
    }
    (void)snprintf(lim, sizeof(lim), "%d", limit);
    params[0] = lim;
    params[1] = sk.data;
    if (db_exec(db, &st_poll, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        *out = xcalloc((size_t)res.nrows, sizeof(**out));
    }
    for (row = 0; row < res.nrows; row++) {
        gw_copy_str((*out)[row].id, sizeof((*out)[row].id), db_val(&res, row, 0));
        gw_copy_str((*out)[row].merchant_id, sizeof((*out)[row].merchant_id), db_val(&res, row, 1));
    }
    *n = (size_t)res.nrows;
    ret = 0;
out:
    db_res_release(&res);
    buf_release(&sk);
    return ret;
}

int
delivery_release(struct db *db, enum delivery_path path, const struct delivery_claim_ref *c,
                 size_t n, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct buf b;
    struct jw w;
    const char *params[1];
    size_t i;
    int ret = -1;

    if (n == 0) {
        return 0;
    }
    buf_init(&b, 0);
    jw_init(&w, &b);
    jw_arr_begin(&w);
    for (i = 0; i < n; i++) {
        jw_obj_begin(&w);
        jw_key(&w, "id");
        if (path == DELIVERY_ENDPOINT) {
            jw_int(&w, c[i].delivery_id);
        } else {
            jw_str(&w, c[i].id);
        }
        jw_key(&w, "l");
        jw_str(&w, c[i].locked_until);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    if (jw_finish(&w) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise webhook claims");
        goto out;
    }
    params[0] = b.data;
    ret = db_exec(db, path == DELIVERY_ENDPOINT ? &st_ep_release : &st_release, params, &res, err);
out:
    db_res_release(&res);
    buf_release(&b);
    return ret;
}

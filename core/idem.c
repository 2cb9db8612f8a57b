/* idem.c: idempotency records (SPEC 9), always inside the caller's transaction. */
#include "idem.h"

#include "crypto.h"
#include "log.h"
#include "merchant.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_idem_secret = {
    "idem_secret",
    "SELECT encode(value, 'hex') FROM installation_secrets WHERE name = 'idempotency_fingerprint'",
    0
};
static const struct db_stmt st_idem_lock = {
    "idem_lock", "SELECT pg_advisory_xact_lock(hashtext($1::text), hashtext($2::text))", 2
};
static const struct db_stmt st_idem_get = {
    "idem_get",
    "SELECT request_fingerprint, response_status, response::text, expires_at > now() "
    "FROM idempotency_keys WHERE key = $1 AND merchant_id = $2::uuid",
    2
};
static const struct db_stmt st_idem_del = {
    "idem_del", "DELETE FROM idempotency_keys WHERE key = $1 AND merchant_id = $2::uuid", 2
};
static const struct db_stmt st_idem_put = {
    "idem_put",
    "INSERT INTO idempotency_keys (key, merchant_id, response, expires_at, request_fingerprint, "
    "response_status) VALUES ($1, $2::uuid, $3::json, now() + interval '24 hours', $4, $5::int)",
    5
};

const struct db_stmt idem_lock_stmt = {
    "idem_lock_auth",
    "WITH " MERCHANT_AUTH_CTE
    " SELECT pg_advisory_xact_lock(hashtext(a.id::text), hashtext($4::text)) "
    "FROM a",
    4
};

/* The installation secret of this process (SPEC 9): loaded once, never logged. */
static unsigned char idem_key[IDEM_KEY_LEN];
static bool idem_key_loaded;

int
idem_fingerprint(const unsigned char key[IDEM_KEY_LEN], const char *method, const char *path,
                 const char *body, size_t body_len, char out[65])
{
    unsigned char mac[CRYPTO_SHA256_LEN];
    struct buf b;
    int rc;

    out[0] = '\0';
    buf_init(&b, 0);
    /* unbounded buffer: appends fail only on out of memory, which aborts in xrealloc */
    (void)buf_puts(&b, method);
    (void)buf_putc(&b, '\n');
    (void)buf_puts(&b, path);
    (void)buf_putc(&b, '\n');
    (void)buf_append(&b, body != NULL ? body : "", body_len);
    rc = crypto_hmac_sha256(key, IDEM_KEY_LEN, b.data, b.len, mac);
    if (rc == 0) {
        crypto_hex(mac, sizeof(mac), out);
    }
    crypto_wipe(b.data, b.len); /* the body may hold card data */
    crypto_wipe(mac, sizeof(mac));
    buf_release(&b);
    return rc == 0 ? 0 : -1;
}

static int
idem_key_load(struct db *db, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *hex;
    unsigned hi, lo;
    size_t i;
    int ret = -1;

    if (db_exec(db, &st_idem_secret, NULL, &res, err) != 0) {
        goto out;
    }
    hex = db_val(&res, 0, 0);
    if (hex == NULL || db_len(&res, 0, 0) != (size_t)2 * IDEM_KEY_LEN) {
        /* the schema is behind this binary: a deployment state, not a defect of the request */
        log_error("idempotency secret missing: run gatewayctl db migrate");
        ret = GW_ERR(err, UNAVAILABLE, "idempotency secret missing");
        goto out;
    }
    for (i = 0; i < IDEM_KEY_LEN; i++) {
        hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        lo = (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        idem_key[i] = (unsigned char)((hi << 4) | lo);
    }
    idem_key_loaded = true;
    ret = 0;
out:
    if (res.nrows > 0 && db_val(&res, 0, 0) != NULL) {
        crypto_wipe((char *)(uintptr_t)db_val(&res, 0, 0), db_len(&res, 0, 0));
    }
    db_res_release(&res);
    return ret;
}

int
idem_fingerprint_db(struct db *db, const char *method, const char *path, const char *body,
                    size_t body_len, char out[65], struct gw_err *err)
{
    if (!idem_key_loaded && idem_key_load(db, err) != 0) {
        return -1;
    }
    if (idem_fingerprint(idem_key, method, path, body, body_len, out) != 0) {
        return GW_ERR(err, INTERNAL, "cannot compute the idempotency fingerprint");
    }
    return 0;
}

int
idem_begin(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
           enum idem_state *state, int *status, struct buf *body, struct gw_err *err)
{
    const char *params[2] = { merchant_id, key };
    const char *kparams[2] = { key, merchant_id };
    struct db_res res = DB_RES_INIT;
    const char *fp;
    int ret = -1;

    *state = IDEM_NEW;
    if (db_exec(db, &st_idem_lock, params, NULL, err) != 0) {
        goto out;
    }
    if (db_exec(db, &st_idem_get, kparams, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        ret = 0;
        goto out;
    }
    if (!db_bool(&res, 0, 3)) {
        /* expired: the request is new */
        if (db_exec(db, &st_idem_del, kparams, NULL, err) != 0) {
            goto out;
        }
        ret = 0;
        goto out;
    }
    fp = db_val(&res, 0, 0);
    if (fp == NULL || strlen(fp) != strlen(fingerprint)
        || !crypto_ct_equal(fp, strlen(fp), fingerprint, strlen(fingerprint))) {
        *state = IDEM_MISMATCH;
        ret = 0;
        goto out;
    }
    *state = IDEM_REPLAY;
    *status = (int)db_int(&res, 0, 1);
    buf_reset(body);
    if (db_val(&res, 0, 2) != NULL
        && buf_append(body, db_val(&res, 0, 2), db_len(&res, 0, 2)) != 0) {
        ret = GW_ERR(err, INTERNAL, "stored idempotent response too large");
        goto out;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
idem_store(struct db *db, const char *merchant_id, const char *key, const char *fingerprint,
           int status, const char *body, size_t body_len, struct gw_err *err)
{
    char st[16];
    char *text = xmemdup0(body != NULL ? body : "", body_len);
    const char *params[5];
    int ret;

    (void)snprintf(st, sizeof(st), "%d", status);
    params[0] = key;
    params[1] = merchant_id;
    params[2] = text;
    params[3] = fingerprint;
    params[4] = st;
    ret = db_exec(db, &st_idem_put, params, NULL, err);
    free(text);
    return ret;
}

void
idem_answer_init(struct idem_answer *a)
{
    memset(a, 0, sizeof(*a));
    buf_init(&a->body, 0);
}

void
idem_answer_release(struct idem_answer *a)
{
    buf_release(&a->body);
}

void
idem_answer_read(const struct db_res *res, int created_status, struct idem_answer *a)
{
    int col = 3;

    a->auth_ok = db_bool(res, 0, 0);
    a->live = !db_isnull(res, 0, 1);
    a->match = a->live && db_bool(res, 0, 1);
    a->inserted = !a->live && !db_isnull(res, 0, 4);
    a->status = a->live ? (int)db_int(res, 0, 2) : created_status;
    a->merchant_id[0] = '\0';
    if (a->inserted) {
        col = 4;
        (void)snprintf(a->merchant_id, sizeof(a->merchant_id), "%s",
                       db_val(res, 0, 5) != NULL ? db_val(res, 0, 5) : "");
    }
    buf_reset(&a->body);
    if ((a->live || a->inserted) && db_val(res, 0, col) != NULL) {
        /* unbounded buffer: fails only on out of memory, which aborts */
        (void)buf_append(&a->body, db_val(res, 0, col), db_len(res, 0, col));
    }
}

int
idem_answer_check(const struct idem_answer *a, bool public_route, struct gw_err *err)
{
    if (!public_route && !a->auth_ok) {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    if (a->live && !a->match) {
        return GW_ERR(err, BAD_REQUEST, "Idempotency-Key reused with a different request");
    }
    return 0;
}

int
idem_trip_begin(struct idem_trip *t, const struct merchant_creds *creds,
                const struct idem_req *idem, bool public_route, struct gw_err *err)
{
    const char *params[3];

    memset(t, 0, sizeof(*t));
    t->idem = idem != NULL && idem->key != NULL ? idem : NULL;
    merchant_creds_params(creds, params, t->hex);
    if (!public_route && params[0] == NULL && params[2] == NULL) {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    memcpy(t->auth, params, sizeof(t->auth));
    memcpy(t->lock_params, params, sizeof(params));
    t->lock_params[3] = t->idem != NULL ? t->idem->key : NULL;
    return 0;
}

void
idem_trip_add(struct idem_trip *t, const struct db_stmt *stmt, const char *const *params,
              struct db_res *res, db_done_fn *done, void *arg)
{
    if (t->n == 0 && t->idem != NULL) {
        t->calls[t->n++] =
            (struct db_call){ &idem_lock_stmt, t->lock_params, &t->lock_res, NULL, NULL };
    }
    if (t->n < ARRAY_LEN(t->calls)) {
        t->calls[t->n++] = (struct db_call){ stmt, params, res, done, arg };
    }
}

int
idem_trip_run(struct db *db, struct idem_trip *t, struct gw_err *err)
{
    size_t n = t->n;

    t->n = 0;
    return db_batch(db, t->calls, n, err);
}

void
idem_trip_release(struct idem_trip *t)
{
    db_res_release(&t->lock_res);
    crypto_wipe(t->hex, sizeof(t->hex));
}

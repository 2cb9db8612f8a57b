/* idem.c: idempotency records (SPEC 9), always inside the caller's transaction. */
#include "idem.h"

#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void
idem_fingerprint(const char *method, const char *path, const char *body, size_t body_len,
                 char out[65])
{
    struct buf b;

    buf_init(&b, 0);
    if (buf_puts(&b, method) != 0 || buf_putc(&b, '\n') != 0 || buf_puts(&b, path) != 0
        || buf_putc(&b, '\n') != 0 || buf_append(&b, body != NULL ? body : "", body_len) != 0) {
        /* unbounded buffer: only out of memory, which aborts in xrealloc */
        out[0] = '\0';
        buf_release(&b);
        return;
    }
    crypto_sha256_hex(b.data, b.len, out);
    crypto_wipe(b.data, b.len);
    buf_release(&b);
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

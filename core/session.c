/* session.c: dashboard sessions (SPEC 13.1). Only the SHA-256 hex of the cookie token is stored;
 * the token itself never reaches the database or a log. */
#include "session.h"

#include "crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_stmt st_session_put = {
    "session_put",
    "INSERT INTO dashboard_sessions (token_hash, merchant_id, csrf_token, expires_at) "
    "VALUES ($1, $2::uuid, $3, now() + interval '43200 seconds')",
    3
};
static const struct db_stmt st_session_get = {
    "session_get",
    "SELECT s.merchant_id, s.csrf_token FROM dashboard_sessions s "
    "JOIN merchants m ON m.id = s.merchant_id "
    "WHERE s.token_hash = $1 AND s.expires_at > now() AND m.is_active",
    1
};
static const struct db_stmt st_session_del = {
    "session_del", "DELETE FROM dashboard_sessions WHERE token_hash = $1", 1
};
static const struct db_stmt st_session_del_merchant = {
    "session_del_merchant", "DELETE FROM dashboard_sessions WHERE merchant_id = $1::uuid", 1
};

/* The throttle key: SHA-256 hex of the lower-cased e-mail (as the login's own lookup matches). */
#define LOGIN_KEY        "encode(sha256(convert_to(lower($1), 'UTF8')), 'hex')"
#define LOGIN_WINDOW_SQL "interval '900 seconds'" /* LOGIN_WINDOW_SECONDS */

/* clang-format off */
static const struct db_stmt st_login_blocked = { "login_blocked",
    "SELECT ceil(extract(epoch FROM blocked_until - now()))::int FROM login_blocks "
    "WHERE email_hash = " LOGIN_KEY " AND blocked_until > now()", 1 };
/* The INSERT's own row is invisible to the count of the same statement: hence + 1. */
static const struct db_stmt st_login_failed = { "login_failed",
    "WITH k AS (SELECT " LOGIN_KEY " AS h), "
    "f AS (INSERT INTO login_failures (email_hash) SELECT h FROM k), "
    "n AS (SELECT count(*) + 1 AS c FROM login_failures, k WHERE email_hash = k.h "
    "      AND failed_at > now() - " LOGIN_WINDOW_SQL ") "
    "INSERT INTO login_blocks (email_hash, blocked_until) "
    "SELECT k.h, now() + " LOGIN_WINDOW_SQL " FROM k, n WHERE n.c >= 10 " /* LOGIN_MAX_FAILURES */
    "ON CONFLICT (email_hash) DO UPDATE SET blocked_until = EXCLUDED.blocked_until", 1 };
/* clang-format on */

bool
session_token_wellformed(const char *token)
{
    size_t i;

    for (i = 0; token[i] != '\0'; i++) {
        char c = token[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
              || c == '_')) {
            return false;
        }
    }
    return i == 43;
}

int
session_create(struct db *db, const char *merchant_id, char token[SESSION_TOKEN_SZ],
               char csrf[SESSION_CSRF_LEN + 1], struct gw_err *err)
{
    unsigned char raw[SESSION_TOKEN_BYTES];
    char hash[CRYPTO_SHA256_HEXLEN + 1];
    const char *params[3];
    int ret = -1;

    token[0] = '\0';
    csrf[0] = '\0';
    if (crypto_random_bytes(raw, sizeof(raw), err) != 0
        || crypto_random_alnum(csrf, SESSION_CSRF_LEN, err) != 0) {
        goto out;
    }
    (void)crypto_base64url(raw, sizeof(raw), token);
    crypto_sha256_hex(token, strlen(token), hash);
    params[0] = hash;
    params[1] = merchant_id;
    params[2] = csrf;
    if (db_exec(db, &st_session_put, params, NULL, err) != 0) {
        goto out;
    }
    ret = 0;
out:
    crypto_wipe(raw, sizeof(raw));
    if (ret != 0) {
        crypto_wipe(token, SESSION_TOKEN_SZ);
        crypto_wipe(csrf, SESSION_CSRF_LEN + 1);
    }
    return ret;
}

int
session_lookup(struct db *db, const char *token, struct merchant *out,
               char csrf[SESSION_CSRF_LEN + 1], bool *found, struct gw_err *err)
{
    char hash[CRYPTO_SHA256_HEXLEN + 1];
    const char *params[1] = { hash };
    struct db_res res = DB_RES_INIT;
    bool mfound = false;
    int ret = -1;

    *found = false;
    csrf[0] = '\0';
    if (!session_token_wellformed(token)) {
        return 0;
    }
    crypto_sha256_hex(token, strlen(token), hash);
    if (db_exec(db, &st_session_get, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0 || db_val(&res, 0, 0) == NULL || db_val(&res, 0, 1) == NULL
        || db_len(&res, 0, 1) > SESSION_CSRF_LEN) {
        ret = 0;
        goto out;
    }
    if (merchant_load(db, db_val(&res, 0, 0), out, &mfound, err) != 0) {
        goto out;
    }
    if (mfound && out->is_active) {
        (void)snprintf(csrf, SESSION_CSRF_LEN + 1, "%s", db_val(&res, 0, 1));
        *found = true;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
session_delete(struct db *db, const char *token, struct gw_err *err)
{
    char hash[CRYPTO_SHA256_HEXLEN + 1];
    const char *params[1] = { hash };

    if (!session_token_wellformed(token)) {
        return 0;
    }
    crypto_sha256_hex(token, strlen(token), hash);
    return db_exec(db, &st_session_del, params, NULL, err);
}

int
session_delete_merchant(struct db *db, const char *merchant_id, struct gw_err *err)
{
    const char *params[1] = { merchant_id };

    return db_exec(db, &st_session_del_merchant, params, NULL, err);
}

int
login_blocked(struct db *db, const char *email, int *retry_after, struct gw_err *err)
{
    const char *params[1] = { email };
    struct db_res res = DB_RES_INIT;
    const char *v;
    int ret = -1;

    *retry_after = 0;
    if (db_exec(db, &st_login_blocked, params, &res, err) != 0) {
        goto out;
    }
    v = res.nrows > 0 ? db_val(&res, 0, 0) : NULL;
    if (v != NULL) {
        long s = strtol(v, NULL, 10);

        *retry_after = s < 1 ? 1 : s > LOGIN_WINDOW_SECONDS ? LOGIN_WINDOW_SECONDS : (int)s;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
login_failed(struct db *db, const char *email, struct gw_err *err)
{
    const char *params[1] = { email };

    return db_exec(db, &st_login_failed, params, NULL, err);
}

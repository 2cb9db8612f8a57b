/* merchant.c: merchant storage and rules (SPEC sections 4.2, 6.7, 12.2, 13.1, 16). */
#include "merchant.h"

#include "crypto.h"
#include "endpoint.h"
#include "event.h"
#include "log.h"
#include "validate.h"
#include "webhook_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERCHANT_KEY_TRIES 3

/* Column list shared by every statement that returns a merchant (see merchant_fill). */
#define MERCHANT_COLS                                                                             \
    "id::text, name, email, api_key, api_secret, webhook_url, webhook_secret, is_active, " DB_TS( \
        "created_at")
#define MERCHANT_NCOLS 9

/* clang-format off */
static const struct db_stmt st_load = { "merchant_load",
    "SELECT " MERCHANT_COLS " FROM merchants WHERE id = $1::uuid", 1 };
static const struct db_stmt st_auth = { "merchant_auth",
    "SELECT " MERCHANT_COLS " FROM merchants WHERE api_key = $1 AND is_active = true", 1 };
static const struct db_stmt st_seed = { "merchant_seed",
    "INSERT INTO merchants (id, name, email, api_key, api_secret, webhook_url, webhook_secret, "
    "is_active, password_hash) VALUES ($1::uuid, $2, $3, $4, $5, NULL, $6, true, NULL) "
    "ON CONFLICT DO NOTHING", 6 };
static const struct db_stmt st_email_taken = { "merchant_email_taken",
    "SELECT 1 FROM merchants WHERE lower(email) = lower($1) LIMIT 1", 1 };
static const struct db_stmt st_create = { "merchant_create",
    "INSERT INTO merchants (name, email, api_key, api_secret, webhook_secret, is_active, "
    "password_hash) VALUES ($1, $2, $3, $4, $5, true, $6) RETURNING " MERCHANT_COLS, 6 };
/* Key rotation and a new password end the merchant's dashboard sessions in the same statement
 * (SPEC 17). $1 is the merchant's id (a UUID) or e-mail (case-insensitive, oldest first). */
#define MERCHANT_PICK_ID   "WITH t AS (SELECT id FROM merchants WHERE id = $1::uuid), "
#define MERCHANT_PICK_MAIL "WITH t AS (SELECT id FROM merchants WHERE lower(email) = lower($1) " \
                           "ORDER BY created_at, id LIMIT 1), "
#define MERCHANT_END_SESSIONS                                                                  \
    "s AS (DELETE FROM dashboard_sessions WHERE merchant_id = (SELECT id FROM t)) "
#define MERCHANT_ROTATE                                                                        \
    "UPDATE merchants SET api_key = $2, api_secret = $3, updated_at = now() "                  \
    "WHERE id = (SELECT id FROM t) RETURNING " MERCHANT_COLS
#define MERCHANT_SET_PASSWORD                                                                  \
    "UPDATE merchants SET password_hash = $2, updated_at = now() "                             \
    "WHERE id = (SELECT id FROM t) RETURNING " MERCHANT_COLS
static const struct db_stmt st_rotate_id = { "merchant_rotate_id",
    MERCHANT_PICK_ID MERCHANT_END_SESSIONS MERCHANT_ROTATE, 3 };
static const struct db_stmt st_rotate_email = { "merchant_rotate_email",
    MERCHANT_PICK_MAIL MERCHANT_END_SESSIONS MERCHANT_ROTATE, 3 };
static const struct db_stmt st_password_id = { "merchant_password_id",
    MERCHANT_PICK_ID MERCHANT_END_SESSIONS MERCHANT_SET_PASSWORD, 2 };
static const struct db_stmt st_password_email = { "merchant_password_email",
    MERCHANT_PICK_MAIL MERCHANT_END_SESSIONS MERCHANT_SET_PASSWORD, 2 };
/* gatewayctl merchant deactivate|activate: $2 the new is_active; deactivation also ends the
 * merchant's dashboard sessions (the API already refuses an inactive merchant's keys). */
#define MERCHANT_SET_ACTIVE                                                                    \
    "UPDATE merchants SET is_active = $2::boolean, updated_at = now() "                        \
    "WHERE id = (SELECT id FROM t) RETURNING id, email, is_active"
#define MERCHANT_END_SESSIONS_IF_OFF                                                           \
    "s AS (DELETE FROM dashboard_sessions WHERE merchant_id = (SELECT id FROM t) "             \
    "AND NOT $2::boolean) "
static const struct db_stmt st_active_id = { "merchant_active_id",
    MERCHANT_PICK_ID MERCHANT_END_SESSIONS_IF_OFF MERCHANT_SET_ACTIVE, 2 };
static const struct db_stmt st_active_email = { "merchant_active_email",
    MERCHANT_PICK_MAIL MERCHANT_END_SESSIONS_IF_OFF MERCHANT_SET_ACTIVE, 2 };
static const struct db_stmt st_list = { "merchant_list",
    "SELECT m.id, m.name, m.email, m.api_key, m.is_active, m.webhook_url, "
    "m.password_hash IS NOT NULL, " DB_TS("m.created_at") " FROM merchants m "
    "ORDER BY m.created_at, m.id", 0 };
/* SPEC 12.2 (v2): the seeded merchant still active with the published key pair. */
static const struct db_stmt st_test_pair = { "merchant_test_pair",
    "SELECT 1 FROM merchants WHERE id = $1::uuid AND is_active AND api_key = $2 "
    "AND api_secret = $3", 3 };
static const struct db_stmt st_login = { "merchant_login",
    "SELECT " MERCHANT_COLS ", password_hash FROM merchants "
    "WHERE lower(email) = lower($1) AND is_active = true ORDER BY created_at, id LIMIT 1", 1 };
static const struct db_stmt st_set_url = { "merchant_set_webhook_url",
    "UPDATE merchants SET webhook_url = $2, updated_at = now() WHERE id = $1::uuid "
    "RETURNING " MERCHANT_COLS, 2 };
static const struct db_stmt st_new_secret = { "merchant_new_webhook_secret",
    "UPDATE merchants SET webhook_secret = $2, updated_at = now() WHERE id = $1::uuid "
    "RETURNING id", 2 };
static const struct db_stmt st_test_lookup = { "merchant_test_lookup",
    "SELECT " MERCHANT_COLS " FROM merchants WHERE email = $1 ORDER BY created_at, id LIMIT 1",
    1 };
/* clang-format on */

static void
merchant_fill(const struct db_res *res, int row, void *out)
{
    struct merchant *m = out;

    memset(m, 0, sizeof(*m));
    gw_copy_str(m->id, sizeof(m->id), db_val(res, row, 0));
    gw_copy_str(m->name, sizeof(m->name), db_val(res, row, 1));
    gw_copy_str(m->email, sizeof(m->email), db_val(res, row, 2));
    gw_copy_str(m->api_key, sizeof(m->api_key), db_val(res, row, 3));
    gw_copy_str(m->api_secret, sizeof(m->api_secret), db_val(res, row, 4));
    m->has_webhook_url = !db_isnull(res, row, 5);
    gw_copy_str(m->webhook_url, sizeof(m->webhook_url), db_val(res, row, 5));
    gw_copy_str(m->webhook_secret, sizeof(m->webhook_secret), db_val(res, row, 6));
    m->is_active = db_bool(res, row, 7);
    gw_copy_str(m->created_at, sizeof(m->created_at), db_val(res, row, 8));
}

int
merchant_load(struct db *db, const char *id, struct merchant *out, bool *found, struct gw_err *err)
{
    const char *params[1] = { id };

    *found = false;
    if (!validate_uuid(id)) {
        return 0;
    }
    return db_query_row(db, &st_load, params, merchant_fill, out, found, err);
}

void
merchant_creds_params(const struct merchant_creds *c, const char *params[3], char hex[65])
{
    const char *key = c->api_key, *secret = c->api_secret;

    hex[0] = '\0';
    params[0] = NULL;
    params[1] = NULL;
    params[2] = c->merchant_id;
    /* issued keys are short ASCII: anything else cannot match and must not reach the server
     * as text (bytes that are not UTF-8 fail with SQLSTATE 22021) */
    if (key != NULL && secret != NULL && key[0] != '\0' && secret[0] != '\0' && strlen(key) <= 64
        && validate_utf8(key, strlen(key))) {
        crypto_sha256_hex(secret, strlen(secret), hex);
        params[0] = key;
        params[1] = hex;
    }
}

int
merchant_authenticate(struct db *db, const char *api_key, const char *api_secret,
                      struct merchant *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[1] = { api_key };
    const char *stored;
    int ret = -1;

    if (api_key == NULL || api_key[0] == '\0' || api_secret == NULL || api_secret[0] == '\0') {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    /* Issued keys are short ASCII: anything else cannot match, and bytes that are not UTF-8
     * must never reach the server as text (SQLSTATE 22021). */
    if (strlen(api_key) > 64 || !validate_utf8(api_key, strlen(api_key))) {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    if (db_exec(db, &st_auth, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        /* same work as a wrong secret, so timing does not reveal valid keys */
        (void)crypto_ct_equal(api_secret, strlen(api_secret), api_secret, strlen(api_secret));
        ret = GW_ERR(err, AUTH, "Invalid API credentials");
        goto out;
    }
    stored = db_val(&res, 0, 4);
    if (stored == NULL
        || !crypto_ct_equal(stored, db_len(&res, 0, 4), api_secret, strlen(api_secret))) {
        ret = GW_ERR(err, AUTH, "Invalid API credentials");
        goto out;
    }
    merchant_fill(&res, 0, out);
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
merchant_seed_test(struct db *db, const struct cfg *cfg, struct gw_err *err)
{
    const char *params[6] = {
        MERCHANT_TEST_ID,  MERCHANT_TEST_NAME,   cfg->test_merchant_email,
        cfg->test_api_key, cfg->test_api_secret, MERCHANT_TEST_WEBHOOK_SECRET
    };
    struct db_res res = DB_RES_INIT;
    int ret;

    ret = db_exec(db, &st_seed, params, &res, err);
    if (ret == 0 && res.affected > 0) {
        log_info("test merchant seeded", LOG_S("merchant_id", MERCHANT_TEST_ID));
    }
    db_res_release(&res);
    return ret;
}

/* prefix + n random alphanumerics into out (outsz >= strlen(prefix) + n + 1). */
static int
merchant_random_token(const char *prefix, size_t n, char *out, size_t outsz, struct gw_err *err)
{
    size_t plen = strlen(prefix);

    if (plen + n + 1 > outsz) {
        return GW_ERR(err, INTERNAL, "token buffer too small");
    }
    (void)snprintf(out, outsz, "%s", prefix);
    return crypto_random_alnum(out + plen, n, err);
}

static bool
merchant_conflict_on(const struct gw_err *err, const char *column)
{
    return err->code == GW_E_CONFLICT && strstr(err->msg, column) != NULL;
}

int
merchant_create(struct db *db, const char *name, const char *email, const char *password,
                struct merchant *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char key[65] = { 0 }, secret[65] = { 0 }, whsec[65] = { 0 };
    const char *params[6];
    struct gw_err e = GW_ERR_INIT;
    char *hash = NULL;
    int ret = -1, tries;

    params[0] = email;
    if (db_exec(db, &st_email_taken, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        ret = GW_ERR(err, CONFLICT, "merchant with this email already exists");
        goto out;
    }
    hash = crypto_password_hash(password, err);
    if (hash == NULL) {
        goto out;
    }
    for (tries = 0; tries < MERCHANT_KEY_TRIES; tries++) {
        gw_err_clear(&e);
        if (merchant_random_token("key_", MERCHANT_API_KEY_RANDOM, key, sizeof(key), err) != 0
            || merchant_random_token("secret_", MERCHANT_API_SECRET_RANDOM, secret, sizeof(secret),
                                     err)
                   != 0
            || merchant_random_token("whsec_", MERCHANT_WEBHOOK_SECRET_RANDOM, whsec, sizeof(whsec),
                                     err)
                   != 0) {
            goto out;
        }
        params[0] = name;
        params[1] = email;
        params[2] = key;
        params[3] = secret;
        params[4] = whsec;
        params[5] = hash;
        if (db_exec(db, &st_create, params, &res, &e) == 0) {
            break;
        }
        if (merchant_conflict_on(&e, "email")) {
            ret = GW_ERR(err, CONFLICT, "merchant with this email already exists");
            goto out;
        }
        if (!merchant_conflict_on(&e, "api_key")) {
            *err = e;
            goto out;
        }
    }
    if (tries == MERCHANT_KEY_TRIES || res.nrows == 0) {
        ret = GW_ERR(err, INTERNAL, "cannot allocate a unique api key");
        goto out;
    }
    merchant_fill(&res, 0, out);
    log_info("merchant created", LOG_S("merchant_id", out->id));
    ret = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    crypto_wipe(whsec, sizeof(whsec));
    free(hash);
    db_res_release(&res);
    return ret;
}

int
merchant_rotate_keys(struct db *db, const char *id_or_email, struct merchant *out,
                     struct gw_err *err)
{
    const struct db_stmt *st = validate_uuid(id_or_email) ? &st_rotate_id : &st_rotate_email;
    struct db_res res = DB_RES_INIT;
    struct gw_err e = GW_ERR_INIT;
    char key[65] = { 0 }, secret[65] = { 0 };
    const char *params[3];
    int ret = -1, tries;

    for (tries = 0; tries < MERCHANT_KEY_TRIES; tries++) {
        gw_err_clear(&e);
        if (merchant_random_token("key_", MERCHANT_API_KEY_RANDOM, key, sizeof(key), err) != 0
            || merchant_random_token("secret_", MERCHANT_API_SECRET_RANDOM, secret, sizeof(secret),
                                     err)
                   != 0) {
            goto out;
        }
        params[0] = id_or_email;
        params[1] = key;
        params[2] = secret;
        if (db_exec(db, st, params, &res, &e) == 0) {
            break;
        }
        if (!merchant_conflict_on(&e, "api_key")) {
            *err = e;
            goto out;
        }
    }
    if (tries == MERCHANT_KEY_TRIES) {
        ret = GW_ERR(err, INTERNAL, "cannot allocate a unique api key");
        goto out;
    }
    if (res.nrows == 0) {
        ret = GW_ERR(err, NOT_FOUND, "Merchant not found");
        goto out;
    }
    merchant_fill(&res, 0, out);
    log_info("merchant keys rotated", LOG_S("merchant_id", out->id));
    ret = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    db_res_release(&res);
    return ret;
}

int
merchant_set_password(struct db *db, const char *id_or_email, const char *password,
                      struct merchant *out, struct gw_err *err)
{
    const struct db_stmt *st = validate_uuid(id_or_email) ? &st_password_id : &st_password_email;
    const char *params[2];
    char *hash;
    bool found = false;
    int ret;

    hash = crypto_password_hash(password, err);
    if (hash == NULL) {
        return -1;
    }
    params[0] = id_or_email;
    params[1] = hash;
    ret = db_query_row(db, st, params, merchant_fill, out, &found, err);
    free(hash);
    if (ret == 0 && !found) {
        return GW_ERR(err, NOT_FOUND, "Merchant not found");
    }
    if (ret == 0) {
        log_info("merchant password set", LOG_S("merchant_id", out->id));
    }
    return ret;
}

int
merchant_test_pair_active(struct db *db, bool *active, struct gw_err *err)
{
    const char *params[3] = { MERCHANT_TEST_ID, MERCHANT_TEST_API_KEY, MERCHANT_TEST_API_SECRET };
    struct db_res res = DB_RES_INIT;
    int ret;

    *active = false;
    ret = db_exec(db, &st_test_pair, params, &res, err);
    if (ret == 0) {
        *active = res.nrows > 0;
    }
    db_res_release(&res);
    return ret;
}

int
merchant_find_for_login(struct db *db, const char *email, struct merchant *out,
                        char **password_hash, bool *found, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    const char *params[1] = { email };
    const char *h;
    int ret = -1;

    *found = false;
    *password_hash = NULL;
    if (db_exec(db, &st_login, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows > 0) {
        merchant_fill(&res, 0, out);
        h = db_val(&res, 0, MERCHANT_NCOLS);
        *password_hash = h != NULL ? xstrdup(h) : NULL;
        *found = true;
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
merchant_set_webhook_url(struct db *db, const char *id, const char *url_or_null,
                         struct merchant *out, struct gw_err *err)
{
    const char *params[2] = { id, url_or_null };
    bool found = false;

    if (!validate_uuid(id)) {
        return GW_ERR(err, NOT_FOUND, "Merchant not found");
    }
    if (db_query_row(db, &st_set_url, params, merchant_fill, out, &found, err) != 0) {
        return -1;
    }
    if (!found) {
        return GW_ERR(err, NOT_FOUND, "Merchant not found");
    }
    return 0;
}

int
merchant_new_webhook_secret(struct db *db, const char *id, char out[65], struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    char secret[65] = { 0 };
    const char *params[2];
    int ret = -1;

    if (!validate_uuid(id)) {
        return GW_ERR(err, NOT_FOUND, "Merchant not found");
    }
    /* SPEC 21.3: whsec_ + standard base64 of 32 random bytes, which the worker decodes, so that
     * the official Standard Webhooks libraries verify the legacy endpoint's deliveries too */
    if (endpoint_new_secret(secret, err) != 0) {
        goto out;
    }
    params[0] = id;
    params[1] = secret;
    if (db_exec(db, &st_new_secret, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        ret = GW_ERR(err, NOT_FOUND, "Merchant not found");
        goto out;
    }
    memcpy(out, secret, sizeof(secret));
    ret = 0;
out:
    crypto_wipe(secret, sizeof(secret));
    db_res_release(&res);
    return ret;
}

int
merchant_test_lookup(struct db *db, const char *email, struct merchant *out, bool *found,
                     struct gw_err *err)
{
    const char *params[1] = { email };

    return db_query_row(db, &st_test_lookup, params, merchant_fill, out, found, err);
}

/* ---- representations ------------------------------------------------------------------- */

static void
merchant_identity_fields(struct jw *w, const struct merchant *m)
{
    jw_key(w, "id");
    jw_str(w, m->id);
    jw_key(w, "name");
    jw_str(w, m->name);
    jw_key(w, "email");
    jw_str(w, m->email);
    jw_key(w, "api_key");
    jw_str(w, m->api_key);
}

static void
merchant_credential_fields(struct jw *w, const struct merchant *m)
{
    merchant_identity_fields(w, m);
    jw_key(w, "api_secret");
    jw_str(w, m->api_secret);
}

void
merchant_write_json(struct jw *w, const struct merchant *m)
{
    jw_obj_begin(w);
    merchant_identity_fields(w, m);
    jw_key(w, "webhook_url");
    jw_str(w, m->has_webhook_url ? m->webhook_url : NULL);
    jw_key(w, "webhook_secret");
    jw_str(w, m->webhook_secret[0] != '\0' ? m->webhook_secret : NULL);
    jw_key(w, "created_at");
    jw_str(w, m->created_at);
    jw_obj_end(w);
}

void
merchant_write_credentials_json(struct jw *w, const struct merchant *m)
{
    jw_obj_begin(w);
    merchant_credential_fields(w, m);
    jw_obj_end(w);
}

void
merchant_write_created_json(struct jw *w, const struct merchant *m)
{
    jw_obj_begin(w);
    merchant_credential_fields(w, m);
    jw_key(w, "webhook_secret");
    jw_str(w, m->webhook_secret);
    jw_obj_end(w);
}

int
merchant_send_test_webhook(struct db *db, struct queue *q, const struct merchant *m,
                           char log_id[MODEL_UUID_SZ], struct gw_err *err)
{
    log_id[0] = '\0';
    if (!m->has_webhook_url || m->webhook_url[0] == '\0') {
        return GW_ERR(err, BAD_REQUEST, "Webhook URL not configured");
    }
    if (event_create(db, m->id, EVENT_WEBHOOK_TEST, NULL, NULL, log_id, err) != 0) {
        return -1;
    }
    if (log_id[0] == '\0') {
        /* the URL was cleared meanwhile */
        return GW_ERR(err, BAD_REQUEST, "Webhook URL not configured");
    }
    webhook_log_push_committed(q, log_id, false);
    return 0;
}

int
merchant_set_active(struct db *db, const char *id_or_email, bool active, struct buf *out,
                    struct gw_err *err)
{
    const struct db_stmt *st = validate_uuid(id_or_email) ? &st_active_id : &st_active_email;
    struct db_res res = DB_RES_INIT;
    const char *params[2] = { id_or_email, active ? "true" : "false" };
    struct jw w;
    int ret = -1;

    if (db_exec(db, st, params, &res, err) != 0) {
        goto out;
    }
    if (res.nrows == 0) {
        ret = GW_ERR(err, NOT_FOUND, "Merchant not found");
        goto out;
    }
    jw_init(&w, out);
    jw_obj_begin(&w);
    jw_key(&w, "id");
    jw_str(&w, db_val(&res, 0, 0));
    jw_key(&w, "email");
    jw_str(&w, db_val(&res, 0, 1));
    jw_key(&w, "is_active");
    jw_bool(&w, db_bool(&res, 0, 2));
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        ret = GW_ERR(err, INTERNAL, "cannot serialise the merchant");
        goto out;
    }
    log_info(active ? "merchant activated" : "merchant deactivated",
             LOG_S("merchant_id", db_val(&res, 0, 0)));
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

int
merchant_list_lines(struct db *db, struct buf *out, struct gw_err *err)
{
    struct db_res res = DB_RES_INIT;
    struct jw w;
    int i, ret = -1;

    if (db_exec(db, &st_list, NULL, &res, err) != 0) {
        goto out;
    }
    for (i = 0; i < res.nrows; i++) {
        jw_init(&w, out);
        jw_obj_begin(&w);
        jw_key(&w, "id");
        jw_str(&w, db_val(&res, i, 0));
        jw_key(&w, "name");
        jw_str(&w, db_val(&res, i, 1));
        jw_key(&w, "email");
        jw_str(&w, db_val(&res, i, 2));
        jw_key(&w, "api_key");
        jw_str(&w, db_val(&res, i, 3));
        jw_key(&w, "is_active");
        jw_bool(&w, db_bool(&res, i, 4));
        jw_key(&w, "webhook_url");
        if (db_isnull(&res, i, 5)) {
            jw_null(&w);
        } else {
            jw_str(&w, db_val(&res, i, 5));
        }
        jw_key(&w, "password_set");
        jw_bool(&w, db_bool(&res, i, 6));
        jw_key(&w, "created_at");
        jw_str(&w, db_val(&res, i, 7));
        jw_obj_end(&w);
        if (jw_finish(&w) != 0 || buf_puts(out, "\n") != 0) {
            ret = GW_ERR(err, INTERNAL, "cannot serialise the merchants");
            goto out;
        }
    }
    ret = 0;
out:
    db_res_release(&res);
    return ret;
}

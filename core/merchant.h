/* merchant.h: merchants (SPEC sections 4.2, 6.7, 12.2, 13.1, 16): authentication, seeding,
 * creation and key rotation, webhook configuration. merchant_load is declared in model.h.
 * Timestamps are "YYYY-MM-DDTHH:MM:SSZ". */
#ifndef GW_MERCHANT_H
#define GW_MERCHANT_H

#include "cfg.h"
#include "db.h"
#include "gw.h"
#include "jsonh.h"
#include "model.h"

#include <stdbool.h>

#define MERCHANT_TEST_ID             "550e8400-e29b-41d4-a716-446655440000"
#define MERCHANT_TEST_NAME           "Test Merchant"
#define MERCHANT_TEST_WEBHOOK_SECRET "whsec_test_abc123"
/* The published defaults of TEST_API_KEY and TEST_API_SECRET (SPEC 3, 12.2). */
#define MERCHANT_TEST_API_KEY          "key_test_abc123"
#define MERCHANT_TEST_API_SECRET       "secret_test_xyz789"
#define MERCHANT_API_KEY_RANDOM        20 /* key_ + 20 */
#define MERCHANT_API_SECRET_RANDOM     32 /* secret_ + 32 */
#define MERCHANT_WEBHOOK_SECRET_RANDOM 24 /* whsec_ + 24 */

/*
 * Who a request says it is (SPEC 4.2), for the services that check it in the same statement as
 * their work (one round trip): the X-Api-Key / X-Api-Secret pair, or a merchant its dashboard
 * session already authenticated, or neither (a public endpoint).
 */
struct merchant_creds {
    const char *api_key;
    const char *api_secret;
    const char *merchant_id;
};
/* Statement parameters of MERCHANT_AUTH_CTE for c: params[0..2]. hex receives the secret's
 * SHA-256 (the secret itself never reaches the database). */
void merchant_creds_params(const struct merchant_creds *c, const char *params[3], char hex[65]);
/*
 * SQL: the CTE "a" holding the id of the merchant the credentials $1 (key), $2 (hex SHA-256 of
 * the secret) and $3 (session merchant id) name, active; no row for wrong credentials. The
 * secret is compared as the SHA-256 digests of both sides, so the time the comparison takes
 * depends on how many leading digest bytes agree, which a client cannot steer towards the
 * secret (the digest is one-way): the double-hash form of a constant-time comparison.
 */
#define MERCHANT_AUTH_CTE                                                      \
    "a AS (SELECT m.id FROM merchants m WHERE m.api_key = $1 AND m.is_active " \
    "AND sha256(convert_to(m.api_secret, 'UTF8')) = decode($2, 'hex') "        \
    "UNION ALL SELECT m.id FROM merchants m WHERE m.id = $3::uuid AND m.is_active)"

struct queue;
/* POST /api/v1/merchant/webhook/test (SPEC 6.7): the webhook.test log (one auto-committed
 * statement), then its push. err BAD_REQUEST "Webhook URL not configured" when the merchant has
 * no URL (also one cleared meanwhile). */
int merchant_send_test_webhook(struct db *db, struct queue *q, const struct merchant *m,
                               char log_id[MODEL_UUID_SZ], struct gw_err *err);

/* Active merchant by api_key, secret compared in constant time. Unknown key, inactive merchant
 * or wrong secret: err AUTH "Invalid API credentials"; database down: err UNAVAILABLE. */
int merchant_authenticate(struct db *db, const char *api_key, const char *api_secret,
                          struct merchant *out, struct gw_err *err);

/* SPEC 12.2: INSERT … ON CONFLICT DO NOTHING of the test merchant. */
int merchant_seed_test(struct db *db, const struct cfg *cfg, struct gw_err *err);

/* SPEC 16: new active merchant with random credentials and a PBKDF2 password hash.
 * out->api_secret and out->webhook_secret hold the new values. Duplicate email: err CONFLICT
 * "merchant with this email already exists". Inputs are validated by the caller. */
int merchant_create(struct db *db, const char *name, const char *email, const char *password,
                    struct merchant *out, struct gw_err *err);

/* New api_key and api_secret for the merchant whose id (a UUID) or email (case-insensitive)
 * is given, ending its dashboard sessions; err NOT_FOUND "Merchant not found" when there is none. */
int merchant_rotate_keys(struct db *db, const char *id_or_email, struct merchant *out,
                         struct gw_err *err);

/* New PBKDF2 password hash for the merchant whose id or email (case-insensitive) is given; its
 * dashboard sessions end. err NOT_FOUND "Merchant not found" when there is none. The password
 * is validated by the caller. */
int merchant_set_password(struct db *db, const char *id_or_email, const char *password,
                          struct merchant *out, struct gw_err *err);

/* *active when the seeded merchant is active with the published key pair (a production warning). */
/* gatewayctl merchant activate|deactivate: out receives {"id","email","is_active"};
 * GW_E_NOT_FOUND for an unknown id or e-mail. Deactivation ends the dashboard sessions. */
int merchant_set_active(struct db *db, const char *id_or_email, bool active, struct buf *out,
                        struct gw_err *err);
/* gatewayctl merchant list: one JSON object per line, oldest first: id, name, email, api_key,
 * is_active, webhook_url, password_set, created_at (never a secret). */
int merchant_list_lines(struct db *db, struct buf *out, struct gw_err *err);
int merchant_test_pair_active(struct db *db, bool *active, struct gw_err *err);

/* Active merchant by email (case-insensitive) for the dashboard login. *password_hash is a new
 * string (caller frees) or NULL when the column is NULL; *found false when there is none. */
int merchant_find_for_login(struct db *db, const char *email, struct merchant *out,
                            char **password_hash, bool *found, struct gw_err *err);

/* Sets webhook_url (NULL clears it) and returns the updated merchant; err NOT_FOUND
 * "Merchant not found" when the id does not exist. */
int merchant_set_webhook_url(struct db *db, const char *id, const char *url_or_null,
                             struct merchant *out, struct gw_err *err);

/* New webhook_secret (SPEC 21.3: whsec_ + standard base64 of 32 random bytes), stored and
 * copied to out. */
int merchant_new_webhook_secret(struct db *db, const char *id, char out[65], struct gw_err *err);

/* Merchant whose email is exactly email (GET /api/v1/test/merchant); *found false if none. */
int merchant_test_lookup(struct db *db, const char *email, struct merchant *out, bool *found,
                         struct gw_err *err);

/* Representations. Profile (SPEC 6.7): id, name, email, api_key, webhook_url, webhook_secret,
 * created_at. Credentials (dashboard session): id, name, email, api_key, api_secret. Created
 * (ctl merchant create): the credentials and webhook_secret. */
void merchant_write_json(struct jw *w, const struct merchant *m);
void merchant_write_credentials_json(struct jw *w, const struct merchant *m);
void merchant_write_created_json(struct jw *w, const struct merchant *m);

#endif /* GW_MERCHANT_H */

/* h_dashboard.c: dashboard login, session and logout (SPEC 13.1). */
#include "handlers.h"

#include "crypto.h"
#include "jsonh.h"
#include "merchant.h"
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
h_set_cookie(struct http_req *req, struct http_resp *resp, const char *token, int max_age)
{
    char v[256];

    (void)snprintf(v, sizeof(v), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
                   SESSION_COOKIE, token, max_age, req->https ? "; Secure" : "");
    http_resp_set_header(resp, "Set-Cookie", v);
}

static void
h_retry_after(struct http_resp *resp, int seconds)
{
    char v[16];

    (void)snprintf(v, sizeof(v), "%d", seconds);
    http_resp_set_header(resp, "Retry-After", v);
}

/* {"merchant":{"id","name","email","api_key","api_secret"},"csrf_token":"…"} */
static int
h_session_body(struct http_resp *resp, const struct merchant *m, const char *csrf,
               struct gw_err *err)
{
    struct jw w;

    resp->status = 200;
    buf_reset(&resp->body);
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "merchant");
    merchant_write_credentials_json(&w, m);
    jw_key(&w, "csrf_token");
    jw_str(&w, csrf);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise session");
    }
    return 0;
}

int
h_dashboard_login_parse(struct json_object *body, const char **email, bool *plain,
                        const char **password, size_t *plen, struct gw_err *err)
{
    struct json_object *jemail = NULL, *jpass = NULL;

    *email = NULL;
    *plain = false;
    *password = "";
    *plen = 0;
    if (!json_object_object_get_ex(body, "email", &jemail)
        || !json_object_is_type(jemail, json_type_string)) {
        return GW_ERR(err, BAD_REQUEST, "email is required");
    }
    if (json_object_object_get_ex(body, "password", &jpass)) {
        if (!json_object_is_type(jpass, json_type_string)) {
            return GW_ERR(err, BAD_REQUEST, "password must be a string");
        }
        *password = json_object_get_string(jpass);
        *plen = (size_t)json_object_get_string_len(jpass);
    }
    *email = json_object_get_string(jemail);
    *plain = strlen(*email) == (size_t)json_object_get_string_len(jemail) && (*email)[0] != '\0';
    return 0;
}

int
h_dashboard_login(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    const char *email, *password = "";
    size_t plen = 0;
    struct merchant m;
    char *hash = NULL;
    bool found = false, ok = false, plain;
    int retry_after = 0;
    char token[SESSION_TOKEN_SZ], csrf[SESSION_CSRF_LEN + 1];
    int ret = -1;

    memset(&m, 0, sizeof(m));
    if (h_dashboard_login_parse(req->body, &email, &plain, &password, &plen, err) != 0) {
        return -1;
    }
    if (plain) {
        if (login_blocked(req->app->db, email, &retry_after, err) != 0) {
            goto out;
        }
        if (retry_after > 0) {
            h_retry_after(resp, retry_after);
            ret = GW_ERR(err, RATE_LIMIT, "Too many requests");
            goto out;
        }
        if (merchant_find_for_login(req->app->db, email, &m, &hash, &found, err) != 0) {
            goto out;
        }
    }
    if (found && hash == NULL && req->app->cfg->test_mode) {
        ok = true; /* the seeded merchant: any password, a TEST_MODE convenience (SPEC 13.1) */
    } else if (found && hash != NULL) {
        ok = strlen(password) == plen && crypto_password_verify(password, hash);
    } else {
        crypto_password_dummy(password); /* unknown e-mail, or no password set yet */
    }
    if (!ok) {
        if (plain && login_failed(req->app->db, email, err) != 0) {
            goto out;
        }
        ret = GW_ERR(err, AUTH, "Invalid email or password");
        goto out;
    }
    if (session_create(req->app->db, m.id, token, csrf, err) != 0) {
        goto out;
    }
    h_set_cookie(req, resp, token, SESSION_TTL_SECONDS);
    ret = h_session_body(resp, &m, csrf, err);
    crypto_wipe(token, sizeof(token));
    crypto_wipe(csrf, sizeof(csrf));
out:
    free(hash);
    crypto_wipe(&m, sizeof(m));
    return ret;
}

/* GET /api/v1/dashboard/config (public): what the login page may say (SPEC 13.1). */
int
h_dashboard_config(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    struct jw w;

    resp->status = 200;
    buf_reset(&resp->body);
    jw_init(&w, &resp->body);
    jw_obj_begin(&w);
    jw_key(&w, "test_mode");
    jw_bool(&w, req->app->cfg->test_mode);
    jw_obj_end(&w);
    if (jw_finish(&w) != 0) {
        return GW_ERR(err, INTERNAL, "cannot serialise config");
    }
    return 0;
}

int
h_dashboard_session(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    if (!req->authenticated || !req->via_session) {
        return GW_ERR(err, AUTH, "Invalid API credentials");
    }
    return h_session_body(resp, &req->merchant, req->session_csrf, err);
}

int
h_dashboard_logout(struct http_req *req, struct http_resp *resp, struct gw_err *err)
{
    const char *token = http_req_session_token(req);
    const char *got = http_req_header(req, "X-CSRF-Token");
    char csrf[SESSION_CSRF_LEN + 1];
    struct merchant m;
    bool found = false;
    int ret = -1;

    if (token != NULL && session_token_wellformed(token)) {
        if (session_lookup(req->app->db, token, &m, csrf, &found, err) != 0) {
            goto out;
        }
        if (found) {
            if (http_req_header_count(req, "X-CSRF-Token") != 1 || got == NULL
                || !crypto_ct_equal(got, strlen(got), csrf, strlen(csrf))) {
                ret = GW_ERR(err, CSRF, "Invalid CSRF token");
                goto out;
            }
            if (session_delete(req->app->db, token, err) != 0) {
                goto out;
            }
        }
    }
    h_set_cookie(req, resp, "", 0);
    resp->status = 204;
    buf_reset(&resp->body);
    ret = 0;
out:
    crypto_wipe(csrf, sizeof(csrf));
    crypto_wipe(&m, sizeof(m));
    return ret;
}

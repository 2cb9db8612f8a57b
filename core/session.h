/* session.h: dashboard sessions (SPEC 13.1). The cookie token is 32 random bytes, unpadded
 * base64url (43 characters); only its SHA-256 hex is stored. Sessions last 12 hours. */
#ifndef GW_SESSION_H
#define GW_SESSION_H

#include "db.h"
#include "gw.h"
#include "model.h"

#include <stdbool.h>

#define SESSION_COOKIE      "gw_session"
#define SESSION_TTL_SECONDS 43200
#define SESSION_TOKEN_BYTES 32
#define SESSION_TOKEN_SZ    48 /* 43 characters + NUL, rounded */
#define SESSION_CSRF_LEN    32

/* New session for merchant_id: token (cookie value) and csrf (32 alphanumerics) are filled. */
int session_create(struct db *db, const char *merchant_id, char token[SESSION_TOKEN_SZ],
                   char csrf[SESSION_CSRF_LEN + 1], struct gw_err *err);

/* Looks the token up: an unexpired session of an active merchant fills out and csrf and sets
 * *found; anything else (malformed token included) leaves *found false. Database down: err
 * UNAVAILABLE. */
int session_lookup(struct db *db, const char *token, struct merchant *out,
                   char csrf[SESSION_CSRF_LEN + 1], bool *found, struct gw_err *err);

/* Deletes the session of token (nothing when there is none). */
int session_delete(struct db *db, const char *token, struct gw_err *err);

/* Deletes every session of the merchant (key rotation, new password). */
int session_delete_merchant(struct db *db, const char *merchant_id, struct gw_err *err);

/* Login throttling per e-mail (SPEC 17): LOGIN_MAX_FAILURES failed logins within
 * LOGIN_WINDOW_SECONDS block the e-mail (matched case-insensitively) for LOGIN_WINDOW_SECONDS.
 * login_blocked sets *retry_after to the seconds left (>= 1) of a block, 0 when there is none. */
#define LOGIN_MAX_FAILURES   10
#define LOGIN_WINDOW_SECONDS 900
int login_blocked(struct db *db, const char *email, int *retry_after, struct gw_err *err);
/* Records one failed login of email and starts the block when it is the tenth in the window. */
int login_failed(struct db *db, const char *email, struct gw_err *err);

/* True when token looks like one of ours (43 base64url characters). */
bool session_token_wellformed(const char *token);

#endif /* GW_SESSION_H */

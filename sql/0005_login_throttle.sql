-- 0005_login_throttle.sql: failed dashboard logins per e-mail (SPEC 17, v2): an e-mail with 10
-- failed logins within 15 minutes answers 429 for the next 15 minutes, whatever the password.
-- Keys are the SHA-256 hex of the lower-cased e-mail, so no attacker-chosen text is stored.
-- The worker's hourly housekeeping deletes failures older than the window and ended blocks.

CREATE TABLE login_failures (
    email_hash CHAR(64) NOT NULL,
    failed_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX idx_login_failures_email_hash ON login_failures (email_hash, failed_at);
CREATE INDEX idx_login_failures_failed_at ON login_failures (failed_at);

CREATE TABLE login_blocks (
    email_hash CHAR(64) PRIMARY KEY,
    blocked_until TIMESTAMP NOT NULL
);

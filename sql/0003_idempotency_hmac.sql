-- 0003_idempotency_hmac.sql: the installation secret that keys idempotency fingerprints
-- (SPEC 9 v2: HMAC-SHA256, so a stored fingerprint cannot confirm a guessed card number or CVV).
-- The 32 random bytes come from OpenSSL RAND_bytes in the migrator (core/migrate.c), which
-- hands every migration a fresh value as the transaction-local setting
-- gateway.migration_random (64 hex digits); the secret lives only in this table.

CREATE TABLE IF NOT EXISTS installation_secrets (
    name VARCHAR(64) PRIMARY KEY,
    value BYTEA NOT NULL CHECK (octet_length(value) = 32),
    created_at TIMESTAMP NOT NULL DEFAULT now()
);

INSERT INTO installation_secrets (name, value)
VALUES ('idempotency_fingerprint', decode(current_setting('gateway.migration_random'), 'hex'))
ON CONFLICT (name) DO NOTHING;

-- Fingerprints made with plain SHA-256 cannot be re-keyed; records expire within 24 h anyway.
DELETE FROM idempotency_keys;

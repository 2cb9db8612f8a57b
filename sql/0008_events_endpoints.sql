-- 0008_events_endpoints.sql: events and webhook endpoints (SPEC 21, v2). Applied once by
-- `gatewayctl db migrate` inside a transaction and recorded in schema_migrations; never edit
-- after release.
--
-- events: every event of SPEC 11.1, recorded in the transaction that causes it whether or not
-- the merchant has a webhook_url or endpoint. payload is the exact text of SPEC 11.2 (the same
-- bytes as the legacy endpoint's webhook_logs row, when there is one); created_at is the same
-- microsecond value as that row's, so `created` (whole seconds) equals the payload's timestamp.
-- fanout_pending is true when the merchant had an enabled endpoint at insert time: the worker
-- then creates one endpoint_deliveries row per subscribed endpoint and clears it (the partial
-- index keeps that scan bounded by the work in flight). Removed after EVENT_RETENTION_DAYS by
-- housekeeping, with their deliveries and attempts (ON DELETE CASCADE).
--
-- webhook_logs stays what it was: the deliveries to the legacy endpoint (the merchant's single
-- webhook_url, SPEC 6.6 and 11), created only while a URL is set, unchanged.
CREATE TABLE events (
    id VARCHAR(64) PRIMARY KEY,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    type VARCHAR(50) NOT NULL,
    object_id VARCHAR(64),
    payload JSON NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    fanout_pending BOOLEAN NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX uq_events_object_type ON events (object_id, type);
CREATE INDEX idx_events_merchant_created ON events (merchant_id, created_at DESC, id DESC);
-- housekeeping's scan by age: BRIN, nearly free to maintain on this append-only, time-ordered table
CREATE INDEX idx_events_created_at ON events USING brin (created_at);
CREATE INDEX idx_events_fanout_pending ON events (created_at) WHERE fanout_pending;

-- webhook_endpoints: a merchant's receivers (at most 16, enforced by the creating statement).
-- secret / previous_secret are stored as issued (whsec_ + base64 of 32 bytes): the worker signs
-- with them. failing_since is the first failed attempt after the last success (NULL while the
-- endpoint succeeds): the disable-after rule of SPEC 21.3 reads it.
CREATE TABLE webhook_endpoints (
    id VARCHAR(64) PRIMARY KEY,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    url TEXT NOT NULL,
    description VARCHAR(255),
    enabled_events TEXT[] NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    disabled_reason VARCHAR(20) CHECK (disabled_reason IN ('manual', 'failing', 'gone')),
    rate_limit INTEGER CHECK (rate_limit BETWEEN 1 AND 1000),
    ordering VARCHAR(20) NOT NULL DEFAULT 'unordered' CHECK (ordering IN ('unordered', 'fifo')),
    secret VARCHAR(128) NOT NULL,
    previous_secret VARCHAR(128),
    previous_secret_expires_at TIMESTAMP,
    failing_since TIMESTAMP,
    last_success_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX idx_webhook_endpoints_merchant ON webhook_endpoints (merchant_id, created_at DESC, id DESC);

-- endpoint_deliveries: one per (event, endpoint). attempts counts the current cycle (a resend or
-- recover starts a new one at 0); status pending / success / failed (for good); due when pending
-- and next_at <= now(); claimed like webhook_logs (locked_until).
CREATE TABLE endpoint_deliveries (
    id BIGSERIAL PRIMARY KEY,
    event_id VARCHAR(64) NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id VARCHAR(64) NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    merchant_id UUID NOT NULL REFERENCES merchants(id),
    status VARCHAR(20) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TIMESTAMP NOT NULL DEFAULT now(),
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMP NOT NULL DEFAULT now(),
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX idx_endpoint_deliveries_due ON endpoint_deliveries (next_at) WHERE status = 'pending';
CREATE INDEX idx_endpoint_deliveries_endpoint ON endpoint_deliveries (endpoint_id, event_id);

-- webhook_attempts: every HTTP attempt to an endpoint (SPEC 21.2), response_body bounded to the
-- first 1000 bytes by the worker (SPEC 11.3 rules).
CREATE TABLE webhook_attempts (
    id VARCHAR(64) PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES endpoint_deliveries(id) ON DELETE CASCADE,
    endpoint_id VARCHAR(64) NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id VARCHAR(64) NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    started_at TIMESTAMP NOT NULL,
    duration_ms INTEGER NOT NULL,
    response_code INTEGER,
    response_body TEXT,
    error TEXT,
    created_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX idx_webhook_attempts_endpoint ON webhook_attempts (endpoint_id, created_at DESC, id DESC);
CREATE INDEX idx_webhook_attempts_delivery ON webhook_attempts (delivery_id);
CREATE INDEX idx_webhook_attempts_event ON webhook_attempts (event_id);

-- 0012_attempts_keys.sql: foreign keys that only repeated another's, checked once per row on the
-- delivery path (auto_explain and pg_stat_statements on bench/webhooks.sh ep-ten).
-- * A webhook attempt's endpoint_id and event_id are copies of its delivery's, written with it
--   by the endpoint turn (core/epdelivery.c, epd_turn, the only writer) and kept so that an
--   endpoint's attempts list is one index range. Deleting an event or an endpoint deletes its
--   deliveries (ON DELETE CASCADE), and those their attempts through delivery_id, so the two
--   keys (and idx_webhook_attempts_event, read only by the event key's cascade) added nothing
--   but a lookup per attempt: 3.6 of a 64-delivery turn's 12.9 ms went to the three checks.
-- * An endpoint delivery's merchant_id is its event's, copied by the fan-out (epd_fanout, the
--   only writer); the event's own key guarantees the merchant, and merchants are never
--   deleted. Its check was one of the fan-out's three lookups per delivery.
-- The keys that cascade (attempt -> delivery, delivery -> event and endpoint) stay.
-- Applied once by `gatewayctl db migrate` inside a transaction; never edit after release.
ALTER TABLE webhook_attempts DROP CONSTRAINT IF EXISTS webhook_attempts_endpoint_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT IF EXISTS webhook_attempts_event_id_fkey;
DROP INDEX IF EXISTS idx_webhook_attempts_event;
ALTER TABLE endpoint_deliveries DROP CONSTRAINT IF EXISTS endpoint_deliveries_merchant_id_fkey;

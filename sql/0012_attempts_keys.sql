-- 0012_attempts_keys.sql: a webhook attempt's endpoint_id and event_id are copies of its
-- delivery's, written with it by the endpoint turn (core/epdelivery.c, epd_turn, the only writer)
-- and kept so that an endpoint's attempts list is one index range. Their own foreign keys added
-- nothing the delivery's does not: deleting an event or an endpoint deletes its deliveries
-- (ON DELETE CASCADE), and those their attempts through delivery_id. But each key was a lookup
-- per attempt in the turn's commit (with idx_webhook_attempts_event, which only the event key's
-- cascade read): 3.6 of a 64-delivery turn's 12.9 ms went to the three key checks (auto_explain
-- on bench/webhooks.sh ep-ten). The delivery_id key and its cascade stay.
-- Applied once by `gatewayctl db migrate` inside a transaction; never edit after release.
ALTER TABLE webhook_attempts DROP CONSTRAINT IF EXISTS webhook_attempts_endpoint_id_fkey;
ALTER TABLE webhook_attempts DROP CONSTRAINT IF EXISTS webhook_attempts_event_id_fkey;
DROP INDEX IF EXISTS idx_webhook_attempts_event;

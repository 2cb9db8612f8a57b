-- 0009_endpoint_inflight.sql: the endpoint turn (core/epdelivery.c, epd_turn) counts each
-- candidate endpoint's deliveries in flight (pending, claimed until a future time) and, for fifo
-- endpoints, looks for an older pending delivery. Through idx_endpoint_deliveries_endpoint both
-- read every delivery the endpoint ever had, so a turn grew with the backlog (570 ms with 21,000
-- pending, found by tests/faults/fanout.test.mjs). This index holds only pending deliveries,
-- ordered by their claim, so the in-flight count is a short range scan.
-- Applied once by `gatewayctl db migrate` inside a transaction; never edit after release.
CREATE INDEX IF NOT EXISTS idx_endpoint_deliveries_pending
    ON endpoint_deliveries (endpoint_id, locked_until) WHERE status = 'pending';

-- 0011_endpoint_merchant_due.sql: the endpoint turn (core/epdelivery.c, epd_turn) finds due
-- deliveries merchant by merchant. Through idx_endpoint_deliveries_due (0008, ordered by
-- next_at alone) every turn read past the due deliveries of merchants whose attempt slots were
-- full: with merchant B's receivers hanging, B's 10,000 due deliveries headed the index and
-- each turn fetched them all to reach merchant A's (A at 0.69 of its rate alone, found by
-- bench/webhooks.sh ep-hang). This index, ordered by merchant, lets the turn step from one
-- merchant with pending deliveries to the next (one descent each), pass over a full merchant
-- without reading its rows, and read a merchant's oldest due deliveries first. It replaces the
-- due index: nothing else reads deliveries by next_at alone, and the count of pending
-- deliveries (core/counts.c) is served as well by this one.
-- Applied once by `gatewayctl db migrate` inside a transaction; never edit after release.
CREATE INDEX IF NOT EXISTS idx_endpoint_deliveries_merchant_due
    ON endpoint_deliveries (merchant_id, next_at) WHERE status = 'pending';
DROP INDEX IF EXISTS idx_endpoint_deliveries_due;

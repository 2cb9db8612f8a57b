-- 0010_endpoint_claimed.sql: the endpoint turn (core/epdelivery.c, epd_turn) counts each
-- candidate endpoint's claimed deliveries (locked_until in the future) once per turn. Through
-- idx_endpoint_deliveries_pending (0009) that count was at the planner's mercy: with statistics
-- taken while nothing was pending, idx_endpoint_deliveries_due (same predicate, smaller) looked
-- as cheap and every turn then read all pending deliveries (a burst of 20,000 made a turn cost
-- 10-40 ms, found by bench/webhooks.sh). This index holds only claimed or lapsed rows (recording
-- a result or releasing a claim clears locked_until), and the turn's count matches no other
-- partial index, so it is the one way in whatever the statistics say. 0009's index stays: the
-- fifo check reads an endpoint's pending deliveries through it.
-- Applied once by `gatewayctl db migrate` inside a transaction; never edit after release.
CREATE INDEX IF NOT EXISTS idx_endpoint_deliveries_claimed
    ON endpoint_deliveries (endpoint_id, locked_until) WHERE locked_until IS NOT NULL;

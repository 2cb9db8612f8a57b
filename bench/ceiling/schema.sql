-- The ceiling's table: the columns, defaults, CHECKs and indexes of payments (LIKE … INCLUDING
-- ALL) plus the same foreign keys, so that its one INSERT costs what the product's row costs.
DROP TABLE IF EXISTS bench_ceiling_payments;
CREATE TABLE bench_ceiling_payments (LIKE payments INCLUDING ALL);
ALTER TABLE bench_ceiling_payments
    ADD FOREIGN KEY (order_id) REFERENCES orders (id),
    ADD FOREIGN KEY (merchant_id) REFERENCES merchants (id);

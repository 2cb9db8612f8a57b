-- pgbench baseline: the same row POST /api/v1/orders writes, inserted directly.
INSERT INTO orders (id, merchant_id, amount, currency, receipt, notes)
VALUES ('order_' || substr(md5(random()::text), 1, 16), '550e8400-e29b-41d4-a716-446655440000',
        50000, 'INR', 'bench', '{"source":"wrk"}');

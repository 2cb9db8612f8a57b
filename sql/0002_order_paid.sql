-- 0002_order_paid.sql: order lifecycle created -> paid (SPEC 6.2, 10.3 v2). Applied once by
-- `gatewayctl db migrate` inside a transaction and recorded in schema_migrations; never edit
-- after release.
--
-- From this version on, the worker moves an order to `paid` in the same conditional statement
-- that settles its first successful payment, and any later successful bank outcome for the
-- same order ends `failed` / ORDER_ALREADY_PAID. Run it with the workers of the previous
-- version stopped (they settle without moving the order).

-- 1. Orders that already have a successful payment are paid (their updated_at is the first
--    success's).
UPDATE orders o
SET status = 'paid',
    updated_at = s.first_success
FROM (SELECT order_id, min(updated_at) AS first_success
      FROM payments WHERE status = 'success' GROUP BY order_id) s
WHERE o.id = s.order_id AND o.status IS DISTINCT FROM 'paid';

-- 2. Only the two known statuses from now on (NULL never written by the gateway).
UPDATE orders SET status = 'created' WHERE status IS NULL;
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('created', 'paid'));

-- 3. Database backstop: at most one successful payment per order. The settling statement never
--    trips it (it only succeeds a payment whose order it moved from `created` to `paid`). Orders
--    that were already charged more than once before this version (the defect it fixes) are
--    left out of the index by name so that the upgrade does not fail on them; they are `paid`
--    after step 1, so no further payment of theirs can succeed.
DO $$
DECLARE
    dup text;
BEGIN
    SELECT string_agg(quote_literal(order_id), ', ' ORDER BY order_id) INTO dup
    FROM (SELECT order_id FROM payments WHERE status = 'success'
          GROUP BY order_id HAVING count(*) > 1) d;
    IF dup IS NULL THEN
        CREATE UNIQUE INDEX uq_payments_order_success ON payments (order_id)
            WHERE status = 'success';
    ELSE
        RAISE WARNING 'orders already paid more than once, left out of uq_payments_order_success: %',
            dup;
        EXECUTE 'CREATE UNIQUE INDEX uq_payments_order_success ON payments (order_id) '
            || 'WHERE status = ''success'' AND order_id NOT IN (' || dup || ')';
    END IF;
END
$$;

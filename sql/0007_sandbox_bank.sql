-- 0007_sandbox_bank.sql: the sandbox bank (SPEC 22). Applied once by `gatewayctl db migrate`
-- inside a transaction; never edit after release.
--
-- - status `requires_action`: a 3-D Secure challenge waits for the shopper (approve -> pending,
--   deny or 15 minutes -> failed AUTHENTICATION_FAILED).
-- - bank_scenario: the outcome class of a magic test value, decided at creation from the card
--   number or VPA in memory (success, declined, insufficient, expired, cvc, processing, threeds,
--   timeout, timeout_fail); NULL for every other number. Never the number itself.
-- - bank_requery_at: set while the bank's answer is unknown (the payment stays `pending`): when
--   the reconciler asks the bank again; bank_requeries counts the re-queries made (at most 5).
--   Such a payment is the reconciler's: the recovery sweeps leave it alone.
-- - bank_outcome: what the simulated bank decided for a call whose answer was lost, so a
--   re-query or a late answer reports the same decision.
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'requires_action', 'success', 'failed'));
ALTER TABLE payments ADD COLUMN IF NOT EXISTS bank_scenario VARCHAR(16);
ALTER TABLE payments ADD COLUMN IF NOT EXISTS bank_requery_at TIMESTAMP;
ALTER TABLE payments ADD COLUMN IF NOT EXISTS bank_requeries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN IF NOT EXISTS bank_outcome VARCHAR(8);
-- The reconciler's and the expiry sweep's reads.
CREATE INDEX IF NOT EXISTS idx_payments_bank_requery ON payments (bank_requery_at)
    WHERE status = 'pending' AND bank_requery_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_payments_requires_action ON payments (created_at)
    WHERE status = 'requires_action';

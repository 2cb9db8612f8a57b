-- 0006: taken_at on payments and refunds (issue 10, point 9c). A worker sets it when it takes
-- the job from its waiting list (core/settle.c settle_take); the unpushed sweep (core/sweep.c)
-- re-enqueues, within seconds, pending rows that no worker took: an API process killed
-- between COMMIT and its Redis pushes. Not indexed, so the worker's UPDATE can stay HOT; the
-- sweep reads the existing partial index on (enqueued_at) WHERE status = 'pending'.
ALTER TABLE payments ADD COLUMN IF NOT EXISTS taken_at TIMESTAMP;
ALTER TABLE refunds ADD COLUMN IF NOT EXISTS taken_at TIMESTAMP;

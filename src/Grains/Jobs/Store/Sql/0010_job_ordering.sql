-- A trigger with ordering: its jobs of one partition (or message key) share an order key and run one at a time, in
-- queue order. The index finds a job's unfinished predecessors.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS order_key text;
CREATE INDEX IF NOT EXISTS jobs_ordered ON jobs (order_key, seq) WHERE order_key IS NOT NULL AND status IN ('queued', 'running');

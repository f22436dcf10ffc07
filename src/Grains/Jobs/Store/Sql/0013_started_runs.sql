-- Lost runs are runs that started. A worker claims jobs a few at a time and its slots take them in claim order, so one
-- number per worker says which of its claims started: claim_ordinal numbers a job among its worker's claims, and
-- job_workers.started_through is the highest ordinal a slot has taken (written as it is taken, merged across slots).
-- When a worker dies, its claims up to that number count as lost runs; claims beyond it were waiting in its buffer and
-- go back without counting (lost_claims counts every claim lost, started or not, as a bound of its own).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS claim_ordinal bigint;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lost_claims integer NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS job_workers (
    worker_id text PRIMARY KEY,
    started_through bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Runs that ended without an outcome (the worker died, stopped or could not record it). A job lost too often
-- fails instead of running again, so a job that kills or wedges its worker cannot loop for ever.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lost_runs integer NOT NULL DEFAULT 0;

-- Retention removes finished jobs oldest first; this index finds them without reading the rest of the history.
CREATE INDEX IF NOT EXISTS jobs_finished_by_age ON jobs (completed_at) WHERE status IN ('success', 'failure');

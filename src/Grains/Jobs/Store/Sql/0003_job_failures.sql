-- Retries, error handlers and flows: a failed run can be queued again for later, a job links to the job
-- that handles its failure (and back), and a flow's steps link to the flow's job.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS scheduled_for        timestamptz;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS attempt_history      jsonb NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS flow_job_id          uuid;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS error_handler_job_id uuid;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS failed_job_id        uuid;

CREATE INDEX IF NOT EXISTS jobs_by_flow ON jobs (flow_job_id, seq) WHERE flow_job_id IS NOT NULL;

-- A candidate layout for issue 12 (not used by the service): a job's definition, its place in the queue and its outcome
-- in three tables, so a claim rewrites only a small queue row (HOT: no indexed column changes) and a completion moves
-- the job out of the queue instead of rewriting its wide row in every index.
CREATE TABLE job_defs (id uuid PRIMARY KEY, workspace_id text NOT NULL, script_path text NOT NULL, is_flow boolean NOT NULL DEFAULT false,
  args jsonb, event jsonb, trigger_kind text, trigger_path text, created_at timestamptz NOT NULL, flow_job_id uuid, job_kind text);
CREATE INDEX ON job_defs (workspace_id, created_at DESC);
CREATE INDEX ON job_defs (workspace_id, trigger_path, created_at DESC) WHERE trigger_path IS NOT NULL;
CREATE INDEX ON job_defs (workspace_id, script_path, created_at DESC);
CREATE TABLE job_queue (id uuid PRIMARY KEY, seq bigserial NOT NULL, status text NOT NULL DEFAULT 'queued', claimed_by text, lease_until timestamptz,
  attempts int NOT NULL DEFAULT 0, scheduled_for timestamptz, held boolean NOT NULL DEFAULT false, order_key text, started_at timestamptz,
  lost_runs int NOT NULL DEFAULT 0, attempt_history jsonb NOT NULL DEFAULT '[]') WITH (fillfactor = 50);
CREATE INDEX ON job_queue (seq);
CREATE TABLE job_done (id uuid PRIMARY KEY, status text NOT NULL, result jsonb, logs text, error jsonb, started_at timestamptz, completed_at timestamptz NOT NULL,
  attempts int NOT NULL, attempt_history jsonb NOT NULL, script_hash text, lost_runs int NOT NULL DEFAULT 0);
CREATE INDEX ON job_done (completed_at);

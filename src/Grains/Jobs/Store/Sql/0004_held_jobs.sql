-- Jobs of a suspended trigger are queued but held: workers skip them until the trigger is enabled again.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS held boolean NOT NULL DEFAULT false;

CREATE INDEX IF NOT EXISTS jobs_held ON jobs (workspace_id, trigger_path) WHERE held;

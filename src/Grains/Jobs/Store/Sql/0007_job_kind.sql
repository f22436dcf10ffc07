-- Jobs that are not a run of their script: 'dependencies' resolves a script's packages into its lock.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS job_kind text;

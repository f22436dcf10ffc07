-- Which version of its script a job's last run ran (Windmill's script_hash): a script saved again while its jobs
-- run leaves each job saying what it ran.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS script_hash text;

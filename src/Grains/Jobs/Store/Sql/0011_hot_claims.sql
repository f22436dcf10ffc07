-- A claim no longer changes a job's status: a claimed job stays 'queued' with claimed_by set (JobRows.Running). status
-- is in the partial indexes' predicates, so changing it wrote a new entry in every index of jobs; a claim that sets only
-- the claim's columns is a HOT update, given room on the row's page, which the lower fill factor keeps for new pages.
-- 'running' rows left by an earlier version (or written by one during a rolling upgrade) still count as running.
UPDATE jobs SET status = 'queued' WHERE status = 'running';
ALTER TABLE jobs SET (fillfactor = 70);

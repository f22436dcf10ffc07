-- A claim no longer changes a job's status: a claimed job stays 'queued' with claimed_by set (JobRows.Running). status
-- is in the partial indexes' predicates, so changing it wrote a new entry in every index of jobs; a claim that sets only
-- the claim's columns is a HOT update, given room on the row's page, which the lower fill factor keeps for new pages.
-- Rows an earlier version left 'running' count as running as they are (so they are not rewritten here). Silos of an
-- earlier version would claim a claimed 'queued' job again: stop them all before the first silo of this one starts.
ALTER TABLE jobs SET (fillfactor = 70);

\set w random(1, 1000000)
INSERT INTO jobs (id, workspace_id, script_path, is_flow, args, event, trigger_kind, trigger_path, created_at, held, order_key, status)
SELECT gen_random_uuid(), 'ws', 'f/bench', false, NULL, jsonb_build_object('kind','kafka','topic','bench','partition',1,'offset',g,'payload','aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=','timestamp',now(),'key',null,'headers','{}'::jsonb), 'kafka', 'f/trig', now(), false, NULL, 'queued' FROM generate_series(1,10) g;
WITH claimed AS (
  UPDATE jobs SET status = 'queued', attempts = attempts + 1, started_at = now(), claimed_by = 'w' || :w, lease_until = now() + interval '5 min',
         lost_runs = lost_runs + CASE WHEN claimed_by IS NOT NULL THEN 1 ELSE 0 END
  WHERE id IN (SELECT id FROM jobs WHERE jobs.status IN ('queued', 'running')
     AND ((jobs.claimed_by IS NULL AND NOT held AND (scheduled_for IS NULL OR scheduled_for <= now())) OR (jobs.claimed_by IS NOT NULL AND lease_until < now()))
     AND (order_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs earlier WHERE earlier.order_key = jobs.order_key AND earlier.seq < jobs.seq AND earlier.status IN ('queued','running')))
     ORDER BY seq LIMIT 10 FOR UPDATE SKIP LOCKED)
  RETURNING id, attempts)
SELECT coalesce(array_agg(id)::text, '{}') AS ids FROM claimed \gset
UPDATE jobs SET status = 'success', result = '5'::jsonb, logs = '', error = NULL, started_at = now(), completed_at = now(), scheduled_for = NULL,
  attempt_history = jobs.attempt_history || jsonb_build_array(jsonb_build_object('succeeded', true) || jsonb_build_object('attempt', jobs.attempts)),
  claimed_by = NULL, lease_until = NULL, script_hash = 'abcdef0123456789'
WHERE jobs.id = ANY(:ids::uuid[]) AND jobs.status IN ('queued', 'running') AND jobs.claimed_by IS NOT NULL AND jobs.claimed_by = 'w' || :w;

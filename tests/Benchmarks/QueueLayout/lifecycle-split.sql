\set w random(1, 1000000)
WITH d AS (INSERT INTO job_defs (id, workspace_id, script_path, is_flow, args, event, trigger_kind, trigger_path, created_at)
SELECT gen_random_uuid(), 'ws', 'f/bench', false, NULL, jsonb_build_object('kind','kafka','topic','bench','partition',1,'offset',g,'payload','aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=','timestamp',now(),'key',null,'headers','{}'::jsonb), 'kafka', 'f/trig', now() FROM generate_series(1,10) g
ON CONFLICT (id) DO NOTHING RETURNING id)
INSERT INTO job_queue (id) SELECT id FROM d;
WITH claimed AS (
  UPDATE job_queue SET status = 'running', attempts = attempts + 1, started_at = now(), claimed_by = 'w' || :w, lease_until = now() + interval '5 min',
         lost_runs = lost_runs + CASE WHEN status = 'running' THEN 1 ELSE 0 END
  WHERE id IN (SELECT id FROM job_queue q WHERE ((status = 'queued' AND NOT held AND (scheduled_for IS NULL OR scheduled_for <= now())) OR (status = 'running' AND lease_until < now()))
     AND (order_key IS NULL OR NOT EXISTS (SELECT 1 FROM job_queue earlier WHERE earlier.order_key = q.order_key AND earlier.seq < q.seq))
     ORDER BY seq LIMIT 10 FOR UPDATE SKIP LOCKED)
  RETURNING id, attempts)
SELECT coalesce(array_agg(c.id)::text, '{}') AS ids, sum(length(d.event::text)) AS n FROM claimed c JOIN job_defs d USING (id) \gset
WITH q AS (DELETE FROM job_queue WHERE id = ANY(:ids::uuid[]) AND status = 'running' AND claimed_by = 'w' || :w RETURNING id, attempts, started_at, attempt_history, lost_runs)
INSERT INTO job_done (id, status, result, logs, error, started_at, completed_at, attempts, attempt_history, script_hash, lost_runs)
SELECT id, 'success', '5'::jsonb, '', NULL, started_at, now(), attempts, attempt_history || jsonb_build_array(jsonb_build_object('succeeded', true) || jsonb_build_object('attempt', attempts)), 'abcdef0123456789', lost_runs FROM q;

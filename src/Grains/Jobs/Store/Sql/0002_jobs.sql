-- Job queue and history in one table: a job is claimed by flipping its status, and a partial index keeps
-- the claim query looking only at unfinished jobs however long the history grows.
CREATE TABLE IF NOT EXISTS jobs (
    seq           bigserial   NOT NULL,          -- queue order; per partition it follows offset order
    id            uuid        PRIMARY KEY,       -- deterministic for Kafka messages, so redelivery is a no-op
    workspace_id  text        NOT NULL,
    script_path   text        NOT NULL,
    is_flow       boolean     NOT NULL DEFAULT false,
    args          jsonb,
    event         jsonb,
    status        text        NOT NULL CHECK (status IN ('queued', 'running', 'success', 'failure')),
    result        jsonb,
    logs          text,
    error         jsonb,
    attempts      integer     NOT NULL DEFAULT 0,
    trigger_kind  text,
    trigger_path  text,
    created_at    timestamptz NOT NULL,
    started_at    timestamptz,
    completed_at  timestamptz,
    claimed_by    text,
    lease_until   timestamptz
);

CREATE INDEX IF NOT EXISTS jobs_unfinished ON jobs (seq) WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS jobs_by_workspace ON jobs (workspace_id, created_at DESC, seq DESC);
CREATE INDEX IF NOT EXISTS jobs_by_trigger ON jobs (workspace_id, trigger_path, created_at DESC) WHERE trigger_path IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_by_script ON jobs (workspace_id, script_path, created_at DESC);

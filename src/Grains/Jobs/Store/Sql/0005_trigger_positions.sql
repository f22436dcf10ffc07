-- How far each trigger got in each partition of its source, written in the same statement as the jobs it made
-- there. A consumer that starts again after a crash skips what is already stored even when the source's own
-- commit was lost: batch boundaries need not repeat for a message to get exactly one job.
CREATE TABLE IF NOT EXISTS trigger_positions (
    trigger_source text NOT NULL,   -- kind, workspace, trigger and consumer group
    source_partition text NOT NULL, -- e.g. a Kafka topic and partition
    next_position bigint NOT NULL,  -- the first position not yet in a stored job
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trigger_source, source_partition)
);

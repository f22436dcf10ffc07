-- Who may write a trigger's jobs for a partition. A consumer takes the partition's next epoch when it is assigned it,
-- and each write carries the epochs it was given, checked under the rows' locks in the statement that inserts the
-- jobs: a former owner's late write (a silo frozen and woken, a partition lost, a consumer rebuilt after an error) finds
-- a newer epoch and is refused whole, so a message never gets a second job from batches cut differently.
ALTER TABLE trigger_positions ADD COLUMN IF NOT EXISTS owner_epoch bigint NOT NULL DEFAULT 0;

-- Storage for Orleans' ADO.NET providers (invariant "Npgsql"): clustering, grain persistence, reminders.
--
-- The providers create no schema. At start-up they run `SELECT QueryKey, QueryText FROM OrleansQuery`,
-- then execute those texts with fixed parameter names (@DeploymentId, @GrainIdHash, ...) and read result
-- columns by fixed names, so every query below aliases our snake_case columns to the names they expect.
--
-- The whole file is idempotent; the migrator re-applies it whenever its content changes, which is how
-- edited query texts reach existing databases.

-- The provider's own bootstrap query is unquoted, so this table and its columns must fold to
-- orleansquery(querykey, querytext).
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  varchar(64) PRIMARY KEY,
    QueryText text        NOT NULL
);

-- ETags travel as int4 (the providers int.Parse them); wrap rather than overflow after 2^31 updates.
CREATE OR REPLACE FUNCTION orleans_next_version(current_version integer) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN current_version >= 2147483647 THEN 1 ELSE current_version + 1 END
$$;


-- ===================================================================================================
-- Clustering (membership)
-- ===================================================================================================

-- One row per cluster. Orleans' membership protocol uses its version as a table-wide ETag: every
-- insert or update of a silo row must name the version it last read and bumps it.
CREATE TABLE IF NOT EXISTS orleans_membership_version (
    cluster_id text        PRIMARY KEY,
    version    integer     NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orleans_membership (
    cluster_id      text        NOT NULL REFERENCES orleans_membership_version (cluster_id) ON DELETE CASCADE,
    address         text        NOT NULL,
    port            integer     NOT NULL,
    generation      integer     NOT NULL,
    silo_name       text        NOT NULL,
    host_name       text        NOT NULL,
    status          integer     NOT NULL,   -- Orleans SiloStatus (3 = Active, 6 = Dead)
    proxy_port      integer     NOT NULL DEFAULT 0,
    suspect_times   text,                   -- provider-formatted "silo,time|silo,time"
    start_time      timestamptz NOT NULL,
    i_am_alive_time timestamptz NOT NULL,
    PRIMARY KEY (cluster_id, address, port, generation)
);

-- Locking the version row only when it still carries the expected version makes concurrent writers
-- queue up and every loser (who saw an older version) fail, as the protocol requires.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_cluster_id       text,
    p_expected_version integer,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_silo_name        text,
    p_host_name        text,
    p_status           integer,
    p_proxy_port       integer,
    p_start_time       timestamptz,
    p_i_am_alive_time  timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleans_membership_version
     WHERE cluster_id = p_cluster_id AND version = p_expected_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    INSERT INTO orleans_membership (cluster_id, address, port, generation, silo_name, host_name, status,
                                    proxy_port, start_time, i_am_alive_time)
    VALUES (p_cluster_id, p_address, p_port, p_generation, coalesce(p_silo_name, ''), p_host_name, p_status,
            coalesce(p_proxy_port, 0), p_start_time, p_i_am_alive_time)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN false;   -- this silo incarnation is already registered; leave the version alone
    END IF;

    UPDATE orleans_membership_version
       SET version = orleans_next_version(version), updated_at = now()
     WHERE cluster_id = p_cluster_id;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_cluster_id       text,
    p_expected_version integer,
    p_address          text,
    p_port             integer,
    p_generation       integer,
    p_status           integer,
    p_suspect_times    text,
    p_i_am_alive_time  timestamptz)
RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM orleans_membership_version
     WHERE cluster_id = p_cluster_id AND version = p_expected_version
       FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership
       SET status = p_status, suspect_times = p_suspect_times, i_am_alive_time = p_i_am_alive_time
     WHERE cluster_id = p_cluster_id AND address = p_address AND port = p_port AND generation = p_generation;
    IF NOT FOUND THEN
        RETURN false;
    END IF;

    UPDATE orleans_membership_version
       SET version = orleans_next_version(version), updated_at = now()
     WHERE cluster_id = p_cluster_id;
    RETURN true;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Returns one boolean: true only for the caller that actually created the row.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans_membership_version (cluster_id)
    VALUES (@DeploymentId)
    ON CONFLICT (cluster_id) DO NOTHING
    RETURNING 1
)
SELECT count(*) > 0 FROM created
$q$),

('InsertMembershipKey', $q$
SELECT orleans_membership_insert(
    p_cluster_id       => @DeploymentId,
    p_expected_version => @Version,
    p_address          => @Address,
    p_port             => @Port,
    p_generation       => @Generation,
    p_silo_name        => @SiloName,
    p_host_name        => @HostName,
    p_status           => @Status,
    p_proxy_port       => @ProxyPort,
    p_start_time       => @StartTime,
    p_i_am_alive_time  => @IAmAliveTime)
$q$),

('UpdateMembershipKey', $q$
SELECT orleans_membership_update(
    p_cluster_id       => @DeploymentId,
    p_expected_version => @Version,
    p_address          => @Address,
    p_port             => @Port,
    p_generation       => @Generation,
    p_status           => @Status,
    p_suspect_times    => @SuspectTimes,
    p_i_am_alive_time  => @IAmAliveTime)
$q$),

-- Liveness heartbeats are not membership changes, so they leave the table version alone.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership
   SET i_am_alive_time = @IAmAliveTime
 WHERE cluster_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- The provider takes the table version from the first row and treats a row without StartTime as
-- "no silo", so the version row is the driving side of an outer join: one row even with no silos.
('MembershipReadRowKey', $q$
SELECT v.version         AS "Version",
       m.address         AS "Address",
       m.port            AS "Port",
       m.generation      AS "Generation",
       m.silo_name       AS "SiloName",
       m.host_name       AS "HostName",
       m.status          AS "Status",
       m.proxy_port      AS "ProxyPort",
       m.suspect_times   AS "SuspectTimes",
       m.start_time      AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m
         ON m.cluster_id = v.cluster_id
        AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
 WHERE v.cluster_id = @DeploymentId
$q$),

('MembershipReadAllKey', $q$
SELECT v.version         AS "Version",
       m.address         AS "Address",
       m.port            AS "Port",
       m.generation      AS "Generation",
       m.silo_name       AS "SiloName",
       m.host_name       AS "HostName",
       m.status          AS "Status",
       m.proxy_port      AS "ProxyPort",
       m.suspect_times   AS "SuspectTimes",
       m.start_time      AS "StartTime",
       m.i_am_alive_time AS "IAmAliveTime"
  FROM orleans_membership_version v
  LEFT JOIN orleans_membership m ON m.cluster_id = v.cluster_id
 WHERE v.cluster_id = @DeploymentId
$q$),

-- Used by clients; @Status is SiloStatus.Active. Silos without a gateway advertise port 0.
('GatewaysQueryKey', $q$
SELECT address    AS "Address",
       proxy_port AS "ProxyPort",
       generation AS "Generation"
  FROM orleans_membership
 WHERE cluster_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),

-- Only silos that are Dead (6) and have been silent since before the cut-off are forgotten.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
 WHERE cluster_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime
$q$),

-- Silo rows go with the version row (ON DELETE CASCADE).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership_version WHERE cluster_id = @DeploymentId
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- ===================================================================================================
-- Grain persistence
-- ===================================================================================================

-- A grain is identified by service, grain type and key (two int64 halves of a Guid/long key plus an
-- optional string: the whole key for string-keyed grains, else the key extension). The provider also
-- sends int32 hashes of the key and type; they are only used to narrow the index, never trusted alone.
-- There is no unique index over the full key because string keys can exceed a btree entry; concurrent
-- first writes are serialised with an advisory lock instead (see orleans_grain_state_write).
CREATE TABLE IF NOT EXISTS orleans_grain_state (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id      text        NOT NULL,
    grain_type      text        NOT NULL,
    grain_type_hash integer     NOT NULL,
    grain_id_hash   integer     NOT NULL,
    grain_id_n0     bigint      NOT NULL,
    grain_id_n1     bigint      NOT NULL,
    grain_id_string text,
    payload         bytea,                  -- NULL after a clear that keeps the row (and its version)
    version         integer     NOT NULL,
    modified_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS orleans_grain_state_by_hash ON orleans_grain_state (grain_id_hash, grain_type_hash);

CREATE OR REPLACE FUNCTION orleans_grain_state_id(
    p_service_id      text,
    p_grain_type      text,
    p_grain_type_hash integer,
    p_grain_id_hash   integer,
    p_grain_id_n0     bigint,
    p_grain_id_n1     bigint,
    p_grain_id_string text)
RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT s.id
      FROM orleans_grain_state s
     WHERE s.grain_id_hash = p_grain_id_hash
       AND s.grain_type_hash = p_grain_type_hash
       AND s.service_id = p_service_id
       AND s.grain_type = p_grain_type
       AND s.grain_id_n0 = p_grain_id_n0
       AND s.grain_id_n1 = p_grain_id_n1
       AND s.grain_id_string IS NOT DISTINCT FROM p_grain_id_string
$$;

-- Returns the new version, or NULL when the caller's version is stale (the provider then throws
-- InconsistentStateException). It must always return exactly one row: no row at all would let a
-- conflicting first write pass unnoticed.
CREATE OR REPLACE FUNCTION orleans_grain_state_write(
    p_service_id       text,
    p_grain_type       text,
    p_grain_type_hash  integer,
    p_grain_id_hash    integer,
    p_grain_id_n0      bigint,
    p_grain_id_n1      bigint,
    p_grain_id_string  text,
    p_expected_version integer,
    p_payload          bytea)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    new_version integer;
BEGIN
    IF p_expected_version IS NOT NULL THEN
        -- The row lock taken by UPDATE plus the version test makes a concurrent writer with the same
        -- version re-check after we commit, see our new version, and match nothing.
        UPDATE orleans_grain_state s
           SET payload = p_payload, version = orleans_next_version(s.version), modified_at = now()
         WHERE s.id = orleans_grain_state_id(p_service_id, p_grain_type, p_grain_type_hash, p_grain_id_hash,
                                             p_grain_id_n0, p_grain_id_n1, p_grain_id_string)
           AND s.version = p_expected_version
        RETURNING s.version INTO new_version;
        RETURN new_version;
    END IF;

    -- A grain without an ETag believes no row exists. Two such writers (e.g. a duplicate activation)
    -- queue on this lock, and the second one sees the first one's row and fails.
    PERFORM pg_advisory_xact_lock(p_grain_id_hash, p_grain_type_hash);
    IF orleans_grain_state_id(p_service_id, p_grain_type, p_grain_type_hash, p_grain_id_hash,
                              p_grain_id_n0, p_grain_id_n1, p_grain_id_string) IS NOT NULL THEN
        RETURN NULL;
    END IF;

    INSERT INTO orleans_grain_state (service_id, grain_type, grain_type_hash, grain_id_hash,
                                     grain_id_n0, grain_id_n1, grain_id_string, payload, version)
    VALUES (p_service_id, p_grain_type, p_grain_type_hash, p_grain_id_hash,
            p_grain_id_n0, p_grain_id_n1, p_grain_id_string, p_payload, 1);
    RETURN 1;
END
$$;

-- Clearing keeps the row and bumps its version, so a stale activation still cannot write afterwards.
CREATE OR REPLACE FUNCTION orleans_grain_state_clear(
    p_service_id       text,
    p_grain_type       text,
    p_grain_type_hash  integer,
    p_grain_id_hash    integer,
    p_grain_id_n0      bigint,
    p_grain_id_n1      bigint,
    p_grain_id_string  text,
    p_expected_version integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    new_version integer;
BEGIN
    UPDATE orleans_grain_state s
       SET payload = NULL, version = orleans_next_version(s.version), modified_at = now()
     WHERE s.id = orleans_grain_state_id(p_service_id, p_grain_type, p_grain_type_hash, p_grain_id_hash,
                                         p_grain_id_n0, p_grain_id_n1, p_grain_id_string)
       AND s.version = p_expected_version
    RETURNING s.version INTO new_version;
    RETURN new_version;
END
$$;

-- For DeleteStateOnClear: the provider checks that the returned value differs from the ETag it sent
-- (and is not NULL), so a successful delete reports the version the row would have had next.
CREATE OR REPLACE FUNCTION orleans_grain_state_delete(
    p_service_id       text,
    p_grain_type       text,
    p_grain_type_hash  integer,
    p_grain_id_hash    integer,
    p_grain_id_n0      bigint,
    p_grain_id_n1      bigint,
    p_grain_id_string  text,
    p_expected_version integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    next_version integer;
BEGIN
    DELETE FROM orleans_grain_state s
     WHERE s.id = orleans_grain_state_id(p_service_id, p_grain_type, p_grain_type_hash, p_grain_id_hash,
                                         p_grain_id_n0, p_grain_id_n1, p_grain_id_string)
       AND s.version = p_expected_version
    RETURNING orleans_next_version(s.version) INTO next_version;
    RETURN next_version;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- No row means "never written"; a row with NULL payload means "cleared" but still carries its version.
('ReadFromStorageKey', $q$
SELECT s.payload AS "PayloadBinary",
       s.version AS "Version"
  FROM orleans_grain_state s
 WHERE s.id = orleans_grain_state_id(@ServiceId, @GrainTypeString, @GrainTypeHash, @GrainIdHash,
                                     @GrainIdN0, @GrainIdN1, @GrainIdExtensionString)
$q$),

('WriteToStorageKey', $q$
SELECT orleans_grain_state_write(
    p_service_id       => @ServiceId,
    p_grain_type       => @GrainTypeString,
    p_grain_type_hash  => @GrainTypeHash,
    p_grain_id_hash    => @GrainIdHash,
    p_grain_id_n0      => @GrainIdN0,
    p_grain_id_n1      => @GrainIdN1,
    p_grain_id_string  => @GrainIdExtensionString,
    p_expected_version => @GrainStateVersion,
    p_payload          => @PayloadBinary) AS "NewGrainStateVersion"
$q$),

('ClearStorageKey', $q$
SELECT orleans_grain_state_clear(
    p_service_id       => @ServiceId,
    p_grain_type       => @GrainTypeString,
    p_grain_type_hash  => @GrainTypeHash,
    p_grain_id_hash    => @GrainIdHash,
    p_grain_id_n0      => @GrainIdN0,
    p_grain_id_n1      => @GrainIdN1,
    p_grain_id_string  => @GrainIdExtensionString,
    p_expected_version => @GrainStateVersion) AS "NewGrainStateVersion"
$q$),

('DeleteStorageKey', $q$
SELECT orleans_grain_state_delete(
    p_service_id       => @ServiceId,
    p_grain_type       => @GrainTypeString,
    p_grain_type_hash  => @GrainTypeHash,
    p_grain_id_hash    => @GrainIdHash,
    p_grain_id_n0      => @GrainIdN0,
    p_grain_id_n1      => @GrainIdN1,
    p_grain_id_string  => @GrainIdExtensionString,
    p_expected_version => @GrainStateVersion) AS "NewGrainStateVersion"
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- ===================================================================================================
-- Reminders
-- ===================================================================================================

-- grain_hash is the grain's uniform hash as a signed int32; the reminder service splits that ring
-- into ranges per silo (see ReadRangeRows1Key/ReadRangeRows2Key).
CREATE TABLE IF NOT EXISTS orleans_reminder (
    service_id    text        NOT NULL,
    grain_id      text        NOT NULL,
    reminder_name text        NOT NULL,
    grain_hash    integer     NOT NULL,
    start_time    timestamptz NOT NULL,
    period_ms     bigint      NOT NULL,
    version       integer     NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS orleans_reminder_by_hash ON orleans_reminder (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Returns the new ETag. @Period arrives as int4 or int8 depending on its size.
('UpsertReminderRowKey', $q$
INSERT INTO orleans_reminder AS r (service_id, grain_id, reminder_name, grain_hash, start_time, period_ms, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @GrainHash, @StartTime, @Period, 1)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET grain_hash = EXCLUDED.grain_hash,
       start_time = EXCLUDED.start_time,
       period_ms  = EXCLUDED.period_ms,
       version    = orleans_next_version(r.version)
RETURNING r.version AS "Version"
$q$),

('ReadReminderRowsKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans_reminder
 WHERE service_id = @ServiceId AND grain_id = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans_reminder
 WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
$q$),

-- Range (@BeginHash, @EndHash] when it does not wrap around (the provider compares them as int32).
('ReadRangeRows1Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans_reminder
 WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash
$q$),

-- The wrapping range: everything after @BeginHash plus everything up to @EndHash (begin = end: all).
('ReadRangeRows2Key', $q$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period_ms AS "Period", version AS "Version"
  FROM orleans_reminder
 WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash)
$q$),

-- Returns one boolean: false when the row is gone or the ETag is stale.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleans_reminder
     WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName
       AND version = @Version
    RETURNING 1
)
SELECT count(*) > 0 FROM deleted
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleans_reminder WHERE service_id = @ServiceId
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

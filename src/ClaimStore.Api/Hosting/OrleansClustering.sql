-- Orleans cluster membership on PostgreSQL, for Microsoft.Orleans.Clustering.AdoNet 10.4.x
-- (invariant "Npgsql"). That package ships no SQL, so ClaimStore keeps its own.
--
-- OrleansClustering.EnsureSchemaAsync runs this whole file in one transaction, after
-- pg_advisory_xact_lock, so it is safe to run on every start and from several hosts at once.
-- Everything is idempotent: CREATE ... IF NOT EXISTS, and the queries are upserted.
--
-- The contract (checked against the 10.4.2 assembly, see OrleansClustering.cs):
--  * At start the provider runs "SELECT QueryKey, QueryText FROM OrleansQuery" and refuses to
--    start unless every required key below is present. It binds parameters by name (@Name) and
--    reads result columns by name (Npgsql matches names case-insensitively, so the unquoted,
--    lower-cased identifiers of this file are fine).
--  * The table version is an integer; the "etag" the provider passes as @Version is the version
--    it read. A write succeeds only if the version is still @Version, and then bumps it by one.
--  * Writes answer one row with one column: >0 for success, 0 for "lost the race" (nothing
--    changed). Each write is a single statement, so it is all-or-nothing.
--  * Reads answer the version row even when no member matches (LEFT JOIN), because the provider
--    takes the version from the first row.
--  * Status values are Orleans' SiloStatus: 3 = Active, 6 = Dead.
--
-- Tables live in the connection's default schema (public), the one the provider's fixed
-- "SELECT ... FROM OrleansQuery" finds.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);

-- One row per cluster (ClusterId, which the provider calls DeploymentId): the table version.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId text        NOT NULL,
    Version      integer     NOT NULL DEFAULT 0,
    ChangedAt    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT PK_OrleansMembershipVersionTable PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port and generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId text        NOT NULL,
    Address      varchar(45) NOT NULL,
    Port         integer     NOT NULL,
    Generation   integer     NOT NULL,
    SiloName     text        NOT NULL,
    HostName     text        NOT NULL,
    Status       integer     NOT NULL,
    ProxyPort    integer     NOT NULL DEFAULT 0,
    SuspectTimes text        NULL,
    StartTime    timestamptz NOT NULL,
    IAmAliveTime timestamptz NOT NULL,
    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_Version FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Creates the cluster's version row if missing. Answers 1 when this call created it.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer FROM created;
$q$),

-- Adds a silo's row and bumps the version, both or neither: the bump only happens when the
-- version is still @Version and the row does not exist yet. Answers 1 on success.
('InsertMembershipKey', $q$
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable AS v
    SET Version = v.Version + 1, ChangedAt = now()
    WHERE v.DeploymentId = @DeploymentId
      AND v.Version = @Version
      AND NOT EXISTS (
          SELECT 1 FROM OrleansMembershipTable AS m
          WHERE m.DeploymentId = @DeploymentId
            AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation)
    RETURNING v.DeploymentId
), added AS (
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort,
         StartTime, IAmAliveTime)
    SELECT b.DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
           @StartTime, @IAmAliveTime
    FROM bumped AS b
    ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer FROM added;
$q$),

-- Changes a silo's status, suspicions and heartbeat and bumps the version, both or neither:
-- only when the version is still @Version and the row exists. Answers 1 on success.
('UpdateMembershipKey', $q$
WITH bumped AS (
    UPDATE OrleansMembershipVersionTable AS v
    SET Version = v.Version + 1, ChangedAt = now()
    WHERE v.DeploymentId = @DeploymentId
      AND v.Version = @Version
      AND EXISTS (
          SELECT 1 FROM OrleansMembershipTable AS m
          WHERE m.DeploymentId = @DeploymentId
            AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation)
    RETURNING v.DeploymentId
), changed AS (
    UPDATE OrleansMembershipTable AS m
    SET Status = @Status, SuspectTimes = @SuspectTimes, IAmAliveTime = @IAmAliveTime
    FROM bumped AS b
    WHERE m.DeploymentId = b.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
    RETURNING 1
)
SELECT count(*)::integer FROM changed;
$q$),

-- The heartbeat: no version check and no version bump, by the protocol's design.
('UpdateIAmAlivetimeKey', $q$
UPDATE OrleansMembershipTable
SET IAmAliveTime = @IAmAliveTime
WHERE DeploymentId = @DeploymentId
  AND Address = @Address AND Port = @Port AND Generation = @Generation;
$q$),

-- One silo's row (if any) and the table version, read in one statement (one snapshot).
('MembershipReadRowKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable AS v
LEFT JOIN OrleansMembershipTable AS m
       ON m.DeploymentId = v.DeploymentId
      AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
WHERE v.DeploymentId = @DeploymentId;
$q$),

-- Every silo's row and the table version, read in one statement (one snapshot).
('MembershipReadAllKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
       m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable AS v
LEFT JOIN OrleansMembershipTable AS m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = @DeploymentId;
$q$),

-- Gateways for clients: silos in status @Status (Active) that have a gateway port.
('GatewaysQueryKey', $q$
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
$q$),

-- Forgets a whole cluster (used by tooling and tests, never by a running silo).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),

-- Required fallback cleanup: dead rows whose start and last heartbeat are both before the cutoff.
-- (10.4 uses it only when CleanupDefunctSiloEntryKey below is missing.)
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
  AND Status = 6
  AND StartTime < @IAmAliveTime
  AND IAmAliveTime < @IAmAliveTime;
$q$),

-- Optional in 10.4, preferred when present: the provider reads the table, picks the expired dead
-- rows itself, and deletes each only if it is still exactly as read (nothing touched it since).
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = @DeploymentId
  AND Address = @Address AND Port = @Port AND Generation = @Generation
  AND Status = 6
  AND StartTime = @StartTime
  AND IAmAliveTime = @IAmAliveTime
  AND SuspectTimes IS NOT DISTINCT FROM @SuspectTimes;
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;

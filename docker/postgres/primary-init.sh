#!/usr/bin/env bash
# Runs once, when the official image initialises the primary's data directory
# (/docker-entrypoint-initdb.d): lets the standby replicate, and makes every commit wait
# until the standby has it. ALTER SYSTEM takes effect at the server's real start, after the
# initialisation, so creating the database here does not wait for a standby that is not up yet.
set -euo pipefail
echo "host replication postgres all scram-sha-256" >> "$PGDATA/pg_hba.conf"
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres <<'SQL'
ALTER SYSTEM SET synchronous_standby_names = 'claimstore_standby';
ALTER SYSTEM SET synchronous_commit = 'on';
SQL

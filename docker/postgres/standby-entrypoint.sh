#!/usr/bin/env bash
# The standby: on first start a copy of the primary (pg_basebackup -R writes standby.signal),
# then a hot standby streaming from it as 'claimstore_standby', the name the primary's
# synchronous_standby_names waits for. Runs as the postgres user (compose: user: postgres).
set -euo pipefail
conninfo="host=postgres port=5432 user=postgres password=${POSTGRES_PASSWORD} application_name=claimstore_standby"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres -p 5432 -U postgres; do sleep 1; done
  pg_basebackup -D "$PGDATA" -d "$conninfo" -X stream -R -c fast
fi
if [ ! -f "$PGDATA/standby.signal" ]; then
  # Promoted once already: this server is a primary now; it is not turned back into a standby here.
  echo "standby: $PGDATA has no standby.signal (it was promoted); starting it as a primary" >&2
fi
chmod 700 "$PGDATA"
exec postgres -D "$PGDATA" -c "primary_conninfo=$conninfo" -c hot_standby=on

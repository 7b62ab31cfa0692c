#!/bin/bash
# The audit store's streaming replica: on first start (an empty data folder) it copies the primary with
# pg_basebackup over the replication slot `msx_replica`, and writes the connection to it (standby.signal and
# primary_conninfo in postgresql.auto.conf); then, and on every later start, it runs the postgres image's
# entrypoint as a hot standby. Its `cluster_name` is the name by which the primary waits for it
# (synchronous_standby_names = msx_replica). Used by deploy/compose.yaml and the Kubernetes StatefulSet
# postgres-replica alike.
set -euo pipefail

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "replica: copying the primary postgres-primary into ${PGDATA}"
  PGPASSWORD="$(cat /run/secrets/replication-password)" pg_basebackup \
    --host=postgres-primary --port=5432 --username=replicator --no-password \
    --pgdata="$PGDATA" --wal-method=stream --slot=msx_replica --write-recovery-conf \
    --checkpoint=fast --progress
fi

exec docker-entrypoint.sh postgres -c cluster_name=msx_replica -c hot_standby=on

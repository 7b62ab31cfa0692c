#!/bin/bash
# The audit store's primary, made once: run by the postgres image's entrypoint (docker-entrypoint-initdb.d) when
# it initialises an empty data folder, never again. Used by deploy/compose.yaml and the Kubernetes StatefulSet
# postgres-primary alike. Passwords come from files (/run/secrets), never from the environment.
#
# - role `msx`, owner of database `msx`: the services' login (MSX_DATABASE_URL). CREATEROLE because the audit
#   store's migrations create its owner, writer and auditor roles and make the services members of them;
# - role `replicator`: streaming replication only, used by the replica's pg_basebackup and its WAL receiver;
# - the physical replication slot `msx_replica`, so that the primary keeps the WAL the replica has not yet
#   received, and a pg_hba line that lets `replicator` in for replication (password, SCRAM).
set -euo pipefail

# The server runs with synchronous_standby_names naming a replica that cannot exist yet: these commits would
# wait for it forever. This session alone commits locally.
export PGOPTIONS='-c synchronous_commit=local'

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set msx_password="$(cat /run/secrets/msx-db-password)" \
  --set replication_password="$(cat /run/secrets/replication-password)" <<'SQL'
CREATE ROLE msx LOGIN CREATEROLE PASSWORD :'msx_password';
CREATE DATABASE msx OWNER msx;
CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'replication_password';
SELECT pg_create_physical_replication_slot('msx_replica');
SQL

echo 'host replication replicator all scram-sha-256' >> "$PGDATA/pg_hba.conf"

#!/usr/bin/env bash
# pg-test.sh: starts the local PostgreSQL 15 cluster if needed and creates a throwaway database
# with an owner role and a read-only role (both with random passwords), for tests and benches.
#
#   bash scripts/pg-test.sh            -> prints two lines:
#        FEDSYNTH_TEST_PG=postgres://<ro>:<pw>@127.0.0.1:5432/<db>        (read-only role)
#        FEDSYNTH_TEST_PG_ADMIN=postgres://<owner>:<pw>@127.0.0.1:5432/<db> (owns the database)
#   bash scripts/pg-test.sh --drop <db> -> drops that database and its two roles.
# Needs root (or the postgres user) on a Debian-like host; installs postgresql if it is missing.
set -euo pipefail

as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@"; else su postgres -s /bin/bash -c "$(printf '%q ' "$@")"; fi
}
psql_pg() { as_pg psql -v ON_ERROR_STOP=1 -qAt -d "${2:-postgres}" -c "$1"; }

if [ "${1:-}" = "--drop" ]; then
  db="${2:?database name}"
  case "$db" in fedsynth_t_*) ;; *) echo "refusing to drop $db" >&2; exit 2 ;; esac
  psql_pg "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  psql_pg "DROP ROLE IF EXISTS \"${db}_ro\"" >/dev/null
  psql_pg "DROP ROLE IF EXISTS \"${db}_owner\"" >/dev/null
  exit 0
fi

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "pg-test: installing postgresql" >&2
  apt-get install -y postgresql >/dev/null
fi
ver="$(pg_lsclusters -h | awk 'NR==1{print $1}')"
cluster="$(pg_lsclusters -h | awk 'NR==1{print $2}')"
port="$(pg_lsclusters -h | awk 'NR==1{print $3}')"
status="$(pg_lsclusters -h | awk 'NR==1{print $4}')"
if [ "$status" != "online" ]; then
  pg_ctlcluster "$ver" "$cluster" start >&2
fi
for _ in $(seq 1 50); do
  if as_pg pg_isready -q -p "$port"; then break; fi
  sleep 0.2
done

suffix="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
db="fedsynth_t_${suffix}"
ro="${db}_ro"
owner="${db}_owner"
ro_pw="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
owner_pw="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"

psql_pg "CREATE ROLE \"$owner\" LOGIN PASSWORD '$owner_pw'" >/dev/null
psql_pg "CREATE ROLE \"$ro\" LOGIN PASSWORD '$ro_pw'" >/dev/null
psql_pg "CREATE DATABASE \"$db\" OWNER \"$owner\"" >/dev/null
# The read-only grants documented in docs/data.md.
psql_pg "REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE \"$db\" TO \"$ro\";
ALTER SCHEMA public OWNER TO \"$owner\";
GRANT USAGE ON SCHEMA public TO \"$ro\";
ALTER DEFAULT PRIVILEGES FOR ROLE \"$owner\" IN SCHEMA public GRANT SELECT ON TABLES TO \"$ro\";
ALTER ROLE \"$ro\" SET default_transaction_read_only = on;" "$db" >/dev/null

echo "FEDSYNTH_TEST_PG=postgres://$ro:$ro_pw@127.0.0.1:$port/$db"
echo "FEDSYNTH_TEST_PG_ADMIN=postgres://$owner:$owner_pw@127.0.0.1:$port/$db"

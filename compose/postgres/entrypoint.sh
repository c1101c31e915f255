#!/bin/sh
# Entrypoint of compose/Dockerfile.postgres: on first start initializes $PGDATA (superuser password
# from $POSTGRES_PASSWORD_FILE or $POSTGRES_PASSWORD), runs /docker-entrypoint-initdb.d/*.sql, then serves.
set -eu
: "${PGDATA:=/var/lib/postgresql/data/pgdata}"
SOCKET_DIR=/tmp
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  pw=/tmp/.pgpass-init
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then cat "$POSTGRES_PASSWORD_FILE" >"$pw"; else printf '%s\n' "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE}" >"$pw"; fi
  initdb -D "$PGDATA" -U postgres --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >/dev/null
  rm -f "$pw"
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k $SOCKET_DIR" -w start >/dev/null
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] || continue
    echo "fedsynth-pg-entrypoint: running $f" >&2
    psql -h "$SOCKET_DIR" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -f "$f"
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k "$SOCKET_DIR"

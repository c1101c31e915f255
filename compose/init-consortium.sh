#!/bin/sh
# Prepares everything docker-compose.yml mounts, in compose/work/: the consortium CA (stays on this
# host), startup kits, agent configs, the consortium schema and three data silos cut from a CSV file:
# hospital-a and hospital-b as CSV files, hospital-c as SQL that loads its PostgreSQL silo.
#
# Usage: compose/init-consortium.sh [--work DIR] [--data FILE.csv] [--schema FILE.json] [--rows N]
#                                   [--uid UID] [--force]
# Needs Node 20 and the built CLI (npm run build), or run it inside the agent image (see README.md).
# Run as root it hands kits and configs to uid 10001 (--uid), the user the service images run as.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WORK="$HERE/work"
DATA="$ROOT/data/adult-raw.csv"
SCHEMA="$ROOT/data/adult-raw.schema.json"
ROWS=3000
RUN_UID=10001
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --schema) SCHEMA="$2"; shift 2 ;;
    --rows) ROWS="$2"; shift 2 ;;
    --uid) RUN_UID="$2"; shift 2 ;;
    --force) FORCE=1; shift ;;
    *) echo "usage: $0 [--work DIR] [--data FILE.csv] [--schema FILE.json] [--rows N] [--uid UID] [--force]" >&2; exit 2 ;;
  esac
done
BIN="${FEDSYNTH_BIN:-$ROOT/bin/fedsynth.js}"
[ -f "$BIN" ] || BIN=/app/bin/fedsynth.js
fedsynth() { node "$BIN" "$@" >/dev/null; }

if [ -e "$WORK/ca" ]; then
  if [ "$FORCE" != 1 ]; then echo "init-consortium: $WORK/ca exists (use --force to start a new consortium)" >&2; exit 1; fi
  rm -rf "$WORK/ca" "$WORK/kits" "$WORK/config" "$WORK/silos" "$WORK/postgres"
fi
mkdir -p "$WORK/kits" "$WORK/config" "$WORK/silos" "$WORK/postgres/init"
PARTIES="hospital-a hospital-b hospital-c"
COORD=coordinator:7443

echo "init-consortium: CA and startup kits in $WORK" >&2
fedsynth pki init --dir "$WORK/ca" --name fedsynth-compose --coordinator "$COORD" \
  --coordinator-host coordinator,localhost,127.0.0.1 --coordinator-out "$WORK/kits/coordinator"
for p in $PARTIES; do fedsynth pki issue --ca "$WORK/ca" --party "$p" --coordinator "$COORD" --out "$WORK/kits/$p"; done
fedsynth pki issue --ca "$WORK/ca" --role custodian --coordinator "$COORD" --out "$WORK/kits/custodian"
fedsynth pki issue --ca "$WORK/ca" --role operator --name operator --coordinator "$COORD" --out "$WORK/kits/operator"
cp "$SCHEMA" "$WORK/schema.json"

echo "init-consortium: splitting the first $ROWS rows of $DATA among $PARTIES" >&2
node - "$DATA" "$SCHEMA" "$ROWS" "$WORK" <<'EOF'
// Contiguous split into three silos; hospital-c becomes a PostgreSQL table loaded by an init script,
// read by a SELECT-only role. Passwords: postgres/superuser.env (the database container only) and
// postgres/reader.env (hospital-c's agent only).
const { readFileSync, writeFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const [data, schemaFile, rowsArg, work] = process.argv.slice(2);
const lines = readFileSync(data, 'utf8').split(/\r?\n/).filter((l) => l !== '');
const header = lines[0];
const rows = lines.slice(1, 1 + Number(rowsArg));
const cut = [0, Math.floor(rows.length / 3), Math.floor((2 * rows.length) / 3), rows.length];
writeFileSync(`${work}/silos/hospital-a.csv`, [header, ...rows.slice(cut[0], cut[1])].join('\n') + '\n');
writeFileSync(`${work}/silos/hospital-b.csv`, [header, ...rows.slice(cut[1], cut[2])].join('\n') + '\n');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
const types = new Map(schema.columns.map((c) => [c.name, c.type === 'integer' ? 'bigint' : c.type === 'number' ? 'double precision' : 'text']));
const cols = header.split(',');
const q = (n) => `"${n.replace(/"/g, '""')}"`;
const reader = randomBytes(18).toString('base64url');
const superuser = randomBytes(18).toString('base64url');
const sql = [
  'CREATE DATABASE silo;',
  '\\connect silo',
  `CREATE TABLE adult (${cols.map((c) => `${q(c)} ${types.get(c) ?? 'text'}`).join(', ')});`,
  `COPY adult (${cols.map(q).join(', ')}) FROM stdin WITH (FORMAT csv, NULL '');`,
  ...rows.slice(cut[2], cut[3]),
  '\\.',
  `CREATE ROLE fedsynth_reader LOGIN PASSWORD '${reader}';`,
  'GRANT CONNECT ON DATABASE silo TO fedsynth_reader;',
  'GRANT USAGE ON SCHEMA public TO fedsynth_reader;',
  'GRANT SELECT ON adult TO fedsynth_reader;',
  '',
];
writeFileSync(`${work}/postgres/init/01-silo.sql`, sql.join('\n'));
writeFileSync(`${work}/postgres/superuser.env`, `POSTGRES_PASSWORD=${superuser}\n`, { mode: 0o600 });
writeFileSync(`${work}/postgres/reader.env`, `FEDSYNTH_PG_PASSWORD=${reader}\n`, { mode: 0o600 });
const counts = { 'hospital-a': cut[1] - cut[0], 'hospital-b': cut[2] - cut[1], 'hospital-c': cut[3] - cut[2] };
writeFileSync(`${work}/silos/rows.json`, JSON.stringify(counts, null, 2) + '\n');
EOF

# Agent configs, with paths as the containers see them (docker-compose.yml mounts).
for p in $PARTIES; do
  case "$p" in
    hospital-c) source='{ "kind": "postgres", "host": "postgres-c", "port": 5432, "database": "silo", "user": "fedsynth_reader", "passwordEnv": "FEDSYNTH_PG_PASSWORD", "table": "adult" }' ;;
    *) source='{ "kind": "csv", "path": "/data/silo.csv" }' ;;
  esac
  cat >"$WORK/config/$p.json" <<EOF
{
  "party": { "id": "$p" },
  "coordinator": { "address": "$COORD" },
  "kit": "/kit",
  "dataset": { "id": "$p-adult", "source": $source, "schema": "/etc/fedsynth/schema.json", "onInvalid": "fail" },
  "policy": {
    "allowedColumns": "*",
    "maxEpsilonPerStudy": 2,
    "maxDeltaPerStudy": 1e-6,
    "lifetimeEpsilon": 20,
    "autoApprove": { "maxEpsilon": 2 },
    "allowedMechanisms": ["mst", "aim"],
    "minParties": 2
  },
  "state": { "dir": "/state" }
}
EOF
done

# The services run as $RUN_UID (10001), PostgreSQL as 999: hand them what they read.
chmod -R a+rX "$WORK/config" "$WORK/silos" "$WORK/schema.json" "$WORK/postgres/init"
if [ "$(id -u)" = 0 ]; then
  chown -R "$RUN_UID:$RUN_UID" "$WORK/kits"
elif [ "$(id -u)" != "$RUN_UID" ]; then
  echo "init-consortium: the kits are owned by uid $(id -u); the containers run as $RUN_UID:" >&2
  echo "  sudo chown -R $RUN_UID:$RUN_UID $WORK/kits" >&2
fi
echo "init-consortium: done; CA key in $WORK/ca (keep it offline), kits in $WORK/kits" >&2

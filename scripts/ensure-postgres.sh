#!/usr/bin/env bash
# Ensures the local PostgreSQL 15 cluster is installed and running (Debian), for the data-plane
# tests; they create (and drop) their own throwaway databases with scripts/pg-test.sh.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq postgresql >/dev/null
fi
line="$(pg_lsclusters -h | head -n 1)"
if [ -z "$line" ]; then
  $SUDO pg_createcluster 15 main >/dev/null
  line="$(pg_lsclusters -h | head -n 1)"
fi
read -r ver cluster port state _ <<<"$line"
if [ "$state" != "online" ]; then $SUDO pg_ctlcluster "$ver" "$cluster" start; fi
for _ in $(seq 1 50); do
  if pg_isready -q -h 127.0.0.1 -p "$port"; then echo "PostgreSQL $ver/$cluster online on 127.0.0.1:$port" >&2; exit 0; fi
  sleep 0.2
done
echo "PostgreSQL did not come up" >&2
exit 1
